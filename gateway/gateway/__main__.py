"""`python -m gateway`: serve the gateway with waitress on HUB_PORT (default 8080)."""
from __future__ import annotations

import logging

from waitress import serve

from common import config as hub_config
from gateway import create_app


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s gateway %(levelname)s %(name)s: %(message)s")
    app = create_app()
    host = hub_config.setting("HUB_HOST", "127.0.0.1")
    port = int(hub_config.setting("HUB_PORT", "8080"))
    serve(app, host=host, port=port, threads=int(hub_config.setting("HUB_GATEWAY_THREADS", "8")),
          ident="industry-hub")


if __name__ == "__main__":
    main()
