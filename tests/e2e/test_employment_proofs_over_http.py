"""Journey 5's employer part (SPEC §4, issue 11) over HTTP against the whole running Hub: an
employer login proves it employed someone the Hub does not know yet on 839-ANIMATION; the proof
is held by the SSN's blind index; the person creates an account with that SSN, last name and
date of birth and finds the 839 record on their dashboard, with the employer's day verified."""
from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
import requests

from common.clock import today as hub_today
from tests.support.api_client import bearer, log_in
from tests.support.factories import make_person
from tests.support.waiting import wait_until

pytestmark = pytest.mark.e2e

CODE = "839-ANIMATION"
ORG = "Cartoon Studios E2E"
STRONG = "violet-harbour-lantern-42"


def employer_login(hub) -> str:
    admin = log_in(hub, hub.admin_email, hub.admin_password)
    email = f"employer.{uuid.uuid4().hex[:10]}@example.com"
    response = requests.post(hub.api("/staff/accounts"), headers=bearer(admin), json={
        "email": email, "password": STRONG, "display_name": "Payroll office", "roles": ["employer"],
        "locals": [], "organisation": ORG})
    assert response.status_code == 201, response.text
    return log_in(hub, email, STRONG)


def test_journey_5_an_employer_proof_for_a_new_person_is_theirs_when_they_create_an_account(hub):
    employer = employer_login(hub)
    person = make_person(first_name="Ana")
    first_day = (hub_today() - timedelta(days=3)).isoformat()
    proof = {"ssn": person["ssn"], "first_name": person["first_name"], "last_name": person["last_name"],
             "date_of_birth": person["date_of_birth"], "employer": ORG, "classification_code": CODE,
             "first_day": first_day}

    # refusals first: plain 422s that never echo the SSN; an IP may not send proofs at all
    future = requests.post(hub.api("/staff/employment-proofs"), headers=bearer(employer),
                           json={**proof, "first_day": (hub_today() + timedelta(days=2)).isoformat()})
    assert future.status_code == 422 and "future" in future.json()["message"]
    assert person["ssn"] not in future.text and person["ssn"].replace("-", "") not in future.text
    unknown = requests.post(hub.api("/staff/employment-proofs"), headers=bearer(employer),
                            json={**proof, "classification_code": "839-ASTRONAUT"})
    assert unknown.status_code == 422, unknown.text

    sent = requests.post(hub.api("/staff/employment-proofs"), headers=bearer(employer), json=proof)
    assert sent.status_code == 201, sent.text
    assert sent.json()["status"] == "held" and sent.json()["il_number"] is None
    assert person["ssn"] not in sent.text and person["ssn"].replace("-", "") not in sent.text

    listed = requests.get(hub.api("/employer/people"), headers=bearer(employer)).json()["people"]
    assert [(p["last_name"], p["status"]) for p in listed if p["last_name"] == person["last_name"]] == [
        (person["last_name"], "held")]

    created = requests.post(hub.api("/accounts"), json=person)
    assert created.status_code == 201, created.text
    token = log_in(hub, person["email"], person["password"])
    assert requests.post(hub.api("/staff/employment-proofs"), headers=bearer(token), json=proof).status_code == 403

    def the_839_record():
        records = requests.get(hub.api("/me/classifications"), headers=bearer(token)).json()
        records = records.get("records", records) if isinstance(records, dict) else records
        return next((r for r in records if r["classification_code"] == CODE), None)
    record = wait_until(the_839_record, timeout=30, message="the held proof to become the person's")
    assert record["status"]

    days = requests.get(hub.api("/me/work-experience"), headers=bearer(token)).json()
    proved = [d for d in days["days"] if d["source"] == "employer_proof"]
    assert [(d["work_date"], d["employer"], d["verified"]) for d in proved] == [(first_day, ORG, True)]

    def listed_with_il_number():
        people = requests.get(hub.api("/employer/people"), headers=bearer(employer)).json()["people"]
        mine = [p for p in people if p["last_name"] == person["last_name"]]
        return mine and mine[0]["il_number"] and mine[0]["status"] != "held" and mine[0]
    entry = wait_until(listed_with_il_number, timeout=30, message="the employer's list to show the person")
    assert entry["il_number"] == created.json()["il_number"]

    # the employer's home shows them, behind the employer's login
    session = requests.Session()
    page = session.get(hub.url + "/employers")
    assert "login" in page.url
