"""Where a backup lives: a folder, or a prefix in an S3 bucket (`s3://bucket/prefix`).

Both kinds offer the same small interface: write a part from a stream (counting and hashing it on
the way), read a part back a chunk at a time, and list the parts. A part is never held whole in
memory. The S3 connection is HUB_BACKUP_S3_ENDPOINT / _ACCESS_KEY / _SECRET_KEY / _REGION, each
falling back to the Hub's own HUB_S3_* value, so a backup bucket on the same server needs nothing
new; the bucket and prefix come from the `s3://` address itself.
"""
from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import BinaryIO

from common import config as hub_config
from common.errors import NotFound
from common.storage import CHUNK_SIZE

MANIFEST = "manifest.json"


class MissingPart(Exception):
    """A part the manifest names is not in the backup."""


class ChunkReader:
    """A file-like `read()` over an iterator of byte chunks (for put_stream and friends)."""

    def __init__(self, chunks: Iterable[bytes]):
        self.chunks, self.buffer = iter(chunks), bytearray()

    def read(self, n: int = -1) -> bytes:
        while n is None or n < 0 or len(self.buffer) < n:
            chunk = next(self.chunks, None)
            if chunk is None:
                break
            self.buffer += chunk
        size = len(self.buffer) if n is None or n < 0 else min(n, len(self.buffer))
        data = bytes(self.buffer[:size])
        del self.buffer[:size]
        return data


class FolderLocation:
    """A backup in a local folder: each part a file, written whole or not at all."""

    def __init__(self, root: Path):
        self.root = Path(root).resolve()

    def __str__(self) -> str:
        return str(self.root)

    def _path(self, name: str) -> Path:
        if not name or name.startswith("/") or ".." in name.split("/"):
            raise ValueError(f"unsafe part name {name!r}")
        return self.root / name

    def write(self, name: str, fileobj: BinaryIO) -> tuple[int, str]:
        """Copies `fileobj` to its end into the part `name`; returns (size, sha256)."""
        path = self._path(name)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.name + ".partial")
        digest, size = hashlib.sha256(), 0
        try:
            with open(tmp, "wb") as out:
                while chunk := fileobj.read(CHUNK_SIZE):
                    digest.update(chunk)
                    size += len(chunk)
                    out.write(chunk)
                out.flush()
                os.fsync(out.fileno())
            os.replace(tmp, path)
        finally:
            tmp.unlink(missing_ok=True)
        return size, digest.hexdigest()

    def chunks(self, name: str) -> Iterator[bytes]:
        path = self._path(name)
        if not path.is_file():
            raise MissingPart(name)
        handle = open(path, "rb")

        def read():
            with handle:
                while chunk := handle.read(CHUNK_SIZE):
                    yield chunk
        return read()

    def names(self) -> list[str]:
        if not self.root.is_dir():
            return []
        return sorted(p.relative_to(self.root).as_posix() for p in self.root.rglob("*")
                      if p.is_file() and not p.name.endswith(".partial"))


class S3Location:
    """A backup under a prefix of an S3 bucket (the bucket is made if it does not exist)."""

    def __init__(self, storage, prefix: str):
        self.storage = storage
        self.prefix = prefix.strip("/") + "/" if prefix.strip("/") else ""

    def __str__(self) -> str:
        return f"s3://{self.storage.bucket}/{self.prefix}"

    def write(self, name: str, fileobj: BinaryIO) -> tuple[int, str]:
        stored = self.storage.put_stream(self.prefix + name, fileobj, None, "application/octet-stream")
        return stored.size, stored.sha256

    def chunks(self, name: str) -> Iterator[bytes]:
        try:
            return self.storage.open_stream(self.prefix + name, CHUNK_SIZE)
        except NotFound:
            raise MissingPart(name) from None

    def names(self) -> list[str]:
        return sorted(item.key[len(self.prefix):] for item in self.storage.list_objects(self.prefix))


def backup_s3_settings(bucket: str) -> dict:
    """The backup bucket's connection: HUB_BACKUP_S3_*, else the Hub's own HUB_S3_* values."""
    def pick(name: str, default: str | None = None) -> str | None:
        return hub_config.setting(f"HUB_BACKUP_S3_{name}") or hub_config.setting(f"HUB_S3_{name}", default)

    endpoint = pick("ENDPOINT")
    if not endpoint:
        raise ValueError("an s3:// backup needs HUB_BACKUP_S3_ENDPOINT (or HUB_S3_ENDPOINT) to be set")
    return {"endpoint": endpoint, "access_key": pick("ACCESS_KEY", ""), "secret_key": pick("SECRET_KEY", ""),
            "bucket": bucket, "region": pick("REGION", "us-east-1")}


def open_location(where: str, create: bool = False):
    """`s3://bucket/prefix` or a folder path. `create` makes the bucket (a folder is made as
    parts are written)."""
    if where.startswith("s3://"):
        from common.storage import S3Storage

        bucket, _, prefix = where[len("s3://"):].partition("/")
        if not bucket:
            raise ValueError(f"{where!r} names no bucket (s3://bucket/prefix)")
        storage = S3Storage(**backup_s3_settings(bucket))
        if create:
            storage.ensure_bucket()
        elif not storage.client.bucket_exists(bucket):
            raise ValueError(f"there is no bucket {bucket!r} at the backup S3 endpoint")
        return S3Location(storage, prefix)
    return FolderLocation(Path(where))
