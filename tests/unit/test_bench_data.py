"""`make bench-data` at a tiny size (300 people) on the local PostgreSQL: the generator is run twice
with the same seed into throwaway databases, which are dropped at the end."""
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa

from bench.data.pg import drop_databases
from tests.support.waiting import random_suffix

pytestmark = pytest.mark.postgres

ROOT = Path(__file__).resolve().parents[2]
PEOPLE = 300
SERVICES = ("accounts", "rosters", "documents", "training", "notifications")


def run_generator(server: str, prefix: str, folder: Path, *extra: str) -> dict:
    result = subprocess.run(
        [sys.executable, "-m", "bench.data", "--people", str(PEOPLE), "--seed", "7", "--prefix", prefix,
         "--today", "2026-06-15", "--catalog-dir", str(folder / "catalog"), "--manifest", str(folder / "run.json"),
         *extra],
        cwd=ROOT, env={**os.environ, "HUB_BENCH_PG": server, "HUB_DEV_DEFAULTS": "1"},
        capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "rows/s" in result.stdout and "total" in result.stdout   # progress and the summary table
    return json.loads((folder / "run.json").read_text())


def people_of(url: str) -> list[tuple]:
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    with engine.connect() as connection:
        rows = connection.execute(sa.text("SELECT id::text, il_number, last_name FROM people ORDER BY id")).all()
    engine.dispose()
    return [tuple(row) for row in rows]


@pytest.fixture(scope="module")
def generated(postgres_admin, tmp_path_factory):
    """(manifest of the second run, people after the first run, an engine per service)."""
    server = postgres_admin.url.render_as_string(hide_password=False)
    prefix = f"hub_test_bench_{random_suffix(6)}"
    folder = tmp_path_factory.mktemp("bench_data")
    engines = {}
    try:
        first = run_generator(server, prefix, folder)
        people_then = people_of(first["databases"]["accounts"])
        manifest = run_generator(server, prefix, folder)   # drops and makes the databases again
        engines = {s: sa.create_engine(url, poolclass=sa.pool.NullPool) for s, url in manifest["databases"].items()}
        yield manifest, people_then, engines
    finally:
        for engine in engines.values():
            engine.dispose()
        drop_databases(server, [f"{prefix}_{service}" for service in SERVICES])


def scalar(engines, service: str, sql: str):
    with engines[service].connect() as connection:
        return connection.execute(sa.text(sql)).scalar()


def test_each_service_holds_its_share_of_the_people_and_their_records(generated):
    manifest, _, engines = generated
    counts = manifest["counts"]
    for service, table in (("accounts", "people"), ("rosters", "people"), ("documents", "owners"),
                           ("training", "learners")):
        assert counts[service][table] == PEOPLE == scalar(engines, service, f"SELECT count(*) FROM {table}")
    per_person = {
        "classification records": counts["rosters"]["classification_records"],
        "work days": counts["rosters"]["work_days"],
        "completions": counts["training"]["completions"],
        "documents": counts["documents"]["documents"],
        "messages": counts["notifications"]["messages"],
    }
    per_person = {name: n / PEOPLE for name, n in per_person.items()}
    assert 1.5 <= per_person["classification records"] <= 1.9, per_person
    assert 55 <= per_person["work days"] <= 90, per_person
    assert 6 <= per_person["completions"] <= 10, per_person
    assert 2 <= per_person["documents"] <= 4.5, per_person
    assert 8 <= per_person["messages"] <= 12, per_person
    # rosters' copy of the training completions is the same rows
    assert counts["rosters"]["completions"] == counts["training"]["completions"]
    assert scalar(engines, "rosters", "SELECT count(*) FROM work_days WHERE person_id IS NULL") == \
        scalar(engines, "rosters", "SELECT count(*) FROM work_days WHERE held_ssn_index IS NOT NULL")
    for service in SERVICES:   # nothing left to relay: the events that made these rows are long gone
        assert scalar(engines, service, "SELECT count(*) FROM outbox") == 0


def test_records_and_documents_are_in_every_status(generated):
    from common.contracts.rosters import STATUS_LABELS

    _, _, engines = generated
    with engines["rosters"].connect() as connection:
        statuses = set(connection.execute(sa.text("SELECT DISTINCT status FROM classification_records")).scalars())
    assert statuses == set(STATUS_LABELS)
    with engines["documents"].connect() as connection:
        documents = set(connection.execute(sa.text("SELECT DISTINCT status FROM documents")).scalars())
        expired_but_approved = connection.execute(sa.text(
            "SELECT count(*) FROM documents WHERE status = 'approved' AND expires_on < '2026-06-15'")).scalar()
    assert documents == {"pending_review", "approved", "rejected", "expired"}
    assert expired_but_approved == 0


def test_the_generated_catalog_loads_with_the_real_loader_and_the_rosters_service_starts_on_it(generated):
    from rosters.catalog_loader import Catalog, load_catalog_files
    from rosters.rulebook import CatalogCache, sync_shipped_catalog

    manifest, _, engines = generated
    catalog = Catalog(load_catalog_files(Path(manifest["catalog"]["folder"])))
    assert len(catalog.codes()) >= 200 and len(catalog.locals()) >= 20
    # what the Rulebook does when the service starts: sync the shipped files, then read the catalog
    sessions = sa.orm.sessionmaker(engines["rosters"])
    sync_shipped_catalog(sessions)
    with sessions() as session:
        stored = CatalogCache().current(session)
        codes = set(session.execute(sa.text("SELECT DISTINCT classification_code FROM classification_records"))
                    .scalars())
    assert catalog.codes() <= stored.codes()
    assert Catalog(load_catalog_files()).codes() <= stored.codes()   # the reference catalog beside it
    assert codes <= stored.codes()
    assert codes & catalog.codes() and codes - catalog.codes()   # people in generated and reference locals


def test_a_rerun_with_the_same_seed_makes_the_same_people_in_every_service(generated):
    _, people_then, engines = generated
    people_now = people_of(str(engines["accounts"].url.render_as_string(hide_password=False)))
    assert people_now == people_then
    assert len({il for _, il, _ in people_now}) == PEOPLE
    with engines["rosters"].connect() as connection:
        rosters = connection.execute(sa.text(
            "SELECT person_id::text, il_number, last_name FROM people ORDER BY person_id")).all()
    assert [tuple(row) for row in rosters] == people_now


def test_rows_are_what_the_services_would_have_written(generated):
    from accounts.ssn import decrypt_ssn
    from rosters.work import dedupe_key

    from common.identity import normalise_ssn, ssn_index

    _, _, engines = generated
    with engines["accounts"].connect() as connection:
        for encrypted, index in connection.execute(sa.text("SELECT ssn_encrypted, ssn_index FROM people LIMIT 20")):
            ssn = decrypt_ssn(bytes(encrypted))
            assert normalise_ssn(ssn) == ssn and ssn_index(ssn) == index
    with engines["rosters"].connect() as connection:
        for day in connection.execute(sa.text(
                "SELECT person_id, work_date, employer, classification_code, dedupe_key FROM work_days "
                "WHERE person_id IS NOT NULL LIMIT 50")):
            assert day.dedupe_key == dedupe_key(str(day.person_id), day.work_date, day.employer,
                                                day.classification_code)
        indexes = set(connection.execute(sa.text("SELECT indexname FROM pg_indexes WHERE tablename = 'work_days'"))
                      .scalars())
    assert {"work_days_pkey", "ix_work_days_person_class_date", "work_days_dedupe_key_key"} <= indexes


def test_history_every_n_gives_work_days_documents_and_messages_to_one_person_in_n(postgres_admin, tmp_path):
    """The 600,000-people growth set's shape: everyone's accounts, records and completions, the
    bulk history of one person in N."""
    server = postgres_admin.url.render_as_string(hide_password=False)
    prefix = f"hub_test_bench_{random_suffix(6)}"
    try:
        manifest = run_generator(server, prefix, tmp_path, "--history-every", "3")
        engines = {s: sa.create_engine(url, poolclass=sa.pool.NullPool) for s, url in manifest["databases"].items()}
        try:
            assert manifest["history_every"] == 3 and manifest["counts"]["rosters"]["people"] == PEOPLE
            with_days = scalar(engines, "rosters", "SELECT count(DISTINCT person_id) FROM work_days")
            with_messages = scalar(engines, "notifications", "SELECT count(DISTINCT person_id) FROM messages")
            with_documents = scalar(engines, "documents", "SELECT count(DISTINCT person_id) FROM documents")
            with_completions = scalar(engines, "training", "SELECT count(DISTINCT person_id) FROM completions")
            for bulk in (with_days, with_messages, with_documents):
                assert 0 < bulk <= PEOPLE // 3
            assert with_completions > PEOPLE // 2  # completions are everyone's, as in the full set
            assert 1.5 <= manifest["counts"]["rosters"]["classification_records"] / PEOPLE <= 1.9
        finally:
            for engine in engines.values():
                engine.dispose()
    finally:
        drop_databases(server, [f"{prefix}_{service}" for service in SERVICES])
