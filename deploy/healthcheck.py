"""Container healthcheck: `healthcheck.py gateway` or `healthcheck.py <service>`; exit 0 if healthy.

A service is asked over RabbitMQ, so with `--scale documents=3` any replica may answer: the
check says "documents is serving", while a dead replica is caught by its process exiting.
"""
from __future__ import annotations

import os
import sys
import urllib.request

SERVICES = ("accounts", "rosters", "documents", "training", "notifications")


def gateway_ok() -> bool:
    url = f"http://127.0.0.1:{os.environ.get('HUB_PORT', '8080')}/healthz"
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status == 200
    except Exception:  # 503 raises HTTPError; refused connections raise URLError
        return False


def role_amqp_uri(role: str) -> str:
    """The URI this container's process uses: its own broker user's (`<ROLE>_AMQP_URI`) if set."""
    return os.environ.get(f"{role.upper()}_AMQP_URI") or os.environ["AMQP_URI"]


def service_ok(service: str) -> bool:
    os.environ.setdefault("EVENTLET_TESTS", "1")
    from nameko.standalone.rpc import ClusterRpcProxy

    from common import config as hub_config

    class HealthProxy(ClusterRpcProxy):
        class ServiceContainer(ClusterRpcProxy.ServiceContainer):
            service_name = f"{service}-health"  # reply queue rpc.reply-<service>-health-<uuid>,
            # which the service's own broker user may declare (hubstack.broker_users)

    try:
        config = hub_config.nameko_config({"AMQP_URI": role_amqp_uri(service)})  # TLS for amqps://
        with HealthProxy(config, timeout=5) as rpc:
            reply = getattr(rpc, service).health()
    except Exception as exc:
        print(f"{service}: {type(exc).__name__}: {exc}"[:300], file=sys.stderr)
        return False
    return isinstance(reply, dict) and reply.get("status") == "ok"


def main(argv: list[str]) -> int:
    if len(argv) != 2 or argv[1] not in ("gateway", *SERVICES):
        print("usage: healthcheck.py gateway|" + "|".join(SERVICES), file=sys.stderr)
        return 2
    healthy = gateway_ok() if argv[1] == "gateway" else service_ok(argv[1])
    return 0 if healthy else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
