"""Scratch copies of the generated hub_bench_* databases (`make bench-data`) for the benchmarks
that write (issue 12): a copy is made from the database as a template (bench.stack_at_scale's
copy_database, which waits while the template is in use) and dropped afterwards, so the
generated set itself is never changed."""
from __future__ import annotations

import contextlib
import os
import random
import string
from collections.abc import Iterator

import psycopg2
import sqlalchemy as sa

from bench.stack_at_scale import copy_database, drop_database, load_manifest


def default_context(quick: bool = False) -> dict:
    os.environ.setdefault("HUB_DEV_DEFAULTS", "1")  # the SSN key the bench data was indexed with
    return {"manifest": load_manifest(), "quick": quick}


def connect(url: str, autocommit: bool = False):
    args = sa.engine.make_url(url).translate_connect_args(username="user", database="dbname")
    connection = psycopg2.connect(**args)
    connection.autocommit = autocommit
    return connection


def with_database(url: str, name: str) -> str:
    return sa.engine.make_url(url).set(database=name).render_as_string(hide_password=False)


@contextlib.contextmanager
def scratch_copy(template_url: str, label: str) -> Iterator[str]:
    """A new database copied from `template_url`'s (2 GB in about 10 s); yields its URL and
    drops it at the end, whatever happened."""
    template = sa.engine.make_url(template_url).database
    name = f"hub_scratch_{label}_{''.join(random.choices(string.ascii_lowercase, k=6))}"
    admin = connect(with_database(template_url, "postgres"), autocommit=True)
    try:
        copy_database(admin, template, name)
        try:
            yield with_database(template_url, name)
        finally:
            drop_database(admin, name)
    finally:
        admin.close()


def median(values: list[float]) -> float:
    ordered = sorted(values)
    middle = len(ordered) // 2
    return ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2
