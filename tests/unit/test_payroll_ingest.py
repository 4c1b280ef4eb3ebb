"""Payroll feed ingestion (rosters.payroll) through the service's RPC, on a real session: each
record judged on its own, duplicates stored once, unknown SSNs held then attached, and one
evaluation per person however many records name them."""
from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
import sqlalchemy as sa
from rosters import records as records_module
from rosters.models import WorkDay

from common.clock import today as hub_today
from common.errors import Forbidden, ValidationFailed
from common.events.accounts import PersonRegistered
from common.identity import normalise_ssn, ssn_index
from tests.support.factories import make_ssn

TODAY = hub_today()
PAYROLL = {"account_id": None, "roles": ["payroll_client"]}
IP_ROLES = ["industry_professional"]




def make_record(**overrides) -> dict:
    record = {"ssn": make_ssn(), "last_name": "Grip", "first_name": "Pat", "employer": "Warner Bros.",
              "production": "Night Shoot", "classification_code": "80-GRIP",
              "work_date": (TODAY - timedelta(days=3)).isoformat(), "hours": 10}
    record.update(overrides)
    return record


def register(service, ssn: str, last_name: str = "Grip") -> uuid.UUID:
    person_id = uuid.uuid4()
    service.handle_person_registered(PersonRegistered(
        person_id=person_id, il_number=f"{person_id.int % 10**10:010d}", first_name="Pat",
        last_name=last_name, ssn_index=ssn_index(normalise_ssn(ssn))).model_dump(mode="json"))
    return person_id


def days_of(session, person_id=None) -> list[WorkDay]:
    query = sa.select(WorkDay).order_by(WorkDay.work_date)
    if person_id is not None:
        query = query.where(WorkDay.person_id == person_id)
    return session.scalars(query).all()


def ingest(service, records):
    return service.ingest_payroll(records, str(uuid.uuid4()), PAYROLL)


@pytest.mark.parametrize("bad, reason", [
    ({"ssn": "12-34"}, "ssn"),
    ({"ssn": "000-12-3456"}, "ssn"),
    ({"classification_code": "80-ASTRONAUT"}, "unknown classification '80-ASTRONAUT'"),
    ({"work_date": (TODAY + timedelta(days=1)).isoformat()}, "cannot be in the future"),
    ({"work_date": "yesterday"}, "work_date"),
    ({"employer": None}, "employer"),
    ({"hours": 25}, "hours"),
    ({"hours": -1}, "hours"),
])
def test_a_bad_record_is_rejected_with_its_index_and_reason_while_the_others_are_stored(rosters, bad, reason):
    service, session, _ = rosters
    ssn = make_ssn()
    register(service, ssn)
    good = [make_record(ssn=ssn, work_date=(TODAY - timedelta(days=i)).isoformat()) for i in range(3)]
    report = ingest(service, [good[0], make_record(**{"ssn": ssn, **bad}), good[1], good[2]])
    assert [r["index"] for r in report["rejected"]] == [1]
    assert reason in report["rejected"][0]["reason"]
    assert (report["accepted"], report["duplicates"], report["held"]) == (3, 0, 0)
    assert len(days_of(session)) == 3


def test_a_record_missing_a_field_says_which_field_is_missing(rosters):
    service, _, _ = rosters
    record = make_record()
    del record["work_date"]
    report = ingest(service, [record, "not a record"])
    assert report["rejected"] == [{"index": 0, "reason": "work_date: missing"},
                                  {"index": 1, "reason": "a record must be a JSON object"}]


def test_the_same_day_twice_in_one_batch_is_stored_once_whatever_the_employers_case(rosters):
    service, session, _ = rosters
    ssn = make_ssn()
    person_id = register(service, ssn)
    day = make_record(ssn=ssn)
    report = ingest(service, [day, {**day, "employer": "WARNER  BROS.", "hours": 4}])
    assert (report["accepted"], report["duplicates"]) == (1, 1)
    assert len(days_of(session, person_id)) == 1


