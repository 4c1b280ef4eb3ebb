"""The gateway with canned service answers, served over HTTP for the browser: layout tests (and
screenshots) of the pages without starting RabbitMQ and five services.

    python -m tests.browser.fake_hub PORT

Log in with any password as ip@example.com (an Industry Professional with the records of
seed 002 and an application under way), rep@example.com (a Local #399 and #44 business
representative) or staff@example.com (Contract Services).

Training is a small stateful fake of the training service (FakeTraining): John Doe may take HP
and C19 online, and take HP1 through its quiz to his transcript.

A legacy import (FakeImports) moves on a step each time its page reads it, to its report; 1,300
imported people wait for a claim invitation, and a press starts a drive that moves on a step each
time the imports page reads the counts, to done.

Documents are kept in memory by a fake documents service, their bytes in a real local-folder
store under HUB_DATA_DIR (a temporary folder unless the environment names one)."""
import os
import sys
import tempfile
import time
import uuid
from pathlib import Path

from common.storage import LocalFolderStorage
from tests.browser.fake_bulletins import install as install_bulletins
from tests.support.fake_gateway import PERSON_ID, FakeDocuments, FakeNotifications, FakeRpc, FakeTraining, make_app

STAFF_ACCOUNT = str(uuid.uuid4())
OTHER_PERSON = str(uuid.uuid4())

PRINCIPALS = {
    "ip": {"account_id": str(uuid.uuid4()), "person_id": PERSON_ID, "roles": ["industry_professional"]},
    "rep": {"account_id": str(uuid.uuid4()), "person_id": None, "roles": ["union_rep"], "locals": ["399", "44"],
            "display_name": "Dana Rep", "organisation": "Teamsters Local #399"},
    "staff": {"account_id": STAFF_ACCOUNT, "person_id": None, "roles": ["staff_admin"],
              "display_name": "Administrator"},
}
ME = {"person_id": PERSON_ID, "il_number": "1234567890", "first_name": "John", "last_name": "Doe",
      "date_of_birth": "1985-04-12", "ssn_masked": "***-**-6789", "roles": ["industry_professional"],
      "has_account": True, "email": "ip@example.com", "email_undeliverable": False, "phone": None,
      "address_line1": None, "address_line2": None, "city": None, "state": None, "postal_code": None,
      "email_notifications": True}


def row(tab, kind, label, state, detail, due_on=None, numbers=None, next_step=None, phase="application"):
    return {"phase": phase, "kind": kind, "tab": tab, "label": label, "state": state, "detail": detail,
            "due_on": due_on, "next_step": next_step, "numbers": numbers or {}}


def record(code, name, status, label, rows, **extra):
    local = code.split("-")[0]
    return {"record_id": str(uuid.uuid4()), "classification_code": code, "name": name, "local": local,
            "local_name": f"Local #{local}", "roster": "IER", "group": None, "status": status, "label": label,
            "as_of": "2024-03-01", "applied_on": "2024-01-15", "placed_on": None, "training_eligible": True,
            "anticipated_advancement_on": None, "advances_to": None, "rows": rows, "timeline": [], **extra}


CDL = row("other", "any_of", "Commercial Driver's License (Class A or Class B)", "unmet",
          "Commercial Driver's License, Class A: Not on file; Commercial Driver's License, Class B: Not on file",
          next_step="Upload it under Required Documents; staff will review it. Or: Upload it under Required "
                    "Documents; staff will review it.")
DRIVER_G3 = record("399-DRIVER-G3", "Teamsters, Local #399 (Driver Group 3)", "compliant", "Compliant", [
    row("work_experience", "work_days", "30 verified work days in 365 days", "met", "41 of 30 days in 365 days",
        numbers={"have": 41, "need": 30, "window_days": 365}, phase="ongoing"),
    {**CDL, "state": "met", "next_step": None, "phase": "ongoing",
     "detail": "Commercial Driver's License, Class A: Approved; expires 08/31/2026; Commercial Driver's "
               "License, Class B: Not on file"},
    row("documents", "document", "DOT Medical Examiner's Certificate", "due", "Approved; expires 03/20/2024",
        due_on="2024-03-20", phase="ongoing", next_step="Upload it under Required Documents; staff will review it."),
    row("training", "course", "Safety Pass course B", "met", "Completed B on 06/01/2022", phase="ongoing"),
], group=3, placed_on="2022-05-30", advances_to="399-DRIVER-G2", anticipated_advancement_on="2024-05-30",
    local_name="Teamsters Local #399")
