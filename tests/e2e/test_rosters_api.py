"""The rosters endpoints over HTTP against the whole running Hub: the catalog, applications,
classification records, work experience, the payroll feed and the sweep, and who may call each."""
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

TODAY = hub_today()


def assert_error(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["error"] == code and body["message"], body
    return body


@pytest.fixture(scope="module")
def admin(hub) -> str:
    return log_in(hub, hub.admin_email, hub.admin_password)


@pytest.fixture
def ip(hub) -> tuple[dict, dict, str]:
    """An Industry Professional with an account, logged in: (sent, created, token)."""
    person = make_person()
    response = requests.post(hub.api("/accounts"), json=person)
    assert response.status_code == 201, response.text
    return person, response.json(), log_in(hub, person["email"], person["password"])


def apply(hub, token: str, code: str):
    """Apply; a 503 "try again in a moment" (rosters has not heard of a brand-new account yet,
    and the caller did not pass who the person is) is tried again, as a client would."""
    def attempt():
        response = requests.post(hub.api("/me/applications"), headers=bearer(token),
                                 json={"classification_code": code})
        return None if response.status_code == 503 else (response,)  # a 4xx response is falsy

    return wait_until(attempt, timeout=20, message="rosters to know the new account")[0]


def payroll(hub, records, key: str | None = None):
    headers = bearer(key or hub.payroll_key)
    return requests.post(hub.api("/integrations/payroll/work-records"), headers=headers, json=records)


def work_record(person: dict, days_ago: int = 1, **overrides) -> dict:
    record = {"ssn": person["ssn"], "last_name": person["last_name"], "first_name": person["first_name"],
              "employer": "Warner Bros.", "production": "Night Shoot", "classification_code": "80-GRIP",
              "work_date": (TODAY - timedelta(days=days_ago)).isoformat(), "hours": 10}
    record.update(overrides)
    return record


def test_anyone_reads_the_catalog_with_each_requirement_summarised(hub):
    response = requests.get(hub.api("/classifications"))
    assert response.status_code == 200
    grip = next(c for c in response.json()["classifications"] if c["code"] == "80-GRIP")
    assert grip["name"] == "IATSE, Local #80 (Grip)" and grip["union"] == "IATSE"
    assert grip["application"][0] == "30 verified work days in the last year"
    driver = next(c for c in response.json()["classifications"] if c["code"] == "399-DRIVER-G3")
    assert (driver["group"], driver["advances_to"]) == (3, "399-DRIVER-G2")
    assert_error(requests.get(hub.api("/classifications"), params={"as_of": "someday"}), 422, "validation_failed")


def test_an_ip_applies_once_and_an_unknown_classification_is_not_found(hub, ip):
    _, _, token = ip
    response = apply(hub, token, "80-GRIP")
    assert response.status_code == 201, response.text
    record = response.json()
    assert (record["classification_code"], record["status"], record["applied_on"]) == (
        "80-GRIP", "in_progress_not_training_eligible", TODAY.isoformat())
    assert_error(apply(hub, token, "80-GRIP"), 409, "conflict")
    assert_error(apply(hub, token, "80-ASTRONAUT"), 404, "not_found")
    assert_error(requests.post(hub.api("/me/applications"), json={"classification_code": "80-GRIP"}),
                 401, "unauthorized")


def test_the_payroll_feed_counts_accepted_duplicate_held_and_rejected_records_exactly(hub, ip):
    person, created, token = ip
    assert apply(hub, token, "80-GRIP").status_code == 201  # rosters knows the person now
    stranger = make_person()
    records = [
        work_record(person, 1),
        work_record(person, 2),
        work_record(person, 1, employer="WARNER BROS.", hours=4),        # 2: the same day again
        work_record(stranger, 1),                                          # 3: held, no one has that SSN
        work_record(person, 3, ssn="12-345"),                              # 4: not an SSN
        work_record(person, 3, classification_code="80-ASTRONAUT"),        # 5: no such classification
        work_record(person, -2),                                           # 6: in the future
        work_record(person, 3, last_name="Somebody-Else"),                 # 7: not their name
        {k: v for k, v in work_record(person, 4).items() if k != "employer"},  # 8: missing employer
        work_record(person, 5, hours=30),                                  # 9: more than a day
    ]
    response = payroll(hub, {"records": records})
    assert response.status_code == 202, response.text
    report = response.json()
    assert (report["accepted"], report["duplicates"], report["held"]) == (2, 1, 1)
    assert [r["index"] for r in report["rejected"]] == [4, 5, 6, 7, 8, 9]
    assert report["rejected"][3]["reason"] == "name does not match our record for that SSN"

    # sent again as a bare list: nothing new
    again = payroll(hub, records[:4]).json()
    assert (again["accepted"], again["duplicates"], again["held"], again["rejected"]) == (0, 4, 0, [])

    experience = requests.get(hub.api("/me/work-experience"), headers=bearer(token)).json()
    assert experience["verified_total"] == 2
    assert {d["source"] for d in experience["days"]} == {"payroll"}

    mine = requests.get(hub.api("/me/classifications"), headers=bearer(token)).json()
    record = mine["records"][0]
    assert (record["classification_code"], record["status"]) == ("80-GRIP", "in_progress_training_eligible")
    assert record["rows"][0]["detail"] == "2 of 30 days in the last year; 28 more needed"
    assert {r["tab"] for r in record["rows"]} == {"work_experience", "training"}
    one = requests.get(hub.api("/me/classifications/80-GRIP"), headers=bearer(token))
    assert one.status_code == 200 and one.json()["record_id"] == record["record_id"]
    earlier = requests.get(hub.api("/me/classifications"), headers=bearer(token),
                           params={"as_of": (TODAY - timedelta(days=1)).isoformat()}).json()
    assert earlier["records"] == []  # they had not applied yet
    assert_error(requests.get(hub.api("/me/classifications/399-DRIVER-G3"), headers=bearer(token)),
                 404, "not_found")


def test_held_payroll_days_reach_the_person_when_their_account_is_created(hub):
    person = make_person()
    report = payroll(hub, [work_record(person, d) for d in (1, 2, 3)]).json()
    assert report["held"] == 3
    assert requests.post(hub.api("/accounts"), json=person).status_code == 201
    token = log_in(hub, person["email"], person["password"])

    def experience_once_attached():
        experience = requests.get(hub.api("/me/work-experience"), headers=bearer(token)).json()
        return experience if experience["verified_total"] == 3 else None

    experience = wait_until(experience_once_attached, timeout=20, message="the held days to attach")
    assert len(experience["days"]) == 3


def test_the_payroll_feed_needs_its_api_key(hub, ip, admin):
    _, _, token = ip
    records = {"records": [work_record(make_person())]}
    assert_error(requests.post(hub.api("/integrations/payroll/work-records"), json=records), 401, "unauthorized")
    assert_error(payroll(hub, records, key="hubpk_not-a-real-key"), 401, "unauthorized")
    assert_error(payroll(hub, records, key=token), 403, "forbidden")
    assert_error(payroll(hub, records, key=admin), 403, "forbidden")


def test_a_batch_of_more_than_ten_thousand_records_is_refused_whole(hub):
    record = work_record(make_person())
    body = assert_error(payroll(hub, [record] * 10_001), 422, "validation_failed")
    assert "10,000" in body["message"]
    assert_error(payroll(hub, {"records": "none"}), 422, "validation_failed")


def test_submitted_days_wait_for_staff_and_count_once_verified(hub, ip, admin):
    person, created, token = ip
    assert apply(hub, token, "80-GRIP").status_code == 201
    day = {"work_date": (TODAY - timedelta(days=2)).isoformat(), "classification_code": "80-GRIP",
           "employer": "Paramount", "production": "Pilot", "hours": 12}
    # the proof is a document of the person's own; anyone else's (or none at all) is not found
    assert_error(requests.post(hub.api("/me/work-experience"), headers=bearer(token),
                               json={"days": [day], "proof_document_id": str(uuid.uuid4())}), 404, "not_found")
    stub = b"%PDF-1.4\n% pay stub " + uuid.uuid4().hex.encode() + b"\n%%EOF\n"
    proof = requests.post(hub.api("/me/documents"), headers=bearer(token),
                          files={"file": ("paystub.pdf", stub, "application/pdf")},
                          data={"document_type": "proof_of_employment"})
    assert proof.status_code == 201, proof.text
    response = requests.post(hub.api("/me/work-experience"), headers=bearer(token),
                             json={"days": [day], "proof_document_id": proof.json()["id"]})
    assert response.status_code == 201, response.text
    submitted = response.json()["days"][0]
    assert submitted["verified"] is False and submitted["source"] == "ip_submitted"
    experience = requests.get(hub.api("/me/work-experience"), headers=bearer(token)).json()
    assert (experience["verified_total"], experience["pending_total"]) == (0, 1)
    status = requests.get(hub.api("/me/classifications/80-GRIP"), headers=bearer(token)).json()["status"]
    assert status == "in_progress_not_training_eligible"

    review = f"/staff/work-days/{submitted['id']}/review"
    assert_error(requests.post(hub.api(review), headers=bearer(token), json={"decision": "approve"}),
                 403, "forbidden")
    assert_error(requests.post(hub.api(review), headers=bearer(admin), json={"decision": "reject"}),
                 422, "validation_failed")
    approved = requests.post(hub.api(review), headers=bearer(admin), json={"decision": "approve"})
    assert approved.status_code == 200 and approved.json()["verified"] is True
    status = requests.get(hub.api("/me/classifications/80-GRIP"), headers=bearer(token)).json()["status"]
    assert status == "in_progress_training_eligible"
    seen = requests.get(hub.api(f"/staff/people/{created['person_id']}/classifications"), headers=bearer(admin))
    assert seen.json()["records"][0]["status"] == "in_progress_training_eligible"
    assert_error(requests.get(hub.api(f"/staff/people/{created['person_id']}/classifications"),
                              headers=bearer(token)), 403, "forbidden")


def test_staff_enter_verified_days(hub, ip, admin):
    _, created, token = ip
    assert apply(hub, token, "80-GRIP").status_code == 201
    days = [{"work_date": (TODAY - timedelta(days=d)).isoformat(), "classification_code": "80-GRIP",
             "employer": "Sony"} for d in (1, 2)]
    response = requests.post(hub.api("/staff/work-days"), headers=bearer(admin),
                             json={"person_id": created["person_id"], "days": days})
    assert response.status_code == 201, response.text
    assert response.json()["recorded"] == 2
    assert_error(requests.post(hub.api("/staff/work-days"), headers=bearer(token),
                               json={"person_id": created["person_id"], "days": days}), 403, "forbidden")
    experience = requests.get(hub.api("/me/work-experience"), headers=bearer(token)).json()
    assert experience["verified_total"] == 2 and {d["source"] for d in experience["days"]} == {"staff"}


def test_only_staff_run_a_sweep(hub, ip, admin):
    _, _, token = ip
    as_of = {"as_of": TODAY.isoformat()}
    assert_error(requests.post(hub.api("/staff/sweeps"), json=as_of), 401, "unauthorized")
    assert_error(requests.post(hub.api("/staff/sweeps"), headers=bearer(token), json=as_of), 403, "forbidden")
    response = requests.post(hub.api("/staff/sweeps"), headers=bearer(admin), json=as_of)
    assert response.status_code == 200, response.text
    assert set(response.json()) == {"as_of", "evaluated", "placed", "suspended", "reinstated", "advanced",
                                    "warnings", "documents_expired"}
    assert response.json()["documents_expired"] == 0
    assert_error(requests.post(hub.api("/staff/sweeps"), headers=bearer(admin), json={}), 422, "validation_failed")


def test_the_openapi_document_describes_the_rosters_endpoints(hub):
    paths = requests.get(hub.api("/openapi.json")).json()["paths"]
    assert {"/api/v1/classifications", "/api/v1/me/applications", "/api/v1/me/classifications",
            "/api/v1/me/classifications/{code}", "/api/v1/me/work-experience",
            "/api/v1/integrations/payroll/work-records", "/api/v1/staff/sweeps",
            "/api/v1/staff/work-days", "/api/v1/staff/work-days/{work_day_id}/review",
            "/api/v1/staff/people/{person_id}/classifications"} <= set(paths)
    payroll_answers = paths["/api/v1/integrations/payroll/work-records"]["post"]["responses"]
    assert payroll_answers.keys() >= {"202", "401", "403", "422"}
