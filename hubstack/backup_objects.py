"""The object store's files (the documents service's bucket, or HUB_DATA_DIR/objects): every
object copied a chunk at a time into `objects/<key>` of the backup, with its size, sha256 and
content type in the manifest, and put back the same way.

Objects are copied after the databases: an object is stored before the row that names it is
committed, so every object the backed-up documents database names is already there to be copied.
Objects added meanwhile are copied too (unreferenced, the orphan sweeper removes them later); an
object deleted between the listing and its copy is left out and counted.
"""
from __future__ import annotations

from common.errors import NotFound
from hubstack.backup_store import ChunkReader

PROGRESS_EVERY = 500


def back_up_objects(storage, location, say=print) -> list[dict]:
    """Copies every object of `storage` into `location`; returns the manifest entries."""
    entries, total, gone = [], 0, 0
    for listed in storage.list_objects():
        try:
            content_type = storage.stat(listed.key).content_type
            name = f"objects/{listed.key}"
            size, sha256 = location.write(name, ChunkReader(storage.open_stream(listed.key)))
        except NotFound:
            gone += 1  # deleted after it was listed
            continue
        entries.append({"file": name, "key": listed.key, "size": size, "sha256": sha256,
                        "content_type": content_type})
        total += size
        if len(entries) % PROGRESS_EVERY == 0:
            say(f"  objects: {len(entries)} copied so far ({total} bytes)")
    note = f"; {gone} deleted while the backup ran, left out" if gone else ""
    say(f"objects: {len(entries)} objects, {total} bytes{note}")
    return entries


def is_empty(storage) -> bool:
    return next(iter(storage.list_objects()), None) is None


def restore_objects(location, entries: list[dict], storage, say=print) -> int:
    """Puts every object of the backup back into `storage`, checking each one's sha256 again on
    the way; returns the bytes written."""
    total = 0
    for done, entry in enumerate(entries, start=1):
        stored = storage.put_stream(entry["key"], ChunkReader(location.chunks(entry["file"])), entry["size"],
                                    entry.get("content_type") or "application/octet-stream")
        if stored.sha256 != entry["sha256"]:
            raise RuntimeError(f"part {entry['file']} changed while it was restored (sha256 differs)")
        total += stored.size
        if done % PROGRESS_EVERY == 0:
            say(f"  objects: {done} of {len(entries)} restored")
    say(f"objects: {len(entries)} objects, {total} bytes restored")
    return total