DRIVER_G2 = record("399-DRIVER-G2", "Teamsters, Local #399 (Driver Group 2)", "pending_advancement",
                   "Pending (In Progress)", [
                       row("other", "time_in_group", "2 Years Active, Upgrade", "unmet",
                           "Anticipated Advancement Date: 05/30/2024", due_on="2024-05-30", phase="advancement",
                           next_step="Stay compliant with every requirement: days out of compliance do not "
                                     "count toward advancing in grouping.")],
                   group=2, record_id=None, applied_on=None, anticipated_advancement_on="2024-05-30",
                   local_name="Teamsters Local #399")
GRIP = record("80-GRIP", "IATSE, Local #80 (Grip)", "in_progress_training_eligible",
              "In Progress - Training Eligible", [
    row("work_experience", "work_days", "30 verified work days in 365 days", "unmet",
        "12 of 30 days in 365 days; 18 more needed", numbers={"have": 12, "need": 30, "window_days": 365},
        next_step="Work 18 more verified days in this classification (payroll reports them, or submit proof "
                  "of employment)."),
    row("training", "course", "Safety Pass course A", "met", "Completed A on 01/20/2024"),
    row("training", "questionnaire", "Harassment prevention (HP1 or HP2)", "unmet", "Questionnaire not answered",
        next_step="Answer the short questionnaire when you enroll; it picks your course."),
    row("training", "course", "Safety Pass course C19", "due", "Due by 07/01/2024", due_on="2024-07-01",
        next_step="Enroll in C19 and complete it."),
], local_name="IATSE Local #80")
MINE = {"as_of": "2024-03-01", "records": [DRIVER_G3, GRIP], "pending": [DRIVER_G2], "closed": []}

LONG_RULES = ["30 verified work days in 365 days", "Commercial Driver's License (Class A or Class B)",
              "DOT Medical Examiner's Certificate", "Safety Pass course A", "Harassment prevention (HP1 or HP2)",
              "Safety Pass course C19"]
ONGOING = ["Commercial Driver's License (Class A or Class B)", "DOT Medical Examiner's Certificate",
           "Harassment prevention (HP1 or HP2), every 2 years", "Safety Pass course B, due 90 days after placement",
           "Safety Pass course D1, due 90 days after placement", "2 Years Active, Upgrade"]


def catalog() -> list[dict]:
    """Local #399's 17 classifications (the page that was 11,000 px tall) and a few other locals."""
    out = []
    for job in ("Driver", "Dispatcher", "Auto Mechanic", "Auto Service", "Wrangler"):
        for group in (3, 2, 1):
            out.append({"code": f"399-{job.upper().replace(' ', '-')}-G{group}",
                        "name": f"Teamsters, Local #399 ({job} Group {group})", "local": "399",
                        "local_name": "Teamsters Local #399", "union": "Teamsters", "roster": "IER",
                        "group": group, "advances_to": None, "illustrative": True,
                        "application": LONG_RULES, "ongoing": ONGOING})
    for extra in ("Casting Director", "Location Manager"):
        out.append({**out[-1], "code": f"399-{extra.upper().replace(' ', '-')}", "group": None,
                    "name": f"Teamsters, Local #399 ({extra})"})
    for local, union, jobs in (("80", "IATSE", ("Grip", "Dolly Grip", "Key Grip")),
                               ("728", "IATSE", ("Electrician", "Rigging Electrician")),
                               ("44", "IATSE", ("Propmaker", "Property Master"))):
        for job in jobs:
            out.append({"code": f"{local}-{job.upper().replace(' ', '-')}", "name": f"{union}, Local #{local} ({job})",
                        "local": local, "local_name": f"{union} Local #{local}", "union": union, "roster": "IER",
                        "group": None, "advances_to": None, "illustrative": True,
                        "application": LONG_RULES[:1] + LONG_RULES[3:], "ongoing": ONGOING[2:5]})
    return out


