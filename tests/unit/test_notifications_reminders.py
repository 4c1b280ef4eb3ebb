"""Deadline reminders (SPEC §4 journey 6, issue 10): the rosters sweep publishes
`deadline_approaching` at the deployment's offsets (60, 30, 7 days before, on the day, 7 days
after while still unmet), each once per record, requirement, due date and offset. Through the
rosters service's entrypoints on an in-memory database (the `rosters` fixture)."""
from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
import sqlalchemy as sa
from rosters.models import DeadlineNotice
from rosters.records import NOTICE_DAYS, notice_step, parse_offsets

from common.clock import today
from common.events.accounts import PersonRegistered
from common.events.documents import DocumentReviewed

TODAY = today()
IP = {"roles": ["industry_professional"]}
STAFF = {"account_id": str(uuid.uuid4()), "roles": ["staff_reviewer"]}
MEDICAL = "dot_medical_certificate"


def applicant_with_medical(service, expires_on) -> uuid.UUID:
    person_id = uuid.uuid4()
    service.handle_person_registered(PersonRegistered(
        person_id=person_id, il_number=f"{person_id.int % 10**10:010d}", first_name="Pat",
        last_name="Driver").model_dump(mode="json"))
    service.apply(str(person_id), "399-DRIVER-G3", IP)
    approve(service, person_id, expires_on)
    return person_id


def approve(service, person_id, expires_on) -> None:
    service.handle_document_reviewed(DocumentReviewed(
        document_id=uuid.uuid4(), person_id=person_id, document_type=MEDICAL, decision="approved",
        expires_on=expires_on, reviewed_on=TODAY).model_dump(mode="json"))


def reminders(published, person_id=None) -> list:
    return [(e.due_on, e.days_left) for e in published
            if e.event_type == "deadline_approaching" and (person_id is None or e.person_id == person_id)]


def sweep(service, day) -> None:
    service.run_sweep(day.isoformat(), STAFF)


def test_the_schedule_is_60_30_7_on_the_day_and_7_after_and_configurable():
    assert NOTICE_DAYS == (60, 30, 7, 0, -7)
    assert parse_offsets("") == NOTICE_DAYS and parse_offsets("0, 14,-3") == (14, 0, -3)
    with pytest.raises(ValueError, match="HUB_REMINDER_OFFSETS"):
        parse_offsets("sixty")
    steps = {days: notice_step(days) for days in (61, 60, 45, 30, 8, 7, 5, 0, -1, -6, -7, -10, -14, -15)}
    assert steps == {61: None, 60: 60, 45: 60, 30: 30, 8: 30, 7: 7, 5: 7, 0: 0, -1: None, -6: None, -7: -7,
                     -10: -7, -14: None, -15: None}


def test_a_sweep_run_twice_sends_one_reminder(rosters):
    service, session, published = rosters
    due = TODAY + timedelta(days=90)
    person_id = applicant_with_medical(service, due)
    published.clear()
    sweep(service, due - timedelta(days=60))
    sweep(service, due - timedelta(days=60))
    assert reminders(published, person_id) == [(due, 60)]
    assert session.scalars(sa.select(DeadlineNotice.days_before)).all() == [60]


def test_as_of_a_date_sends_what_that_date_calls_for_and_nothing_twice(rosters):
    service, _, published = rosters
    due = TODAY + timedelta(days=90)
    person_id = applicant_with_medical(service, due)
    published.clear()
    for days_before in (75, 60, 45, 30, 29, 7, 3, 0, -1, -7, -8):
        sweep(service, due - timedelta(days=days_before))
    assert reminders(published, person_id) == [(due, 60), (due, 30), (due, 7), (due, 0), (due, -7)]
    published.clear()
    for days_before in (60, 30, 7, 0, -7):  # staff re-run earlier days: all already sent
        sweep(service, due - timedelta(days=days_before))
    assert reminders(published, person_id) == []


def test_a_requirement_met_in_the_meantime_sends_no_later_reminders_for_the_old_date(rosters):
    service, _, published = rosters
    due = TODAY + timedelta(days=40)
    person_id = applicant_with_medical(service, due)
    sweep(service, due - timedelta(days=30))
    assert reminders(published, person_id)[-1] == (due, 30)
    renewed = due + timedelta(days=700)
    approve(service, person_id, renewed)  # a new certificate, approved
    published.clear()
    for days_before in (7, 0, -7):
        sweep(service, due - timedelta(days=days_before))
    assert [r for r in reminders(published, person_id) if r[0] == due] == []
    assert {d for d, _ in reminders(published, person_id)} <= {renewed}


def test_the_reminder_after_the_lapse_goes_only_while_the_requirement_is_unmet(rosters):
    service, _, published = rosters
    due = TODAY + timedelta(days=20)
    unmet = applicant_with_medical(service, due)
    met = applicant_with_medical(service, due)
    sweep(service, due)
    assert (due, 0) in reminders(published, unmet) and (due, 0) in reminders(published, met)
    approve(service, met, due + timedelta(days=365))
    published.clear()
    sweep(service, due + timedelta(days=7))
    assert reminders(published, unmet) == [(due, -7)]
    assert reminders(published, met) == []


def test_the_offsets_come_from_the_deployment(rosters):
    service, _, published = rosters
    service.config["HUB_REMINDER_OFFSETS"] = "14,-3"
    due = TODAY + timedelta(days=30)
    person_id = applicant_with_medical(service, due)
    published.clear()
    for days_before in (30, 14, 7, 0, -3):
        sweep(service, due - timedelta(days=days_before))
    assert reminders(published, person_id) == [(due, 14), (due, -3)]
