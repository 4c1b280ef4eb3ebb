"""The manifest of a backup (`manifest.json`), written last, so a backup without one is unfinished.

It names every part with its size and sha256: one per database (`databases/<service>.sqlite3` or
`.pgdump`, with the database's alembic heads) and one per stored object (`objects/<key>`, with its
content type). `verify()` reads every part back and compares before a restore touches anything;
`unknown_migrations()` says whether this code is older than the backup.
"""
from __future__ import annotations

import hashlib
import importlib.metadata
import io
import json
import subprocess
from datetime import UTC, datetime
from pathlib import Path

from hubstack.backup_store import MANIFEST, MissingPart

FORMAT = 1
ROOT = Path(__file__).resolve().parent.parent


class BackupRefused(Exception):
    """The backup cannot be restored (or made): the message says why, naming the part."""


def hub_version() -> str:
    """The package version, with `git describe` when this is a git checkout."""
    try:
        version = importlib.metadata.version("industry-hub")
    except importlib.metadata.PackageNotFoundError:
        version = "unknown"
    try:
        described = subprocess.run(["git", "describe", "--always", "--dirty", "--tags"], cwd=ROOT,
                                   capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return version
    if described.returncode == 0 and described.stdout.strip():
        return f"{version} ({described.stdout.strip()})"
    return version


def new_manifest() -> dict:
    return {"format": FORMAT, "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "hub_version": hub_version(), "databases": [], "objects": []}


def parts(manifest: dict) -> list[dict]:
    """Every part of the backup: the databases, then the objects."""
    return [*manifest["databases"], *manifest["objects"]]


def write_manifest(location, manifest: dict) -> None:
    body = json.dumps(manifest, indent=1, sort_keys=True).encode()
    location.write(MANIFEST, io.BytesIO(body))


def load_manifest(location) -> dict:
    try:
        body = b"".join(location.chunks(MANIFEST))
    except MissingPart:
        raise BackupRefused(f"{location} holds no {MANIFEST}: the backup did not finish, or this is "
                            "not a Hub backup") from None
    try:
        manifest = json.loads(body)
        assert isinstance(manifest, dict) and isinstance(manifest["format"], int)
        for part in parts(manifest):
            assert {"file", "size", "sha256"} <= set(part), part
    except (ValueError, KeyError, TypeError, AssertionError):
        raise BackupRefused(f"{MANIFEST} in {location} is not a Hub backup manifest") from None
    if manifest["format"] > FORMAT:
        raise BackupRefused(f"the backup's format {manifest['format']} is newer than this code reads "
                            f"({FORMAT}); restore with Hub {manifest.get('hub_version')} or newer")
    return manifest


def verify(location, manifest: dict, say=print) -> None:
    """Reads every part back: each must be there with the size and sha256 the manifest says.
    Raises BackupRefused naming the first part that is missing or differs."""
    every = parts(manifest)
    say(f"Checking {len(every)} parts against the manifest ...")
    for part in every:
        digest, size = hashlib.sha256(), 0
        try:
            for chunk in location.chunks(part["file"]):
                digest.update(chunk)
                size += len(chunk)
        except MissingPart:
            raise BackupRefused(f"the backup is incomplete: part {part['file']} is missing") from None
        if size != part["size"] or digest.hexdigest() != part["sha256"]:
            raise BackupRefused(f"the backup is corrupt: part {part['file']} is {size} bytes with sha256 "
                                f"{digest.hexdigest()[:16]}…, the manifest says {part['size']} bytes with "
                                f"sha256 {part['sha256'][:16]}…")
    say(f"Every part is present and matches its checksum ({sum(p['size'] for p in every)} bytes)")


def _scripts(service: str):
    from alembic.script import ScriptDirectory

    from common.migrations import alembic_config

    return ScriptDirectory.from_config(alembic_config(service, "sqlite://"))


def code_heads(service: str) -> list[str]:
    """The newest migrations this code has for `service`."""
    return sorted(_scripts(service).get_heads())


def unknown_migrations(service: str, heads: list[str]) -> list[str]:
    """The backup's alembic heads for `service` that this code's migrations do not contain: when
    there are any, the code is older than the backup."""
    from alembic.script.revision import RevisionError
    from alembic.util import CommandError

    script = _scripts(service)
    unknown = []
    for head in heads:
        try:
            if script.get_revision(head) is None:
                unknown.append(head)
        except (CommandError, RevisionError):
            unknown.append(head)
    return unknown
