"""Object storage for uploaded files: S3 (MinIO) in production, a local folder by default.

File bytes never cross RabbitMQ; only the documents service holds this dependency. Both
backends offer the same small interface, and neither ever makes an object public: reads go
through the service, or through a short-lived presigned URL on S3.
"""
from __future__ import annotations

import hashlib
import io
import os
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import BinaryIO
from urllib.parse import urlparse

from nameko.extensions import DependencyProvider

from common import config as hub_config
from common.errors import NotFound


@dataclass(frozen=True)
class StoredObject:
    key: str
    size: int
    content_type: str
    sha256: str | None = None


@dataclass(frozen=True)
class ListedObject:
    key: str
    size: int
    last_modified: datetime   # timezone-aware, UTC


CHUNK_SIZE = 64 * 1024
S3_PART_SIZE = 5 * 1024 * 1024   # S3's smallest multipart part
SIDE_SUFFIXES = (".content-type", ".partial")   # the local folder's own bookkeeping files


class _HashingReader:
    """Reads from `fileobj` (at most `size` bytes when known), hashing and counting what passes
    through, so a stream is stored and digested in one pass without ever being held whole."""

    def __init__(self, fileobj: BinaryIO, size: int | None = None):
        self.fileobj, self.remaining = fileobj, size
        self.digest, self.count = hashlib.sha256(), 0

    def read(self, n: int = -1) -> bytes:
        if self.remaining is not None:
            n = self.remaining if n is None or n < 0 else min(n, self.remaining)
            if n == 0:
                return b""
        chunk = self.fileobj.read(n if n is not None and n >= 0 else CHUNK_SIZE)
        self.digest.update(chunk)
        self.count += len(chunk)
        if self.remaining is not None:
            self.remaining -= len(chunk)
        return chunk


def _check_key(key: str) -> str:
    # Keys come from our own code, but refuse anything that could climb out of a folder.
    if not key or key.startswith("/") or ".." in key.split("/"):
        raise ValueError(f"unsafe object key {key!r}")
    return key


class LocalFolderStorage:
    """Objects as files under HUB_DATA_DIR/objects (content type kept in a side file)."""

    def __init__(self, root: Path):
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)

    def _path(self, key: str) -> Path:
        return self.root / _check_key(key)

    def put(self, key: str, data: bytes, content_type: str) -> StoredObject:
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(path.suffix + ".partial")
        tmp.write_bytes(data)
        os.replace(tmp, path)  # readers never see half a file
        path.with_name(path.name + ".content-type").write_text(content_type)
        return StoredObject(key, len(data), content_type, hashlib.sha256(data).hexdigest())

    def get(self, key: str) -> bytes:
        path = self._path(key)
        if not path.is_file():
            raise NotFound(f"No stored file {key}")
        return path.read_bytes()

    def stat(self, key: str) -> StoredObject:
        path = self._path(key)
        if not path.is_file():
            raise NotFound(f"No stored file {key}")
        type_file = path.with_name(path.name + ".content-type")
        content_type = type_file.read_text() if type_file.exists() else "application/octet-stream"
        return StoredObject(key, path.stat().st_size, content_type)

    def delete(self, key: str) -> None:
        path = self._path(key)
        path.unlink(missing_ok=True)
        path.with_name(path.name + ".content-type").unlink(missing_ok=True)

    def presigned_get_url(self, key: str, expires: timedelta) -> str | None:
        return None  # the gateway streams local files itself, after its own access check

    def put_stream(self, key: str, fileobj: BinaryIO, size: int | None, content_type: str) -> StoredObject:
        """Store what `fileobj` yields (`size` bytes, or to its end when None), a chunk at a time."""
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(path.suffix + ".partial")
        reader = _HashingReader(fileobj, size if size is not None and size >= 0 else None)
        try:
            with open(tmp, "wb") as out:
                while chunk := reader.read(CHUNK_SIZE):
                    out.write(chunk)
            if size is not None and size >= 0 and reader.count != size:
                raise ValueError(f"expected {size} bytes for {key}, got {reader.count}")
            os.replace(tmp, path)
        finally:
            tmp.unlink(missing_ok=True)
        path.with_name(path.name + ".content-type").write_text(content_type)
        return StoredObject(key, reader.count, content_type, reader.digest.hexdigest())

    def open_stream(self, key: str, chunk_size: int = CHUNK_SIZE) -> Iterator[bytes]:
        """The object's bytes, a chunk at a time (NotFound at once when there is no such object)."""
        path = self._path(key)
        if not path.is_file():
            raise NotFound(f"No stored file {key}")
        handle = open(path, "rb")

        def chunks():
            with handle:
                while chunk := handle.read(chunk_size):
                    yield chunk
        return chunks()

    def move(self, src: str, dst: str) -> StoredObject:
        source, target = self._path(src), self._path(dst)
        if not source.is_file():
            raise NotFound(f"No stored file {src}")
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(source, target)
        # a rename keeps the old time; the moved object is new where it now is (the orphan
        # sweeper leaves recent objects alone)
        os.utime(target)
        source_type = source.with_name(source.name + ".content-type")
        if source_type.exists():
            os.replace(source_type, target.with_name(target.name + ".content-type"))
        return self.stat(dst)

    def list_objects(self, prefix: str = "") -> Iterator[ListedObject]:
        """Every object whose key starts with `prefix` (as S3 lists them), with size and time."""
        top = prefix.rsplit("/", 1)[0] if "/" in prefix else ""
        start = self._path(top) if top else self.root
        if not start.is_dir():
            return
        for dirpath, _dirs, files in os.walk(start):
            for name in sorted(files):
                if name.endswith(SIDE_SUFFIXES):
                    continue
                path = Path(dirpath) / name
                key = path.relative_to(self.root).as_posix()
                if not key.startswith(prefix):
                    continue
                try:
                    info = path.stat()
                except FileNotFoundError:  # removed while we looked
                    continue
                yield ListedObject(key, info.st_size, datetime.fromtimestamp(info.st_mtime, UTC))

    def check(self) -> None:
        self.root.mkdir(parents=True, exist_ok=True)


