"""Streaming put and read, move and listing, on both backends: the local folder and a real S3
HTTP endpoint (moto's server mode). The documents service adopts staged uploads with `move` and
its orphan sweeper works from `list_objects`."""
import hashlib
import io
import uuid
from datetime import UTC, datetime, timedelta

import pytest

from common.errors import NotFound
from common.storage import CHUNK_SIZE, S3_PART_SIZE, LocalFolderStorage, S3Storage

pytestmark = pytest.mark.s3


@pytest.fixture(params=["local", "s3"])
def storage(request, tmp_path):
    if request.param == "local":
        return LocalFolderStorage(tmp_path / "objects")
    store = S3Storage(request.getfixturevalue("s3_endpoint"), "test", "test",
                      f"hub-test-{uuid.uuid4().hex[:12]}")
    store.ensure_bucket()
    return store


class CountingReader(io.RawIOBase):
    """A file-like source that records the largest read asked of it: a streaming put never asks
    for the whole thing at once."""

    def __init__(self, data: bytes):
        self.source = io.BytesIO(data)
        self.largest_read = 0

    def readable(self):
        return True

    def read(self, n=-1):
        self.largest_read = max(self.largest_read, n if n is not None and n >= 0 else 10**12)
        return self.source.read(n)


def test_put_stream_stores_the_bytes_and_digests_them_in_one_pass(storage):
    data = bytes(range(256)) * 1024 * 25  # 6.25 MiB: more than one S3 part
    source = CountingReader(data)

    stored = storage.put_stream("incoming/abcdef123456", source, len(data), "application/pdf")

    assert (stored.size, stored.sha256) == (len(data), hashlib.sha256(data).hexdigest())
    assert storage.get("incoming/abcdef123456") == data
    assert storage.stat("incoming/abcdef123456").content_type == "application/pdf"
    assert source.largest_read <= S3_PART_SIZE < len(data)


def test_put_stream_of_unknown_length_reads_to_the_end(storage):
    data = b"%PDF-1.7\n" + b"x" * 200_000

    stored = storage.put_stream("incoming/unknown-len", io.BytesIO(data), None, "application/pdf")

    assert stored.size == len(data) and storage.get("incoming/unknown-len") == data


def test_open_stream_yields_chunks_never_the_whole_file(storage):
    data = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 1024
    storage.put("documents/p1/d1", data, "image/png")

    chunks = list(storage.open_stream("documents/p1/d1"))

    assert b"".join(chunks) == data
    assert len(chunks) > 1 and max(len(c) for c in chunks) <= CHUNK_SIZE


def test_an_abandoned_stream_can_be_closed(storage):
    storage.put("documents/p1/d2", b"y" * (3 * CHUNK_SIZE), "application/pdf")

    stream = storage.open_stream("documents/p1/d2")
    assert len(next(stream)) == CHUNK_SIZE
    stream.close()  # the gateway stops early when the client goes away

    assert storage.get("documents/p1/d2") == b"y" * (3 * CHUNK_SIZE)


def test_open_stream_of_a_missing_key_raises_not_found_at_once(storage):
    with pytest.raises(NotFound):
        storage.open_stream("documents/nobody/nothing")


def test_move_puts_the_object_at_its_new_key_and_removes_the_old(storage):
    storage.put("incoming/staged-0001", b"certificate", "application/pdf")

    moved = storage.move("incoming/staged-0001", "documents/p1/d3")

    assert (moved.key, moved.size, moved.content_type) == ("documents/p1/d3", 11, "application/pdf")
    assert storage.get("documents/p1/d3") == b"certificate"
    with pytest.raises(NotFound):
        storage.stat("incoming/staged-0001")


def test_move_of_a_missing_object_raises_not_found(storage):
    with pytest.raises(NotFound):
        storage.move("incoming/never-staged", "documents/p1/d4")


def test_list_objects_gives_keys_under_a_prefix_with_size_and_time(storage):
    before = datetime.now(UTC) - timedelta(minutes=1)
    storage.put("incoming/a-000001", b"a", "application/pdf")
    storage.put("incoming/b-000002", b"bb", "image/png")
    storage.put("documents/p1/d5", b"ccc", "image/jpeg")

    incoming = sorted(storage.list_objects("incoming/"), key=lambda o: o.key)

    assert [(o.key, o.size) for o in incoming] == [("incoming/a-000001", 1), ("incoming/b-000002", 2)]
    assert all(before <= o.last_modified <= datetime.now(UTC) + timedelta(minutes=1) for o in incoming)
    assert [o.key for o in storage.list_objects("documents/")] == ["documents/p1/d5"]
    assert sorted(o.key for o in storage.list_objects("")) == [
        "documents/p1/d5", "incoming/a-000001", "incoming/b-000002"]
    assert list(storage.list_objects("nothing-here/")) == []


def test_unsafe_keys_are_refused_by_the_new_methods(storage):
    with pytest.raises(ValueError):
        storage.put_stream("../escape", io.BytesIO(b"x"), 1, "application/pdf")
    storage.put("incoming/safe-000003", b"x", "application/pdf")
    with pytest.raises(ValueError):
        storage.move("incoming/safe-000003", "../../etc/passwd")
