"""Payroll ingestion on PostgreSQL, where a batch's days go in as one JSON parameter and one
INSERT … SELECT … ON CONFLICT DO NOTHING (issue 12): every payroll test of
tests/unit/test_payroll_ingest.py again on a migrated PostgreSQL database, so the bulk path
dedupes, holds, confirms and rejects exactly as the SQLite one; then what only the bulk path
has to get right: any text survives the JSON, a batch committed meanwhile, a second insert in
one transaction, the model's defaults for columns a caller leaves out."""
from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from rosters.models import WorkDay

from common.identity import normalise_ssn, ssn_index
from tests.support.databases import rosters_on_postgresql
from tests.support.factories import make_ssn
from tests.support.waiting import random_suffix
from tests.unit.test_payroll_ingest import (  # noqa: F401 - collected here again, on PostgreSQL
    TODAY,
    days_of,
    ingest,
    make_record,
    register,
    test_a_bad_record_is_rejected_with_its_index_and_reason_while_the_others_are_stored,
    test_a_day_sent_again_in_a_later_batch_is_a_duplicate_not_a_second_day,
    test_a_different_classification_or_employer_on_the_same_date_is_another_day,
    test_a_known_ssn_with_another_last_name_is_rejected,
    test_a_record_missing_a_field_says_which_field_is_missing,
    test_days_for_an_unknown_ssn_are_held_without_the_ssn_and_attach_when_the_person_registers,
    test_each_affected_person_is_evaluated_once_however_many_records_name_them,
    test_held_days_under_another_last_name_stay_held_when_the_person_registers,
    test_more_than_ten_thousand_records_are_refused_as_a_whole,
    test_payroll_verifies_a_day_the_person_submitted_instead_of_adding_it_again,
    test_ten_thousand_records_are_accepted,
    test_the_first_verified_day_makes_the_applicant_training_eligible,
    test_the_same_day_twice_in_one_batch_is_stored_once_whatever_the_employers_case,
)

pytestmark = pytest.mark.postgres

KEPT = {"alembic_version", "catalog_versions"}  # the catalog is synced once per module


@pytest.fixture(scope="module")
def rosters_sessions(postgres_admin):
    # its own database for the module (postgres_url is per test); cooperative psycopg2, as in the
    # service: the bulk path must work there (COPY, for one, is refused in that mode)
    name = f"hub_test_{random_suffix(10)}"
    with postgres_admin.connect() as connection:
        connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    url = postgres_admin.url.set(database=name).render_as_string(hide_password=False)
    engine, sessions = rosters_on_postgresql(url)
    yield sessions
    engine.dispose()
    with postgres_admin.connect() as connection:
        connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture
