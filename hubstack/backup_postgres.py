"""A service's PostgreSQL database: `pg_dump --format=custom` out, `pg_restore` back.

pg_dump reads one snapshot (a REPEATABLE READ transaction), so each dump is consistent while the
Hub runs. The URL is the service's own `<SERVICE>_DB_URL`, made a libpq URL (no "+psycopg2");
its password goes to pg_dump/pg_restore as PGPASSWORD, never on a command line others can see.
pg_dump must be at least the server's major version (it says so itself when it is not).
"""
from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import make_url


class ToolFailed(RuntimeError):
    """pg_dump or pg_restore exited with an error (its own message included)."""


def libpq(url: str) -> tuple[str, dict]:
    """(libpq URL without the password, environment carrying PGPASSWORD) for a SQLAlchemy URL."""
    parsed = make_url(url)
    env = {**os.environ}
    if parsed.password:
        env["PGPASSWORD"] = str(parsed.password)
    bare = parsed.set(drivername="postgresql", password=None)
    return bare.render_as_string(hide_password=False), env


def tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise ToolFailed(f"{name} is not installed (Debian: apt-get install postgresql-client, "
                         "the server's major version or newer)")
    return found


def _own_lines(text: str, program: str) -> str:
    """The tool's own lines only: PostgreSQL's DETAIL and CONTEXT lines can quote row values,
    which may be personal data."""
    lines = [line.strip() for line in text.splitlines() if line.startswith(f"{program}:")]
    return " / ".join(lines) or "(no message)"


def _engine(url: str) -> sa.Engine:
    return sa.create_engine(url, poolclass=sa.pool.NullPool)


def heads(url: str) -> list[str]:
    engine = _engine(url)
    try:
        with engine.connect() as connection:
            if not sa.inspect(connection).has_table("alembic_version"):
                return []
            return sorted(connection.execute(sa.text("SELECT version_num FROM alembic_version")).scalars())
    finally:
        engine.dispose()


def is_empty(url: str) -> bool:
    """True when the database holds no table, view or sequence outside the system schemas."""
    engine = _engine(url)
    try:
        with engine.connect() as connection:
            count = connection.execute(sa.text(
                "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                "WHERE c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f') "
                "AND n.nspname NOT IN ('pg_catalog', 'information_schema') "
                "AND n.nspname NOT LIKE 'pg_toast%' AND n.nspname NOT LIKE 'pg_temp%'")).scalar_one()
        return count == 0
    finally:
        engine.dispose()


def dump(url: str, location, name: str) -> tuple[int, str]:
    """Streams `pg_dump --format=custom` of the database into the part `name` of the backup;
    returns (size, sha256)."""
    dsn, env = libpq(url)
    with tempfile.TemporaryFile() as errors:
        process = subprocess.Popen([tool("pg_dump"), "--format=custom", "--no-password", "--dbname", dsn],
                                   stdout=subprocess.PIPE, stderr=errors, env=env)
        try:
            size, sha256 = location.write(name, process.stdout)
        finally:
            process.stdout.close()
            code = process.wait()
        if code != 0:
            errors.seek(0)
            message = _own_lines(errors.read().decode(errors="replace"), "pg_dump")
            raise ToolFailed(f"pg_dump exited with code {code}: {message}")
    return size, sha256


def restore(url: str, dump_file: Path) -> None:
    """`pg_restore --clean --if-exists --no-owner` of `dump_file` into the database, in one
    transaction: it either all arrives or nothing changes."""
    dsn, env = libpq(url)
    result = subprocess.run([tool("pg_restore"), "--clean", "--if-exists", "--no-owner", "--no-privileges",
                             "--single-transaction", "--exit-on-error", "--no-password", "--dbname", dsn,
                             str(dump_file)], capture_output=True, text=True, env=env)
    if result.returncode != 0:
        raise ToolFailed(f"pg_restore exited with code {result.returncode}: "
                         f"{_own_lines(result.stderr, 'pg_restore')}")