def test_a_day_sent_again_in_a_later_batch_is_a_duplicate_not_a_second_day(rosters):
    service, session, _ = rosters
    ssn = make_ssn()
    person_id = register(service, ssn)
    days = [make_record(ssn=ssn, work_date=(TODAY - timedelta(days=i)).isoformat()) for i in range(5)]
    assert ingest(service, days[:3])["accepted"] == 3
    report = ingest(service, days)
    assert (report["accepted"], report["duplicates"], report["rejected"]) == (2, 3, [])
    assert len(days_of(session, person_id)) == 5


def test_a_different_classification_or_employer_on_the_same_date_is_another_day(rosters):
    service, session, _ = rosters
    ssn = make_ssn()
    register(service, ssn)
    day = make_record(ssn=ssn)
    report = ingest(service, [day, {**day, "employer": "Universal"}, {**day, "classification_code": "80-dolly-grip"}])
    assert report["accepted"] == 3


def test_days_for_an_unknown_ssn_are_held_without_the_ssn_and_attach_when_the_person_registers(rosters):
    service, session, published = rosters
    ssn = make_ssn()
    days = [make_record(ssn=ssn, last_name="O'Brien", work_date=(TODAY - timedelta(days=i)).isoformat())
            for i in range(4)]
    report = ingest(service, days + [days[0]])
    assert (report["accepted"], report["held"], report["duplicates"]) == (0, 4, 1)
    held = days_of(session)
    assert all(d.person_id is None and d.held_ssn_index == ssn_index(normalise_ssn(ssn)) for d in held)
    digits = normalise_ssn(ssn)
    stored_text = " ".join(str(v) for d in held for v in vars(d).values())
    assert digits not in stored_text and ssn not in stored_text

    person_id = register(service, ssn, last_name="o'brien")
    attached = days_of(session, person_id)
    assert len(attached) == 4
    assert all(d.held_ssn_index is None and d.dedupe_key.startswith(str(person_id)) for d in attached)
    # the same days reported again now are duplicates of the attached ones
    assert ingest(service, days)["duplicates"] == 4


def test_held_days_under_another_last_name_stay_held_when_the_person_registers(rosters):
    service, session, _ = rosters
    ssn = make_ssn()
    ingest(service, [make_record(ssn=ssn, last_name="Someone-Else")])
    person_id = register(service, ssn, last_name="Grip")
    assert days_of(session, person_id) == []
    assert days_of(session)[0].person_id is None


def test_a_known_ssn_with_another_last_name_is_rejected(rosters):
    service, session, _ = rosters
    ssn = make_ssn()
    register(service, ssn, last_name="Grip")
    report = ingest(service, [make_record(ssn=ssn, last_name=" grip "), make_record(ssn=ssn, last_name="Gaffer",
                                                                                 employer="Other")])
    assert report["accepted"] == 1
    assert report["rejected"] == [{"index": 1, "reason": "name does not match our record for that SSN"}]


def test_more_than_ten_thousand_records_are_refused_as_a_whole(rosters):
    service, session, _ = rosters
    with pytest.raises(ValidationFailed) as refused:
        ingest(service, [make_record()] * 10_001)
    assert "10,000" in refused.value.message
    assert days_of(session) == []


