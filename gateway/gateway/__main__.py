"""`python -m gateway`: serve the gateway with waitress on HUB_PORT (default 8080)."""
from __future__ import annotations

from waitress import serve

from common import config as hub_config
from common.logs import configure_gateway
from common.metrics import serve_metrics
from gateway import create_app


def main() -> None:
    configure_gateway()  # readable lines, or JSON with HUB_LOG_FORMAT=json
    app = create_app()
    serve_metrics()  # HUB_METRICS_PORT: a port of its own, not the public app's
    host = hub_config.setting("HUB_HOST", "127.0.0.1")
    port = int(hub_config.setting("HUB_PORT", "8080"))
    serve(app, host=host, port=port, threads=int(hub_config.setting("HUB_GATEWAY_THREADS", "8")),
          ident="industry-hub")


if __name__ == "__main__":
    main()
