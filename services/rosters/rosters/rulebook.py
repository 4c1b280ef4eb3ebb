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
