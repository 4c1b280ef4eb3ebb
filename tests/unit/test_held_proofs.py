"""Staff's view of held proofs of employment (rosters.proofs) through the rosters entrypoints on a
real in-memory database: the list (oldest first, paged, flagged when someone registered with the
SSN under another last name, never the SSN), attaching one to that person (the record starts as at
registration, with its day, audited, the same events), dismissing one with a reason (kept, never
attached), and a second decision refused as a conflict."""
from __future__ import annotations

import json
import uuid

import pytest
import sqlalchemy as sa
from rosters import proofs
from rosters.models import Base, ClassificationRecord, EmploymentProof, WorkDay

from common.errors import Conflict, Forbidden, NotFound, ValidationFailed
from common.identity import normalise_ssn, ssn_index
from tests.support.factories import make_ssn
from tests.unit.test_employer_proofs import EMPLOYER, ORG, STAFF, proof, records_of, register

IP = {"account_id": str(uuid.uuid4()), "roles": ["industry_professional"]}
OTHER_STAFF = {"account_id": str(uuid.uuid4()), "roles": ["staff_admin"]}


def held_with_mismatch(service, ssn: str | None = None, **overrides) -> tuple[str, uuid.UUID, str]:
    """A proof held because the person registered with its SSN under another last name:
    (proof id, that person's id, the SSN)."""
    ssn = ssn or make_ssn()
    out = service.submit_employment_proof(proof(ssn, **overrides), EMPLOYER, ORG)
    person_id = register(service, ssn, last_name="Mator-Reyes")
    return out["id"], person_id, ssn


def event_types(published) -> list[str]:
    return [e.event_type for e in published]


def audit_actions(session) -> list[str]:
    return session.scalars(sa.select(Base.AuditEntry.action).order_by(Base.AuditEntry.id)).all()


def test_staff_see_held_proofs_oldest_first_flagged_when_someone_registered_with_that_ssn(rosters):
    service, session, _ = rosters
    waiting_ssn = make_ssn()
    nobody = service.submit_employment_proof(proof(waiting_ssn, first_name="Bo", last_name="Nobody"), EMPLOYER, ORG)
    flagged, person_id, flagged_ssn = held_with_mismatch(service)
    attached_ssn = make_ssn()
    service.submit_employment_proof(proof(attached_ssn, last_name="Same"), EMPLOYER, ORG)
    register(service, attached_ssn, last_name="Same")   # attached at registration: not held any more

    listing = service.held_proofs({}, STAFF)
    assert (listing["total"], listing["page"], listing["pages"]) == (2, 1, 1)
    assert [p["id"] for p in listing["proofs"]] == [nobody["id"], flagged]
    first, second = listing["proofs"]
    assert first["registered_person"] is None and first["status"] == "held"
    assert (first["first_name"], first["last_name"], first["employer"], first["organisation"]) == (
        "Bo", "Nobody", ORG, ORG)
    assert first["classification_code"] == "839-ANIMATION" and first["classification_name"] != "839-ANIMATION"
    assert first["age_days"] == 0 and first["submitted_on"] and first["first_day"]
    holder = second["registered_person"]
    assert holder["person_id"] == str(person_id) and holder["last_name"] == "Mator-Reyes" and holder["il_number"]
    assert second["last_name"] == "Mator"

    text = json.dumps(listing)
    for ssn in (waiting_ssn, flagged_ssn):
        assert normalise_ssn(ssn) not in text and ssn not in text and ssn[-4:] + '"' not in text
        assert ssn_index(normalise_ssn(ssn)) not in text


