"""PostgreSQL side of the generator: the databases (dropped and made again, migrated the way the
services migrate), indexes and constraints set aside during the load and rebuilt after it
(checked to be exactly the migrated ones), and one COPY loader thread per database.

COPY runs in the transaction that truncated the tables, with FREEZE: the rows arrive frozen and
all-visible, as a long-running database's would be after vacuum, without vacuuming 6M rows."""
from __future__ import annotations

import io
import queue
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import psycopg2
import sqlalchemy as sa

from common.migrations import upgrade_to_head

DEFAULT_SERVER = "postgresql+psycopg2://postgres@127.0.0.1:5432/postgres"


def database_url(server_url: str, name: str) -> str:
    return sa.engine.make_url(server_url).set(database=name).render_as_string(hide_password=False)


def connect(url: str):
    args = sa.engine.make_url(url).translate_connect_args(username="user", database="dbname")
    return psycopg2.connect(**args)


def recreate_databases(server_url: str, names: list[str]) -> None:
    engine = sa.create_engine(server_url, isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)
    with engine.connect() as connection:
        for name in names:
            connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    engine.dispose()


def drop_databases(server_url: str, names: list[str]) -> None:
    engine = sa.create_engine(server_url, isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)
    with engine.connect() as connection:
        for name in names:
            connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    engine.dispose()


def migrate(service: str, url: str) -> None:
    upgrade_to_head(service, url)


# --- indexes and constraints around the load -------------------------------------------------------

SCHEMA_SQL = """
SELECT 'constraint', conrelid::regclass::text, conname, pg_get_constraintdef(oid)
  FROM pg_constraint WHERE connamespace = 'public'::regnamespace
UNION ALL
SELECT 'index', tablename, indexname, indexdef FROM pg_indexes WHERE schemaname = 'public'
"""


def schema_objects(cursor) -> set[tuple[str, str, str, str]]:
    cursor.execute(SCHEMA_SQL)
    return set(cursor.fetchall())


def table_columns(cursor) -> dict[str, set[str]]:
    cursor.execute("SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = 'public'")
    out: dict[str, set[str]] = {}
    for table, column in cursor.fetchall():
        out.setdefault(table, set()).add(column)
    return out


class SetAside:
    """The indexes, keys and foreign keys of `tables` (and foreign keys pointing at them),
    dropped before a bulk load and made again after it."""

    def __init__(self, cursor, tables: list[str]):
        cursor.execute("""
            SELECT c.conrelid::regclass::text, c.conname, c.contype, pg_get_constraintdef(c.oid),
                   CASE WHEN c.contype IN ('p', 'u') THEN pg_get_indexdef(c.conindid) END
              FROM pg_constraint c
             WHERE c.connamespace = 'public'::regnamespace AND c.contype IN ('p', 'u', 'f')
               AND (c.conrelid::regclass::text = ANY(%(t)s) OR c.confrelid::regclass::text = ANY(%(t)s))
        """, {"t": tables})
        constraints = cursor.fetchall()
        self.foreign = [(t, name, definition) for t, name, kind, definition, _ in constraints if kind == "f"]
        self.keys = [(t, name, definition, index) for t, name, kind, definition, index in constraints
                     if kind in ("p", "u") and t in tables]
        cursor.execute("""
            SELECT i.tablename, i.indexname, i.indexdef FROM pg_indexes i
             WHERE i.schemaname = 'public' AND i.tablename = ANY(%(t)s)
               AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = to_regclass(i.indexname))
        """, {"t": tables})
        self.indexes = cursor.fetchall()

    def drop(self, cursor) -> None:
        for table, name, _ in self.foreign:
            cursor.execute(f'ALTER TABLE "{table}" DROP CONSTRAINT "{name}"')
        for table, name, _, _ in self.keys:
            cursor.execute(f'ALTER TABLE "{table}" DROP CONSTRAINT "{name}"')
        for _, name, _ in self.indexes:
            cursor.execute(f'DROP INDEX "{name}"')

    def build_statements(self) -> list[str]:
        """Every index (a key's too, built as a plain unique index first), largest tables first."""
        return [index for _, _, _, index in self.keys] + [definition for _, _, definition in self.indexes]

    def attach_statements(self) -> list[str]:
        """Keys adopt the indexes just built; foreign keys last (each validated by one scan)."""
        out = []
        for table, name, definition, _ in self.keys:
            kind = "PRIMARY KEY" if definition.startswith("PRIMARY KEY") else "UNIQUE"
            out.append(f'ALTER TABLE "{table}" ADD CONSTRAINT "{name}" {kind} USING INDEX "{name}"')
        out += [f'ALTER TABLE "{table}" ADD CONSTRAINT "{name}" {definition}'
                for table, name, definition in self.foreign]
        return out


def run_statements(url: str, statements: list[str], settings: dict[str, str]) -> list[tuple[str, float]]:
    timings = []
    connection = connect(url)
    connection.autocommit = True
    try:
        with connection.cursor() as cursor:
            for name, value in settings.items():
                cursor.execute(f"SET {name} = %s", (value,))
            for statement in statements:
                started = time.perf_counter()
                cursor.execute(statement)
                timings.append((statement, time.perf_counter() - started))
    finally:
        connection.close()
    return timings


def rebuild(jobs: list[tuple[str, list[str]]], workers: int, settings: dict[str, str]) -> list[tuple[str, float]]:
    """Run (url, statements) jobs, each job's statements in order, `workers` jobs at a time."""
    with ThreadPoolExecutor(max_workers=workers) as pool:
        results = list(pool.map(lambda job: run_statements(job[0], job[1], settings), jobs))
    return [timing for result in results for timing in result]


# --- COPY ----------------------------------------------------------------------------------------

class Loader(threading.Thread):
    """COPYs the chunks queued for one database, in one transaction that first truncates the
    tables (so COPY ... FREEZE may be used). `rows` and `seconds` count per table."""

    def __init__(self, service: str, url: str, tables: list[str], depth: int = 3):
        super().__init__(name=f"copy-{service}", daemon=True)
        self.service, self.url, self.tables = service, url, tables
        self.queue: queue.Queue = queue.Queue(maxsize=depth)
        self.rows: Counter = Counter()
        self.seconds: Counter = Counter()
        self.error: BaseException | None = None

    def run(self) -> None:
        connection = None
        try:
            connection = connect(self.url)
            with connection.cursor() as cursor:
                cursor.execute("SET synchronous_commit = off")
                cursor.execute("TRUNCATE " + ", ".join(f'"{t}"' for t in self.tables))
                while True:
                    item = self.queue.get()
                    if item is None:
                        break
                    table, columns, lines = item
                    started = time.perf_counter()
                    cursor.copy_expert(f'COPY "{table}" ({", ".join(columns)}) FROM STDIN WITH (FORMAT csv, FREEZE)',
                                       io.StringIO("".join(lines)), size=1 << 20)
                    self.seconds[table] += time.perf_counter() - started
                    self.rows[table] += len(lines)
            connection.commit()
        except BaseException as exc:  # the producer sees it at its next put, and stops
            self.error = exc
        finally:
            if connection is not None:
                connection.close()

    def put(self, item) -> None:
        while True:
            if self.error is not None:
                raise RuntimeError(f"loading {self.service} failed: {self.error}") from self.error
            try:
                self.queue.put(item, timeout=0.5)
                return
            except queue.Full:
                continue
