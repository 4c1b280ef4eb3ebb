"""Object storage for uploaded files: S3 (MinIO) in production, a local folder by default.

File bytes never cross RabbitMQ; only the documents service holds this dependency. Both
backends offer the same small interface, and neither ever makes an object public: reads go
through the service, or through a short-lived presigned URL on S3.
"""
from __future__ import annotations

import hashlib
import io
import os
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
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
