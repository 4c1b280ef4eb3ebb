"""The staff back-office reads and decisions on PostgreSQL: the activity per month counts in SQL
the same as on SQLite (month boundaries as parameters; the audit log joined to records by id
printed either way), and two staff deciding one held proof of employment at once get one
decision and one conflict."""
from __future__ import annotations

import threading
import uuid
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from nameko.testing.services import worker_factory
from rosters import proofs
from rosters.models import EmploymentProof, WorkDay
from rosters.monthly_report import month_starts
from rosters.rulebook import CatalogCache, current_catalog
from rosters.service import RostersService

from common.audit import Actor
from common.clock import hub_timezone, today
from common.contracts.rosters import AttachProofIn, DismissProofIn
from common.errors import Conflict
from tests.support.databases import rosters_on_postgresql as migrated_rosters
from tests.support.factories import make_ssn
from tests.unit.test_employer_proofs import EMPLOYER, ORG, STAFF, proof, register
from tests.unit.test_monthly_activity import make_audited, make_record, make_removal, make_suspension, noon

pytestmark = pytest.mark.postgres


@pytest.fixture
def rosters_on_postgresql(postgres_url):
    engine, factory = migrated_rosters(postgres_url())
    yield factory
    engine.dispose()


def service_on(session):
    return worker_factory(RostersService, db=session, publish=lambda event: None, config={}, rulebook=CatalogCache())


def test_the_activity_per_month_is_counted_alike_on_postgresql(rosters_on_postgresql):
    starts = month_starts(today(), 12)
    this, last = starts[-2], starts[-3]
    with rosters_on_postgresql() as session:
        grip = make_record(session, this)
        driver = make_record(session, last, code="399-DRIVER-G3", local="399")
        make_record(session, starts[0] - timedelta(days=1))
        for record in (grip, driver):
            make_suspension(session, record, this)
            make_removal(session, record, last)
            make_audited(session, record, "record.suspended", noon(last))
        make_removal(session, driver, last, status="reversed", decided_on=this)
        make_audited(session, driver, "record.reinstated", noon(this))
        # a second before and after midnight starting this month in Burbank
        boundary = datetime.combine(this, datetime.min.time(), tzinfo=hub_timezone())
        make_audited(session, grip, "record.suspended", (boundary - timedelta(seconds=1)).astimezone(UTC))
        make_audited(session, grip, "record.suspended", boundary.astimezone(UTC))
        session.commit()

        service = service_on(session)
        every = {row["month"]: row for row in service.monthly_activity(12, None, STAFF)["rows"]}
        assert (every[f"{this:%Y-%m}"]["placements"], every[f"{last:%Y-%m}"]["placements"]) == (1, 1)
        assert (every[f"{this:%Y-%m}"]["suspensions"], every[f"{last:%Y-%m}"]["suspensions"]) == (1, 3)
        assert every[f"{this:%Y-%m}"]["staff_suspensions"] == 2
        assert (every[f"{last:%Y-%m}"]["removals"], every[f"{this:%Y-%m}"]["reinstatements"]) == (2, 2)

        only = {row["month"]: row for row in service.monthly_activity(12, "399", STAFF)["rows"]}
        assert (only[f"{last:%Y-%m}"]["suspensions"], only[f"{this:%Y-%m}"]["reinstatements"]) == (1, 2)
        assert (only[f"{this:%Y-%m}"]["suspensions"], only[f"{last:%Y-%m}"]["removals"]) == (0, 1)


def test_two_staff_deciding_one_held_proof_at_once_get_one_decision_and_one_conflict(rosters_on_postgresql):
    with rosters_on_postgresql() as session:
        service = service_on(session)
        ssn = make_ssn()
        proof_id = uuid.UUID(service.submit_employment_proof(proof(ssn), EMPLOYER, ORG)["id"])
        person_id = register(service, ssn, last_name="Mator-Reyes")

    with rosters_on_postgresql() as first, rosters_on_postgresql() as second:
        catalog = current_catalog(first)
        proofs.attach_by_staff(first, catalog, proof_id, AttachProofIn(person_id=person_id),
                               Actor(account_id=uuid.uuid4(), roles=["staff_reviewer"]), today())
        outcome = {}

        def dismiss():
            try:
                proofs.dismiss_by_staff(second, proof_id, DismissProofIn(reason="Not them"),
                                        Actor(account_id=uuid.uuid4(), roles=["staff_admin"]))
                second.commit()
                outcome["second"] = "dismissed"
            except Conflict as exc:
                second.rollback()
                outcome["second"] = exc

        waiter = threading.Thread(target=dismiss)
        waiter.start()
        waiter.join(timeout=1)
        assert waiter.is_alive()   # it read the proof as held, and waits on the first decision's row lock
        first.commit()
        waiter.join(timeout=30)
        assert isinstance(outcome["second"], Conflict)

    with rosters_on_postgresql() as session:
        stored = session.get(EmploymentProof, proof_id)
        assert (stored.person_id, stored.dismissed_at) == (person_id, None)
        assert session.scalars(sa.select(WorkDay)).one().person_id == person_id
