"""/healthz: the broker and every service answer, or 503 with what is missing.
/readyz: this gateway can take requests (Kubernetes readiness): its broker answers."""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from flask import Blueprint, current_app, jsonify

from common.config import SERVICES
from common.topology import broker_reachable

health = Blueprint("health", __name__)
CHECK_TIMEOUT = 3.0


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

    broker = broker_reachable(app.config["AMQP_URI"], CHECK_TIMEOUT)
    services = {}
    if broker:
        with ThreadPoolExecutor(len(SERVICES)) as pool:
            services = dict(zip(SERVICES, pool.map(check, SERVICES), strict=True))
    ok = broker and all(s.get("status") == "ok" for s in services.values())
    body = {"status": "ok" if ok else "unavailable",
            "broker": "ok" if broker else "unavailable",
            "services": services or {s: {"status": "unknown"} for s in SERVICES}}
    return jsonify(body), 200 if ok else 503


@health.get("/readyz")
def readyz():
    """200 when this gateway reaches the broker with its own user, else 503. The services are
    not asked: one service down must not take every gateway out of the load balancer (its pages
    answer 503 on their own); /healthz says whether the whole Hub is up."""
    broker = broker_reachable(current_app.config["AMQP_URI"], CHECK_TIMEOUT)
    status = "ok" if broker else "unavailable"
    return jsonify({"status": status, "broker": status}), 200 if broker else 503
