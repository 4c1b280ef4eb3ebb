"""The classification catalog as the service uses it: synced from the shipped files when the
service starts, read back from the database (the rules in force are data, SPEC §2) and kept
per worker process, by the `Rulebook` dependency, until a new version is loaded."""
from __future__ import annotations

import logging
import threading

import sqlalchemy as sa
from nameko.extensions import DependencyProvider
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from rosters.catalog_loader import Catalog, catalog_from_db, load_catalog_files, sync_catalog_to_db
from rosters.models import CatalogVersion

log = logging.getLogger(__name__)


def _signature(session: Session) -> tuple:
    count, newest, loaded = session.execute(sa.select(
        sa.func.count(CatalogVersion.id), sa.func.max(CatalogVersion.id),
        sa.func.max(CatalogVersion.loaded_at))).one()
    bind = session.get_bind()
    return id(bind), str(bind.url), count, newest, loaded


class CatalogCache:
    """The catalog in a database, rebuilt only when a version was added since last time
    (one small query per call). Thread-safe; one per service container."""

    def __init__(self):
        self._cache: dict = {}
        self._lock = threading.Lock()

    def current(self, session: Session) -> Catalog:
        key = _signature(session)
        with self._lock:
            cached = self._cache.get(key[:2])
            if cached is not None and cached[0] == key:
                return cached[1]
        catalog = catalog_from_db(session)
        with self._lock:
            self._cache[key[:2]] = (key, catalog)
        return catalog


def current_catalog(session: Session) -> Catalog:
    """The catalog in the database, read afresh (scripts and tests; services use `Rulebook`)."""
    return catalog_from_db(session)


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


class Rulebook(DependencyProvider):
    """The catalog for a service's workers: `self.rulebook.current(self.db)`. Syncs the shipped
    files into the database when the container starts and holds the parsed catalog between
    calls (state a DependencyProvider keeps, not a module global)."""

    def __init__(self, sync: bool = True):
        self.sync = sync

    def setup(self):
        self.cache = CatalogCache()

    def start(self):
        if not self.sync:
            return
        from common.db import Database
        from common.dependencies import sibling

        database = sibling(self.container, Database)
        sync_shipped_catalog(database.session_factory)

    def get_dependency(self, worker_ctx) -> CatalogCache:
        return self.cache


def classification_or_none(catalog, code: str, on):
    try:
        return catalog.classification(code, on)
    except KeyError:  # the loader's NotFound: no such classification (on that date)
        return None


def publish_version(session: Session, text: str, actor) -> dict:
    """A staff_admin adds a new version of one local's rules (the same YAML as the shipped
    files). It applies from its `effective` date; the versions before it stay for earlier dates.
    A version number already used, or rules that would break the catalog, are refused with the
    field named. The caller commits."""
    from common import audit
    from common.errors import ValidationFailed
    from rosters.catalog_loader import CatalogError, parse_catalog_text

    try:
        catalog_file = parse_catalog_text(text, source="submitted rules")
        existing = session.scalar(sa.select(CatalogVersion.id).where(
            CatalogVersion.local == catalog_file.local.code, CatalogVersion.version == catalog_file.version))
        if existing is not None:
            raise CatalogError(f"submitted rules: version {catalog_file.version} of local "
                               f"{catalog_file.local.code} exists already; number the change as a new version")
        sync_catalog_to_db(session, [(f"staff: local {catalog_file.local.code}", catalog_file)])
    except CatalogError as exc:
        raise ValidationFailed("These rules cannot be used: " + "; ".join(exc.problems),
                               {"problems": exc.problems}) from None
    audit.record(session, actor, "catalog.version_published", "catalog", catalog_file.local.code,
                 version=catalog_file.version, effective=catalog_file.effective.isoformat())
    return {"local": catalog_file.local.code, "version": catalog_file.version,
            "effective": catalog_file.effective.isoformat(),
            "classifications": [c.code for c in catalog_file.classifications]}
