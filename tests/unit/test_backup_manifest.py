"""Backups (hubstack.backup / hubstack.restore) on SQLite and a local folder: a restore checks
every part against the manifest before it touches anything, refuses a tampered, incomplete or
too-new backup by naming what is wrong, and an online SQLite backup taken while a writer writes
is a consistent database."""
from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from common.config import SERVICES
from common.migrations import upgrade_to_head
from hubstack import backup, backup_sqlite, restore

ACCOUNTS_PART = "databases/accounts.sqlite3"


@pytest.fixture
def deployment(tmp_path, monkeypatch):
    """Points HUB_DATA_DIR at a folder (SQLite files, local objects); returns a function that
    switches to another folder, as a second deployment on another machine would be."""
    for service in SERVICES:
        monkeypatch.delenv(f"{service.upper()}_DB_URL", raising=False)
    for name in ("HUB_S3_ENDPOINT", "HUB_BACKUP_S3_ENDPOINT"):
        monkeypatch.delenv(name, raising=False)

    def use(name: str) -> Path:
        folder = tmp_path / name
        folder.mkdir(exist_ok=True)
        monkeypatch.setenv("HUB_DATA_DIR", str(folder))
        return folder
    return use


@pytest.fixture
def accounts_backup(deployment, tmp_path):
    """A backup of a migrated accounts database holding one marker row; then an empty deployment."""
    source = deployment("source")
    upgrade_to_head("accounts", f"sqlite:///{source / 'accounts.db'}")
    with sqlite3.connect(source / "accounts.db") as db:
        db.execute("CREATE TABLE backup_marker (value TEXT)")
        db.execute("INSERT INTO backup_marker VALUES ('before the backup')")
    db.close()
    folder = tmp_path / "backup"
    assert backup.main(["--to", str(folder), "--services", "accounts"]) == 0
    deployment("target")
    return folder


def marker(data_dir: Path) -> list:
    db = sqlite3.connect(data_dir / "accounts.db")
    try:
        return db.execute("SELECT value FROM backup_marker").fetchall()
    finally:
        db.close()


def test_a_backup_restores_into_an_empty_deployment_and_refuses_a_full_one(accounts_backup, capsys, tmp_path):
    manifest = json.loads((accounts_backup / "manifest.json").read_text())
    assert [(d["service"], d["engine"], d["file"]) for d in manifest["databases"]] == [
        ("accounts", "sqlite", ACCOUNTS_PART)]
    assert manifest["databases"][0]["migration_heads"] and manifest["hub_version"] and manifest["created_at"]
    assert manifest["objects"] == [] and manifest["objects_included"] is False

    assert restore.main(["--from", str(accounts_backup)]) == 0
    assert marker(tmp_path / "target") == [("before the backup",)]
    assert backup_sqlite.integrity(tmp_path / "target" / "accounts.db") == "ok"

    capsys.readouterr()
    assert restore.main(["--from", str(accounts_backup)]) == 1
    assert "already holding data: the accounts database" in capsys.readouterr().err
    assert restore.main(["--from", str(accounts_backup), "--force"]) == 0
    assert marker(tmp_path / "target") == [("before the backup",)]


