"""The legacy import's rate for people (issue 11: at least 50,000 rows a minute on this
machine): generates a 20,000-row people file, imports it with accounts.imports on a fresh
SQLite database file and local-folder storage, and prints rows per minute. Not a test.

    .venv/bin/python bench/import_rate.py [rows] [--postgres URL]
"""
from __future__ import annotations

import argparse
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "services" / "accounts")]

from accounts import imports  # noqa: E402
from accounts.models import Base  # noqa: E402

from common.contracts.imports import StartImportIn  # noqa: E402
from common.db import create_engine_for, make_session_factory  # noqa: E402
from common.publisher import outbox_row  # noqa: E402
from common.storage import LocalFolderStorage  # noqa: E402


def people_file(path: Path, rows: int) -> None:
    with open(path, "w", encoding="utf-8", newline="") as out:
        out.write("il_number,ssn,first_name,last_name,date_of_birth,email,phone,address\n")
        for i in range(rows):
            ssn = f"{100 + i // 9999 % 500:03d}-{(i // 99) % 99 + 1:02d}-{i % 9999 + 1:04d}"
            out.write(f"{3000000000 + i},{ssn},First{i},Last{i},1970-01-{i % 28 + 1:02d},"
                      f"person{i}@example.com,818-555-{i % 10000:04d},\"{i} Main St, Burbank\"\n")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("rows", nargs="?", type=int, default=20_000)
    parser.add_argument("--postgres", help="a PostgreSQL URL to use instead of a SQLite file")
    parser.add_argument("--invitations", action="store_true", help="also queue the invitations")
    run(**vars(parser.parse_args()))


def run(rows: int = 20_000, postgres: str | None = None, invitations: bool = False) -> None:
    """`make bench`: a people import of `rows` rows, as the accounts service runs it."""
    args = argparse.Namespace(rows=rows, postgres=postgres, invitations=invitations)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        engine = create_engine_for(args.postgres or f"sqlite:///{folder / 'accounts.db'}")
        Base.metadata.create_all(engine)
        sessions = make_session_factory(engine, Base)
        storage = LocalFolderStorage(folder / "objects")
        job_id = uuid.uuid4()
        key = f"imports/{job_id}.csv"
        people_file(folder / "people.csv", args.rows)
        with open(folder / "people.csv", "rb") as handle:
            storage.put_stream(key, handle, None, "text/csv")
        with sessions() as session:
            imports.start(session, StartImportIn(id=job_id, kind="people", key=key,
                                                 send_invitations=args.invitations), None)
            session.commit()
            # events go into the outbox table in the batch's transaction, as in the service
            ctx = imports.Context(publish=lambda event: session.add(outbox_row(Base, event)),
                                  public_url="https://hub.example")
            started = time.perf_counter()
            while imports.run_pending(session, storage, ctx) is not None:
                pass
            seconds = time.perf_counter() - started
            report = imports.report(session, job_id)
        print(f"{report.status}: {report.done} rows ({report.created} created, {report.rejected_count} rejected) "
              f"in {seconds:.1f} s = {report.done / seconds * 60:,.0f} rows/minute")


if __name__ == "__main__":
    main()
