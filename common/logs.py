"""Log lines as JSON (HUB_LOG_FORMAT=json) and the correlation id that ties them together.

A correlation id starts where work starts: a gateway request (its X-Request-ID when sane, else
a new one), a timer (the daily sweep) or a delivery that carries none. It travels in nameko's RPC
context data (`correlation_id`, sent as a message header), in the `correlation_id` field of every
event the work publishes (common.publisher.outbox_row), and is restored by `CorrelationIds` in
the worker that handles the RPC or the event. It lives in a ContextVar: one value per thread
(the gateway's waitress threads) or greenthread (each nameko worker).

Only ids ever go into these fields; the messages themselves already keep personal data out
(tests/e2e/test_no_personal_data_in_logs.py).
"""
from __future__ import annotations

import json
import logging
import re
import uuid
from contextvars import ContextVar
from datetime import UTC, datetime

from nameko.extensions import DependencyProvider

from common import config as hub_config

CONTEXT_KEY = "correlation_id"  # nameko context data key (header `nameko.correlation_id`)
_SANE = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")

_current: ContextVar[str | None] = ContextVar("hub_correlation_id", default=None)


def new_id() -> str:
    return uuid.uuid4().hex


def sane(value) -> str | None:
    """An incoming id if it is short and plain (it goes into logs and headers), else None."""
    return value if isinstance(value, str) and _SANE.match(value) else None


def current() -> str | None:
    return _current.get()


def bind(correlation_id: str | None):
    """Make `correlation_id` current; returns the token for `unbind`."""
    return _current.set(correlation_id)


def unbind(token) -> None:
    try:
        _current.reset(token)
    except ValueError:  # set in another context (a worker torn down elsewhere): just clear it
        _current.set(None)


class CorrelationIds(DependencyProvider):
    """`correlation = CorrelationIds()` on a service: each worker runs with the id its RPC
    or event brought, or a new one, and passes it on in its own RPC calls."""

    def setup(self):
        self._tokens: dict = {}

    def worker_setup(self, worker_ctx):
        cid = sane(worker_ctx.data.get(CONTEXT_KEY))
        if cid is None and worker_ctx.args and isinstance(worker_ctx.args[0], dict):
            cid = sane(worker_ctx.args[0].get(CONTEXT_KEY))  # an event's payload
        cid = cid or new_id()
        worker_ctx.data[CONTEXT_KEY] = cid  # nested RPC calls send it on
        self._tokens[worker_ctx] = bind(cid)

    def worker_teardown(self, worker_ctx):
        token = self._tokens.pop(worker_ctx, None)
        if token is not None:
            unbind(token)


class JsonFormatter(logging.Formatter):
    """One JSON object a line: time, level, service, logger, message, correlation_id (+ exc)."""

    def __init__(self, service: str = "hub", **kwargs):
        super().__init__(**kwargs)
        self.service = service

    def format(self, record: logging.LogRecord) -> str:
        line = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "service": self.service,
            "logger": record.name,
            "message": record.getMessage(),
            "correlation_id": getattr(record, CONTEXT_KEY, None) or current(),
        }
        if record.exc_info:
            line["exc"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False, default=str)


class WithCorrelationId(logging.Formatter):
    """The readable line another formatter makes, ending in ` [correlation_id]` while work that
    has one is running, so `make run`'s output can be followed as the JSON lines are."""

    def __init__(self, inner: logging.Formatter | None):
        super().__init__()
        self.inner = inner or logging.Formatter()

    def format(self, record: logging.LogRecord) -> str:
        line = self.inner.format(record)
        cid = getattr(record, CONTEXT_KEY, None) or current()
        if not cid:
            return line
        first, newline, rest = line.partition("\n")  # after the message, before any traceback
        return f"{first} [{cid}]{newline}{rest}"


def json_logs(config=None) -> bool:
    return (hub_config.setting("HUB_LOG_FORMAT", "text", config) or "text").lower() == "json"


def use_json(service: str, logger: logging.Logger | None = None) -> None:
    """Put the JSON formatter on every handler of `logger` (the root logger)."""
    for handler in (logger or logging.getLogger()).handlers:
        handler.setFormatter(JsonFormatter(service))


def use_readable(logger: logging.Logger | None = None) -> None:
    """Keep each handler's readable format and add the correlation id to its lines."""
    for handler in (logger or logging.getLogger()).handlers:
        if not isinstance(handler.formatter, WithCorrelationId):
            handler.setFormatter(WithCorrelationId(handler.formatter))


def configure_gateway() -> None:
    logging.basicConfig(level=logging.INFO,
                        format="%(asctime)s gateway %(levelname)s %(name)s: %(message)s")
    if json_logs():
        use_json("gateway")
    else:
        use_readable()
