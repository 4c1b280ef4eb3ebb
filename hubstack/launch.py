"""Start one Hub process: `python -m hubstack.launch gateway|accounts|rosters|...`.

What `make run` (hubstack.stack) and the containers (deploy/entrypoint.sh) run. Before a process
starts it checks what would otherwise fail later or silently: HUB_TIMEZONE must name a real zone
and the HUB_AMQP_*_FILE files must exist. A service then runs as `nameko run --config
services/<name>/config.yml` would, with two additions to its config: `AMQP_SSL` when AMQP_URI
is amqps:// (nameko reads TLS options only from there), and `HUB_SERVICE`, so that it declares
only its own part of the broker topology (common.topology.declare_topology). `<ROLE>_AMQP_URI`
(e.g. ROSTERS_AMQP_URI), when set, replaces AMQP_URI: each process's own broker user.
"""
from __future__ import annotations

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SERVICES = ("accounts", "rosters", "documents", "training", "notifications")
USAGE = "usage: python -m hubstack.launch gateway|" + "|".join(SERVICES) + " [--config FILE]"


def refuse(role: str, problem: str) -> None:
    print(f"{role} cannot start: {problem}", file=sys.stderr, flush=True)
    sys.exit(2)


def check_settings(role: str, config: dict | None = None) -> None:
    from common import clock
    from common import config as hub_config

    try:
        clock.hub_timezone()
        hub_config.amqp_ssl(config)
    except ValueError as exc:
        refuse(role, str(exc))


def service_config(service: str, path: Path) -> dict:
    import yaml
    from nameko.cli.main import setup_yaml_parser

    from common import config as hub_config

    setup_yaml_parser()  # ${VAR:default} in config.yml, exactly as `nameko run` reads it
    with open(path) as handle:
        config = yaml.safe_load(handle)
    config["HUB_SERVICE"] = service
    ssl_options = hub_config.amqp_ssl(config)
    if ssl_options:
        config["AMQP_SSL"] = ssl_options
    return config


def run_service(service: str, config_path: Path) -> None:
    import eventlet

    eventlet.monkey_patch()  # as `nameko run` does, before anything opens a socket
    import logging.config

    from nameko.cli.run import import_service, run

    check_settings(service)
    config = service_config(service, config_path)
    if "LOGGING" in config:
        logging.config.dictConfig(config["LOGGING"])
    from common import logs
    if logs.json_logs(config):  # HUB_LOG_FORMAT=json: one JSON object a line (common.logs)
        logs.use_json(service)
    else:  # readable lines, ending in the correlation id
        logs.use_readable()
    run(import_service(f"{service}.service:{service.capitalize()}Service"), config)


def run_gateway() -> None:
    check_settings("gateway")
    from gateway.__main__ import main

    main()


def main(argv: list[str]) -> None:
    os.environ.setdefault("EVENTLET_TESTS", "1")  # only silences eventlet's import banner
    if not argv or argv[0] not in ("gateway", *SERVICES) or len(argv) not in (1, 3) or (
            len(argv) == 3 and argv[1] != "--config"):
        print(USAGE, file=sys.stderr)
        sys.exit(2)
    role = argv[0]
    own_uri = os.environ.get(f"{role.upper()}_AMQP_URI")
    if own_uri:  # its own broker user (hubstack.broker_users), e.g. ROSTERS_AMQP_URI
        os.environ["AMQP_URI"] = own_uri
    if role == "gateway":
        run_gateway()
    else:
        run_service(role, Path(argv[2]) if len(argv) == 3 else ROOT / "services" / role / "config.yml")


if __name__ == "__main__":
    main(sys.argv[1:])
