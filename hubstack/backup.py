"""Back up the Hub while it runs: `python -m hubstack.backup --to DIR|s3://bucket/prefix`.

    python -m hubstack.backup --to /backups/hub-2025-01-31
    python -m hubstack.backup --to s3://hub-backups/2025-01-31 --services accounts rosters

Each service's database (a consistent SQLite online backup, or `pg_dump --format=custom`), then
the object store's files when the documents service is included (they are its files), then
`manifest.json` naming every part with its size and sha256: a backup without a manifest did not
finish. The destination must be empty. Only part names, sizes and counts are printed, never what
the parts hold. Restore with `python -m hubstack.restore` (hubstack/restore.py).
"""
from __future__ import annotations

import argparse
import sys
import time

from common import config as hub_config
from common.config import SERVICES
from hubstack import backup_databases
from hubstack.backup_manifest import BackupRefused, new_manifest, write_manifest
from hubstack.backup_objects import back_up_objects
from hubstack.backup_store import S3Location, backup_s3_settings, open_location


def parse(argv):
    parser = argparse.ArgumentParser(prog="python -m hubstack.backup",
                                     description="Back up every service's database and the object store.")
    parser.add_argument("--to", required=True, metavar="DIR|s3://BUCKET/PREFIX",
                        help="an empty (or new) folder, or an S3 prefix (HUB_BACKUP_S3_* or HUB_S3_* connection)")
    parser.add_argument("--services", nargs="+", choices=SERVICES, default=list(SERVICES), metavar="SERVICE",
                        help="only these services' databases (default: all five); documents brings the objects")
    return parser.parse_args(argv)


def refuse_own_store(location) -> None:
    """A backup inside the object store it copies would copy itself."""
    own = hub_config.s3_settings()
    if isinstance(location, S3Location):
        bucket = location.storage.bucket
        same_server = own and own["endpoint"].rstrip("/") == backup_s3_settings(bucket)["endpoint"].rstrip("/")
        if same_server and own["bucket"] == bucket:
            raise BackupRefused(f"{location} is in the Hub's own bucket: back up into another bucket")
    elif not own and location.root.is_relative_to(hub_config.data_dir() / "objects"):
        raise BackupRefused(f"{location} is inside the Hub's object folder: back up somewhere else")


def back_up(destination: str, services) -> dict:
    location = open_location(destination, create=True)
    if "documents" in services:
        refuse_own_store(location)
    if location.names():
        raise BackupRefused(f"{location} is not empty: back up into a new folder or prefix")
    manifest = new_manifest()
    manifest["services"] = [s for s in SERVICES if s in services]
    print(f"Backing up the Hub {manifest['hub_version']} to {location}", flush=True)
    for service in manifest["services"]:
        try:
            entry = backup_databases.back_up(service, hub_config.db_url(service), location)
        except Exception as exc:
            raise RuntimeError(f"{service}: {exc}") from exc
        manifest["databases"].append(entry)
        print(f"{service}: {entry['engine']} database, {entry['size']} bytes -> {entry['file']} "
              f"(migrations {', '.join(entry['migration_heads']) or 'none'})", flush=True)
    manifest["objects_included"] = "documents" in manifest["services"]
    if manifest["objects_included"]:
        from common.storage import storage_from_config

        manifest["objects_store"] = "s3" if hub_config.s3_settings() else "local folder"
        manifest["objects"] = back_up_objects(storage_from_config(), location,
                                              say=lambda line: print(line, flush=True))
    write_manifest(location, manifest)
    return manifest


def main(argv=None) -> int:
    args = parse(argv)
    started = time.monotonic()
    try:
        manifest = back_up(args.to, args.services)
    except Exception as exc:  # one plain line: which step failed and why
        print(f"Backup failed: {exc}", file=sys.stderr)
        return 1
    total = sum(part["size"] for part in (*manifest["databases"], *manifest["objects"]))
    print(f"Backup complete in {time.monotonic() - started:.1f}s: {len(manifest['databases'])} databases, "
          f"{len(manifest['objects'])} objects, {total} bytes, manifest.json written")
    return 0


if __name__ == "__main__":
    sys.exit(main())
