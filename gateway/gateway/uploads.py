"""Files people send (documents, Contact Us attachments): size-capped, typed from their content,
and streamed into object storage under `incoming/<uuid>` while their sha256 is computed.

The bytes go from the request (werkzeug spools a large multipart file to a temporary file) to
storage in chunks, never whole in memory. Whoever registers the staged object with the
documents service calls `discard` if that fails, so nothing is left behind.
"""
from __future__ import annotations

import hashlib
import logging
import os
import re
import unicodedata
import uuid
from dataclasses import dataclass

from flask import current_app, request

from common import config as hub_config
from common.errors import HubError, ValidationFailed
from common.metrics import UPLOAD_REFUSALS, UPLOADS

log = logging.getLogger(__name__)

HEAD = 4096                         # enough to tell the allowed types apart
FORM_ALLOWANCE = 1024 * 1024        # the other form fields and the multipart boundaries
ALLOWED_WORDS = "a PDF, a JPEG or PNG picture, or an iPhone photo (HEIC)"


class FileTooLarge(HubError):
    """The file is too large."""
    code = "too_large"
    http_status = 413


class UnsupportedFileType(HubError):
    """That kind of file cannot be sent."""
    code = "unsupported_file_type"
    http_status = 415


@dataclass(frozen=True)
class StagedUpload:
    staging_key: str
    size: int
    sha256: str
    content_type: str
    file_name: str


def max_upload_bytes(config=None) -> int:
    megabytes = hub_config.setting("HUB_UPLOAD_MAX_MB", "20", config if config is not None else current_app.config)
    return int(float(megabytes) * 1024 * 1024)


def size_words(size: int) -> str:
    return f"{size / 1048576:g} MB" if size >= 1048576 else f"{size // 1024} KB"


def too_large(max_bytes: int) -> FileTooLarge:
    return FileTooLarge(f"The file is larger than {size_words(max_bytes)}, the most we accept. "
                        "Send a smaller file: a scan or photo at a lower resolution, or one page at a time.")


def refuse_oversized_request(max_bytes: int) -> None:
    """Call before anything touches request.form or request.files. A Content-Length that is
    already too much is answered at once, before the body is read; otherwise werkzeug stops
    reading at the limit (a chunked body that never says its length)."""
    limit = max_bytes + FORM_ALLOWANCE
    if request.content_length is not None and request.content_length > limit:
        UPLOAD_REFUSALS.labels("too_large").inc()
        raise too_large(max_bytes)
    request.max_content_length = limit


# --- what a file is, from its first bytes --------------------------------------------------------

HEIC_BRANDS = {b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"hevm", b"hevs"}
HEIF_BRANDS = {b"mif1", b"msf1", b"heif"}


def _ftyp_type(head: bytes) -> str | None:
    """HEIC/HEIF: an ISO base media file whose `ftyp` box names a HEIF brand (AVIF, MP4 and
    friends share the box but not the brands)."""
    if len(head) < 16 or head[4:8] != b"ftyp":
        return None
    box_size = int.from_bytes(head[:4], "big")
    brands = [head[8:12]] + [head[i:i + 4] for i in range(16, min(box_size, len(head)) - 3, 4)]
    if brands[0] in (b"avif", b"avis"):
        return None
    if brands[0] in HEIC_BRANDS:
        return "image/heic"
    if brands[0] in HEIF_BRANDS:
        return "image/heic" if HEIC_BRANDS.intersection(brands) else "image/heif"
    return None


def sniff(head: bytes) -> str | None:
    """The content type of the allowed kinds (PDF, JPEG, PNG, HEIC/HEIF), else None.
    Deliberately an allowlist of signatures: the name and the client's Content-Type are
    never asked."""
    if head.startswith(b"%PDF-"):
        return "application/pdf"
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    return _ftyp_type(head)


def describe(head: bytes) -> str | None:
    """What a refused file looks like, in words, for the message ("a Windows program")."""
    if head.startswith(b"MZ") or head.startswith(b"\x7fELF") or head[:4] in (b"\xcf\xfa\xed\xfe", b"\xca\xfe\xba\xbe"):
        return "a program"
    if head.startswith(b"PK\x03\x04"):
        return "a ZIP archive (or an Office document)"
    text = head[:512].lstrip().lower()
    if b"<svg" in text:
        return "an SVG drawing"
    if text.startswith((b"<!doctype html", b"<html")) or b"<script" in text:
        return "a web page (HTML)"
    try:
        import puremagic

        found = puremagic.magic_string(head)
    except Exception:  # noqa: BLE001  (puremagic refuses what it does not know with its own errors)
        return None
    return f"a {found[0].extension.lstrip('.').upper()} file" if found and found[0].extension else None


