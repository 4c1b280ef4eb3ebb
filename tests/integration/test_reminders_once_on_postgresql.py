"""Two sweeps at once on PostgreSQL (two replicas, or staff re-running a day while the daily
sweep runs) send each deadline reminder once: each reminder is a unique claim per record,
requirement, due date and offset (rosters.models.DeadlineNotice), taken in the same transaction
as the event's outbox row; a sweep that dies part-way leaves nothing claimed for what it did
not publish."""
from __future__ import annotations

import threading
import uuid
from datetime import timedelta

import sqlalchemy as sa
from nameko.testing.services import worker_factory
from rosters import sweep
from rosters.catalog_loader import load_catalog_files, sync_catalog_to_db
from rosters.models import Base, DeadlineNotice
from rosters.rulebook import CatalogCache, current_catalog
from rosters.service import RostersService

from common.audit import Actor
from common.clock import today
from common.db import create_engine_for, make_session_factory
from common.events.accounts import PersonRegistered
from common.events.documents import DocumentReviewed
from common.migrations import upgrade_to_head

IP = {"roles": ["industry_professional"]}


def setup_people(url, count: int, due):
    upgrade_to_head("rosters", url)
    engine = create_engine_for(url)
    factory = make_session_factory(engine, Base)
    with factory() as session:
        sync_catalog_to_db(session, load_catalog_files())
        session.commit()
        service = worker_factory(RostersService, db=session, publish=lambda event: None, config={},
                                 rulebook=CatalogCache())
        for _ in range(count):
            person_id = uuid.uuid4()
            service.handle_person_registered(PersonRegistered(
                person_id=person_id, il_number=f"{person_id.int % 10**10:010d}", first_name="Pat",
                last_name="Driver").model_dump(mode="json"))
            service.apply(str(person_id), "399-DRIVER-G3", IP)
            service.handle_document_reviewed(DocumentReviewed(
                document_id=uuid.uuid4(), person_id=person_id, document_type="dot_medical_certificate",
                decision="approved", expires_on=due, reviewed_on=today()).model_dump(mode="json"))
    return engine, factory


def run_sweeps_at_once(factory, day, replicas: int) -> list:
    start = threading.Barrier(replicas)
    published, errors = [], []

    def replica():
        try:
            with factory() as session:
                catalog = current_catalog(session)
                start.wait(timeout=30)
                for _tally, events in sweep.batches(session, catalog, day, Actor.system()):
                    session.commit()  # the events go out with the claims (the outbox)
                    published.extend(e for e in events if e.event_type == "deadline_approaching")
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=replica) for _ in range(replicas)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == []
    return published


def test_two_sweeps_at_once_send_one_reminder_each(postgres_url):
    due = today() + timedelta(days=90)
    engine, factory = setup_people(postgres_url(), 12, due)
    try:
        published = run_sweeps_at_once(factory, due - timedelta(days=60), replicas=2)
        assert len(published) == 12
        assert len({e.person_id for e in published}) == 12 and {e.days_left for e in published} == {60}
        # and again, both at once, on the day
        published = run_sweeps_at_once(factory, due, replicas=3)
        assert len(published) == 12 and {e.days_left for e in published} == {0}
        with factory() as session:
            assert session.scalar(sa.select(sa.func.count()).select_from(DeadlineNotice)) == 24
    finally:
        engine.dispose()


def test_the_claim_holds_even_without_the_record_locks(postgres_url):
    """Two sessions claim the same reminder: the second insert waits for the first to commit and
    then claims nothing, whatever read each made before."""
    from rosters.records import Reevaluation

    due = today() + timedelta(days=90)
    engine, factory = setup_people(postgres_url(), 1, due)
    try:
        with factory() as session:
            record_id = session.scalar(sa.text("SELECT id FROM classification_records"))
        key = (record_id, "DOT Medical Examiner's Certificate", due, 60)
        with factory() as first, factory() as second:
            one = Reevaluation(first, None, due, Actor.system())._claim_notice(*key)
            outcome = {}
            waiter = threading.Thread(target=lambda: outcome.update(
                two=Reevaluation(second, None, due, Actor.system())._claim_notice(*key)))
            waiter.start()
            waiter.join(timeout=1)
            assert waiter.is_alive()  # blocked on the first claim
            first.commit()
            waiter.join(timeout=30)
            second.commit()
        assert (one, outcome["two"]) == (True, False)
    finally:
        engine.dispose()