def audit_entries() -> list[dict]:
    at = "2024-03-01T18:{:02d}:00+00:00"
    return [
        {"service": "notifications", "id": 3, "at": at.format(30), "actor_account_id": PRINCIPALS["ip"]["account_id"],
         "actor_roles": ["industry_professional"], "on_behalf_of": None, "action": "message.read",
         "target_type": "message", "target_id": str(uuid.uuid4()), "details": {"person_id": PERSON_ID},
         "client_ip": "203.0.113.9"},
        {"service": "accounts", "id": 2, "at": at.format(20), "actor_account_id": STAFF_ACCOUNT,
         "actor_roles": ["staff_admin"], "on_behalf_of": OTHER_PERSON, "action": "profile.updated",
         "target_type": "person", "target_id": OTHER_PERSON, "details": {}, "client_ip": "10.0.0.7"},
        {"service": "accounts", "id": 1, "at": at.format(10), "actor_account_id": None, "actor_roles": ["system"],
         "on_behalf_of": None, "action": "person.created", "target_type": "person", "target_id": PERSON_ID,
         "details": {}, "client_ip": None},
    ]


CARDS = {PERSON_ID: {"person_id": PERSON_ID, "il_number": "1234567890", "first_name": "John", "last_name": "Doe"},
         OTHER_PERSON: {"person_id": OTHER_PERSON, "il_number": "5550001112", "first_name": "Robin",
                        "last_name": "Dolly"}}
PERSON = {"person_id": OTHER_PERSON, "il_number": "5550001112", "first_name": "Robin", "last_name": "Dolly",
          "has_account": False, "locals": ["80", "399"], "origin": "import", "date_of_birth": "1980-01-02",
          "ssn_masked": "***-**-4321",
          "contact": {"email": "robin@example.com", "email_undeliverable": False, "phone": "818-555-0100",
                      "address_line1": None, "address_line2": None, "city": None, "state": None,
                      "postal_code": None, "email_notifications": True}}


# --- a union rep's home (Local #399): canned members, narrowed by the status filter -------------

def _rep_record(code, name, status, label, applied_on, placed_on, next_deadline):
    return {"code": code, "name": name, "status": status, "status_label": label, "applied_on": applied_on,
            "placed_on": placed_on, "next_deadline": next_deadline}


MEMBERS = [
    {"il_number": "1234567890", "first_name": "John", "last_name": "Doe", "classifications": [
        _rep_record("399-DRIVER-G3", "Teamsters, Local #399 (Driver Group 3)", "in_progress_not_training_eligible",
                    "In Progress - Not Training Eligible", "2024-01-15", None, "2024-04-14")]},
    {"il_number": "5550001112", "first_name": "Robin", "last_name": "Dolly", "classifications": [
        _rep_record("399-DRIVER-G2", "Teamsters, Local #399 (Driver Group 2)", "compliant", "Compliant",
                    "2022-01-15", "2022-06-01", "2025-01-31"),
        _rep_record("399-DISPATCHER-G3", "Teamsters, Local #399 (Dispatcher Group 3)", "approaching_deadline",
                    "Approaching Deadlines", "2023-01-15", "2023-03-01", "2024-03-20")]},
]



def _members_of(local: str, filters: dict | None) -> dict:
    status = (filters or {}).get("status")
    found = [{**m, "classifications": [c for c in m["classifications"] if not status or c["status"] == status]}
             for m in MEMBERS]
    found = [m for m in found if m["classifications"]]
    return {"local": local, "members": found, "total": len(found), "page": 1, "page_size": 25, "pages": 1}


