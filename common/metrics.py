"""Prometheus metrics for every Hub process (README "Metrics and logs").

The metric objects live in prometheus_client's default registry, one per process. A process
serves them on HUB_METRICS_PORT (unset: no server) on its own port, never on the gateway's public
app, since Prometheus scrapes without credentials. Labels carry names of methods, handlers, URL
rules and reasons only: never a raw path, an id or anything personal.
"""
from __future__ import annotations

import logging
import threading
import time

from nameko.events import EventHandler
from nameko.extensions import DependencyProvider
from nameko.rpc import Rpc
from nameko.timer import Timer
from prometheus_client import Counter, Gauge, Histogram, start_http_server

from common import config as hub_config

log = logging.getLogger(__name__)

# --- services ------------------------------------------------------------------------------------

ENTRYPOINT_SECONDS = Histogram(
    "hub_entrypoint_duration_seconds", "Time a service entrypoint (RPC method, event handler, timer) ran",
    ["service", "kind", "entrypoint"])
ENTRYPOINTS = Counter(
    "hub_entrypoint_calls_total", "Entrypoint runs by outcome: ok, refused (an expected error), error",
    ["service", "kind", "entrypoint", "outcome"])
EVENTS_HANDLED = Counter(
    "hub_events_handled_total", "Event deliveries handled, by outcome (ok, failed)", ["service", "handler", "outcome"])
EVENTS_RETRIED = Counter(
    "hub_events_retried_total", "Failed event deliveries sent to the retry queue", ["service", "handler"])
EVENTS_PARKED = Counter(
    "hub_events_parked_total", "Event deliveries parked after their last attempt", ["service", "handler"])
OUTBOX_BACKLOG = Gauge("hub_outbox_backlog", "Outbox rows not yet relayed", ["service"])
OUTBOX_OLDEST_AGE = Gauge(
    "hub_outbox_oldest_unsent_age_seconds", "Age of the oldest outbox row not yet relayed (0: none)", ["service"])
SWEEP_SECONDS = Histogram(
    "hub_sweep_duration_seconds", "Duration of a rosters sweep", ["trigger"],
    buckets=(0.1, 0.5, 1, 5, 15, 60, 300, 900, 3600))
SWEEP_EVALUATED = Counter("hub_sweep_records_evaluated_total", "Records evaluated by sweeps", ["trigger"])
PAYROLL_RECORDS = Counter(
    "hub_payroll_records_total", "Payroll records by outcome (accepted, held, rejected, duplicate)", ["outcome"])
EMAILS = Counter("hub_emails_total", "E-mails by outcome (sent, failed, deferred)", ["outcome"])

# --- the gateway ---------------------------------------------------------------------------------

HTTP_REQUESTS = Counter(
    "hub_http_requests_total", "Gateway requests by URL rule and status", ["method", "endpoint", "status"])
HTTP_SECONDS = Histogram(
    "hub_http_request_duration_seconds", "Gateway request latency by URL rule", ["method", "endpoint"])
RPC_CLIENT_SECONDS = Histogram(
    "hub_rpc_client_duration_seconds", "Gateway RPC call latency by service.method and outcome",
    ["service", "method", "outcome"])
UPLOADS = Counter("hub_uploads_total", "Uploaded files accepted into staging")
UPLOAD_REFUSALS = Counter(
    "hub_upload_refusals_total", "Uploads refused, by reason (missing, empty, too_large, unsupported_type)",
    ["reason"])

# One server per process (a port can be bound once); tests run several containers in one process.
_servers: dict[int, object] = {}
_servers_lock = threading.Lock()


def metrics_port(config=None) -> int | None:
    value = hub_config.setting("HUB_METRICS_PORT", None, config)
    return int(value) if value else None


def serve_metrics(config=None) -> int | None:
    """Start the /metrics server on HUB_METRICS_PORT (HUB_METRICS_HOST, default 0.0.0.0) once per
    process; returns the port, or None when metrics are not served."""
    port = metrics_port(config)
    if port is None:
        return None
    with _servers_lock:
        if port not in _servers:
            host = hub_config.setting("HUB_METRICS_HOST", "0.0.0.0", config)
            _servers[port] = start_http_server(port, addr=host)
            log.info("metrics on http://%s:%d/metrics", host, port)
    return port


def entrypoint_kind(entrypoint) -> str:
    if isinstance(entrypoint, EventHandler):
        return "event"
    if isinstance(entrypoint, Rpc):
        return "rpc"
    if isinstance(entrypoint, Timer):
        return "timer"
    return type(entrypoint).__name__.lower()


def outcome_of(entrypoint, exc_info) -> str:
    if exc_info is None:
        return "ok"
    expected = getattr(entrypoint, "expected_exceptions", ()) or ()
    return "refused" if expected and isinstance(exc_info[1], expected) else "error"


class Metrics(DependencyProvider):
    """`metrics = Metrics()` on a service: times every entrypoint and serves /metrics."""

    def setup(self):
        self._started: dict = {}

    def start(self):
        serve_metrics(self.container.config)

    def worker_setup(self, worker_ctx):
        self._started[worker_ctx] = time.perf_counter()

    def worker_result(self, worker_ctx, result=None, exc_info=None):
        started = self._started.pop(worker_ctx, None)
        entrypoint = worker_ctx.entrypoint
        service, kind, name = self.container.service_name, entrypoint_kind(entrypoint), entrypoint.method_name
        if started is not None:
            ENTRYPOINT_SECONDS.labels(service, kind, name).observe(time.perf_counter() - started)
        ENTRYPOINTS.labels(service, kind, name, outcome_of(entrypoint, exc_info)).inc()
        if kind == "event":
            EVENTS_HANDLED.labels(service, name, "ok" if exc_info is None else "failed").inc()

    def worker_teardown(self, worker_ctx):
        self._started.pop(worker_ctx, None)
