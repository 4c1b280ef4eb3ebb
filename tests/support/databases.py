"""Open a service's own database from a test, the way the service itself would."""
from __future__ import annotations

import importlib

from common import config as hub_config
from common.db import create_engine_for, make_session_factory


def service_sessions(service: str, config: dict):
    """A sessionmaker on `service`'s database as configured in `config`."""
    base = importlib.import_module(f"{service}.models").Base
    engine = create_engine_for(hub_config.db_url(service, config))
    return make_session_factory(engine, base)


def memory_sessions(service: str):
    """A sessionmaker on a fresh in-memory SQLite database with `service`'s tables."""
    import sqlalchemy as sa

    base = importlib.import_module(f"{service}.models").Base
    engine = sa.create_engine("sqlite://", poolclass=sa.pool.StaticPool,
                              connect_args={"check_same_thread": False})
    base.metadata.create_all(engine)
    return make_session_factory(engine, base)


def rosters_on_postgresql(url: str):
    """(engine, session factory) of the rosters database at `url`, migrated, with the shipped
    catalog synced, and psycopg2 made cooperative as the service's Database makes it (a session
    waiting on a row lock must not block the others under eventlet)."""
    from psycogreen.eventlet import patch_psycopg
    from rosters.catalog_loader import load_catalog_files, sync_catalog_to_db
    from rosters.models import Base

    from common.migrations import upgrade_to_head

    patch_psycopg()
    upgrade_to_head("rosters", url)
    engine = create_engine_for(url)
    sessions = make_session_factory(engine, Base)
    with sessions() as session:
        sync_catalog_to_db(session, load_catalog_files())
        session.commit()
    return engine, sessions