def rosters(rosters_sessions):
    """(service, session, published) as tests/unit/conftest.py's, on PostgreSQL, emptied first."""
    from nameko.testing.services import worker_factory
    from rosters.rulebook import CatalogCache
    from rosters.service import RostersService

    tables = [t.name for t in rosters_sessions.kw["info"]["base"].metadata.sorted_tables if t.name not in KEPT]
    with rosters_sessions() as session:
        session.execute(sa.text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
        session.commit()
    with rosters_sessions() as session:
        published = []
        service = worker_factory(RostersService, db=session, publish=published.append, config={},
                                 rulebook=CatalogCache())
        yield service, session, published


def test_text_with_backslashes_quotes_and_accents_is_stored_exactly_as_sent(rosters):
    service, session, _ = rosters
    ssn = make_ssn()
    person_id = register(service, ssn, last_name="Ñúñez-O'Brien")
    employer = r'Studio \N \\ "Quoted" {"json": [1]} Ünïcode 東宝 Pictures 😀'
    report = ingest(service, [make_record(ssn=ssn, last_name="Ñúñez-O'Brien", employer=employer,
                                          production=r"C:\path\to\Set \t 1"),
                              make_record(ssn=make_ssn(), last_name=r"Held\Name", employer=employer)])
    assert (report["accepted"], report["held"], report["rejected"]) == (1, 1, [])
    stored = {d.person_id: d for d in days_of(session)}
    assert stored[person_id].employer == employer
    assert stored[person_id].production == r"C:\path\to\Set \t 1"
    assert stored[None].held_last_name == r"Held\Name"


def test_days_stored_by_a_batch_committed_meanwhile_are_duplicates_not_errors(rosters, rosters_sessions):
    """Two payroll clients reporting the same days: the second batch's transaction began before
    the first committed; its insert skips the days the first stored, and counts them."""
    service, session, _ = rosters
    ssn = make_ssn()
    person_id = register(service, ssn)
    days = [make_record(ssn=ssn, work_date=(TODAY - timedelta(days=i)).isoformat()) for i in range(6)]
    session.execute(sa.select(1))  # the second batch's transaction is open from here
    with rosters_sessions() as other:
        from nameko.testing.services import worker_factory
        from rosters.rulebook import CatalogCache
        from rosters.service import RostersService

        first = worker_factory(RostersService, db=other, publish=lambda event: None, config={},
                               rulebook=CatalogCache())
        assert ingest(first, days[:4])["accepted"] == 4
    report = ingest(service, days)
    assert (report["accepted"], report["duplicates"]) == (2, 4)
    assert len(days_of(session, person_id)) == 6


def test_a_second_insert_in_one_transaction_stores_only_the_days_not_yet_stored(rosters):
    from rosters.payroll import insert_new_days

    service, session, _ = rosters
    ssn = make_ssn()
    person_id = register(service, ssn)
    ingest(service, [make_record(ssn=ssn, employer="First")])
    ingest(service, [make_record(ssn=ssn, employer="Second")])
    assert sorted(d.employer for d in days_of(session, person_id)) == ["First", "Second"]

    def row(employer: str) -> dict:
        key = f"{person_id}|{TODAY}|{employer.casefold()}|80-GRIP"
        return {"id": uuid.uuid4(), "person_id": person_id, "classification_code": "80-GRIP", "work_date": TODAY,
                "employer": employer, "source": "staff", "dedupe_key": key, "created_at": datetime.now(UTC)}

    # the columns a caller leaves out get the model's defaults (union_contract, verified), as an insert would
    assert insert_new_days(session, [row("Third")]) == {f"{person_id}|{TODAY}|third|80-GRIP"}
    assert insert_new_days(session, [row("Fourth"), row("Third")]) == {f"{person_id}|{TODAY}|fourth|80-GRIP"}
    session.commit()
    fourth = session.scalar(sa.select(WorkDay).where(WorkDay.employer == "Fourth"))
    assert (fourth.union_contract, fourth.verified) == (True, False)


def test_held_days_on_postgresql_keep_only_the_blind_index(rosters):
    service, session, _ = rosters
    ssn = make_ssn()
    ingest(service, [make_record(ssn=ssn, last_name="Later")])
    row = session.execute(sa.text("SELECT held_ssn_index, person_id FROM work_days")).one()
    assert row == (ssn_index(normalise_ssn(ssn)), None)


def test_a_batch_meeting_days_another_batch_is_still_storing_waits_and_counts_them_as_duplicates(
        rosters, rosters_sessions, caplog):
    """The plain insert finds the other batch's uncommitted days, waits for its commit, and then
    takes the ON CONFLICT way: no error for the payroll client, each day stored once."""
    import eventlet
    from rosters import payroll
    from rosters.rulebook import current_catalog

    from common.audit import Actor

    caplog.set_level("INFO", logger="rosters.payroll")
    service, session, _ = rosters
    ssn = make_ssn()
    person_id = register(service, ssn)
    days = [make_record(ssn=ssn, work_date=(TODAY - timedelta(days=i)).isoformat()) for i in range(6)]
    with rosters_sessions() as first, rosters_sessions() as watcher:
        report, _ = payroll.ingest(first, current_catalog(first), payroll.PayrollBatch(
            records=days[:4], actor=Actor(roles=["payroll_client"])), TODAY)
        assert report.accepted == 4  # stored, not committed yet
        second = eventlet.spawn(ingest, service, days)
        for _ in range(200):  # until the second batch waits for the first's rows
            waiting = watcher.scalar(sa.text("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                                             "AND wait_event_type = 'Lock'"))
            watcher.rollback()
            if waiting:
                break
            eventlet.sleep(0.05)
        assert waiting, "the second batch never waited for the first"
        first.commit()
        report = second.wait()
    assert (report["accepted"], report["duplicates"], report["rejected"]) == (2, 4, [])
    assert len(days_of(session, person_id)) == 6
    assert "met days another batch stored meanwhile" in caplog.text  # the ON CONFLICT way was taken
