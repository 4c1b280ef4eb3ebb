"""Objects nobody will ever read: staged uploads (`incoming/`) older than an hour (the upload was
interrupted, or the service never answered), and `documents/` objects with no document row (a
crash between storing and committing). Recent objects are left alone: an upload may be being
adopted right now."""
from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from documents.models import Document

MAX_AGE = timedelta(hours=1)
INCOMING, DOCUMENTS = "incoming/", "documents/"
BATCH = 500


def batches(items: Iterable, size: int) -> Iterator[list]:
    batch = []
    for item in items:
        batch.append(item)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def document_object_keys(session: Session, keys: list[str]) -> set[str]:
    """Which of `keys` belong to a document row."""
    return set(session.scalars(sa.select(Document.object_key).where(Document.object_key.in_(keys))))


KnownKeys = Callable[[Session, list[str]], set[str]]


def orphan_keys(session: Session, storage, at: datetime, owned: dict[str, KnownKeys] | None = None,
                max_age: timedelta = MAX_AGE) -> list[str]:
    """Staged objects older than `max_age`, and objects under each prefix of `owned` (by default
    `documents/`) older than `max_age` that no row claims (`owned[prefix](session, keys)` says
    which of the keys have one)."""
    cutoff = at - max_age
    found = [o.key for o in storage.list_objects(INCOMING) if o.last_modified < cutoff]
    for prefix, known_keys in (owned or {DOCUMENTS: document_object_keys}).items():
        old = (o.key for o in storage.list_objects(prefix) if o.last_modified < cutoff)
        for keys in batches(old, BATCH):
            known = known_keys(session, keys)
            found += [key for key in keys if key not in known]
    return found