def test_a_tampered_part_is_refused_by_name_before_anything_is_touched(accounts_backup, capsys, tmp_path):
    part = accounts_backup / ACCOUNTS_PART
    data = bytearray(part.read_bytes())
    data[len(data) // 2] ^= 0xFF  # one flipped byte, same size
    part.write_bytes(bytes(data))

    assert restore.main(["--from", str(accounts_backup)]) == 1

    error = capsys.readouterr().err
    assert "Restore refused: the backup is corrupt: part databases/accounts.sqlite3" in error
    assert not (tmp_path / "target" / "accounts.db").exists()


def test_a_missing_part_or_manifest_is_an_incomplete_backup(accounts_backup, capsys, tmp_path):
    (accounts_backup / ACCOUNTS_PART).unlink()
    assert restore.main(["--from", str(accounts_backup)]) == 1
    assert "the backup is incomplete: part databases/accounts.sqlite3 is missing" in capsys.readouterr().err

    (accounts_backup / "manifest.json").unlink()
    assert restore.main(["--from", str(accounts_backup)]) == 1
    assert "holds no manifest.json: the backup did not finish" in capsys.readouterr().err
    assert not (tmp_path / "target" / "accounts.db").exists()


def test_a_backup_newer_than_the_code_is_refused(accounts_backup, capsys, tmp_path):
    path = accounts_backup / "manifest.json"
    manifest = json.loads(path.read_text())
    manifest["databases"][0]["migration_heads"] = ["ffffffffffff"]
    path.write_text(json.dumps(manifest))

    assert restore.main(["--from", str(accounts_backup)]) == 1

    error = capsys.readouterr().err
    assert "accounts: the backup is at migration ffffffffffff" in error and "code is older than the backup" in error
    assert not (tmp_path / "target" / "accounts.db").exists()


def test_backing_up_into_a_folder_that_holds_something_is_refused(deployment, tmp_path, capsys):
    deployment("source")
    folder = tmp_path / "backup"
    folder.mkdir()
    (folder / "something").write_text("x")

    assert backup.main(["--to", str(folder), "--services", "accounts"]) == 1
    assert "is not empty" in capsys.readouterr().err


WRITER = """
import sqlite3, sys
db = sqlite3.connect(sys.argv[1], timeout=30, isolation_level=None)
db.execute("PRAGMA journal_mode=WAL")
db.execute("CREATE TABLE ledger (id INTEGER PRIMARY KEY, amount INTEGER NOT NULL, padding TEXT)")
db.execute("CREATE TABLE balance (id INTEGER PRIMARY KEY, total INTEGER NOT NULL, entries INTEGER NOT NULL)")
db.execute("INSERT INTO balance VALUES (1, 0, 0)")
print("ready", flush=True)
step = 0
while True:
    step += 1
    db.execute("BEGIN IMMEDIATE")
    for _ in range(20):
        db.execute("INSERT INTO ledger (amount, padding) VALUES (?, ?)", (step, "x" * 400))
    db.execute("UPDATE balance SET total = total + ?, entries = entries + 20", (20 * step,))
    db.execute("COMMIT")
"""


def ledger(path: Path) -> tuple[int, int, int, int]:
    db = sqlite3.connect(path)
    try:
        total, entries = db.execute("SELECT total, entries FROM balance").fetchone()
        summed, counted = db.execute("SELECT coalesce(sum(amount), 0), count(*) FROM ledger").fetchone()
        return total, entries, summed, counted
    finally:
        db.close()


def test_an_online_backup_while_a_writer_writes_is_consistent(tmp_path):
    live = tmp_path / "live.db"
    writer = subprocess.Popen([sys.executable, "-c", WRITER, str(live)], stdout=subprocess.PIPE, text=True)
    try:
        assert writer.stdout.readline().strip() == "ready"
        deadline = time.monotonic() + 30
        while ledger(live)[3] < 5_000:  # a database of some size, with the WAL busy
            assert writer.poll() is None and time.monotonic() < deadline, "the writer stopped writing"
            time.sleep(0.05)
        counts = []
        for round_ in range(5):
            copy = tmp_path / f"copy-{round_}.sqlite3"
            backup_sqlite.snapshot(live, copy)
            assert backup_sqlite.integrity(copy) == "ok"
            total, entries, summed, counted = ledger(copy)
            assert (total, entries) == (summed, counted)  # every transaction whole, none half
            counts.append(counted)
            assert not Path(f"{copy}-wal").exists()  # the copy is one self-contained file
        assert writer.poll() is None  # it wrote all along
        assert counts == sorted(counts) and counts[-1] > counts[0]  # and the copies saw it
    finally:
        writer.kill()
        writer.wait(timeout=10)


def test_backing_up_into_the_hubs_own_object_folder_is_refused(deployment, capsys):
    source = deployment("source")
    upgrade_to_head("documents", f"sqlite:///{source / 'documents.db'}")

    assert backup.main(["--to", str(source / "objects" / "backups"), "--services", "documents"]) == 1
    assert "inside the Hub's object folder" in capsys.readouterr().err
    assert not (source / "objects" / "backups").exists()