def test_ten_thousand_records_are_accepted(rosters):
    service, session, _ = rosters
    ssn = make_ssn()
    register(service, ssn)
    records = [make_record(ssn=ssn, employer=f"Employer {i % 100}",
                           work_date=(TODAY - timedelta(days=i // 100)).isoformat()) for i in range(10_000)]
    assert ingest(service, records)["accepted"] == 10_000


def test_each_affected_person_is_evaluated_once_however_many_records_name_them(rosters, monkeypatch):
    service, session, published = rosters
    people = []
    for _ in range(3):
        ssn = make_ssn()
        person_id = register(service, ssn)
        service.apply(str(person_id), "80-GRIP", {"roles": IP_ROLES})
        people.append((ssn, person_id))
    evaluated = []
    real = records_module.evaluate

    def counting(record, *args, **kwargs):
        evaluated.append(record.classification)
        return real(record, *args, **kwargs)

    monkeypatch.setattr(records_module, "evaluate", counting)
    published.clear()
    batch = [make_record(ssn=ssn, work_date=(TODAY - timedelta(days=i)).isoformat())
             for ssn, _ in people for i in range(20)]
    batch += [make_record(ssn=make_ssn())]  # held: nobody to evaluate
    report = ingest(service, batch)
    assert report["accepted"] == 60 and report["held"] == 1
    assert len(evaluated) == 3
    recorded = [e for e in published if e.event_type == "work_days_recorded"]
    assert sorted((e.person_id, e.days) for e in recorded) == sorted((pid, 20) for _, pid in people)


def test_the_first_verified_day_makes_the_applicant_training_eligible(rosters):
    service, session, published = rosters
    ssn = make_ssn()
    person_id = register(service, ssn)
    record = service.apply(str(person_id), "80-GRIP", {"roles": IP_ROLES})
    assert record["status"] == "in_progress_not_training_eligible"
    ingest(service, [make_record(ssn=ssn)])
    mine = service.my_classification(str(person_id), "80-GRIP")
    assert mine["status"] == "in_progress_training_eligible"
    assert mine["rows"][0]["detail"] == "1 of 30 days in the last year; 29 more needed"
    changed = [e for e in published if e.event_type == "status_changed"]
    assert changed[-1].new_status == "in_progress_training_eligible"


def test_payroll_verifies_a_day_the_person_submitted_instead_of_adding_it_again(rosters):
    service, session, _ = rosters
    ssn = make_ssn()
    person_id = register(service, ssn)
    day = make_record(ssn=ssn)
    submitted = service.submit_work_days(str(person_id), {"days": [
        {key: day[key] for key in ("work_date", "classification_code", "employer", "production", "hours")}]},
        {"roles": IP_ROLES})
    assert submitted["recorded"] == 1 and submitted["days"][0]["verified"] is False
    report = ingest(service, [day])
    assert (report["accepted"], report["duplicates"]) == (0, 1)
    experience = service.my_work_experience(str(person_id))
    assert (experience["verified_total"], experience["pending_total"]) == (1, 0)


def test_only_a_payroll_client_may_send_work_records(rosters):
    service, _, _ = rosters
    with pytest.raises(Forbidden):
        service.ingest_payroll([make_record()], None, {"roles": IP_ROLES})


def test_a_group_reached_only_by_advancing_cannot_be_applied_for(rosters):
    from common.errors import Conflict

    service, _, _ = rosters
    person_id = register(service, make_ssn())
    with pytest.raises(Conflict) as error:
        service.apply(str(person_id), "399-DRIVER-G2", {"roles": IP_ROLES})
    assert "advancing from the group below" in error.value.message
    assert service.apply(str(person_id), "399-DRIVER-G3", {"roles": IP_ROLES})["status"].startswith("in_progress")


def test_staff_see_submitted_days_waiting_for_review_until_they_decide(rosters):
    service, _, _ = rosters
    person_id = register(service, make_ssn(), last_name="Reviewme")
    service.submit_work_days(str(person_id), {"days": [{
        "work_date": (TODAY - timedelta(days=2)).isoformat(), "classification_code": "80-GRIP",
        "employer": "Warner Bros.", "production": "Night Shoot", "hours": 9}]}, {"roles": IP_ROLES})
    staff = {"roles": ["staff_reviewer"]}
    waiting = service.pending_work_days(staff)
    assert [(d["name"], d["employer"]) for d in waiting] == [("Pat Reviewme", "Warner Bros.")]
    service.verify_work_day(waiting[0]["id"], "approve", None, staff)
    assert service.pending_work_days(staff) == []
    with pytest.raises(Forbidden):
        service.pending_work_days({"roles": IP_ROLES})