def fake_rpc() -> FakeRpc:
    rpc = FakeRpc()
    rpc.answer("accounts", "log_in", lambda payload, ip=None: {
        "token": payload["email"].split("@")[0], "expires_at": "2030-01-01T00:00:00+00:00"})
    rpc.answer("accounts", "authenticate", lambda token: PRINCIPALS[token])
    rpc.answer("accounts", "log_out", None)
    rpc.answer("accounts", "get_me", ME)
    rpc.answer("accounts", "person_card", lambda person_id, viewer: CARDS[person_id])
    rpc.answer("accounts", "get_person", PERSON)
    rpc.answer("accounts", "find_people", [
        {"person_id": OTHER_PERSON, "il_number": "5550001112", "first_name": "Robin", "last_name": "Dolly",
         "has_account": False, "locals": ["80", "399"]},
        {"person_id": PERSON_ID, "il_number": "1234567890", "first_name": "John", "last_name": "Dolly",
         "has_account": True, "locals": ["399"]}])
    for service in ("accounts", "rosters", "documents", "training", "notifications"):
        rpc.answer(service, "list_audit", lambda filters, service=service: [
            e for e in audit_entries() if e["service"] == service])
    rpc.answer("rosters", "my_classifications", lambda person_id, as_of=None: MINE)
    rpc.answer("rosters", "list_suspensions", lambda person_id, actor: {"suspensions": []})
    rpc.answer("accounts", "name_accounts", lambda ids, viewer: {})
    rpc.answer("rosters", "my_classification", lambda person_id, code, as_of=None: next(
        r for r in MINE["records"] + MINE["pending"] if r["classification_code"] == code))
    rpc.answer("rosters", "list_classifications", catalog())
    rpc.answer("rosters", "local_members", lambda local, filters, viewer: _members_of(local, filters))
    rpc.answer("rosters", "local_summary", lambda local, viewer: {
        "local": local, "as_of": "2024-03-01", "people": 27,
        "counts": {"in_progress_not_training_eligible": 9, "in_progress_training_eligible": 4, "compliant": 11,
                   "approaching_deadline": 2, "not_compliant": 1, "pending_advancement": 0},
        "approaching": [{"il_number": "5550001112", "first_name": "Robin", "last_name": "Dolly",
                         "code": "399-DISPATCHER-G3", "status": "approaching_deadline",
                         "next_deadline": "2024-03-20"}],
        "approaching_total": 2, "within_days": 30,
        "waiting_on": [{"requirement": "Commercial Driver's License (Class A or Class B)", "applicants": 6},
                       {"requirement": "30 verified work days within 365 days", "applicants": 4}]})
    rpc.answer("rosters", "local_members_export", lambda local, filters, viewer: {
        "columns": ["il_number", "last_name", "first_name", "classification", "status", "placed_on", "next_deadline"],
        "rows": [{"il_number": m["il_number"], "last_name": m["last_name"], "first_name": m["first_name"],
                  "classification": c["code"], "status": c["status"], "placed_on": c["placed_on"] or "",
                  "next_deadline": c["next_deadline"] or ""}
                 for m in _members_of(local, filters)["members"] for c in m["classifications"]]})
    return rpc


def fake_notifications(rpc: FakeRpc) -> FakeNotifications:
    """John Doe's Message Center: a deadline and a rejected document unread, each linking to the
    place to act; a training message and his welcome read; e-mails sent to Robin Dolly."""
    notifications = FakeNotifications(rpc)
    notifications.add(category="account", subject="Welcome to the Industry Hub", read=True,
                      body="Your Portal account is ready. Your Dashboard shows where each classification stands.",
                      link="/portal", created_at="2024-01-15T17:00:00+00:00")
    notifications.add(category="training", subject="You completed General Safety (IIPP)", read=True,
                      body="Course A is on your transcript.", link="/portal/transcript",
                      created_at="2024-01-20T17:00:00+00:00")
    notifications.add(category="deadline", subject="Your DOT Medical Examiner's Certificate expires soon",
                      body="It expires on 03/20/2024. Upload the renewed certificate before then to stay "
                           "on the roster.", deadline="2024-03-20", link="/portal/documents",
                      created_at="2024-02-19T17:00:00+00:00")
    notifications.add(category="document", subject="Your medical certificate was not accepted",
                      body="Reason: Document is illegible. Upload a clearer scan or photo.",
                      link="/portal/documents?type=dot_medical_certificate",
                      created_at="2024-02-26T17:00:00+00:00")
    notifications.deliveries[OTHER_PERSON] = [
        {"id": str(uuid.uuid4()), "kind": "invitation", "subject": "Claim your Industry Hub account",
         "status": "failed", "attempts": 3, "reason": "550 5.1.1 mailbox unavailable",
         "created_at": "2024-02-20T17:00:00+00:00", "sent_at": None},
        {"id": str(uuid.uuid4()), "kind": "message", "subject": "Your CDL Class B was approved",
         "status": "sent", "attempts": 1, "reason": None, "created_at": "2024-02-01T17:00:00+00:00",
         "sent_at": "2024-02-01T17:00:04+00:00"}]
    return notifications


PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n" \
      b"2 0 obj << /Type /Pages /Kids [3 0 R] /Count 1 >> endobj\n" \
      b"3 0 obj << /Type /Page /Parent 2 0 R /MediaBox [0 0 300 200] >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
def png(width: int = 240, height: int = 150) -> bytes:
    """A real picture (a licence-shaped card: blue band on white) for the staff preview."""
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    rows = b"".join(b"\x00" + (b"\x1f\x4e\x9a" if y < 40 else b"\xf4\xf4\xf4") * width for y in range(height))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))


UPLOAD_DELAY = float(os.environ.get("FAKE_HUB_UPLOAD_DELAY", "0.8"))  # long enough to see the progress bar


def fake_documents(rpc: FakeRpc, storage: LocalFolderStorage) -> FakeDocuments:
    """John Doe's documents as seed 000 shows them: a medical certificate approved, its renewal
    rejected in red with the reason, a licence approved; Robin Dolly's waiting for review."""
    documents = FakeDocuments(rpc, people=CARDS, storage=storage)
    on_file = [
        (PERSON_ID, "dot_medical_certificate", "approved", {"expires_on": "2024-03-20", "file_name": "medical-2022.pdf",
                                                             "uploaded_at": "2022-03-01T17:00:00+00:00"}),
        (PERSON_ID, "dot_medical_certificate", "rejected", {"reason": "Document is illegible",
                                                             "file_name": "medical-renewal.jpg",
                                                             "uploaded_at": "2024-02-25T17:00:00+00:00"}),
        (PERSON_ID, "cdl_class_a", "approved", {"expires_on": "2026-08-31", "file_name": "cdl-a.pdf",
                                                "uploaded_at": "2022-05-01T17:00:00+00:00"}),
        (PERSON_ID, "proof_of_employment", "pending_review", {"file_name": "paystub-feb.pdf",
                                                              "uploaded_at": "2024-02-28T17:00:00+00:00"}),
        (OTHER_PERSON, "dot_medical_certificate", "pending_review", {"file_name": "robin-medical.pdf",
                                                                     "classification_code": "399-DRIVER-G3",
                                                                     "uploaded_at": "2024-02-26T17:00:00+00:00"}),
        (OTHER_PERSON, "cdl_class_b", "approved", {"expires_on": "2025-06-30", "file_name": "robin-cdl-b.pdf",
                                                   "uploaded_at": "2023-06-01T17:00:00+00:00"}),
    ]
    on_file.append((PERSON_ID, "cdl_class_b", "pending_review", {"file_name": "cdl-b-photo.png",
                                                                 "content_type": "image/png",
                                                                 "uploaded_at": "2024-02-27T17:00:00+00:00"}))
    for person_id, document_type, status, fields in on_file:
        key = f"documents/{uuid.uuid4()}"
        data = png() if fields.get("content_type") == "image/png" else PDF
        storage.put(key, data, fields.get("content_type", "application/pdf"))
        documents.add(person_id, document_type, status, key=key, size=len(data), **fields)
    register = documents.register_upload

    def slow_register(payload, actor):
        time.sleep(UPLOAD_DELAY)
        return register(payload, actor)

    rpc.answer("documents", "register_upload", slow_register)
    return documents


def work_days_with_proof(documents: FakeDocuments) -> list[dict]:
    proof = next(d for d in documents.documents.values() if d["document_type"] == "proof_of_employment")
    return [{"id": str(uuid.uuid4()), "work_date": "2024-02-20", "classification_code": "80-GRIP",
             "employer": "Stage 5 Payroll", "production": "Night Shoot", "hours": 10.0, "source": "ip_submitted",
             "verified": False, "rejected_reason": None, "person_id": PERSON_ID, "il_number": "1234567890",
             "name": "John Doe", "proof_document_id": proof["id"]}]


# --- staff reports and held proofs of employment: canned, the proofs stateful ----------------------

