"""The metrics move when the Hub works, and are served only where and when asked."""
import io
import sys
import urllib.request
import uuid

import pytest
from gateway.uploads import UnsupportedFileType, store_upload
from nameko.rpc import rpc
from nameko.testing.services import entrypoint_hook
from prometheus_client import REGISTRY
from werkzeug.datastructures import FileStorage

from common import metrics
from common.errors import ValidationFailed
from common.messaging import ReliableEventHandler
from common.metrics import Metrics, serve_metrics
from common.topology import Subscription
from tests.support.waiting import free_port


def value(name: str, **labels) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


class TinyService:
    name = "tiny"
    metrics = Metrics()

    @rpc(expected_exceptions=ValidationFailed)
    def answer(self, how: str = "ok"):
        if how == "refuse":
            raise ValidationFailed("no")
        if how == "crash":
            raise RuntimeError("boom")
        return 42


@pytest.fixture
def tiny(container_factory):
    container = container_factory(TinyService, {"AMQP_URI": "memory://"})
    container.dependencies.all.setup()  # no broker: the entrypoint is driven by entrypoint_hook
    return container


def test_an_rpc_entrypoint_is_timed_and_counted_by_outcome(tiny):
    labels = {"service": "tiny", "kind": "rpc", "entrypoint": "answer"}
    before = {o: value("hub_entrypoint_calls_total", **labels, outcome=o) for o in ("ok", "refused", "error")}
    timed = value("hub_entrypoint_duration_seconds_count", **labels)
    with entrypoint_hook(tiny, "answer") as answer:
        assert answer() == 42
        with pytest.raises(ValidationFailed):
            answer("refuse")
        with pytest.raises(RuntimeError):
            answer("crash")
    for outcome in ("ok", "refused", "error"):
        assert value("hub_entrypoint_calls_total", **labels, outcome=outcome) == before[outcome] + 1
    assert value("hub_entrypoint_duration_seconds_count", **labels) == timed + 3


class FakePublisher:
    def __init__(self):
        self.routing_keys = []

    def publish(self, body, routing_key, **kwargs):
        self.routing_keys.append(routing_key)


class FakeMessage:
    headers: dict = {}
    body = b"{}"
    content_type = "application/json"
    content_encoding = "utf-8"


def failing_handler(max_attempts: int) -> ReliableEventHandler:
    handler = ReliableEventHandler.__new__(ReliableEventHandler)
    handler.subscription = Subscription("notifications", "accounts", "person_registered")
    handler.method_name = "handle_person_registered"
    handler.container = type("Container", (), {"service_name": "notifications"})()
    handler.max_attempts, handler.retry_delay_ms = max_attempts, 10
    handler.publisher = FakePublisher()
    return handler


def test_a_failed_event_counts_as_retried_then_as_parked():
    labels = {"service": "notifications", "handler": "handle_person_registered"}
    retried, parked = value("hub_events_retried_total", **labels), value("hub_events_parked_total", **labels)
    try:
        raise RuntimeError("handler failed")
    except RuntimeError:
        exc_info = sys.exc_info()
    failing_handler(max_attempts=5)._retry_or_park(FakeMessage(), exc_info)
    assert (value("hub_events_retried_total", **labels), value("hub_events_parked_total", **labels)) == (
        retried + 1, parked)
    failing_handler(max_attempts=1)._retry_or_park(FakeMessage(), exc_info)
    assert value("hub_events_parked_total", **labels) == parked + 1


def test_refused_uploads_are_counted_by_reason():
    reasons = ("missing", "empty", "unsupported_type")
    before = {r: value("hub_upload_refusals_total", reason=r) for r in reasons}
    storage = object()  # a refused file never reaches storage
    with pytest.raises(ValidationFailed):
        store_upload(None, 1024, storage)
    with pytest.raises(ValidationFailed):
        store_upload(FileStorage(io.BytesIO(b""), filename="scan.pdf"), 1024, storage)
    with pytest.raises(UnsupportedFileType):
        store_upload(FileStorage(io.BytesIO(b"MZ\x90\x00" + b"\0" * 200), filename="card.exe"), 1024, storage)
    assert {r: value("hub_upload_refusals_total", reason=r) for r in reasons} == {r: n + 1 for r, n in before.items()}


def test_no_metrics_server_without_hub_metrics_port(monkeypatch):
    monkeypatch.delenv("HUB_METRICS_PORT", raising=False)
    started = dict(metrics._servers)
    assert serve_metrics({}) is None
    assert metrics._servers == started


def test_gateway_metrics_name_url_rules_not_raw_paths(client, monkeypatch):
    port = free_port()
    monkeypatch.setenv("HUB_METRICS_HOST", "127.0.0.1")
    assert serve_metrics({"HUB_METRICS_PORT": str(port)}) == port
    case_id = str(uuid.uuid4())
    assert client.get(f"/api/v1/staff/cases/{case_id}").status_code == 401  # no token
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as response:
        exposed = response.read().decode()
    assert 'endpoint="/api/v1/staff/cases/<uuid:case_id>"' in exposed
    assert "hub_http_request_duration_seconds_bucket" in exposed
    assert case_id not in exposed


def test_the_sample_dashboard_queries_only_metrics_the_hub_exposes():
    import json
    import re
    from pathlib import Path

    dashboard = json.loads((Path(__file__).resolve().parents[2] / "deploy" / "grafana-dashboard.json").read_text())
    exprs = [target["expr"] for panel in dashboard["panels"] for target in panel["targets"]]
    assert exprs and all(panel["targets"] for panel in dashboard["panels"])
    defined = {m.name for m in vars(metrics).values() if hasattr(m, "_name") and hasattr(m, "describe")
               for m in m.describe()}
    used = {re.sub(r"_(bucket|sum|count|total)$", "", name) for e in exprs for name in re.findall(r"hub_\w+", e)}
    assert used <= {re.sub(r"_total$", "", name) for name in defined}
