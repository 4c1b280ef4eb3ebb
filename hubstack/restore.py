"""Restore a backup into an empty deployment: `python -m hubstack.restore --from DIR|s3://... [--force]`.

In this order, and nothing is touched before the last check passes:
1. the manifest is read (none: the backup did not finish) and every part is read back and
   compared with its size and sha256: a missing or corrupt part is refused, by name;
2. each database's migration heads must be known to this code (else the code is older than the
   backup, and it is refused); heads behind this code are fine, the services migrate them forward
   when they start (or `python -m hubstack.migrate upgrade` does);
3. each target (the service's `<SERVICE>_DB_URL` or SQLite file, and the object store) must use
   the backup's engine and be empty; `--force` replaces what is there instead (stop the Hub
   first: a SQLite file is swapped underneath, PostgreSQL gets `pg_restore --clean`).
Then the databases are restored (PostgreSQL: one transaction each) and the objects copied back.
The Hub is stopped while this runs; start it afterwards.
"""
from __future__ import annotations

import argparse
import sys
import time

from sqlalchemy.engine import make_url

from common import config as hub_config
from hubstack import backup_databases
from hubstack.backup_manifest import BackupRefused, code_heads, load_manifest, unknown_migrations, verify
from hubstack.backup_objects import is_empty as objects_empty
from hubstack.backup_objects import restore_objects
from hubstack.backup_store import open_location


def parse(argv):
    parser = argparse.ArgumentParser(prog="python -m hubstack.restore",
                                     description="Restore a Hub backup into an empty deployment (the Hub stopped).")
    parser.add_argument("--from", dest="source", required=True, metavar="DIR|s3://BUCKET/PREFIX")
    parser.add_argument("--force", action="store_true",
                        help="replace databases and objects that are already there instead of refusing")
    return parser.parse_args(argv)


def say(line: str) -> None:
    print(line, flush=True)


def shown(url: str) -> str:
    return make_url(url).render_as_string(hide_password=True)


def check_migrations(manifest: dict) -> None:
    for entry in manifest["databases"]:
        service, heads = entry["service"], entry.get("migration_heads", [])
        unknown = unknown_migrations(service, heads)
        if unknown:
            raise BackupRefused(
                f"{service}: the backup is at migration {', '.join(unknown)}, which this code does not have; "
                f"the code is older than the backup (made by Hub {manifest.get('hub_version')}): restore with "
                "that version or newer")
        newest = code_heads(service)
        if heads and sorted(heads) != newest:
            say(f"{service}: the backup is at migration {', '.join(heads)}, this code at {', '.join(newest)}: "
                "the service migrates it when it starts (or `python -m hubstack.migrate upgrade`)")


def targets(manifest: dict) -> list[tuple[dict, str]]:
    """Each backed-up database with where it goes; a different engine is refused."""
    planned = []
    for entry in manifest["databases"]:
        url = hub_config.db_url(entry["service"])
        engine = backup_databases.engine_of(url)
        if engine != entry["engine"]:
            raise BackupRefused(f"{entry['service']}: the backup holds a {entry['engine']} database but "
                                f"{entry['service'].upper()}_DB_URL is {engine}; restore into the same engine")
        planned.append((entry, url))
    return planned


def occupied(planned, storage) -> list[str]:
    """What already holds data: the databases and the object store that a restore would replace."""
    full = [f"the {entry['service']} database ({shown(url)})" for entry, url in planned
            if not backup_databases.is_empty(url)]
    if storage is not None and not objects_empty(storage):
        full.append("the object store")
    return full


def restore(source: str, force: bool) -> dict:
    location = open_location(source)
    manifest = load_manifest(location)
    say(f"Backup of {manifest['created_at']} by Hub {manifest.get('hub_version')}: "
        f"{len(manifest['databases'])} databases ({', '.join(e['service'] for e in manifest['databases'])}), "
        f"{len(manifest['objects'])} objects")
    verify(location, manifest, say=say)
    check_migrations(manifest)
    planned = targets(manifest)
    storage = None
    if manifest.get("objects_included", bool(manifest["objects"])):
        from common.storage import storage_from_config

        storage = storage_from_config()
    full = occupied(planned, storage)
    if full and not force:
        raise BackupRefused(f"already holding data: {'; '.join(full)}. Restore into an empty deployment, or "
                            "stop the Hub and pass --force to replace what is there")
    if full:
        say(f"--force: replacing {'; '.join(full)}")
    done = []
    for entry, url in planned:
        try:
            backup_databases.restore(location, entry, url)
        except Exception as exc:
            raise RuntimeError(f"{entry['service']}: {exc} (already restored: {', '.join(done) or 'nothing'}; "
                               "fix the cause and restore again with --force)") from exc
        done.append(entry["service"])
        say(f"{entry['service']}: {entry['engine']} database restored ({entry['size']} bytes)")
    if storage is not None:
        restore_objects(location, manifest["objects"], storage, say=say)
    return manifest


def main(argv=None) -> int:
    args = parse(argv)
    started = time.monotonic()
    try:
        manifest = restore(args.source, args.force)
    except BackupRefused as exc:
        print(f"Restore refused: {exc}", file=sys.stderr)
        return 1
    except Exception as exc:  # one plain line: which step failed and why
        print(f"Restore failed: {exc}", file=sys.stderr)
        return 1
    say(f"Restore complete in {time.monotonic() - started:.1f}s: {len(manifest['databases'])} databases, "
        f"{len(manifest['objects'])} objects. Start the Hub.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