def install_staff_reports(rpc: FakeRpc) -> None:
    """/staff/reports: records expiring, and twelve months of activity (more in the busy months)."""
    from datetime import date, timedelta

    from common.clock import today

    rpc.answer("rosters", "expiring_records", lambda within, actor: {
        "as_of": today().isoformat(), "within": within,
        "rows": [{"local": "80", "classification_code": "80-GRIP", "records": 3,
                  "earliest_lapse_on": (today() + timedelta(days=4)).isoformat()},
                 {"local": "399", "classification_code": "399-DRIVER-G3", "records": 12,
                  "earliest_lapse_on": (today() + timedelta(days=9)).isoformat()}]})

    def monthly(months, local, actor):
        now, rows = today(), []
        for back in range(int(months or 12)):
            index = now.year * 12 + now.month - 1 - back
            start = date(index // 12, index % 12 + 1, 1)
            after = date((index + 1) // 12, (index + 1) % 12 + 1, 1)
            busy = 1 if local else 10
            rows.append({"month": f"{start:%Y-%m}", "starts_on": start.isoformat(),
                         "ends_on": (after - timedelta(days=1)).isoformat(),
                         "placements": busy * (14 + back % 5) + (back * 7) % 11, "suspensions": busy * (3 + back % 4),
                         "staff_suspensions": back % 2, "withdrawals": back % 3 // 2,
                         "removals": busy * (back % 3), "reinstatements": busy * (2 + back % 3)})
        columns = [k for k in rows[0] if k not in ("month", "starts_on", "ends_on")]
        return {"as_of": now.isoformat(), "months": len(rows), "local": local or None,
                "time_zone": "America/Los_Angeles", "rows": rows,
                "totals": {k: sum(r[k] for r in rows) for k in columns},
                "locals": {c["local"]: c["local_name"] for c in catalog()}}

    rpc.answer("rosters", "monthly_activity", monthly)


class FakeHeldProofs:
    """The rosters service's held proofs over a list: Robin Dolly registered with one proof's SSN
    as "Dolly" while the employer wrote "Doly"; two wait for anyone. Attach or dismiss takes a
    proof off the list; a second decision is a Conflict."""

    def __init__(self, rpc: FakeRpc):
        from common.errors import Conflict

        self.Conflict = Conflict
        robin = {"person_id": OTHER_PERSON, "il_number": "5550001112", "first_name": "Robin", "last_name": "Dolly"}
        base = {"organisation": "Cartoon Studios", "status": "held", "dismissed_on": None, "dismissed_reason": None}
        self.proofs = [
            {**base, "id": str(uuid.uuid4()), "first_name": "Robin", "last_name": "Doly",
             "employer": "Cartoon Studios", "classification_code": "80-GRIP", "classification_name":
             "IATSE, Local #80 (Grip)", "first_day": "2024-01-08", "submitted_on": "2024-01-10", "age_days": 51,
             "registered_person": robin},
            {**base, "id": str(uuid.uuid4()), "first_name": "Maria-Guadalupe", "last_name": "Fernández-Oyelaran",
             "employer": "Extraordinarily Long Production Company Name Holdings, LLC", "organisation": None,
             "classification_code": "399-DRIVER-G3", "classification_name": "Teamsters, Local #399 (Driver Group 3)",
             "first_day": "2024-02-12", "submitted_on": "2024-02-14", "age_days": 16, "registered_person": None},
            {**base, "id": str(uuid.uuid4()), "first_name": "Sam", "last_name": "Lee", "employer": "Cartoon Studios",
             "classification_code": "80-GRIP", "classification_name": "IATSE, Local #80 (Grip)",
             "first_day": "2024-02-26", "submitted_on": "2024-02-28", "age_days": 2, "registered_person": None},
        ]
        rpc.answer("rosters", "held_proofs", self.held_proofs)
        rpc.answer("rosters", "attach_held_proof", self.attach)
        rpc.answer("rosters", "dismiss_held_proof", self.dismiss)

    def held_proofs(self, filters: dict, actor: dict) -> dict:
        status = "held" if filters.get("held", True) else "dismissed"
        found = [p for p in self.proofs if p["status"] == status]
        return {"proofs": found, "total": len(found), "page": filters.get("page", 1), "page_size": 25,
                "pages": 1 if found else 0}

    def _held(self, proof_id: str) -> dict:
        proof = next(p for p in self.proofs if p["id"] == proof_id)
        if proof["status"] != "held":
            raise self.Conflict(f"This proof of employment was {proof['status']} already.")
        return proof

    def attach(self, proof_id: str, person_id: str, actor: dict) -> dict:
        proof = self._held(proof_id)
        person = proof["registered_person"]
        proof["status"] = "attached"
        return {"id": proof_id, "status": "attached", **person, "classification_code": proof["classification_code"],
                "record_status": "in_progress_training_eligible", "day_attached": True,
                "record_status_label": "In Progress - Training Eligible",
                "message": f"The proof is now {person['first_name']} {person['last_name']}'s (IL# "
                           f"{person['il_number']}), for {proof['classification_name']}; 01/08/2024 counts as a "
                           "verified work day."}

    def dismiss(self, proof_id: str, payload: dict, actor: dict) -> dict:
        proof = self._held(proof_id)
        proof.update(status="dismissed", dismissed_on="2024-03-01", dismissed_reason=payload["reason"])
        return {"id": proof_id, "status": "dismissed", "classification_code": proof["classification_code"],
                "message": f"The proof for {proof['first_name']} {proof['last_name']} is dismissed; it is kept, "
                           "and no longer waits for anyone."}


def fake_training(rpc: FakeRpc) -> FakeTraining:
    """John Doe's training as the Grip record shows it: A done in January, HP and C19 open to him
    (his application training is unlocked); a forklift session with Robin Dolly seated."""
    training = FakeTraining(rpc, people=CARDS)
    training._complete(PERSON_ID, "A", "online", score=90, on="2024-01-20")
    training.ready_for_craft(OTHER_PERSON)
    session = training.add_session("FORKLIFT", capacity=8, starts_at="2030-04-02T16:00:00+00:00")
    training.add_session("FORKLIFT", capacity=1, starts_at="2030-04-16T16:00:00+00:00")
    training.enroll(OTHER_PERSON, {"course_code": "FORKLIFT", "session_id": session["id"]}, {})
    return training


# --- the legacy import: a file that moves on a step each time its page is read -------------------

IMPORT_REJECTED = [(7, "ssn: not a valid SSN"), (58, "date_of_birth: missing"),
                   (311, "ssn: already on file under IL number 1000000042"),
                   (640, "email: value is not a valid email address: An email address must have an @-sign."),
                   (902, "il_number: String should match pattern '^[A-Za-z0-9\\-]{1,10}$'"),
                   (1187, "ssn: does not match the SSN on file for this IL number")]


class FakeImports:
    """The accounts service's import RPCs over a dict. An uploaded file moves on one step each time
    its report is read — queued, then rows done climbing 500 at a time, then done with its report
    (created, unchanged, rejected by line) — so a page that refreshes itself shows it running."""
    TOTAL = 1200
    STEPS = (None, 500, 1000, 1200)   # rows done at each read; None: queued, not counted yet

    def __init__(self, rpc: FakeRpc):
        import threading

        from common.errors import NotFound

        self.NotFound = NotFound
        self.jobs: dict[str, dict] = {}
        self.reads: dict[str, int] = {}
        self.lock = threading.Lock()
        rpc.answer("accounts", "start_import", self.start_import)
        rpc.answer("accounts", "import_report", self.import_report)
        rpc.answer("accounts", "list_imports", self.list_imports)
        rpc.answer("accounts", "import_rejections", self.import_rejections)
        # claim invitations to imported people: 1,300 still to invite; a press starts a drive that
        # moves on a step each time the counts are read, then stays done
        self.invitations = {"pending": 1300, "invited": 1200}
        self.drive: dict | None = None
        self.drive_reads = 0
        rpc.answer("accounts", "imported_invitation_status", self.imported_invitation_status)
        rpc.answer("accounts", "invite_imported", self.invite_imported)

    def start_import(self, payload: dict, actor: dict) -> dict:
        with self.lock:
            self.jobs.setdefault(payload["id"], {"id": payload["id"], "kind": payload["kind"],
                                                 "file_name": payload.get("file_name"),
                                                 "send_invitations": payload.get("send_invitations", False),
                                                 "created_at": "2024-03-01T17:00:00+00:00"})
            self.reads.setdefault(payload["id"], 0)
        return {"id": payload["id"], "status": "queued"}

    def _report(self, import_id: str, step: int, rejections: bool = True) -> dict:
        job = self.jobs.get(str(import_id))
        if job is None:
            raise self.NotFound("No such import.")
        done = self.STEPS[min(step, len(self.STEPS) - 1)]
        rejected = [{"line": line, "reason": reason} for line, reason in IMPORT_REJECTED
                    if done is not None and line - 1 <= done]   # line 1 is the header
        unchanged = (done or 0) // 50
        finished = done == self.TOTAL
        return {**job, "status": "done" if finished else "running" if done is not None else "queued",
                "total": None if done is None else self.TOTAL, "done": done or 0,
                "created": (done or 0) - unchanged - len(rejected), "updated": 0, "unchanged": unchanged,
                "rejected_count": len(rejected), "rejected": rejected if rejections else [],
                "warnings": ["Extra column(s) ignored: legacy_code"] if done is not None else [], "error": None,
                "started_at": None if done is None else "2024-03-01T17:00:02+00:00",
                "finished_at": "2024-03-01T17:00:09+00:00" if finished else None,
                "rows_per_minute": 10285.7 if done else None}

    def import_report(self, import_id: str, actor: dict) -> dict:
        with self.lock:
            step = self.reads.get(str(import_id), 0)
            self.reads[str(import_id)] = step + 1
        return self._report(import_id, step)

    def list_imports(self, actor: dict) -> list:
        return [self._report(i, self.reads[i], rejections=False) for i in reversed(list(self.jobs))]

    def import_rejections(self, import_id: str, actor: dict) -> list:
        return self._report(import_id, len(self.STEPS))["rejected"]

    DRIVE_STEPS = (0, 500, 1000, 1300)   # invited at each read of the counts; the last is done

    def invite_imported(self, payload: dict, actor: dict) -> dict:
        with self.lock:
            drive = self.drive
            if drive is not None and drive["status"] in ("queued", "running"):
                return {"id": drive["id"], "status": drive["status"], "invited": drive["invited"],
                        "remaining": drive["total_at_start"] - drive["invited"], "started_now": False}
            if not self.invitations["pending"]:
                return {"id": None, "status": "done", "invited": 0, "remaining": 0, "started_now": False}
            self.drive = {"id": str(uuid.uuid4()), "status": "queued", "invited": 0,
                          "total_at_start": self.invitations["pending"], "requested_at": "2024-03-01T17:04:00+00:00",
                          "started_at": None, "finished_at": None, "error": None}
            self.drive_reads = 0
            return {"id": self.drive["id"], "status": "queued", "invited": 0,
                    "remaining": self.invitations["pending"], "started_now": True}

    def imported_invitation_status(self, actor: dict) -> dict:
        with self.lock:
            drive = self.drive
            if drive is not None and drive["status"] in ("queued", "running"):
                step = min(self.drive_reads, len(self.DRIVE_STEPS) - 1)
                self.drive_reads += 1
                sent = self.DRIVE_STEPS[step] - drive["invited"]
                drive["invited"] += sent
                self.invitations["invited"] += sent
                self.invitations["pending"] -= sent
                if step:
                    drive.update(status="running", started_at="2024-03-01T17:04:01+00:00")
                if step == len(self.DRIVE_STEPS) - 1:
                    drive.update(status="done", finished_at="2024-03-01T17:05:30+00:00")
            return {**self.invitations, "drive": dict(drive) if drive else None}


def main(port: int) -> None:
    rpc = fake_rpc()
    data_dir = Path(os.environ.get("HUB_DATA_DIR") or tempfile.mkdtemp(prefix="fake-hub-"))
    storage = LocalFolderStorage(data_dir / "objects")
    documents = fake_documents(rpc, storage)
    fake_training(rpc)
    fake_notifications(rpc)
    install_bulletins(rpc)
    FakeImports(rpc)
    rpc.answer("rosters", "pending_work_days", lambda actor: work_days_with_proof(documents))
    rpc.answer("rosters", "my_work_experience", lambda person_id: {"days": [], "verified_total": 12,
                                                                   "pending_total": 0})
    rpc.answer("rosters", "submit_work_days", lambda person_id, payload, actor, facts: {
        "recorded": len(payload["days"]), "duplicates": 0, "days": []})
    install_staff_reports(rpc)
    FakeHeldProofs(rpc)
    app = make_app(rpc, HUB_DATA_DIR=str(data_dir))
    app.extensions["hub_storage"] = storage
    app.run(host="127.0.0.1", port=port, threaded=True, use_reloader=False)


if __name__ == "__main__":
    main(int(sys.argv[1]))
