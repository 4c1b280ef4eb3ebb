"""Per request: a correlation id (common.logs) and the request metrics (common.metrics).

Requests are counted by URL rule (`/api/v1/documents/<document_id>`), never by raw path: a path
holds ids, and one series per id would swamp Prometheus. The metrics themselves are served on
HUB_METRICS_PORT by `python -m gateway`, not by this app.
"""
from __future__ import annotations

import time

from flask import Flask, g, request

from common import logs
from common.metrics import HTTP_REQUESTS, HTTP_SECONDS

REQUEST_ID_HEADER = "X-Request-ID"


def endpoint_label() -> str:
    rule = request.url_rule
    return rule.rule if rule is not None else "unmatched"


def init_app(app: Flask) -> None:
    @app.before_request
    def start_request():
        g.hub_started = time.perf_counter()
        g.hub_correlation_id = logs.sane(request.headers.get(REQUEST_ID_HEADER)) or logs.new_id()
        g.hub_correlation_token = logs.bind(g.hub_correlation_id)

    @app.after_request
    def finish_request(response):
        endpoint = endpoint_label()
        HTTP_REQUESTS.labels(request.method, endpoint, str(response.status_code)).inc()
        started = g.get("hub_started")
        if started is not None:
            HTTP_SECONDS.labels(request.method, endpoint).observe(time.perf_counter() - started)
        if g.get("hub_correlation_id"):
            response.headers.setdefault(REQUEST_ID_HEADER, g.hub_correlation_id)
        return response

    @app.teardown_request
    def forget_request(exc=None):
        token = g.pop("hub_correlation_token", None)
        if token is not None:
            logs.unbind(token)
