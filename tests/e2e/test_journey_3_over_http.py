"""Journey 3 of SPEC §4 over HTTP against the whole running Hub (five services, the gateway, a
real broker and object storage): a driver uploads a required document, staff reject it with a
reason the driver sees in red and in the Message Center, the driver sends a new one, staff
approve it with an expiry, and the requirement is met. Every refusal answers plainly and leaves
no object behind."""
from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
import requests

from common.clock import today
from tests.support.api_client import bearer, log_in
from tests.support.factories import make_person
from tests.support.waiting import wait_until

pytestmark = pytest.mark.e2e

CODE = "399-DRIVER-G3"


def pdf(text: str) -> bytes:
    """A small PDF whose bytes differ with `text` (so each upload is a new document)."""
    return (b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n% " + text.encode() +
            b"\ntrailer << /Root 1 0 R >>\n%%EOF\n")


def new_driver(hub) -> str:
    person = make_person()
    assert requests.post(hub.api("/accounts"), json=person).status_code == 201
    token = log_in(hub, person["email"], person["password"])
    applied = requests.post(hub.api("/me/applications"), headers=bearer(token), json={"classification_code": CODE})
    assert applied.status_code == 201, applied.text
    return token


def upload(hub, token: str, data: bytes, document_type="dot_medical_certificate", name="medical.pdf"):
    return requests.post(hub.api("/me/documents"), headers=bearer(token),
                         files={"file": (name, data, "application/pdf")},
                         data={"document_type": document_type, "classification_code": CODE})


def medical_row(hub, token: str) -> dict:
    record = requests.get(hub.api(f"/me/classifications/{CODE}"), headers=bearer(token)).json()
    return next(r for r in record["rows"] if "dot_medical_certificate" in r["numbers"].get("document_types", []))


def staged_objects(hub) -> list:
    incoming = hub.data_dir / "objects" / "incoming"
    return [p for p in incoming.rglob("*") if p.is_file()] if incoming.exists() else []


def test_journey_3_upload_reject_with_reason_upload_again_approve(hub):
    token = new_driver(hub)
    admin = log_in(hub, hub.admin_email, hub.admin_password)
    types = requests.get(hub.api("/document-types")).json()["document_types"]
    assert next(t for t in types if t["code"] == "dot_medical_certificate")["expires"] is True

    first_bytes = pdf(f"first {uuid.uuid4()}")
    first = upload(hub, token, first_bytes)
    assert first.status_code == 201, first.text
    document = first.json()
    assert document["status"] == "pending_review" and document["file_name"] == "medical.pdf"
    again = upload(hub, token, first_bytes, name="the-same-again.pdf")
    assert again.status_code == 200 and again.json()["id"] == document["id"]  # the same bytes: not stored twice

    queue = requests.get(hub.api("/staff/documents?status=pending_review"), headers=bearer(admin)).json()
    queued = next(d for d in queue["documents"] if d["id"] == document["id"])
    assert queued["il_number"] and queued["last_name"]
    rejected = requests.post(hub.api(f"/staff/documents/{document['id']}/review"), headers=bearer(admin),
                             json={"decision": "reject", "reason": "Document is illegible"})
    assert rejected.status_code == 200, rejected.text
    twice = requests.post(hub.api(f"/staff/documents/{document['id']}/review"), headers=bearer(admin),
                          json={"decision": "approve", "expires_on": (today() + timedelta(days=300)).isoformat()})
    assert twice.status_code == 409 and "already reviewed" in twice.json()["message"]

    mine = requests.get(hub.api("/me/documents"), headers=bearer(token)).json()["documents"]
    assert [(d["status"], d["reason"]) for d in mine] == [("rejected", "Document is illegible")]

    def told():
        messages = requests.get(hub.api("/me/messages"), headers=bearer(token)).json()["messages"]
        return [m for m in messages if "Document is illegible" in m["body"]]
    wait_until(told, timeout=20, message="the rejection to reach the Message Center")

    second = upload(hub, token, pdf(f"second {uuid.uuid4()}"))
    assert second.status_code == 201
    expires = today() + timedelta(days=300)
    approved = requests.post(hub.api(f"/staff/documents/{second.json()['id']}/review"), headers=bearer(admin),
                             json={"decision": "approve", "issued_on": today().isoformat(),
                                   "expires_on": expires.isoformat()})
    assert approved.status_code == 200 and approved.json()["status"] == "approved"

    row = wait_until(lambda: (lambda r: r if r["state"] != "unmet" else None)(medical_row(hub, token)),
                     timeout=20, message="rosters to count the approved certificate")
    assert row["tab"] == "documents" and row["detail"] == f"Approved; expires {expires:%m/%d/%Y}"
    assert staged_objects(hub) == []


def test_only_the_owner_and_staff_can_download_a_document(hub):
    owner, stranger = new_driver(hub), new_driver(hub)
    admin = log_in(hub, hub.admin_email, hub.admin_password)
    data = pdf(f"mine {uuid.uuid4()}")
    document = upload(hub, owner, data).json()
    path = hub.api(f"/me/documents/{document['id']}/file")

    mine = requests.get(path, headers=bearer(owner))
    staff = requests.get(path, headers=bearer(admin))
    theirs = requests.get(path, headers=bearer(stranger))

    assert mine.status_code == 200 and mine.content == data
    assert mine.headers["Content-Disposition"].startswith("attachment")
    assert mine.headers["X-Content-Type-Options"] == "nosniff"
    assert staff.status_code == 200 and staff.content == data
    assert theirs.status_code == 404 and theirs.json()["error"] == "not_found"
    assert requests.get(path).status_code == 401


@pytest.mark.parametrize("data, name, document_type, status", [
    (b"MZ\x90\x00" + b"\x00" * 200, "certificate.pdf", "dot_medical_certificate", 415),  # a program, renamed
    (b"<html><script>alert(1)</script></html>", "medical.pdf", "dot_medical_certificate", 415),
    (b"", "medical.pdf", "dot_medical_certificate", 422),
    (None, "medical.pdf", "no_such_type", 422),
])
def test_a_bad_upload_is_refused_plainly_and_leaves_nothing_behind(hub, data, name, document_type, status):
    token = new_driver(hub)

    response = upload(hub, token, data if data is not None else pdf(str(uuid.uuid4())), document_type, name)

    assert response.status_code == status, response.text
    assert response.json()["message"]
    assert requests.get(hub.api("/me/documents"), headers=bearer(token)).json()["documents"] == []
    assert staged_objects(hub) == []
