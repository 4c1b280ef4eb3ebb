"""S3Storage against a real S3 HTTP endpoint (moto's server mode)."""
import hashlib
import uuid
from datetime import timedelta

import pytest
import requests

from common.errors import NotFound
from common.storage import LocalFolderStorage, S3Storage, storage_from_config

pytestmark = pytest.mark.s3


def unique_bucket() -> str:
    return f"hub-test-{uuid.uuid4().hex[:12]}"


@pytest.fixture
def storage(s3_endpoint):
    store = S3Storage(s3_endpoint, "test", "test", unique_bucket())
    store.ensure_bucket()
    return store


def test_ensure_bucket_creates_the_bucket(s3_endpoint):
    store = S3Storage(s3_endpoint, "test", "test", unique_bucket())
    assert not store.client.bucket_exists(store.bucket)

    store.ensure_bucket()
    store.ensure_bucket()  # a second start finds it there

    assert store.client.bucket_exists(store.bucket)


def test_put_then_get_returns_the_same_bytes(storage):
    data = b"%PDF-1.7\n" + bytes(range(256)) * 40
    storage.put("people/p1/medical.pdf", data, "application/pdf")

    assert storage.get("people/p1/medical.pdf") == data


def test_stat_reports_size_and_content_type(storage):
    storage.put("people/p1/photo.jpg", b"\xff\xd8\xff" + b"x" * 997, "image/jpeg")

    info = storage.stat("people/p1/photo.jpg")

    assert info.key == "people/p1/photo.jpg"
    assert info.size == 1000
    assert info.content_type == "image/jpeg"


def test_put_returns_the_sha256_of_the_bytes(storage):
    data = b"some certificate bytes"

    stored = storage.put("people/p1/cert.pdf", data, "application/pdf")

    assert stored.sha256 == hashlib.sha256(data).hexdigest()
    assert stored.size == len(data)


def test_presigned_url_downloads_the_object(s3_endpoint, storage):
    data = b"signed for a little while"
    storage.put("people/p1/card.pdf", data, "application/pdf")

    url = storage.presigned_get_url("people/p1/card.pdf", timedelta(minutes=5))

    assert url.startswith(s3_endpoint)
    assert "X-Amz-Signature=" in url and "X-Amz-Expires=300" in url
    response = requests.get(url, timeout=10)
    assert response.status_code == 200
    assert response.content == data


def test_plain_object_url_is_refused_because_objects_are_never_public(s3_endpoint, storage):
    storage.put("people/p1/private.pdf", b"private", "application/pdf")

    response = requests.get(f"{s3_endpoint}/{storage.bucket}/people/p1/private.pdf", timeout=10)

    assert response.status_code == 403


def test_get_of_a_missing_key_raises_not_found(storage):
    with pytest.raises(NotFound):
        storage.get("people/nobody/nothing.pdf")


def test_stat_of_a_missing_key_raises_not_found(storage):
    with pytest.raises(NotFound):
        storage.stat("people/nobody/nothing.pdf")


def test_delete_removes_the_object(storage):
    storage.put("people/p1/old.pdf", b"old", "application/pdf")

    storage.delete("people/p1/old.pdf")

    with pytest.raises(NotFound):
        storage.get("people/p1/old.pdf")


@pytest.mark.parametrize("key", ["../etc/passwd", "people/../../etc/passwd", "/etc/passwd", ""])
def test_unsafe_keys_are_refused(storage, key):
    with pytest.raises(ValueError):
        storage.put(key, b"x", "text/plain")
    with pytest.raises(ValueError):
        storage.get(key)


def test_storage_from_config_with_an_endpoint_gives_s3_with_its_bucket_created(s3_endpoint, tmp_path):
    bucket = unique_bucket()

    store = storage_from_config({"HUB_S3_ENDPOINT": s3_endpoint, "HUB_S3_ACCESS_KEY": "test",
                                 "HUB_S3_SECRET_KEY": "test", "HUB_S3_BUCKET": bucket,
                                 "HUB_DATA_DIR": str(tmp_path)})

    assert isinstance(store, S3Storage)
    assert store.bucket == bucket
    assert store.client.bucket_exists(bucket)


def test_storage_from_config_without_an_endpoint_gives_a_local_folder(tmp_path, monkeypatch):
    # config falls back to the environment, which must not point anywhere for this test
    monkeypatch.delenv("HUB_S3_ENDPOINT", raising=False)

    store = storage_from_config({"HUB_DATA_DIR": str(tmp_path)})

    assert isinstance(store, LocalFolderStorage)
    assert store.root == tmp_path.resolve() / "objects"
