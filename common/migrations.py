"""Alembic per service, driven from code so every service migrates the same way at start.

Each service package has `migrations/` (env.py + versions/). Its env.py is two lines that call
`run_migrations(Base.metadata)`.
"""
from __future__ import annotations

import importlib
import threading
import zlib
from pathlib import Path

import sqlalchemy as sa
from alembic import command, context
from alembic.config import Config


def alembic_config(service: str, url: str) -> Config:
    package = importlib.import_module(service)
    cfg = Config()
    cfg.set_main_option("script_location", str(Path(package.__file__).parent / "migrations"))
    # ConfigParser treats % as interpolation; URLs may contain %-escaped passwords.
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    cfg.attributes["service"] = service
    return cfg


# alembic keeps its running migration context in module globals, so two services starting in
# one process (tests, or a runner hosting several) must take turns.
_IN_PROCESS = threading.Lock()


def upgrade_to_head(service: str, url: str) -> None:
    """Apply every migration, on every branch: two changes written side by side may each start
    from the same revision (alembic "heads"); a merge revision is optional, not required. On
    PostgreSQL an advisory lock keeps scaled-out replicas that start together from migrating at
    the same time."""
    with _IN_PROCESS:
        _upgrade(service, url)


def _upgrade(service: str, url: str) -> None:
    cfg = alembic_config(service, url)
    if url.startswith("postgresql"):
        engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
        lock_key = zlib.crc32(f"hub-migrate-{service}".encode())
        with engine.connect() as connection:
            connection.execute(sa.text("SELECT pg_advisory_lock(:k)"), {"k": lock_key})
            try:
                cfg.attributes["connection"] = connection
                command.upgrade(cfg, "heads")
                connection.commit()
            finally:
                connection.execute(sa.text("SELECT pg_advisory_unlock(:k)"), {"k": lock_key})
                connection.commit()
        engine.dispose()
    else:
        command.upgrade(cfg, "heads")


def run_migrations(metadata: sa.MetaData) -> None:
    """The body of every service's migrations/env.py (online mode only)."""
    cfg = context.config
    connection = cfg.attributes.get("connection")
    if connection is not None:
        _run(connection, metadata)
        return
    engine = sa.create_engine(cfg.get_main_option("sqlalchemy.url"), poolclass=sa.pool.NullPool)
    with engine.connect() as connection:
        _run(connection, metadata)
    engine.dispose()


def _render_item(type_, obj, autogen_context):
    # Our UTCDateTime is DateTime(timezone=True) in the database; migrations need not import it.
    from common.db import UTCDateTime

    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    return False


def _run(connection, metadata):
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_item=_render_item,
        render_as_batch=connection.dialect.name == "sqlite",  # SQLite cannot ALTER most things
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


# kept for migrations written before common.migration_tables existed
from common.migration_tables import make_audit_log_append_only  # noqa: E402,F401
