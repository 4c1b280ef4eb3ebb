"""One service's database in a backup, whichever engine holds it (SQLite file or PostgreSQL).

The part is `databases/<service>.sqlite3` or `databases/<service>.pgdump`; its manifest entry
says the engine and the database's alembic heads. A backup restores into the same engine only.
"""
from __future__ import annotations

import hashlib
import tempfile
from pathlib import Path

from hubstack import backup_postgres, backup_sqlite

SUFFIX = {"sqlite": "sqlite3", "postgresql": "pgdump"}


def engine_of(url: str) -> str:
    for engine in SUFFIX:
        if url.startswith(engine):
            return engine
    raise ValueError(f"unsupported database URL scheme {url.split(':', 1)[0]!r}")


def back_up(service: str, url: str, location) -> dict:
    """Copies the service's database into the backup; returns its manifest entry."""
    engine = engine_of(url)
    name = f"databases/{service}.{SUFFIX[engine]}"
    if engine == "sqlite":
        with tempfile.TemporaryDirectory(prefix="hub-backup-") as scratch:
            copy = Path(scratch) / "copy.sqlite3"
            backup_sqlite.snapshot(backup_sqlite.sqlite_path(url), copy)
            heads = backup_sqlite.heads(copy)
            with open(copy, "rb") as handle:
                size, sha256 = location.write(name, handle)
    else:
        heads = backup_postgres.heads(url)  # migrations run only at start: the dump's heads
        size, sha256 = backup_postgres.dump(url, location, name)
    return {"service": service, "engine": engine, "file": name, "size": size, "sha256": sha256,
            "migration_heads": heads}


def is_empty(url: str) -> bool:
    if engine_of(url) == "sqlite":
        return backup_sqlite.is_empty(backup_sqlite.sqlite_path(url))
    return backup_postgres.is_empty(url)


def fetch(location, entry: dict, into: Path) -> Path:
    """Copies the part to a local file, checking its sha256 once more (it is what gets restored)."""
    digest = hashlib.sha256()
    path = into / Path(entry["file"]).name
    with open(path, "wb") as out:
        for chunk in location.chunks(entry["file"]):
            digest.update(chunk)
            out.write(chunk)
    if digest.hexdigest() != entry["sha256"]:
        raise RuntimeError(f"part {entry['file']} changed since it was checked (sha256 differs)")
    return path


def restore(location, entry: dict, url: str) -> None:
    """Puts the backed-up database in place at `url` (the services must be stopped)."""
    with tempfile.TemporaryDirectory(prefix="hub-restore-") as scratch:
        part = fetch(location, entry, Path(scratch))
        if entry["engine"] == "sqlite":
            backup_sqlite.put_back(part, backup_sqlite.sqlite_path(url))
        else:
            backup_postgres.restore(url, part)

