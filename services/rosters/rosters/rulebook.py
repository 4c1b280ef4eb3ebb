"""The classification catalog as the service uses it: synced from the shipped files when the
service starts, read back from the database (the rules in force are data, SPEC §2) and kept
per process until a new version is loaded."""
from __future__ import annotations

import logging
import threading

import sqlalchemy as sa
from nameko.extensions import DependencyProvider
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from rosters.catalog_loader import catalog_from_db, load_catalog_files, sync_catalog_to_db
from rosters.models import CatalogVersion

log = logging.getLogger(__name__)

_cache: dict = {}
_lock = threading.Lock()


def _signature(session: Session) -> tuple:
    count, newest, loaded = session.execute(sa.select(
        sa.func.count(CatalogVersion.id), sa.func.max(CatalogVersion.id),
        sa.func.max(CatalogVersion.loaded_at))).one()
    bind = session.get_bind()
    return id(bind), str(bind.url), count, newest, loaded


def current_catalog(session: Session):
    """The catalog in the database, rebuilt only when a version was added since last time."""
    key = _signature(session)
    with _lock:
        cached = _cache.get(key[:2])
        if cached is not None and cached[0] == key:
            return cached[1]
    catalog = catalog_from_db(session)
    with _lock:
        _cache[key[:2]] = (key, catalog)
    return catalog


def sync_shipped_catalog(session_factory) -> None:
    """Load the catalog files shipped with the service into the database (new versions only).
    Replicas starting together race harmlessly on the unique (local, version)."""
    with session_factory() as session:
        try:
            sync_catalog_to_db(session, load_catalog_files())
            session.commit()
        except IntegrityError:
            session.rollback()
            log.info("another replica loaded the catalog first")


class CatalogSync(DependencyProvider):
    """Runs `sync_shipped_catalog` once when the service starts."""

    def start(self):
        from common.db import Database

        database = next(d for d in self.container.dependencies if isinstance(d, Database))
        sync_shipped_catalog(database.session_factory)


def classification_or_none(catalog, code: str, on):
    try:
        return catalog.classification(code, on)
    except KeyError:  # the loader's NotFound: no such classification (on that date)
        return None