def test_held_proofs_come_25_a_page(rosters):
    service, _, _ = rosters
    ids = [service.submit_employment_proof(proof(make_ssn(), last_name=f"Person{n}"), EMPLOYER, ORG)["id"]
           for n in range(26)]
    first = service.held_proofs({"page": 1}, STAFF)
    second = service.held_proofs({"page": "2"}, STAFF)
    assert (first["total"], first["pages"], len(first["proofs"]), len(second["proofs"])) == (26, 2, 25, 1)
    assert [p["id"] for p in first["proofs"] + second["proofs"]] == ids
    with pytest.raises(ValidationFailed):
        service.held_proofs({"page": 0}, STAFF)
    with pytest.raises(ValidationFailed):
        service.held_proofs({"ssn": "1"}, STAFF)


def test_attaching_starts_the_record_as_registration_would_with_its_day_and_the_same_events(rosters):
    service, session, published = rosters
    # what registration publishes for a proof whose last name matches
    same = make_ssn()
    service.submit_employment_proof(proof(same), EMPLOYER, ORG)
    published.clear()
    register(service, same)
    at_registration = event_types(published)
    assert "application_started" in at_registration

    proof_id, person_id, ssn = held_with_mismatch(service)
    assert records_of(session, person_id) == []
    day = session.scalars(sa.select(WorkDay).where(WorkDay.person_id.is_(None))).one()   # held with the proof
    published.clear()
    out = service.attach_held_proof(proof_id, str(person_id), OTHER_STAFF)
    assert normalise_ssn(ssn) not in json.dumps(out) and ssn_index(normalise_ssn(ssn)) not in json.dumps(out)
    assert event_types(published) == at_registration
    started = next(e for e in published if e.event_type == "application_started")
    assert (started.person_id, started.classification_code) == (person_id, "839-ANIMATION")

    assert (out["status"], out["person_id"], out["last_name"], out["day_attached"]) == (
        "attached", str(person_id), "Mator-Reyes", True)
    assert out["il_number"] and out["record_status"] and "SSN" not in out["message"]
    [record] = records_of(session, person_id)
    assert record.classification_code == "839-ANIMATION" and record.status == out["record_status"]
    stored = session.get(EmploymentProof, uuid.UUID(proof_id))
    assert stored.person_id == person_id and stored.held_ssn_index is None and stored.attached_at
    day = session.get(WorkDay, day.id)
    assert (day.person_id, day.held_ssn_index, day.verified) == (person_id, None, True)
    entry = session.scalars(sa.select(Base.AuditEntry).where(Base.AuditEntry.action == "employment_proof.attached")
                            .order_by(Base.AuditEntry.id.desc())).first()
    assert str(entry.actor_account_id) == OTHER_STAFF["account_id"]
    assert json.loads(entry.details)["confirmed_by_staff"] is True
    assert "application.started" in audit_actions(session)
    assert service.held_proofs({}, STAFF)["total"] == 0
    assert [p["status"] for p in service.employed_people(EMPLOYER, ORG)["people"]].count("held") == 0


def test_a_proof_attaches_only_to_the_person_who_registered_with_its_ssn(rosters):
    service, session, published = rosters
    proof_id, _, _ = held_with_mismatch(service)
    stranger = register(service, make_ssn(), last_name="Mator")
    published.clear()
    with pytest.raises(ValidationFailed, match="did not register with the SSN"):
        service.attach_held_proof(proof_id, str(stranger), STAFF)
    with pytest.raises(ValidationFailed):
        service.attach_held_proof(proof_id, "not-an-id", STAFF)
    with pytest.raises(NotFound):
        service.attach_held_proof(str(uuid.uuid4()), str(stranger), STAFF)
    assert published == [] and records_of(session, stranger) == []
    assert session.get(EmploymentProof, uuid.UUID(proof_id)).person_id is None