class S3Storage:
    """Any S3-compatible server through the `minio` client."""

    def __init__(self, endpoint: str, access_key: str, secret_key: str, bucket: str,
                 region: str = "us-east-1"):
        from minio import Minio

        parsed = urlparse(endpoint if "://" in endpoint else f"http://{endpoint}")
        self.bucket = bucket
        self.client = Minio(parsed.netloc, access_key=access_key, secret_key=secret_key,
                            secure=parsed.scheme == "https", region=region)

    def ensure_bucket(self) -> None:
        if not self.client.bucket_exists(self.bucket):
            self.client.make_bucket(self.bucket)

    def put(self, key: str, data: bytes, content_type: str) -> StoredObject:
        self.client.put_object(self.bucket, _check_key(key), io.BytesIO(data), len(data),
                               content_type=content_type)
        return StoredObject(key, len(data), content_type, hashlib.sha256(data).hexdigest())

    def _call(self, method, key: str):
        """A client call on one object, with "no such object" as our NotFound."""
        from minio.error import S3Error
        try:
            return method(self.bucket, _check_key(key))
        except S3Error as exc:
            if exc.code in ("NoSuchKey", "NoSuchObject"):
                raise NotFound(f"No stored file {key}") from None
            raise

    def get(self, key: str) -> bytes:
        response = self._call(self.client.get_object, key)
        try:
            return response.read()
        finally:
            response.close()
            response.release_conn()

    def stat(self, key: str) -> StoredObject:
        info = self._call(self.client.stat_object, key)
        return StoredObject(key, info.size, info.content_type)

    def delete(self, key: str) -> None:
        self.client.remove_object(self.bucket, _check_key(key))

    def presigned_get_url(self, key: str, expires: timedelta) -> str | None:
        return self.client.presigned_get_object(self.bucket, _check_key(key), expires=expires)

    def put_stream(self, key: str, fileobj: BinaryIO, size: int | None, content_type: str) -> StoredObject:
        """Store what `fileobj` yields. The client buffers one part at a time, so the smallest
        part S3 allows (5 MiB) bounds the memory an upload takes; larger files go in parts."""
        known = size is not None and size >= 0
        reader = _HashingReader(fileobj, size if known else None)
        self.client.put_object(self.bucket, _check_key(key), reader, size if known else -1,
                               content_type=content_type, part_size=S3_PART_SIZE)
        return StoredObject(key, reader.count, content_type, reader.digest.hexdigest())

    def open_stream(self, key: str, chunk_size: int = CHUNK_SIZE) -> Iterator[bytes]:
        """The object's bytes, a chunk at a time; the connection goes back to the pool when the
        iterator ends or is closed."""
        response = self._call(self.client.get_object, key)

        def chunks():
            try:
                yield from response.stream(chunk_size)
            finally:
                response.close()
                response.release_conn()
        return chunks()

    def move(self, src: str, dst: str) -> StoredObject:
        from minio.commonconfig import CopySource

        self._call(self.client.stat_object, src)  # NotFound, as the local folder says it
        self.client.copy_object(self.bucket, _check_key(dst), CopySource(self.bucket, _check_key(src)))
        self.client.remove_object(self.bucket, src)
        return self.stat(dst)

    def list_objects(self, prefix: str = "") -> Iterator[ListedObject]:
        for item in self.client.list_objects(self.bucket, prefix=prefix or None, recursive=True):
            if item.is_dir:
                continue
            modified = item.last_modified
            if modified is not None and modified.tzinfo is None:
                modified = modified.replace(tzinfo=UTC)
            yield ListedObject(item.object_name, item.size or 0, modified)

    def check(self) -> None:
        if not self.client.bucket_exists(self.bucket):
            raise RuntimeError(f"the bucket {self.bucket} does not exist")


def storage_from_config(config=None):
    s3 = hub_config.s3_settings(config)
    if s3 is None:
        return LocalFolderStorage(hub_config.data_dir(config) / "objects")
    storage = S3Storage(**s3)
    storage.ensure_bucket()
    return storage


class ObjectStorage(DependencyProvider):
    """`self.storage.put(key, data, content_type)` and friends; the backend is chosen by config."""

    def setup(self):
        self.storage = storage_from_config(self.container.config)

    def get_dependency(self, worker_ctx):
        return self.storage
