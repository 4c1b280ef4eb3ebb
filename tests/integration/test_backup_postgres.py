"""Backups of PostgreSQL databases (hubstack.backup_postgres and the two commands): a dumped
database restored into another gives the same rows, sequences and migration heads, and a target
that already holds data is refused unless --force."""
from __future__ import annotations

import hashlib
import json

import pytest
import sqlalchemy as sa

from common.config import SERVICES
from common.migrations import upgrade_to_head
from hubstack import backup, backup_postgres, restore
from hubstack.backup_store import FolderLocation

pytestmark = pytest.mark.postgres


def run(url: str, *statements, params=None):
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    try:
        with engine.begin() as connection:
            results = [connection.execute(sa.text(s), params or {}) for s in statements]
            return [r.all() if r.returns_rows else None for r in results][-1]
    finally:
        engine.dispose()


PROBE = """CREATE TABLE probe (id serial PRIMARY KEY, name text NOT NULL, data bytea,
                                   at timestamptz NOT NULL DEFAULT now())"""


def fill(url: str) -> None:
    run(url, PROBE,
        "INSERT INTO probe (name, data) VALUES ('Zoë Ångström', '\\x00ff10'), ('O''Brien', NULL), ('第三', '\\x')",
        "CREATE TABLE alembic_version (version_num varchar(32) PRIMARY KEY)",
        "INSERT INTO alembic_version VALUES ('abc123')")


def rows(url: str) -> list:
    return run(url, "SELECT id, name, data, at FROM probe ORDER BY id")


def test_a_dump_restored_into_an_empty_database_gives_the_same_rows(postgres_url, tmp_path):
    source, target = postgres_url(), postgres_url()
    fill(source)
    location = FolderLocation(tmp_path / "backup")

    size, sha256 = backup_postgres.dump(source, location, "databases/probe.pgdump")

    part = tmp_path / "backup" / "databases" / "probe.pgdump"
    assert part.read_bytes()[:5] == b"PGDMP"  # pg_dump's custom format
    assert (size, sha256) == (part.stat().st_size, hashlib.sha256(part.read_bytes()).hexdigest())
    assert backup_postgres.is_empty(target) and not backup_postgres.is_empty(source)

    backup_postgres.restore(target, part)

    assert rows(target) == rows(source) and len(rows(target)) == 3
    assert backup_postgres.heads(target) == ["abc123"]
    # the sequence came along: the next row does not collide
    assert run(target, "INSERT INTO probe (name) VALUES ('next') RETURNING id") == [(4,)]


@pytest.fixture
def environment(monkeypatch, tmp_path):
    for service in SERVICES:
        monkeypatch.delenv(f"{service.upper()}_DB_URL", raising=False)
    monkeypatch.delenv("HUB_S3_ENDPOINT", raising=False)
    monkeypatch.setenv("HUB_DATA_DIR", str(tmp_path / "data"))
    return monkeypatch


def test_the_commands_restore_a_migrated_database_and_refuse_a_full_one_without_force(
        postgres_url, environment, tmp_path, capsys):
    source, target = postgres_url(), postgres_url()
    upgrade_to_head("training", source)
    run(source, PROBE, "INSERT INTO probe (name) VALUES ('kept across the restore')")
    environment.setenv("TRAINING_DB_URL", source)
    folder = tmp_path / "backup"

    assert backup.main(["--to", str(folder), "--services", "training"]) == 0

    entry = json.loads((folder / "manifest.json").read_text())["databases"][0]
    assert (entry["engine"], entry["file"]) == ("postgresql", "databases/training.pgdump")
    assert entry["migration_heads"] == backup_postgres.heads(source) != []

    environment.setenv("TRAINING_DB_URL", target)
    assert restore.main(["--from", str(folder)]) == 0
    assert rows(target) == rows(source)
    assert backup_postgres.heads(target) == entry["migration_heads"]
    tables = "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1"
    assert run(target, tables) == run(source, tables)

    run(target, "DELETE FROM probe")
    capsys.readouterr()
    assert restore.main(["--from", str(folder)]) == 1
    error = capsys.readouterr().err
    assert "Restore refused: already holding data: the training database" in error and "--force" in error
    assert rows(target) == []  # refused: nothing touched

    assert restore.main(["--from", str(folder), "--force"]) == 0
    assert rows(target) == rows(source)