def clean_file_name(name: str | None, content_type: str) -> str:
    """The name as the person's device sent it, without folders or invisible characters."""
    name = re.split(r"[\\/]", name or "")[-1]
    name = "".join(ch for ch in unicodedata.normalize("NFC", name)
                   if unicodedata.category(ch)[0] not in "CZ" or ch == " ").strip()
    if not name:
        name = "upload" + {"application/pdf": ".pdf", "image/jpeg": ".jpg", "image/png": ".png",
                           "image/heic": ".heic", "image/heif": ".heif"}[content_type]
    if len(name) > 255:
        stem, ext = os.path.splitext(name)
        name = stem[:255 - len(ext[:20])] + ext[:20]
    return name


# --- streaming into storage ----------------------------------------------------------------------

class _CountingReader:
    """The first bytes (already read to sniff), then the rest of the upload: counted and hashed
    as they pass, and stopped as soon as they go over the cap."""

    def __init__(self, head: bytes, stream, max_bytes: int):
        self._head, self._stream, self._max = head, stream, max_bytes
        self.size = 0
        self.sha256 = hashlib.sha256()

    def read(self, n: int = -1) -> bytes:
        if n is None or n < 0:
            data, self._head = self._head + self._stream.read(), b""
        elif self._head:
            data, self._head = self._head[:n], self._head[n:]  # a short read, as files may give
        else:
            data = self._stream.read(n)
        return self._pass(data)

    def _pass(self, data: bytes) -> bytes:
        self.size += len(data)
        if self.size > self._max:
            raise too_large(self._max)
        self.sha256.update(data)
        return data


def hub_storage():
    """The object store (the documents service's bucket or local folder), one per app."""
    storage = current_app.extensions.get("hub_storage")
    if storage is None:
        from common.storage import storage_from_config

        storage = current_app.extensions["hub_storage"] = storage_from_config(current_app.config)
    return storage


def _remaining_size(stream) -> int | None:
    try:
        if not stream.seekable():
            return None
        here = stream.tell()
        end = stream.seek(0, os.SEEK_END)
        stream.seek(here)
        return end - here
    except (AttributeError, OSError, ValueError):
        return None


def store_upload(file_storage, max_bytes: int, storage=None) -> StagedUpload:
    """Check one uploaded file and stream it into storage under `incoming/<uuid>`.
    Refuses (and stores nothing) when it is missing, empty, too large or not an allowed type."""
    if file_storage is None or not file_storage.filename:  # a form sent without choosing a file
        UPLOAD_REFUSALS.labels("missing").inc()
        raise ValidationFailed("Choose a file to upload.")
    storage = storage or hub_storage()
    stream = file_storage.stream
    remaining = _remaining_size(stream)
    if remaining is not None and remaining > max_bytes:
        UPLOAD_REFUSALS.labels("too_large").inc()
        raise too_large(max_bytes)
    head = stream.read(HEAD)
    if not head:
        UPLOAD_REFUSALS.labels("empty").inc()
        raise ValidationFailed("The file is empty. Choose the file again; if it still fails, "
                               "save or scan it again.")
    content_type = sniff(head)
    if content_type is None:
        looks_like = describe(head)
        UPLOAD_REFUSALS.labels("unsupported_type").inc()
        raise UnsupportedFileType(
            (f"This file looks like {looks_like}, which we cannot accept. " if looks_like else
             "We cannot tell what kind of file this is, so we cannot accept it. ")
            + f"Send {ALLOWED_WORDS}.")
    reader = _CountingReader(head, stream, max_bytes)
    key = f"incoming/{uuid.uuid4()}"
    try:
        storage.put_stream(key, reader, remaining, content_type)
    except FileTooLarge:  # longer than it said (or a stream that never said)
        UPLOAD_REFUSALS.labels("too_large").inc()
        discard(key, storage)
        raise
    except BaseException:
        discard(key, storage)
        raise
    UPLOADS.inc()
    return StagedUpload(staging_key=key, size=reader.size, sha256=reader.sha256.hexdigest(),
                        content_type=content_type, file_name=clean_file_name(file_storage.filename, content_type))


def discard(staging_key: str, storage=None) -> None:
    """Remove a staged object that will not be registered (never raises: the sweeper is the
    backstop for anything this misses)."""
    try:
        (storage or hub_storage()).delete(staging_key)
    except Exception:  # noqa: BLE001
        log.warning("could not remove the staged upload %s; the sweeper will", staging_key, exc_info=True)
