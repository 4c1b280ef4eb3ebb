"""Proofs of employment (rosters.proofs) through the service's RPCs on a real session: a known
person gets the record and the verified day at once; an unknown SSN is held by its blind index
and becomes the person's when they appear; refusals are plain 422s that never echo the SSN."""
from __future__ import annotations

import json
import uuid
from datetime import timedelta

import pytest
import sqlalchemy as sa
from rosters.models import Base, ClassificationRecord, WorkDay
from rosters.proofs import EmploymentProof

from common.clock import today
from common.errors import Forbidden, ValidationFailed
from common.events.accounts import PersonRegistered
from common.identity import normalise_ssn, ssn_index
from tests.support.factories import make_ssn

TODAY = today()
EMPLOYER = {"account_id": str(uuid.uuid4()), "roles": ["employer"]}
STAFF = {"account_id": str(uuid.uuid4()), "roles": ["staff_reviewer"]}
IP = {"account_id": str(uuid.uuid4()), "roles": ["industry_professional"]}
ORG = "Cartoon Studios"


def proof(ssn: str, **overrides) -> dict:
    body = {"ssn": ssn, "first_name": "Ana", "last_name": "Mator", "date_of_birth": "1990-04-02",
            "employer": ORG, "classification_code": "839-animation",
            "first_day": (TODAY - timedelta(days=2)).isoformat()}
    body.update(overrides)
    return body


def register(service, ssn: str, last_name: str = "Mator") -> uuid.UUID:
    person_id = uuid.uuid4()
    service.handle_person_registered(PersonRegistered(
        person_id=person_id, il_number=f"{person_id.int % 10**10:010d}", first_name="Ana",
        last_name=last_name, ssn_index=ssn_index(normalise_ssn(ssn))).model_dump(mode="json"))
    return person_id


def records_of(session, person_id) -> list[ClassificationRecord]:
    return session.scalars(sa.select(ClassificationRecord).where(ClassificationRecord.person_id == person_id)).all()


def test_a_proof_for_an_unknown_ssn_is_held_and_becomes_the_persons_when_they_appear(rosters):
    service, session, published = rosters
    ssn = make_ssn()
    out = service.submit_employment_proof(proof(ssn), EMPLOYER, ORG)
    assert out["status"] == "held" and out["il_number"] is None and out["day_recorded"] is True
    assert normalise_ssn(ssn) not in json.dumps(out) and ssn not in json.dumps(out)
    day = session.scalars(sa.select(WorkDay)).one()
    assert day.person_id is None and day.held_ssn_index == ssn_index(normalise_ssn(ssn))
    assert (day.source, day.verified, day.employer) == ("employer_proof", True, ORG)
    assert session.scalars(sa.select(ClassificationRecord)).all() == []
    audit = Base.AuditEntry
    entry = session.scalars(sa.select(audit).where(audit.action == "employment_proof.submitted")).one()
    assert json.loads(entry.details)["organisation"] == ORG
    assert normalise_ssn(ssn) not in entry.details

    listed = service.employed_people(EMPLOYER, ORG)["people"]
    assert [(p["last_name"], p["status"], p["il_number"]) for p in listed] == [("Mator", "held", None)]

    published.clear()
    person_id = register(service, ssn)
    [record] = records_of(session, person_id)
    assert record.classification_code == "839-ANIMATION" and record.status
    assert session.scalars(sa.select(WorkDay)).one().person_id == person_id
    assert "application_started" in [e.event_type for e in published]
    assert session.scalars(sa.select(EmploymentProof)).one().person_id == person_id
    listed = service.employed_people(EMPLOYER, ORG)["people"]
    assert listed[0]["status"] == record.status and listed[0]["il_number"]

    from rosters import proofs  # attaching again (a redelivery) finds nothing held any more
    assert proofs.attach_held(session, service.catalog, person_id, ssn_index(normalise_ssn(ssn)), "Mator",
                              TODAY) == []
    assert len(records_of(session, person_id)) == 1


