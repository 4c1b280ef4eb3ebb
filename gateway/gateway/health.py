"""/healthz: the broker and every service answer, or 503 with what is missing."""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from flask import Blueprint, current_app, jsonify
from kombu import Connection

from common.config import SERVICES

health = Blueprint("health", __name__)
CHECK_TIMEOUT = 3.0


def _broker_ok(amqp_uri: str) -> bool:
    try:
        with Connection(amqp_uri, connect_timeout=CHECK_TIMEOUT) as connection:
            connection.ensure_connection(max_retries=1)
        return True
    except Exception:
        return False


def _service_status(service: str) -> dict:
    try:
        return current_app.rpc.call(service, "health", timeout=CHECK_TIMEOUT)
    except Exception as exc:
        return {"service": service, "status": "unavailable", "error": str(exc)[:200]}


@health.get("/healthz")
def healthz():
    app = current_app._get_current_object()

    def check(service):
        with app.app_context():
            return _service_status(service)

    broker = _broker_ok(app.config["AMQP_URI"])
    services = {}
    if broker:
        with ThreadPoolExecutor(len(SERVICES)) as pool:
            services = dict(zip(SERVICES, pool.map(check, SERVICES)))
    ok = broker and all(s.get("status") == "ok" for s in services.values())
    body = {"status": "ok" if ok else "unavailable",
            "broker": "ok" if broker else "unavailable",
            "services": services or {s: {"status": "unknown"} for s in SERVICES}}
    return jsonify(body), 200 if ok else 503
