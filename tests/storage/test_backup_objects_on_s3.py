"""Backups with S3 on both sides (moto's server mode): the Hub's bucket backed up to a prefix of
another bucket and restored into a new, empty bucket brings back every object's bytes and content
type; a part changed in the backup bucket is refused by name."""
from __future__ import annotations

import io
import json
import os
import uuid

import pytest

from common.config import SERVICES
from common.migrations import upgrade_to_head
from common.storage import S3Storage
from hubstack import backup, restore

pytestmark = pytest.mark.s3

BIG = os.urandom(6 * 1024 * 1024 + 123)  # more than one 5 MiB part each way


def bucket_name(what: str) -> str:
    return f"hub-{what}-{uuid.uuid4().hex[:10]}"


@pytest.fixture
def hub_on_s3(s3_endpoint, tmp_path, monkeypatch):
    for service in SERVICES:
        monkeypatch.delenv(f"{service.upper()}_DB_URL", raising=False)
    for name, value in {"HUB_S3_ENDPOINT": s3_endpoint, "HUB_S3_ACCESS_KEY": "test", "HUB_S3_SECRET_KEY": "test",
                        "HUB_BACKUP_S3_ENDPOINT": s3_endpoint, "HUB_S3_BUCKET": bucket_name("objects"),
                        "HUB_DATA_DIR": str(tmp_path / "source")}.items():
        monkeypatch.setenv(name, value)
    (tmp_path / "source").mkdir()
    upgrade_to_head("documents", f"sqlite:///{tmp_path / 'source' / 'documents.db'}")
    storage = S3Storage(s3_endpoint, "test", "test", os.environ["HUB_S3_BUCKET"])
    storage.ensure_bucket()
    storage.put("documents/p1/d1", b"%PDF-1.4 small", "application/pdf")
    storage.put("documents/p1/d2", b"\xff\xd8\xff jpeg", "image/jpeg")
    storage.put_stream("documents/p2/big", io.BytesIO(BIG), len(BIG), "application/pdf")
    return storage


def test_objects_backed_up_to_an_s3_prefix_come_back_into_an_empty_bucket(hub_on_s3, s3_endpoint, tmp_path,
                                                                           monkeypatch):
    destination = f"s3://{bucket_name('backups')}/nightly/1"
    assert backup.main(["--to", destination, "--services", "documents"]) == 0

    monkeypatch.setenv("HUB_S3_BUCKET", bucket_name("restored"))
    monkeypatch.setenv("HUB_DATA_DIR", str(tmp_path / "target"))
    assert restore.main(["--from", destination]) == 0

    restored = S3Storage(s3_endpoint, "test", "test", os.environ["HUB_S3_BUCKET"])
    assert sorted(o.key for o in restored.list_objects()) == ["documents/p1/d1", "documents/p1/d2", "documents/p2/big"]
    assert restored.get("documents/p1/d1") == b"%PDF-1.4 small"
    assert restored.stat("documents/p1/d2").content_type == "image/jpeg"
    assert restored.get("documents/p2/big") == BIG
    assert (tmp_path / "target" / "documents.db").is_file()


def test_a_changed_object_in_the_backup_bucket_is_refused_by_name(hub_on_s3, s3_endpoint, tmp_path, monkeypatch,
                                                                 capsys):
    backups = bucket_name("backups")
    assert backup.main(["--to", f"s3://{backups}/nightly", "--services", "documents"]) == 0
    location = S3Storage(s3_endpoint, "test", "test", backups)
    manifest = json.loads(location.get("nightly/manifest.json"))
    assert {o["key"] for o in manifest["objects"]} == {"documents/p1/d1", "documents/p1/d2", "documents/p2/big"}
    location.put("nightly/objects/documents/p1/d2", b"\xff\xd8\xff JPEG", "application/octet-stream")

    monkeypatch.setenv("HUB_S3_BUCKET", bucket_name("restored"))
    monkeypatch.setenv("HUB_DATA_DIR", str(tmp_path / "target"))
    assert restore.main(["--from", f"s3://{backups}/nightly"]) == 1

    assert "the backup is corrupt: part objects/documents/p1/d2" in capsys.readouterr().err
    assert not (tmp_path / "target" / "documents.db").exists()


def test_backing_up_into_the_hubs_own_bucket_is_refused(hub_on_s3, capsys):
    assert backup.main(["--to", f"s3://{hub_on_s3.bucket}/backups", "--services", "documents"]) == 1

    assert "is in the Hub's own bucket" in capsys.readouterr().err
    assert not [o for o in hub_on_s3.list_objects("backups/")]
