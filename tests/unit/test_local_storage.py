"""LocalFolderStorage: the embedded default object store under HUB_DATA_DIR/objects."""
import hashlib
from datetime import timedelta

import pytest

from common.errors import NotFound
from common.storage import LocalFolderStorage


@pytest.fixture
def storage(tmp_path):
    return LocalFolderStorage(tmp_path / "objects")


def test_put_then_get_returns_the_same_bytes(storage):
    data = b"%PDF-1.7\n" + bytes(range(256)) * 4

    stored = storage.put("people/p1/medical.pdf", data, "application/pdf")

    assert storage.get("people/p1/medical.pdf") == data
    assert stored.size == len(data)
    assert stored.sha256 == hashlib.sha256(data).hexdigest()


def test_stat_reports_size_and_the_content_type_given_at_put(storage):
    storage.put("people/p1/photo.jpg", b"\xff\xd8\xff" + b"x" * 97, "image/jpeg")

    info = storage.stat("people/p1/photo.jpg")

    assert info.size == 100
    assert info.content_type == "image/jpeg"


def test_content_type_survives_a_new_storage_on_the_same_folder(tmp_path):
    LocalFolderStorage(tmp_path / "objects").put("a/card.png", b"\x89PNG", "image/png")

    assert LocalFolderStorage(tmp_path / "objects").stat("a/card.png").content_type == "image/png"


def test_get_and_stat_of_a_missing_key_raise_not_found(storage):
    with pytest.raises(NotFound):
        storage.get("people/nobody/nothing.pdf")
    with pytest.raises(NotFound):
        storage.stat("people/nobody/nothing.pdf")


def test_delete_removes_the_object_and_its_content_type(storage):
    storage.put("people/p1/old.pdf", b"old", "application/pdf")

    storage.delete("people/p1/old.pdf")

    with pytest.raises(NotFound):
        storage.get("people/p1/old.pdf")
    assert not any(storage.root.rglob("old.pdf*"))


def test_delete_of_a_missing_key_is_quiet(storage):
    storage.delete("people/nobody/nothing.pdf")


@pytest.mark.parametrize("key", ["../etc/passwd", "people/../../etc/passwd", "/etc/passwd", ""])
def test_unsafe_keys_are_refused(storage, key):
    with pytest.raises(ValueError):
        storage.put(key, b"x", "text/plain")
    with pytest.raises(ValueError):
        storage.get(key)
    with pytest.raises(ValueError):
        storage.delete(key)


def test_nothing_is_written_outside_the_folder_for_an_unsafe_key(tmp_path):
    storage = LocalFolderStorage(tmp_path / "objects")

    with pytest.raises(ValueError):
        storage.put("../escaped.txt", b"x", "text/plain")

    assert not (tmp_path / "escaped.txt").exists()


def test_there_is_no_presigned_url_for_local_files(storage):
    storage.put("people/p1/card.pdf", b"x", "application/pdf")

    assert storage.presigned_get_url("people/p1/card.pdf", timedelta(minutes=5)) is None


def test_no_partial_file_is_left_behind(storage):
    storage.put("people/p1/cert.pdf", b"whole", "application/pdf")
    storage.put("people/p1/cert.pdf", b"replaced", "application/pdf")

    assert not list(storage.root.rglob("*.partial"))
    assert storage.get("people/p1/cert.pdf") == b"replaced"
