"""What people take away (seed 003) over HTTP against the whole running Hub: a person downloads
their Compliance Report, the code printed on it (and in its QR code) opens their live status at
/api/v1/verify/<code> and /verify/<code>, and the status shown follows what happens after the
report was printed. The transcript downloads too."""
from __future__ import annotations

import io
import re
from datetime import timedelta

import pypdf
import pytest
import requests
import zxingcpp

from common.clock import today
from tests.support.api_client import bearer
from tests.support.factories import make_person
from tests.support.waiting import wait_until

pytestmark = pytest.mark.e2e

CODE = re.compile(r"\b[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}\b")


def pdf_text(data: bytes) -> str:
    return " ".join(" ".join(page.extract_text().split()) for page in pypdf.PdfReader(io.BytesIO(data)).pages)


def qr_codes(data: bytes) -> list[str]:
    return [code.text for page in pypdf.PdfReader(io.BytesIO(data)).pages for image in page.images
            for code in zxingcpp.read_barcodes(image.image)]


def new_applicant(hub) -> tuple[dict, dict, str]:
    person = make_person()
    created = requests.post(hub.api("/accounts"), json=person)
    assert created.status_code == 201, created.text
    session = requests.post(hub.api("/session"), json={"email": person["email"], "password": person["password"]})
    token = session.json()["token"]

    def apply():
        response = requests.post(hub.api("/me/applications"), headers=bearer(token),
                                 json={"classification_code": "80-GRIP"})
        return None if response.status_code == 503 else (response,)   # rosters has not heard of them yet

    applied = wait_until(apply, timeout=20, message="rosters to know the new account")[0]
    assert applied.status_code == 201, applied.text
    return person, created.json(), token


def test_a_compliance_reports_code_opens_the_persons_live_status(hub):
    person, created, token = new_applicant(hub)
    il_number = created["il_number"]

    report = requests.get(hub.api("/me/compliance-report.pdf"), headers=bearer(token))
    assert report.status_code == 200, report.text
    assert report.headers["Content-Type"] == "application/pdf"
    assert report.headers["Content-Disposition"].startswith("attachment;")
    assert report.headers["Cache-Control"] == "no-store"
    text = pdf_text(report.content)
    assert f"{person['first_name']} {person['last_name']}" in text and il_number in text
    assert "IATSE, Local #80 (Grip)" in text and "In Progress - Not Training Eligible" in text
    code = CODE.search(text).group(0)
    assert qr_codes(report.content) == [f"{hub.url}/verify/{code}"]

    checked = requests.get(hub.api(f"/verify/{code}"))
    assert checked.status_code == 200, checked.text
    found = checked.json()
    assert found["code"] == code and found["person"]["il_number"] == il_number
    assert found["person"]["last_name"] == person["last_name"]
    grip = next(c for c in found["person"]["classifications"] if c["code"] == "80-GRIP")
    assert grip["status"] == "in_progress_not_training_eligible" and grip["on_roster"] is False
    for private in (person["ssn"], person["ssn"].replace("-", ""), person["date_of_birth"], person["email"]):
        assert private not in checked.text

    # after the report was printed, payroll reports a day: the code shows the status now
    day = {"ssn": person["ssn"], "last_name": person["last_name"], "first_name": person["first_name"],
           "employer": "Warner Bros.", "classification_code": "80-GRIP",
           "work_date": (today() - timedelta(days=1)).isoformat(), "hours": 10}
    fed = requests.post(hub.api("/integrations/payroll/work-records"), headers=bearer(hub.payroll_key),
                        json={"records": [day]})
    assert fed.status_code == 202 and fed.json()["accepted"] == 1, fed.text

    def live_status():
        now = requests.get(hub.api(f"/verify/{code}")).json()
        grip = next(c for c in now["person"]["classifications"] if c["code"] == "80-GRIP")
        return now if grip["status"] == "in_progress_training_eligible" else None

    later = wait_until(live_status, timeout=20, message="the verification to show the new status")
    assert later["issued_at"] == found["issued_at"]   # the same report, a newer status

    page = requests.get(f"{hub.url}/verify/{code}")
    assert page.status_code == 200
    assert "This code is genuine" in page.text and il_number in page.text
    assert "In Progress - Training Eligible" in page.text
    assert person["ssn"] not in page.text and person["email"] not in page.text

    again = requests.get(hub.api("/me/compliance-report.pdf"), headers=bearer(token))
    assert CODE.search(pdf_text(again.content)).group(0) != code   # every printout its own code


def test_an_unknown_code_is_not_found_and_the_transcript_downloads(hub):
    _, created, token = new_applicant(hub)
    unknown = requests.get(hub.api("/verify/ZZZZ-ZZZZ-ZZZZ-ZZZZ"))
    assert unknown.status_code == 404 and unknown.json()["error"] == "not_found"
    assert requests.get(f"{hub.url}/verify/ZZZZ-ZZZZ-ZZZZ-ZZZZ").status_code == 404

    transcript = requests.get(hub.api("/me/transcript.pdf"), headers=bearer(token))
    assert transcript.status_code == 200, transcript.text
    assert transcript.headers["Content-Type"] == "application/pdf"
    text = pdf_text(transcript.content)
    assert "Official Course Transcript" in text and created["il_number"] in text
    assert requests.get(hub.api("/me/transcript.pdf")).status_code == 401
