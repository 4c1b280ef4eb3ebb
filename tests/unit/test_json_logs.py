"""JSON log lines and the correlation id the gateway starts."""
import json
import logging
import sys

from gateway.rpc import ExpiringProxy

from common import logs
from common.logs import CorrelationIds, JsonFormatter


def record(message: str, *args) -> logging.LogRecord:
    return logging.LogRecord("rosters.service", logging.WARNING, __file__, 1, message, args, None)


def test_a_json_line_holds_time_level_service_logger_message_and_correlation_id():
    token = logs.bind("req-123")
    try:
        line = json.loads(JsonFormatter("rosters").format(record("swept %d records", 7)))
    finally:
        logs.unbind(token)
    assert line["level"] == "WARNING" and line["service"] == "rosters" and line["logger"] == "rosters.service"
    assert line["message"] == "swept 7 records" and line["correlation_id"] == "req-123"
    assert line["time"].endswith("+00:00")
    assert json.loads(JsonFormatter("rosters").format(record("idle")))["correlation_id"] is None


def test_a_readable_line_ends_with_the_correlation_id_before_any_traceback():
    readable = logs.WithCorrelationId(logging.Formatter("rosters %(levelname)s %(name)s: %(message)s"))
    assert readable.format(record("idle")) == "rosters WARNING rosters.service: idle"  # no work, no id
    token = logs.bind("req-123")
    try:
        swept = readable.format(record("swept %d records", 7))
        assert swept == "rosters WARNING rosters.service: swept 7 records [req-123]"
        try:
            raise ValueError("boom")
        except ValueError:
            failed = logging.LogRecord("rosters", logging.ERROR, __file__, 1, "failed", (), sys.exc_info())
        first, traceback = readable.format(failed).split("\n", 1)
    finally:
        logs.unbind(token)
    assert first == "rosters ERROR rosters: failed [req-123]" and "ValueError: boom" in traceback


def test_readable_logs_keep_their_format_and_are_wrapped_once():
    logger = logging.getLogger("hub-test-readable")
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(message)s"))
    logger.addHandler(handler)
    try:
        logs.use_readable(logger)
        logs.use_readable(logger)
        assert isinstance(handler.formatter, logs.WithCorrelationId)
        assert not isinstance(handler.formatter.inner, logs.WithCorrelationId)
        assert handler.formatter.format(record("plain")) == "plain"
    finally:
        logger.removeHandler(handler)


def test_json_is_chosen_only_by_hub_log_format(monkeypatch):
    monkeypatch.delenv("HUB_LOG_FORMAT", raising=False)
    assert not logs.json_logs({})
    monkeypatch.setenv("HUB_LOG_FORMAT", "json")
    assert logs.json_logs({})


def test_the_gateway_takes_a_sane_request_id_and_replaces_anything_else(client):
    assert client.get("/healthz-nope", headers={"X-Request-ID": "abc-123"}).headers["X-Request-ID"] == "abc-123"
    for bad in ("x" * 200, "a b", "<script>"):
        answered = client.get("/healthz-nope", headers={"X-Request-ID": bad}).headers["X-Request-ID"]
        assert answered != bad and logs.sane(answered)
    assert client.get("/healthz-nope").headers["X-Request-ID"]


def test_the_gateway_rpc_proxy_sends_the_current_correlation_id():
    class WorkerCtx:
        data: dict = {}

    class Cluster:
        _worker_ctx = WorkerCtx()

    proxy = ExpiringProxy(Cluster(), expiration=1)
    proxy.with_correlation_id("req-9")
    assert Cluster._worker_ctx.data["correlation_id"] == "req-9"
    proxy.with_correlation_id(None)  # a pooled proxy does not keep the last caller's id
    assert "correlation_id" not in Cluster._worker_ctx.data


class Ctx:
    def __init__(self, data=None, args=()):
        self.data, self.args = data or {}, args


def test_a_worker_restores_the_id_from_rpc_context_or_event_payload_else_starts_one():
    provider = CorrelationIds()
    provider.setup()
    for ctx, expected in ((Ctx({"correlation_id": "from-rpc"}), "from-rpc"),
                          (Ctx(args=({"event_id": "e", "correlation_id": "from-event"},)), "from-event")):
        provider.worker_setup(ctx)
        assert logs.current() == expected and ctx.data["correlation_id"] == expected
        provider.worker_teardown(ctx)
        assert logs.current() is None
    fresh = Ctx(args=({"correlation_id": "no spaces allowed"},))
    provider.worker_setup(fresh)
    assert logs.current() == fresh.data["correlation_id"] != "no spaces allowed"
    provider.worker_teardown(fresh)
