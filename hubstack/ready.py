"""Probes for one Hub process on Kubernetes (deploy/k8s); exit 0 yes, 1 no (why: one line on
stderr), 2 for a wrong command line.

    python -m hubstack.ready rosters                  # readiness: its database answers SELECT 1 and
                                                      # its own broker user can connect (TLS as set)
    python -m hubstack.ready inbound-mail             # readiness: the broker, and its SMTP port listens
    python -m hubstack.ready rosters --live           # liveness: the rosters process is still running
    python -m hubstack.ready rosters --wait-for-migrations 900
                                                      # init container: waits (up to 900 s) until the
                                                      # database holds this image's migrations

Each check runs inside the pod, with the pod's own settings (`<SERVICE>_DB_URL`, `<ROLE>_AMQP_URI`,
HUB_AMQP_CA_FILE): a pod is ready when what it needs answers it. Liveness asks nothing of the
database or the broker, so an outage of either makes pods unready, never restarts them all. The
gateway has HTTP for this instead (/readyz; /healthz also asks every service).

The Deployments set HUB_MIGRATE_ON_START=0 and the migrations Job runs `python -m hubstack.migrate
upgrade` once per release; a new pod waits for it in its init container rather than start a
service against an older schema. A database migrated by a newer release (revisions this image does
not know) counts as migrated: during a rollout the old pods keep running on it.
"""
from __future__ import annotations

import argparse
import os
import socket
import sys
import time
from pathlib import Path

from common.config import SERVICES

ROLES = (*SERVICES, "inbound-mail")
CHECK_TIMEOUT = 5.0
WAIT_INTERVAL = 5.0


def broker_user(role: str) -> str:
    """inbound-mail connects as the documents broker user (documents.inbound_mail)."""
    return "documents" if role == "inbound-mail" else role


def amqp_uri_for(role: str, environ=os.environ) -> str:
    """The URI the role's process uses: its own `<ROLE>_AMQP_URI`, as hubstack.launch picks it."""
    from common import config as hub_config

    return environ.get(f"{broker_user(role).upper()}_AMQP_URI") or hub_config.amqp_uri()


def _short(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"[:300]


def _engine(service: str, timeout: float):
    import sqlalchemy as sa

    from common import config as hub_config

    url = hub_config.db_url(service)
    connect_args = {"connect_timeout": max(1, int(timeout))} if url.startswith("postgresql") else {}
    return sa.create_engine(url, poolclass=sa.pool.NullPool, connect_args=connect_args)


def database_problem(service: str, timeout: float = CHECK_TIMEOUT) -> str | None:
    import sqlalchemy as sa

    engine = _engine(service, timeout)
    try:
        with engine.connect() as connection:
            connection.execute(sa.text("SELECT 1"))
    except Exception as exc:
        return f"database: {_short(exc)}"
    finally:
        engine.dispose()
    return None


def broker_problem(role: str, timeout: float = CHECK_TIMEOUT) -> str | None:
    from common.topology import connect

    uri = amqp_uri_for(role)
    try:
        with connect(uri, {"AMQP_URI": uri}, connect_timeout=timeout) as connection:
            connection.ensure_connection(max_retries=1)
    except Exception as exc:  # refused, TLS, credentials, a missing HUB_AMQP_CA_FILE
        return f"broker: {_short(exc)}"
    return None


def smtp_problem(timeout: float = CHECK_TIMEOUT) -> str | None:
    from common import config as hub_config

    port = int(hub_config.setting("HUB_INBOUND_SMTP_PORT", "8025"))
    try:
        socket.create_connection(("127.0.0.1", port), timeout).close()
    except OSError as exc:
        return f"SMTP port {port}: {_short(exc)}"
    return None


def readiness_problems(role: str, timeout: float = CHECK_TIMEOUT) -> list[str]:
    problems = [broker_problem(role, timeout)]
    problems.append(smtp_problem(timeout) if role == "inbound-mail" else database_problem(role, timeout))
    return [problem for problem in problems if problem]


# --- liveness ----------------------------------------------------------------------------------

def process_words(role: str) -> tuple[str, ...]:
    """What the role's command line holds (deploy/entrypoint.sh execs it, so it is PID 1)."""
    return ("documents.inbound_mail",) if role == "inbound-mail" else ("hubstack.launch", role)


def process_problem(role: str, proc: Path = Path("/proc")) -> str | None:
    """None when a running (not stopped, not a zombie) process has the role's command line."""
    wanted = process_words(role)
    seen = []
    for entry in proc.iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            words = [w.decode(errors="replace") for w in (entry / "cmdline").read_bytes().split(b"\0")]
            state = (entry / "stat").read_text().rsplit(")", 1)[1].split()[0]
        except (OSError, IndexError):
            continue  # gone meanwhile
        if all(word in words for word in wanted):
            if state not in ("T", "t", "Z", "X", "x"):
                return None
            seen.append(f"{entry.name} ({state})")
    if seen:
        return f"the {role} process is stopped or dead: {', '.join(seen)}"
    return f"no {role} process ({' '.join(wanted)}) is running"


# --- migrations --------------------------------------------------------------------------------

def migrations_problem(service: str, timeout: float = CHECK_TIMEOUT) -> str | None:
    """None when the database holds every migration this image ships (or a newer release's)."""
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

    from common.migrations import alembic_config

    engine = _engine(service, timeout)
    try:
        # only the scripts' location matters here: the URL is never used to connect
        script = ScriptDirectory.from_config(alembic_config(service, "sqlite://"))
        with engine.connect() as connection:
            current = set(MigrationContext.configure(connection).get_current_heads())
    except Exception as exc:
        return f"database: {_short(exc)}"
    finally:
        engine.dispose()
    known = {revision.revision for revision in script.walk_revisions()}
    if current - known:
        return None  # migrated by a newer release than this image
    applied = {revision.revision for head in current for revision in script.iterate_revisions(head, "base")}
    missing = set(script.get_heads()) - applied
    if not missing:
        return None
    at = ", ".join(sorted(current)) or "no migrations"
    return f"waiting for the migrations Job (database at {at}; this image needs {', '.join(sorted(missing))})"


def wait_for_migrations(service: str, seconds: float, interval: float = WAIT_INTERVAL) -> str | None:
    deadline = time.monotonic() + seconds
    last_said = 0.0
    while True:
        problem = migrations_problem(service)
        if problem is None:
            return None
        now = time.monotonic()
        if now >= deadline:
            return f"{problem}; gave up after {seconds:g} s"
        if now - last_said >= 30:
            print(problem, file=sys.stderr, flush=True)
            last_said = now
        time.sleep(min(interval, max(0.0, deadline - now)))


def main(argv=None) -> int:
    os.environ.setdefault("EVENTLET_TESTS", "1")  # only silences eventlet's import banner
    parser = argparse.ArgumentParser(prog="python -m hubstack.ready")
    parser.add_argument("role", choices=ROLES)
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--live", action="store_true", help="liveness: the role's process is running")
    mode.add_argument("--wait-for-migrations", type=float, metavar="SECONDS",
                      help="wait until the database holds this image's migrations")
    args = parser.parse_args(argv)
    if args.wait_for_migrations is not None and args.role not in SERVICES:
        parser.error(f"{args.role} has no database")
    if args.live:
        problems = [process_problem(args.role)]
    elif args.wait_for_migrations is not None:
        problems = [wait_for_migrations(args.role, args.wait_for_migrations)]
    else:
        problems = readiness_problems(args.role)
    problems = [problem for problem in problems if problem]
    for problem in problems:
        print(f"{args.role}: {problem}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
