"""A service's SQLite file: copied while the Hub runs, and put back into an empty deployment.

The copy uses SQLite's online backup API (`sqlite3.Connection.backup`) in one step: it reads one
snapshot under a read transaction, so the copy is consistent even while a service writes (in WAL
mode writers carry on meanwhile). The copy is switched to a rollback journal, so the part is one
self-contained file.
"""
from __future__ import annotations

import os
import shutil
import sqlite3
from pathlib import Path

from sqlalchemy.engine import make_url


def sqlite_path(url: str) -> Path:
    database = make_url(url).database
    if not database or database == ":memory:":
        raise ValueError("an in-memory SQLite database cannot be backed up or restored")
    return Path(database).resolve()


def integrity(path: Path) -> str:
    """SQLite's own verdict on a database file: "ok", or what is wrong."""
    connection = sqlite3.connect(path)
    try:
        rows = connection.execute("PRAGMA integrity_check").fetchall()
    finally:
        connection.close()
    return "; ".join(str(row[0]) for row in rows[:5])


def heads(path: Path) -> list[str]:
    """The database's alembic heads (none when it was never migrated)."""
    connection = sqlite3.connect(path)
    try:
        return sorted(row[0] for row in connection.execute("SELECT version_num FROM alembic_version"))
    except sqlite3.OperationalError:  # no alembic_version table
        return []
    finally:
        connection.close()


def snapshot(source: Path, into: Path) -> None:
    """A consistent copy of the live database `source` at `into` (checked with integrity_check)."""
    if not source.is_file():
        raise FileNotFoundError(f"there is no database file at {source} (has the Hub ever started here?)")
    # A plain open: read-only URIs cannot read a WAL database whose -shm they may not create.
    src = sqlite3.connect(source, timeout=60)
    dst = sqlite3.connect(into)
    try:
        src.execute("PRAGMA busy_timeout=60000")
        src.backup(dst)  # pages=-1: the whole database in one step, from one snapshot
        dst.execute("PRAGMA journal_mode=DELETE")
    finally:
        dst.close()
        src.close()
    verdict = integrity(into)
    if verdict != "ok":
        raise RuntimeError(f"the copy of {source.name} failed SQLite's integrity check: {verdict}")


def is_empty(path: Path) -> bool:
    """True when there is no database yet, or one without a single table."""
    if not path.exists() or path.stat().st_size == 0:
        return True
    connection = sqlite3.connect(path)
    try:
        return connection.execute("SELECT count(*) FROM sqlite_master WHERE type = 'table'").fetchone()[0] == 0
    finally:
        connection.close()


def put_back(part: Path, target: Path) -> None:
    """Installs the verified copy `part` as the database at `target`. The services must be
    stopped: the old file's -wal and -shm go first (SQLite would replay a stale WAL onto the
    restored file), then the copy replaces the file in one rename."""
    verdict = integrity(part)
    if verdict != "ok":
        raise RuntimeError(f"the backed-up database failed SQLite's integrity check: {verdict}")
    target.parent.mkdir(parents=True, exist_ok=True)
    staged = target.with_name(target.name + ".restoring")
    shutil.copyfile(part, staged)
    with open(staged, "rb+") as handle:
        os.fsync(handle.fileno())
    for suffix in ("-wal", "-shm", "-journal"):
        target.with_name(target.name + suffix).unlink(missing_ok=True)
    os.replace(staged, target)