def test_a_held_proof_whose_last_name_differs_stays_held(rosters):
    service, session, _ = rosters
    ssn = make_ssn()
    service.submit_employment_proof(proof(ssn), EMPLOYER, ORG)
    person_id = register(service, ssn, last_name="Someone")
    assert records_of(session, person_id) == []
    assert session.scalars(sa.select(EmploymentProof)).one().person_id is None


def test_a_known_person_gets_the_record_and_the_verified_day_at_once(rosters):
    service, session, published = rosters
    ssn = make_ssn()
    person_id = register(service, ssn)
    published.clear()
    out = service.submit_employment_proof(proof(ssn, classification_code="80-GRIP"), STAFF)
    assert out["status"] == "attached" and out["il_number"] and out["record_status"]
    [record] = records_of(session, person_id)
    assert record.classification_code == "80-GRIP"
    day = session.scalars(sa.select(WorkDay)).one()
    assert (day.person_id, day.source, day.verified, day.verified_on) == (person_id, "employer_proof", True, TODAY)
    types = [e.event_type for e in published]
    assert "application_started" in types and "work_days_recorded" in types

    again = service.submit_employment_proof(proof(ssn, classification_code="80-GRIP"), STAFF)
    assert again["day_recorded"] is False  # the same day is one day
    assert len(records_of(session, person_id)) == 1


@pytest.mark.parametrize("bad, field", [
    ({"ssn": "12-34"}, "ssn"),
    ({"ssn": "000-12-3456"}, "ssn"),
    ({"first_name": "  "}, "first_name"),
    ({"last_name": "A\u202eB"}, "last_name"),
    ({"classification_code": "80-ASTRONAUT"}, "classification_code"),
    ({"first_day": (TODAY + timedelta(days=1)).isoformat()}, "first_day"),
    ({"first_day": "1949-12-31"}, "first_day"),
    ({"first_day": "soon"}, "first_day"),
    ({"employer": ""}, "employer"),
    ({"date_of_birth": (TODAY + timedelta(days=1)).isoformat()}, "date_of_birth"),
    ({"extra": "x"}, "extra"),
])
def test_bad_proofs_are_refused_with_a_plain_reason_that_never_echoes_the_ssn(rosters, bad, field):
    service, session, _ = rosters
    ssn = make_ssn()
    with pytest.raises(ValidationFailed) as refused:
        service.submit_employment_proof({**proof(ssn), **bad}, EMPLOYER, ORG)
    assert field in str(refused.value) or field in json.dumps(getattr(refused.value, "details", {}) or {})
    assert normalise_ssn(ssn) not in str(refused.value)
    assert session.scalars(sa.select(EmploymentProof)).all() == []


def test_a_last_name_that_differs_from_the_known_persons_is_refused(rosters):
    service, session, _ = rosters
    ssn = make_ssn()
    register(service, ssn)
    with pytest.raises(ValidationFailed, match="last name does not match"):
        service.submit_employment_proof(proof(ssn, last_name="Other"), EMPLOYER, ORG)
    assert session.scalars(sa.select(WorkDay)).all() == []


def test_an_industry_professional_may_neither_submit_nor_list(rosters):
    service, _, _ = rosters
    with pytest.raises(Forbidden):
        service.submit_employment_proof(proof(make_ssn()), IP)
    with pytest.raises(Forbidden):
        service.employed_people(IP)


def test_an_employer_sees_only_the_people_its_organisation_proved(rosters):
    service, _, _ = rosters
    service.submit_employment_proof(proof(make_ssn()), EMPLOYER, ORG)
    other = {"account_id": str(uuid.uuid4()), "roles": ["employer"]}
    service.submit_employment_proof(proof(make_ssn(), employer="Other Studio", last_name="Else"), other,
                                    "Other Studio")
    assert [p["last_name"] for p in service.employed_people(EMPLOYER, ORG)["people"]] == ["Mator"]
    assert [p["last_name"] for p in service.employed_people(other, "Other Studio")["people"]] == ["Else"]
