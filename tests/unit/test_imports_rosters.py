"""Legacy import rows the rosters own (rosters.import_rows through the `import_rows` RPC):
people referred to by IL number, an unknown one rejected with its line, and a batch sent
again (a replay after a crash, or the same file twice) changes nothing."""
from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
import sqlalchemy as sa
from rosters.models import ClassificationRecord, WorkDay

from common.clock import today
from common.errors import Forbidden
from tests.support.import_rows import numbered_rows, register_imported

STAFF = {"account_id": str(uuid.uuid4()), "roles": ["staff_admin"]}
IL = "2000000001"
CODE = "839-animation"


def register(service, il_number=IL, person_id=None) -> uuid.UUID:
    return register_imported(service, il_number, person_id)


rows = numbered_rows


def record(il=IL, **overrides):
    values = {"il_number": il, "classification_code": CODE, "status": "compliant", "applied_on": "2023-03-01",
              "placed_on": "2023-06-01", "group": "", "group_started_on": ""}
    values.update(overrides)
    return values


def test_classification_records_are_created_once_and_unknown_people_rejected_by_line(rosters):
    service, session, published = rosters
    person_id = register(service)
    batch = rows(record(), record(il="2999999999"), record(status="bogus"),
                 record(classification_code="nope"), record(applied_on="2023-02-30"))
    out = service.import_rows("classification_records", batch, STAFF)
    assert (out["created"], out["updated"], out["unchanged"]) == (1, 0, 0), out
    reasons = {r["line"]: r["reason"] for r in out["rejected"]}
    assert set(reasons) == {3, 4, 5, 6}
    assert reasons[3].startswith("il_number: no person")
    assert reasons[4].startswith("status") and reasons[5].startswith("classification_code")
    assert reasons[6].startswith("applied_on")
    stored = session.scalars(sa.select(ClassificationRecord)).one()
    assert (stored.person_id, stored.status, stored.placed_on.isoformat()) == (person_id, "compliant", "2023-06-01")
    assert {type(e).__name__ for e in published} >= {"ApplicationStarted", "PlacedOnRoster"}

    again = service.import_rows("classification_records", batch, STAFF)
    assert (again["created"], again["updated"], again["unchanged"]) == (0, 0, 1)
    changed = service.import_rows("classification_records", rows(record(placed_on="2023-07-01")), STAFF)
    assert changed["updated"] == 1
    assert session.scalar(sa.select(sa.func.count()).select_from(ClassificationRecord)) == 1


def test_work_days_are_recorded_once(rosters):
    service, session, _ = rosters
    register(service)
    day = (today() - timedelta(days=3)).isoformat()
    values = {"il_number": IL, "classification_code": CODE, "work_date": day, "employer": "Cartoon  Studios",
              "production": "Show", "hours": "8", "verified": "true"}
    batch = rows(values, dict(values, employer="cartoon studios"), dict(values, il_number="2999999999"),
                 dict(values, work_date=(today() + timedelta(days=2)).isoformat()))
    out = service.import_rows("work_days", batch, STAFF)
    assert (out["created"], out["unchanged"]) == (1, 1)
    assert {r["line"]: r["reason"][:9] for r in out["rejected"]} == {4: "il_number", 5: "work_date"}
    again = service.import_rows("work_days", batch, STAFF)
    assert (again["created"], again["unchanged"]) == (0, 2)
    stored = session.scalars(sa.select(WorkDay)).one()
    assert (stored.source, stored.verified, stored.hours) == ("import", True, 8.0)


def test_only_staff_import(rosters):
    service, _, _ = rosters
    with pytest.raises(Forbidden):
        service.import_rows("work_days", [], {"roles": ["industry_professional"]})