def test_a_dismissed_proof_is_kept_with_its_reason_and_never_attaches(rosters):
    service, session, published = rosters
    ssn = make_ssn()
    out = service.submit_employment_proof(proof(ssn), EMPLOYER, ORG)
    published.clear()
    dismissed = service.dismiss_held_proof(out["id"], {"reason": "Duplicate of a payroll report"}, STAFF)
    assert dismissed["status"] == "dismissed" and published == []
    text = json.dumps(dismissed)
    assert normalise_ssn(ssn) not in text and ssn_index(normalise_ssn(ssn)) not in text
    stored = session.get(EmploymentProof, uuid.UUID(out["id"]))
    assert stored.dismissed_reason == "Duplicate of a payroll report" and stored.dismissed_at
    assert str(stored.dismissed_by) == STAFF["account_id"]
    day = session.scalars(sa.select(WorkDay)).one()
    assert day.verified is False and day.rejected_reason   # its day no longer counts
    assert "employment_proof.dismissed" in audit_actions(session)

    assert service.held_proofs({}, STAFF)["total"] == 0
    [shown] = service.held_proofs({"held": False}, STAFF)["proofs"]
    assert (shown["status"], shown["dismissed_reason"], shown["dismissed_on"]) == (
        "dismissed", "Duplicate of a payroll report", shown["submitted_on"])
    assert service.employed_people(EMPLOYER, ORG)["people"][0]["status"] == "dismissed"

    person_id = register(service, ssn)   # the same last name: a held proof would attach now
    assert session.get(EmploymentProof, uuid.UUID(out["id"])).person_id is None
    assert records_of(session, person_id) == []


def test_a_second_decision_is_a_conflict(rosters):
    service, _, _ = rosters
    proof_id, person_id, _ = held_with_mismatch(service)
    service.attach_held_proof(proof_id, str(person_id), STAFF)
    with pytest.raises(Conflict):
        service.attach_held_proof(proof_id, str(person_id), OTHER_STAFF)
    with pytest.raises(Conflict):
        service.dismiss_held_proof(proof_id, {"reason": "Not them"}, OTHER_STAFF)

    other = service.submit_employment_proof(proof(make_ssn()), EMPLOYER, ORG)["id"]
    service.dismiss_held_proof(other, {"reason": "Not them"}, STAFF)
    with pytest.raises(Conflict):
        service.dismiss_held_proof(other, {"reason": "Again"}, OTHER_STAFF)


def test_a_decision_made_while_another_was_under_way_is_a_conflict_and_changes_nothing(rosters, monkeypatch):
    service, session, published = rosters
    proof_id, person_id, _ = held_with_mismatch(service)
    seen = session.get(EmploymentProof, uuid.UUID(proof_id))
    # another member of staff dismissed it after this one read it as held
    session.execute(sa.update(EmploymentProof).where(EmploymentProof.id == seen.id)
                    .values(dismissed_at=sa.func.current_timestamp(), dismissed_reason="Not them")
                    .execution_options(synchronize_session=False))
    monkeypatch.setattr(proofs, "_held", lambda session, proof_id: seen)
    published.clear()
    with pytest.raises(Conflict, match="a moment ago"):
        service.attach_held_proof(proof_id, str(person_id), STAFF)
    session.rollback()
    assert published == [] and records_of(session, person_id) == []


def test_dismissing_needs_a_reason_in_plain_text(rosters):
    service, _, _ = rosters
    proof_id = service.submit_employment_proof(proof(make_ssn()), EMPLOYER, ORG)["id"]
    for payload in ({}, {"reason": "  "}, {"reason": "x" * 501}, {"reason": "A\u202eB"}):
        with pytest.raises(ValidationFailed):
            service.dismiss_held_proof(proof_id, payload, STAFF)


@pytest.mark.parametrize("who", [IP, EMPLOYER, {"roles": ["union_rep"], "locals": ["839"]}])
def test_only_staff_see_and_decide_held_proofs(rosters, who):
    service, session, _ = rosters
    proof_id, person_id, _ = held_with_mismatch(service)
    with pytest.raises(Forbidden):
        service.held_proofs({}, who)
    with pytest.raises(Forbidden):
        service.attach_held_proof(proof_id, str(person_id), who)
    with pytest.raises(Forbidden):
        service.dismiss_held_proof(proof_id, {"reason": "No"}, who)
    assert session.scalars(sa.select(ClassificationRecord)).all() == []
