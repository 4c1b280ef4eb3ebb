"""Journey 2 of SPEC §4 (issue 11) over HTTP against the whole running Hub: staff import a
legacy people file (with invitations) and then their classification records, training
completions and papers on file; the invitation e-mail arrives, the person claims their account
with its link, and their dashboard, transcript and documents show the imported history — with
no message about history in their Message Center. Importing the same file again changes nothing
and sends no second e-mail."""
from __future__ import annotations

import random
import re
import time
import uuid

import pytest
import requests

from tests.support.api_client import bearer, log_in
from tests.support.factories import make_ssn
from tests.support.waiting import wait_until

pytestmark = pytest.mark.e2e

CODE = "399-DRIVER-G3"
PASSWORD = "violet-harbour-lantern-42"


def text_of(message) -> str:
    if message.is_multipart():
        return "\n".join(text_of(part) for part in message.get_payload())
    payload = message.get_payload(decode=True) or b""
    return payload.decode(message.get_content_charset() or "utf-8")


def upload(hub, admin: str, kind: str, text: str, send_invitations=False):
    return requests.post(hub.api("/staff/imports"), headers=bearer(admin),
                         files={"file": (f"{kind}.csv", text.encode(), "text/csv")},
                         data={"kind": kind, "send_invitations": "true" if send_invitations else ""})


def finished(hub, admin: str, import_id: str) -> dict:
    def done():
        report = requests.get(hub.api(f"/staff/imports/{import_id}"), headers=bearer(admin)).json()
        return report if report["status"] in ("done", "failed") else None
    return wait_until(done, timeout=60, interval=0.5, message=f"import {import_id} to finish")


def test_journey_2_import_people_and_records_then_claim_and_see_the_history(hub):
    admin = log_in(hub, hub.admin_email, hub.admin_password)
    il_number = f"{random.randint(10**9, 10**10 - 1)}"
    email = f"legacy.{uuid.uuid4().hex[:10]}@example.com"
    people = ("il_number,ssn,first_name,last_name,date_of_birth,email,phone,address,old_id\n"
              f"{il_number},{make_ssn()},Lena,Legacy,1975-05-06,{email},818-555-0100,\"1 Lot Rd, Burbank\",77\n"
              f"{il_number[:-1]}x,123,Bad,Row,1975-05-06,,,,\n")

    refused = upload(hub, admin, "people", "il_number,first_name\n1,Ana\n")
    assert refused.status_code == 422 and "ssn" in refused.text
    assert upload(hub, admin, "documents", "il_number\n").status_code == 422

    started = upload(hub, admin, "people", people, send_invitations=True)
    assert started.status_code == 202, started.text
    report = finished(hub, admin, started.json()["id"])
    assert (report["status"], report["total"], report["done"], report["created"]) == ("done", 2, 2, 1), report
    assert [r["line"] for r in report["rejected"]] == [3]
    assert report["warnings"] == ["Extra column(s) ignored: old_id"]

    # the person reaches the rosters' directory through the PersonRegistered event
    records = (f"il_number,classification_code,status,applied_on,placed_on,group,group_started_on\n"
               f"{il_number},{CODE},in_progress_not_training_eligible,2023-03-01,,,\n"
               f"0000000000,{CODE},compliant,2023-03-01,,,\n")

    def records_imported():
        response = upload(hub, admin, "classification_records", records)
        assert response.status_code == 202, response.text
        result = finished(hub, admin, response.json()["id"])
        return result if result["created"] + result["unchanged"] == 1 else None
    result = wait_until(records_imported, timeout=60, interval=1, message="the records import")
    assert result["status"] == "done"
    assert [(r["line"], r["reason"][:9]) for r in result["rejected"]] == [(3, "il_number")]

    completions = ("il_number,course_code,completed_on,expires_on,score,source\n"
                   f"{il_number},A,2021-02-10,,92,legacy LMS\n"
                   f"{il_number},NOPE,2021-02-10,,,\n")
    papers = ("il_number,document_type,status,issued_on,expires_on,reason\n"
              f"{il_number},dot_medical_certificate,approved,2025-01-15,2027-01-14,\n")
    for kind, text, rejected_lines in (("completions", completions, [3]), ("documents", papers, [])):
        def imported(kind=kind, text=text):
            response = upload(hub, admin, kind, text)
            assert response.status_code == 202, response.text
            result = finished(hub, admin, response.json()["id"])
            return result if result["created"] + result["unchanged"] == 1 else None
        kind_result = wait_until(imported, timeout=60, interval=1, message=f"the {kind} import")
        assert [r["line"] for r in kind_result["rejected"]] == rejected_lines, kind_result

    csv_text = requests.get(hub.api(f"/staff/imports/{result['id']}/rejected.csv"), headers=bearer(admin)).text
    assert csv_text.splitlines()[0] == "line,reason" and csv_text.splitlines()[1].startswith("3,")

    # the invitation, whatever else was mailed meanwhile (a reminder for the imported document,
    # due within the reminder window on some days of the year)
    invitation = wait_until(
        lambda: next((m for m in hub.smtp.messages_to(email) if "/claim?token=" in text_of(m)), None),
        timeout=60, message=f"the invitation to {email}")
    found = re.search(r"/claim\?token=([A-Za-z0-9_\-]+)", text_of(invitation))
    assert found, text_of(invitation)

    # the same people file again: nothing changes and no second invitation
    again = finished(hub, admin, upload(hub, admin, "people", people, send_invitations=True).json()["id"])
    assert (again["created"], again["updated"], again["unchanged"]) == (0, 0, 1)

    claimed = requests.post(hub.api("/invitations/claim"), json={"token": found.group(1), "password": PASSWORD})
    assert claimed.status_code == 200, claimed.text
    token = claimed.json()["token"]
    me = requests.get(hub.api("/me"), headers=bearer(token)).json()
    assert me["il_number"] == il_number
    dashboard = requests.get(hub.api("/me/classifications"), headers=bearer(token))
    assert dashboard.status_code == 200, dashboard.text
    body = dashboard.json()
    codes = [r["classification_code"] for r in body["records"] + body["pending"] + body["closed"]]
    assert CODE in codes, body
    transcript = requests.get(hub.api("/me/transcript"), headers=bearer(token)).json()
    assert [(c["course_code"], c["completed_on"]) for c in transcript["completions"]] == [("A", "2021-02-10")]
    documents = requests.get(hub.api("/me/documents"), headers=bearer(token)).json()["documents"]
    assert [(d["document_type"], d["status"], d["has_scan"]) for d in documents] == [
        ("dot_medical_certificate", "approved", False)]
    # history is no news: no "course completed" or "document approved" message for it
    messages = requests.get(hub.api("/me/messages"), headers=bearer(token)).json()["messages"]
    assert not [m for m in messages if m.get("category") in ("training", "document")], messages

    time.sleep(2)
    invitations = [m for m in hub.smtp.messages_to(email) if "/claim?token=" in text_of(m)]
    assert len(invitations) == 1, [m["Subject"] for m in hub.smtp.messages_to(email)]

    # the staff page is for logged-in staff only
    assert requests.get(f"{hub.url}/staff/imports", allow_redirects=False).status_code == 302
