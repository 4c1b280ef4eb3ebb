"""Removals with protests (issue 11) through the rosters entrypoints: staff remove a placed
person (the record closes from that date, in history), the person protests within the
configured days (the name stays on the roster, marked, until decided), the window closes,
staff uphold or reverse; events and audit; staff-only."""
from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from rosters.models import ClassificationRecord

from common.clock import today
from common.errors import Conflict, Forbidden, NotFound, ValidationFailed
from tests.unit.test_rosters_entrypoints import placed_grip

TODAY = today()
STAFF = {"account_id": str(uuid.uuid4()), "roles": ["staff_reviewer"]}
IP = {"roles": ["industry_professional"]}


def types(published) -> list[str]:
    return [e.event_type for e in published]


def on_roster(service, person_id: str) -> bool:
    return any(r["classification_code"] == "80-GRIP" for r in service.my_classifications(person_id)["records"])


def remove(service, person_id: str, **extra) -> dict:
    return service.start_removal(person_id, {"classification_code": "80-grip", "reason": "request", **extra}, STAFF)


def test_a_removal_closes_the_record_from_its_date_and_is_told(rosters):
    service, session, published = rosters
    person = str(placed_grip(service, session, TODAY - timedelta(days=100))["person_id"])
    published.clear()
    removed = remove(service, person, effective_on=(TODAY - timedelta(days=2)).isoformat(), note="Asked by letter")
    assert (removed["status"], removed["protest_open"], removed["reason_label"]) == (
        "pending", True, "At the person's request")
    assert removed["protest_by"] == (TODAY + timedelta(days=30)).isoformat()
    assert types(published) == ["status_changed", "removed"]
    record = session.scalar(sa.select(ClassificationRecord))
    assert (record.closed_on, record.status) == (TODAY - timedelta(days=2), "closed")
    assert not on_roster(service, person)
    assert [c["classification_code"] for c in service.my_classifications(person)["closed"]] == ["80-GRIP"]
    assert service.my_removals(person)["removals"][0]["removal_id"] == removed["removal_id"]
    actions = session.execute(sa.text("SELECT action FROM audit_log")).scalars().all()
    assert "removal.started" in actions


def test_a_protest_keeps_the_name_on_the_roster_marked_until_staff_decide(rosters):
    service, session, published = rosters
    person = str(placed_grip(service, session, TODAY - timedelta(days=100))["person_id"])
    removed = remove(service, person, reason="failed_requirements")
    published.clear()
    protested = service.protest_removal(person, removed["removal_id"], {"text": "I completed the course"}, IP)
    assert (protested["status"], protested["protest_open"]) == ("protested", False)
    assert "removal_protested" in types(published)
    assert on_roster(service, person)
    record = session.scalar(sa.select(ClassificationRecord))
    assert record.closed_on is None and record.closed_reason.startswith("protest open")
    assert [r["removal_id"] for r in service.removal_protests(STAFF)["removals"]] == [removed["removal_id"]]
    assert service.casework_queues(STAFF)["protests"]["count"] == 1
    with pytest.raises(Conflict):
        service.protest_removal(person, removed["removal_id"], {"text": "again"}, IP)

    published.clear()
    upheld = service.decide_removal(removed["removal_id"], {"decision": "uphold", "reason": "Course not on file"},
                                    STAFF)
    assert (upheld["status"], upheld["decision"]) == ("removed", "upheld")
    assert types(published)[-1] == "removal_decided"
    assert not on_roster(service, person)
    assert session.scalar(sa.select(ClassificationRecord)).closed_on == TODAY
    with pytest.raises(Conflict):
        service.decide_removal(removed["removal_id"], {"decision": "reverse"}, STAFF)


def test_a_reversed_removal_puts_the_person_back(rosters):
    service, session, published = rosters
    person = str(placed_grip(service, session, TODAY - timedelta(days=100))["person_id"])
    removed = remove(service, person, reason="pension_retirement")
    service.protest_removal(person, removed["removal_id"], {"text": "Not retired"}, IP)
    reversed_ = service.decide_removal(removed["removal_id"], {"decision": "reverse", "reason": "Error"}, STAFF)
    assert reversed_["status"] == "reversed"
    record = session.scalar(sa.select(ClassificationRecord))
    assert record.closed_on is None and record.closed_reason is None and record.status != "closed"
    assert on_roster(service, person)


def test_the_protest_window_closes_after_the_configured_days(rosters):
    service, session, _ = rosters
    person = str(placed_grip(service, session, TODAY - timedelta(days=100))["person_id"])
    service.config = {"HUB_PROTEST_DAYS": "10"}
    removed = remove(service, person)
    assert removed["protest_by"] == (TODAY + timedelta(days=10)).isoformat()
    from rosters.models import Removal
    row = session.get(Removal, uuid.UUID(removed["removal_id"]))
    row.protest_by = TODAY - timedelta(days=1)  # as if eleven days had passed
    session.commit()
    assert service.my_removals(person)["removals"][0]["status"] == "removed"
    with pytest.raises(ValidationFailed, match="time to protest this removal ended"):
        service.protest_removal(person, removed["removal_id"], {"text": "Too late"}, IP)
    assert not on_roster(service, person)


def test_only_staff_remove_and_decide_and_a_person_protests_only_their_own(rosters):
    service, session, _ = rosters
    person = str(placed_grip(service, session, TODAY - timedelta(days=100))["person_id"])
    with pytest.raises(Forbidden):
        service.start_removal(person, {"classification_code": "80-GRIP", "reason": "request"}, IP)
    with pytest.raises(ValidationFailed, match="removal reasons"):
        remove(service, person, reason="bad_hair_day")
    with pytest.raises(ValidationFailed):
        remove(service, person, effective_on=(TODAY + timedelta(days=3)).isoformat())
    removed = remove(service, person)
    with pytest.raises(NotFound):
        remove(service, person)  # the record is closed now: not on that roster
    with pytest.raises(Forbidden):
        service.decide_removal(removed["removal_id"], {"decision": "uphold"}, IP)
    with pytest.raises(Forbidden):
        service.removal_protests(IP)
    with pytest.raises(NotFound):
        service.protest_removal(str(uuid.uuid4()), removed["removal_id"], {"text": "not mine"}, IP)


def test_the_expiring_report_counts_records_by_local_and_classification(rosters):
    service, session, _ = rosters
    placed_grip(service, session, TODAY - timedelta(days=100))
    for record in session.scalars(sa.select(ClassificationRecord)):
        record.lapses_on = TODAY + timedelta(days=20)
    session.add(ClassificationRecord(id=uuid.uuid4(), person_id=uuid.uuid4(), classification_code="80-GRIP",
                                     local="80", applied_on=TODAY, placed_on=TODAY, status="compliant",
                                     status_as_of=TODAY, lapses_on=TODAY + timedelta(days=50),
                                     updated_at=datetime.now(UTC)))
    session.commit()
    assert service.expiring_records(30, STAFF)["rows"] == [
        {"local": "80", "classification_code": "80-GRIP", "records": 1,
         "earliest_lapse_on": (TODAY + timedelta(days=20)).isoformat()}]
    assert service.expiring_records("60", STAFF)["rows"][0]["records"] == 2
    with pytest.raises(ValidationFailed):
        service.expiring_records("x", STAFF)
    with pytest.raises(Forbidden):
        service.expiring_records(30, IP)
