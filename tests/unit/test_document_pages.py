"""The documents pages (seed 000, step by step): the Required Documents tab with each document's
state, Upload Files on the Portal (the script's JSON answers and the plain form without it), My
Documents, the staff review queue with its preview, and work days reported with proof."""
import io
import re
import uuid
from html import unescape

import pytest

from common.errors import ServiceUnavailable
from common.storage import LocalFolderStorage
from tests.support.fake_gateway import PERSON_ID, FakeDocuments, make_app, make_principal

PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n" + bytes(range(256)) * 4
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + b"\x00" * 200
OTHER_PERSON = str(uuid.uuid4())
JSON = {"Accept": "application/json"}


@pytest.fixture
def storage(tmp_path):
    return LocalFolderStorage(tmp_path / "objects")


@pytest.fixture
def documents(fake_rpc, storage):
    return FakeDocuments(fake_rpc, storage=storage, people={
        PERSON_ID: {"il_number": "1234567890", "first_name": "Pat", "last_name": "Grip"},
        OTHER_PERSON: {"il_number": "5550001112", "first_name": "Robin", "last_name": "Dolly"}})


@pytest.fixture
def app(fake_rpc, storage):
    app = make_app(fake_rpc)
    app.extensions["hub_storage"] = storage
    return app


def log_in(client, fake_rpc, *roles, person_id=PERSON_ID):
    with client.session_transaction() as session:
        session["token"] = "page-token"
    fake_rpc.answer("accounts", "authenticate", {**make_principal(*roles), "person_id": person_id})
    return client


def words(html: str) -> str:
    main = html[html.index("<main"):html.index("</main>")]
    return unescape(" ".join(re.sub(r"<[^>]+>", " ", main).split()))


def row(label, state, detail, kind="document", numbers=None):
    return {"phase": "application", "kind": kind, "tab": "documents", "label": label, "state": state,
            "detail": detail, "due_on": None, "next_step": "Upload it under Required Documents; staff will review it.",
            "numbers": numbers or {}}


def record(rows):
    return {"record_id": str(uuid.uuid4()), "classification_code": "399-DRIVER-G3",
            "name": "Teamsters, Local #399 (Driver Group 3)", "local": "399", "local_name": "Teamsters Local #399",
            "roster": "IER", "group": 3, "status": "in_progress_training_eligible",
            "label": "In Progress - Training Eligible", "as_of": "2024-03-01", "applied_on": "2024-01-15",
            "placed_on": None, "training_eligible": True, "anticipated_advancement_on": None, "advances_to": None,
            "rows": rows, "timeline": []}


DRIVER = record([
    row("DOT Medical Examiner's Certificate", "met", "Approved; expires 12/31/2025"),
    row("Commercial Driver's License (Class A or Class B)", "unmet",
        "Commercial Driver's License, Class A: Not on file; "
        "Commercial Driver's License, Class B: Expired on 01/31/2024",
        kind="any_of"),
    row("Forklift certificate", "unmet", "Not on file"),
    row("Color vision test", "unmet", "Not on file", numbers={"document_type": "color_vision_test"}),
])


def cards(html: str) -> dict[str, str]:
    found = re.findall(r'<article class="requirement[^"]*" data-testid="requirement">(.*?)</article>', html, re.S)
    return {re.search(r'class="requirement-label">([^<]+)<', c).group(1): c for c in found}


def documents_tab(client, fake_rpc, rec=DRIVER):
    log_in(client, fake_rpc)
    fake_rpc.answer("rosters", "my_classification", rec)
    response = client.get("/portal/classifications/399-DRIVER-G3?tab=documents")
    assert response.status_code == 200
    return response.get_data(as_text=True)


# --- the Required Documents tab --------------------------------------------------------------------

def test_each_required_document_shows_its_state_as_seed_000_does(client, fake_rpc, documents):
    documents.add(document_type="dot_medical_certificate", status="approved", expires_on="2025-12-31")
    documents.add(document_type="cdl_class_b", status="expired", expires_on="2024-01-31",
                  uploaded_at="2023-01-01T10:00:00+00:00")
    documents.add(document_type="cdl_class_a", status="rejected", reason="Name does not match")
    documents.add(document_type="cdl_class_a", status="pending_review", uploaded_at="2024-02-20T10:00:00+00:00")
    documents.add(OTHER_PERSON, document_type="forklift_certificate", status="approved")

    found = {unescape(k): v for k, v in cards(documents_tab(client, fake_rpc)).items()}

    medical = words("<main>" + found["DOT Medical Examiner's Certificate"] + "</main>")
    assert "✓ Approved, valid until 12/31/2025" in medical
    assert 'class="status status-ok" data-testid="document-status"' in found["DOT Medical Examiner's Certificate"]
    assert 'data-testid="upload-form"' not in found["DOT Medical Examiner's Certificate"]  # met: nothing to do

    licence = found["Commercial Driver's License (Class A or Class B)"]
    states = re.findall(r'data-testid="document-status" data-status="(\w+)"', licence)
    assert states == ["pending_review", "rejected", "expired"]  # newest first
    text = words("<main>" + licence + "</main>")
    assert "Pending review by Contract Services" in text
    assert "× Not accepted: Name does not match" in text
    assert "× Expired on 01/31/2024" in text
    assert re.search(r'class="status status-bad" data-testid="document-status" data-status="rejected"', licence)
    # a choice between two licences: the person says which one they send
    assert re.findall(r'<option value="(\w+)"', licence) == ["cdl_class_a", "cdl_class_b"]

    forklift = found["Forklift certificate"]
    assert "Missing: we have no Forklift certificate from you yet." in words("<main>" + forklift + "</main>")
    assert 'name="document_type" value="forklift_certificate"' in forklift  # someone else's is not theirs
    assert 'name="document_type" value="color_vision_test"' in found["Color vision test"]  # named by rosters


def test_the_upload_on_the_tab_has_the_button_the_drop_area_and_the_camera(client, fake_rpc, documents):
    html = documents_tab(client, fake_rpc)
    forklift = cards(html)["Forklift certificate"]

    assert re.search(r'<form class="upload" method="post" action="/portal/documents"\s+enctype="multipart/form-data"',
                     forklift)
    assert re.search(r'<button type="button" class="upload-button" data-opens="upload-\d-file">Upload Files</button>',
                     forklift)
    assert 'data-dropzone' in forklift and "or drop your files here" in forklift
    assert re.search(r'type="file" name="file" multiple accept="application/pdf,image/\*"', forklift)
    assert re.search(r'type="file" name="file" accept="image/\*" capture="environment"', forklift)
    assert 'name="classification_code" value="399-DRIVER-G3"' in forklift
    assert 'name="next" value="/portal/classifications/399-DRIVER-G3?tab=documents"' in forklift
    assert '<button type="submit" class="upload-submit">Upload Files</button>' in forklift  # works without script
    assert '<script src="/static/upload.js" defer></script>' in html
    step = re.search(r'data-testid="next-step">(.*?)</p>', forklift, re.S).group(1)
    assert "Upload Files" in step and "coming soon" not in step


def test_the_tab_offers_the_other_two_ways_of_seed_000_contact_us_and_the_mailbox(client, fake_rpc, documents):
    html = documents_tab(client, fake_rpc)

    other_ways = re.search(r'data-testid="other-ways-to-send">(.*?)</section>', html, re.S).group(1)
    assert 'href="/contact?topic=roster&amp;subtopic=required_documents"' in other_ways
    assert 'href="mailto:documents@csatf.org"' in other_ways


def test_the_tab_still_shows_the_requirements_when_documents_cannot_be_reached(client, fake_rpc, documents):
    fake_rpc.answer("documents", "list_documents", ServiceUnavailable("The documents service did not answer."))

    html = documents_tab(client, fake_rpc)

    assert "We cannot show the documents you sent right now. The documents service did not answer." in words(html)
    assert len(cards(html)) == 4
    assert "upload.js" not in html


def test_the_other_tabs_do_not_ask_the_documents_service(client, fake_rpc, documents):
    log_in(client, fake_rpc)
    fake_rpc.answer("rosters", "my_classification", DRIVER)

    client.get("/portal/classifications/399-DRIVER-G3?tab=training")

    assert not [c for c in fake_rpc.calls if c[0] == "documents"]


# --- uploading from the pages ----------------------------------------------------------------------

def page_upload(client, data, name="card.pdf", document_type="forklift_certificate", headers=JSON, **form):
    return client.post("/portal/documents", headers=headers, content_type="multipart/form-data",
                       data={"file": (io.BytesIO(data), name), "document_type": document_type,
                             "classification_code": "399-DRIVER-G3", **form})


def test_the_script_upload_answers_success_as_json(client, fake_rpc, documents):
    log_in(client, fake_rpc)

    response = page_upload(client, PDF)

    assert response.status_code == 201
    body = response.get_json()
    assert body["message"] == "Success!" and body["created"] is True
    assert body["document"]["classification_code"] == "399-DRIVER-G3"
    again = page_upload(client, PDF)
    assert again.status_code == 200 and again.get_json()["message"].startswith("Success! We already had this file")


@pytest.mark.parametrize("data, status, message", [
    (b"MZ\x90\x00" + b"\x00" * 100, 415, "This file looks like a program, which we cannot accept."),
    (b"", 422, "The file is empty."),
])
def test_the_script_upload_answers_a_refusal_with_a_plain_message(client, fake_rpc, documents, data, status, message):
    log_in(client, fake_rpc)

    response = page_upload(client, data)

    assert response.status_code == status
    assert response.get_json()["message"].startswith(message)


def test_the_script_upload_refuses_an_oversized_body_before_reading_it(client, fake_rpc, documents):
    log_in(client, fake_rpc)

    response = client.post("/portal/documents", headers=JSON, content_type="multipart/form-data; boundary=x",
                           environ_overrides={"CONTENT_LENGTH": str(50 * 1024 * 1024),
                                              "wsgi.input": io.BytesIO(b"")})

    assert response.status_code == 413
    assert response.get_json()["message"].startswith("The file is larger than 20 MB")


def test_without_the_script_the_form_posts_every_file_and_comes_back_with_a_message(client, fake_rpc, documents):
    log_in(client, fake_rpc)
    fake_rpc.answer("rosters", "my_classification", DRIVER)

    response = client.post("/portal/documents", content_type="multipart/form-data", follow_redirects=True, data={
        "file": [(io.BytesIO(PDF), "front.pdf"), (io.BytesIO(b"<html></html>"), "back.pdf")],
        "document_type": "forklift_certificate", "next": "/portal/classifications/399-DRIVER-G3?tab=documents"})

    assert response.request.path == "/portal/classifications/399-DRIVER-G3"
    text = words(response.get_data(as_text=True))
    assert "Success! front.pdf was received: Contract Services will review it." in text
    assert "back.pdf: This file looks like a web page (HTML), which we cannot accept." in text
    assert 'class="flash flash-error"' in response.get_data(as_text=True)


def test_the_page_upload_never_redirects_off_the_portal(client, fake_rpc, documents):
    log_in(client, fake_rpc)

    response = page_upload(client, PDF, headers={}, next="https://evil.example.com/")

    assert response.status_code == 302 and response.headers["Location"] == "/portal/documents"


def test_the_page_upload_checks_the_csrf_token_from_the_header_or_the_form(fake_rpc, storage):
    app = make_app(fake_rpc, WTF_CSRF_ENABLED=True)
    app.extensions["hub_storage"] = storage
    FakeDocuments(fake_rpc, storage=storage)
    client = log_in(app.test_client(), fake_rpc)
    fake_rpc.answer("rosters", "my_classification", DRIVER)
    page = client.get("/portal/classifications/399-DRIVER-G3?tab=documents").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)

    refused = page_upload(client, PDF)
    by_header = page_upload(client, PDF, headers={**JSON, "X-CSRFToken": token})
    by_field = page_upload(client, PNG, csrf_token=token)

    assert refused.status_code == 403 and "Reload it" in refused.get_json()["message"]
    assert (by_header.status_code, by_field.status_code) == (201, 201)


# --- My Documents ----------------------------------------------------------------------------------

def test_my_documents_lists_each_with_its_status_and_a_download(client, fake_rpc, documents, storage):
    log_in(client, fake_rpc)
    page_upload(client, PDF, name="forklift.pdf")
    documents.add(document_type="cdl_class_a", status="rejected", reason="Document is illegible")

    response = client.get("/portal/documents")

    html = response.get_data(as_text=True)
    rows = re.findall(r'<tr data-testid="document".*?</tr>', html, re.S)
    assert len(rows) == 2
    text = words(html)
    assert "Not accepted: Document is illegible" in text and "Pending review by Contract Services" in text
    link = re.search(r'href="(/portal/documents/[\w-]+/file)"\s+download>forklift.pdf<', html).group(1)
    assert 'name="document_type" required' in html and "Proof of employment (pay stub or deal memo)" in html
    assert '<script src="/static/upload.js" defer></script>' in html

    download = client.get(link)
    assert download.status_code == 200 and download.get_data() == PDF
    assert download.headers["Content-Disposition"] == "attachment; filename=forklift.pdf"


def test_someone_elses_document_cannot_be_downloaded_from_the_portal(client, fake_rpc, documents):
    theirs = documents.add(OTHER_PERSON)
    log_in(client, fake_rpc)

    assert client.get(f"/portal/documents/{theirs['id']}/file").status_code == 404


def test_the_main_menu_links_my_documents(client, fake_rpc, documents):
    log_in(client, fake_rpc)

    html = client.get("/portal/documents").get_data(as_text=True)

    assert '<a href="/portal/documents">My Documents</a>' in html


# --- the staff review queue ------------------------------------------------------------------------

def staff_queue(client, fake_rpc, query=""):
    log_in(client, fake_rpc, "staff_reviewer", person_id=None)
    return client.get("/staff/documents" + query)


def test_the_queue_shows_the_person_their_other_documents_and_a_preview(client, fake_rpc, documents):
    queued = documents.add(OTHER_PERSON, "dot_medical_certificate", uploaded_at="2024-01-01T17:00:00+00:00")
    documents.add(OTHER_PERSON, "cdl_class_a", status="approved", expires_on="2026-08-31")
    documents.add(PERSON_ID, "forklift_certificate", content_type="image/png", file_name="forklift.png")

    response = staff_queue(client, fake_rpc)

    html = response.get_data(as_text=True)
    items = re.findall(r'<article class="review-card".*?</article>', html, re.S)
    assert len(items) == 2
    first = items[0]  # oldest first
    assert f'href="/staff/people/{OTHER_PERSON}"><strong>Robin Dolly</strong>' in first and "IL# 5550001112" in first
    assert f'<iframe class="preview" src="/staff/documents/{queued["id"]}/preview"' in first
    assert "Their other documents (1)" in first and "valid until 08/31/2026" in first
    assert re.search(r'<input id="expires-[\w-]+" name="expires_on" type="date" required>', first)
    assert [unescape(r) for r in re.findall(r"<option>([^<]+)</option>", first)] == [
        "Document is illegible", "Name does not match", "Expired", "Wrong document type"]
    assert "Check: Name matches the person; Examiner&#39;s signature and expiry date readable" in first
    assert '<img class="preview" src="/staff/documents/' in items[1]


def test_the_queue_passes_its_filters_and_keeps_them_on_the_page(client, fake_rpc, documents):
    response = staff_queue(client, fake_rpc, "?status=all&type=cdl_class_a&local=399&classification=399-driver-g3")

    filters = next(args for _, method, args in fake_rpc.calls if method == "review_queue")[0]
    assert filters == {"status": "all", "type": "cdl_class_a", "local": "399", "classification": "399-DRIVER-G3"}
    html = response.get_data(as_text=True)
    assert '<option value="cdl_class_a" selected>' in html and 'value="399-DRIVER-G3"' in html


def test_staff_approve_with_an_expiry_date_from_the_queue(client, fake_rpc, documents):
    doc = documents.add()
    staff_queue(client, fake_rpc)

    response = client.post(f"/staff/documents/{doc['id']}/review", follow_redirects=True, data={
        "decision": "approve", "issued_on": "2024-01-02", "expires_on": "2026-01-01", "expires": "1",
        "back": "/staff/documents?status=pending_review"})

    assert documents.documents[doc["id"]]["status"] == "approved"
    assert response.request.full_path == "/staff/documents?status=pending_review"
    assert "Approved: DOT Medical Examiner's Certificate (scan-1.pdf)." in words(response.get_data(as_text=True))


def test_approving_an_expiring_type_without_its_expiry_date_says_so(client, fake_rpc, documents):
    doc = documents.add()
    staff_queue(client, fake_rpc)

    response = client.post(f"/staff/documents/{doc['id']}/review", follow_redirects=True,
                           data={"decision": "approve", "expires": "1"})

    assert "Enter the expiry date: this kind of document expires." in words(response.get_data(as_text=True))
    assert documents.reviews == []


@pytest.mark.parametrize("form, reason", [
    ({"reason_choice": "Name does not match"}, "Name does not match"),
    ({"reason_choice": "", "reason_text": "The photo is cut off"}, "The photo is cut off"),
    ({"reason_choice": "Expired", "reason_text": "Expired in 2019"}, "Expired in 2019"),
])
def test_staff_reject_with_a_reason_chosen_or_written(client, fake_rpc, documents, form, reason):
    doc = documents.add()
    staff_queue(client, fake_rpc)

    client.post(f"/staff/documents/{doc['id']}/review", data={"decision": "reject", **form})

    assert documents.documents[doc["id"]]["reason"] == reason


def test_a_decision_someone_else_made_first_is_said_plainly(client, fake_rpc, documents):
    doc = documents.add(status="approved")
    staff_queue(client, fake_rpc)

    response = client.post(f"/staff/documents/{doc['id']}/review", follow_redirects=True,
                           data={"decision": "reject", "reason_choice": "Expired"})

    assert "Someone else already reviewed this document." in words(response.get_data(as_text=True))


def test_the_preview_streams_inline_under_a_policy_that_allows_only_itself(client, fake_rpc, documents, storage):
    storage.put("documents/d1", PDF, "application/pdf")
    doc = documents.add(key="documents/d1")
    staff_queue(client, fake_rpc)

    response = client.get(f"/staff/documents/{doc['id']}/preview")

    assert response.status_code == 200 and response.get_data() == PDF
    assert response.headers["Content-Disposition"].startswith("inline;")
    assert response.headers["Content-Security-Policy"] == (
        "default-src 'none'; img-src 'self'; object-src 'self'; frame-ancestors 'self'")
    assert response.headers["X-Frame-Options"] == "SAMEORIGIN"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    # every other page keeps the strict policy
    page = client.get("/staff/documents")
    assert page.headers["X-Frame-Options"] == "DENY"
    assert "frame-ancestors 'none'" in page.headers["Content-Security-Policy"]


def test_a_heic_photo_has_no_preview_but_a_download(client, fake_rpc, documents):
    doc = documents.add(content_type="image/heic", file_name="card.heic")

    html = staff_queue(client, fake_rpc).get_data(as_text=True)

    assert "No preview for this kind of file" in html
    assert client.get(f"/staff/documents/{doc['id']}/preview").status_code == 404


def test_only_staff_open_the_queue_and_the_preview(client, fake_rpc, documents):
    doc = documents.add()
    log_in(client, fake_rpc)

    assert client.get("/staff/documents").status_code == 403
    assert client.get(f"/staff/documents/{doc['id']}/preview").status_code == 403


def test_the_staff_menu_links_the_queue(client, fake_rpc):
    log_in(client, fake_rpc, "staff_reviewer", person_id=None)

    html = client.get("/staff").get_data(as_text=True)

    assert '<a href="/staff/documents" role="button" class="secondary outline">Documents to review</a>' in html


# --- work days with proof --------------------------------------------------------------------------

MINE = {"as_of": "2024-03-01", "records": [record([])], "pending": [], "closed": []}
CARD = {"person_id": PERSON_ID, "il_number": "1234567890", "first_name": "Pat", "last_name": "Grip"}


@pytest.fixture
def rosters(fake_rpc):
    fake_rpc.answer("rosters", "my_classifications", lambda person_id, as_of=None: MINE)
    fake_rpc.answer("accounts", "person_card", CARD)
    submitted = []

    def submit(person_id, payload, actor, facts):
        submitted.append(payload)
        return {"recorded": len(payload["days"]), "duplicates": 0, "days": []}

    fake_rpc.answer("rosters", "submit_work_days", submit)
    fake_rpc.answer("rosters", "my_work_experience", {"days": [], "verified_total": 0, "pending_total": 0})
    return submitted


DAYS_FORM = {"classification_code": "399-DRIVER-G3", "employer": "Stage 5 Payroll", "production": "Night Shoot",
             "first_day": "2024-02-05", "last_day": "2024-02-07", "hours": "10"}


def test_the_report_form_offers_their_proofs_and_an_upload(client, fake_rpc, documents, rosters):
    documents.add(document_type="proof_of_employment", file_name="paystub-jan.pdf")
    documents.add(document_type="proof_of_employment", status="rejected", file_name="blurry.jpg")
    log_in(client, fake_rpc)

    html = client.get("/portal/work-experience/report").get_data(as_text=True)

    assert "paystub-jan.pdf" in html and "blurry.jpg" not in html
    assert re.search(r'<input id="proof-file" type="file" name="file" accept="application/pdf,image/\*"', html)
    assert '<option value="399-DRIVER-G3"' in html


def test_days_reported_with_a_proof_uploaded_right_there(client, fake_rpc, documents, rosters):
    log_in(client, fake_rpc)

    response = client.post("/portal/work-experience/report", content_type="multipart/form-data",
                           data={**DAYS_FORM, "file": (io.BytesIO(PDF), "paystub.pdf")}, follow_redirects=True)

    [payload] = rosters
    [proof] = [d for d in documents.documents.values() if d["document_type"] == "proof_of_employment"]
    assert payload["proof_document_id"] == proof["id"]
    assert [d["work_date"] for d in payload["days"]] == ["2024-02-05", "2024-02-06", "2024-02-07"]
    assert payload["days"][0] == {**payload["days"][0], "employer": "Stage 5 Payroll", "hours": 10.0,
                                  "classification_code": "399-DRIVER-G3"}
    assert "Sent: 3 days wait for Contract Services to check your proof." in words(response.get_data(as_text=True))


def test_days_reported_with_a_proof_sent_before(client, fake_rpc, documents, rosters):
    proof = documents.add(document_type="proof_of_employment")
    log_in(client, fake_rpc)

    response = client.post("/portal/work-experience/report", data={**DAYS_FORM, "proof_document_id": proof["id"]})

    assert response.status_code == 302
    assert rosters[0]["proof_document_id"] == proof["id"]


def test_someone_elses_proof_is_no_such_document(client, fake_rpc, documents, rosters):
    theirs = documents.add(OTHER_PERSON, document_type="proof_of_employment")
    log_in(client, fake_rpc)

    response = client.post("/portal/work-experience/report", data={**DAYS_FORM, "proof_document_id": theirs["id"]})

    assert response.status_code == 404
    assert "No such document." in words(response.get_data(as_text=True))
    assert rosters == []


@pytest.mark.parametrize("change, field, message", [
    ({"proof_document_id": ""}, "proof", "Attach your proof of employment"),
    ({"first_day": ""}, "first_day", "Enter the first day you worked."),
    ({"last_day": "2024-02-01"}, "last_day", "The last day is before the first day."),
    ({"last_day": "2024-04-30"}, "last_day", "Report at most 31 days at a time"),
    ({"employer": ""}, "employer", ""),
])
def test_a_report_that_is_not_complete_says_what_to_fix(client, fake_rpc, documents, rosters, change, field, message):
    log_in(client, fake_rpc)

    response = client.post("/portal/work-experience/report", data={**DAYS_FORM, **change})

    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert re.search(rf'<small id="{field}-help" class="field-error">{re.escape(message)}', html)
    assert rosters == []


def test_my_work_experience_links_the_report(client, fake_rpc, rosters):
    log_in(client, fake_rpc)

    html = client.get("/portal/work-experience").get_data(as_text=True)

    assert ('<a href="/portal/work-experience/report" role="button" data-testid="report-days">'
            "Report Days You Worked</a>") in html


def test_the_staff_work_days_queue_links_the_proof(client, fake_rpc):
    proof = str(uuid.uuid4())
    day = {"id": str(uuid.uuid4()), "work_date": "2024-02-05", "classification_code": "80-GRIP",
           "employer": "Stage 5", "production": None, "hours": 10, "source": "ip_submitted", "verified": False,
           "rejected_reason": None, "person_id": PERSON_ID, "il_number": "1234567890", "name": "Pat Grip"}
    fake_rpc.answer("rosters", "pending_work_days", [{**day, "proof_document_id": proof},
                                                     {**day, "id": str(uuid.uuid4()), "proof_document_id": None}])
    log_in(client, fake_rpc, "staff_reviewer", person_id=None)

    html = client.get("/staff/work-days").get_data(as_text=True)

    proofs = re.findall(r'<p data-testid="proof">(.*?)</p>', html, re.S)
    assert f'href="/staff/documents/{proof}/preview"' in proofs[0] and f"/staff/documents/{proof}/file" in proofs[0]
    assert "No proof attached" in proofs[1]


# the labels as the two catalogs write them today (rosters' catalog, the documents service's types)
SERVICE_TYPES = [{"code": code, "label": label} for code, label in (
    ("cdl_class_a", "Commercial Driver's License, Class A"), ("cdl_class_b", "Commercial Driver's License, Class B"),
    ("dot_medical_certificate", "DOT Medical Examiner's Certificate"), ("color_vision_test", "Color Vision Test"),
    ("forklift_certificate", "Forklift Operator Certificate"), ("barber_license", "Barber License"),
    ("ase_certification", "ASE Certification"), ("proof_of_employment", "Proof of Employment"))]


@pytest.mark.parametrize("label, detail, numbers, codes", [
    ("DOT Medical Examiner's Certificate", "Not on file", {}, ["dot_medical_certificate"]),
    ("Forklift operator certificate", "Not on file", {}, ["forklift_certificate"]),
    ("Colour-vision test", "Not on file", {}, ["color_vision_test"]),
    ("California Barber license", "Not on file", {}, ["barber_license"]),
    ("ASE automotive technician certification", "Not on file", {}, ["ase_certification"]),
    ("Forklift certificate", "Not on file", {}, ["forklift_certificate"]),
    ("Commercial Driver's License (Class A or Class B)", "…", {}, ["cdl_class_a", "cdl_class_b"]),
    ("A licence for the job", "Commercial Driver's License, Class A: Not on file; "
     "Commercial Driver's License, Class B: Not on file", {}, ["cdl_class_a", "cdl_class_b"]),
    ("Anything", "Not on file", {"document_type": "barber_license"}, ["barber_license"]),
    ("Anything", "Not on file", {"document_types": ["cdl_class_a", "cdl_class_b"]}, ["cdl_class_a", "cdl_class_b"]),
])
def test_a_required_document_row_finds_its_document_types(label, detail, numbers, codes):
    from gateway.pages.portal import row_document_types

    assert row_document_types({"label": label, "detail": detail, "numbers": numbers}, SERVICE_TYPES) == codes


def test_a_preview_still_loading_from_the_page_before_cannot_wipe_the_next_pages_confirmation(
        app, client, fake_rpc, documents, storage):
    """The browser asks for the queue's previews while staff press Reject; a preview answered
    after the reject must not send back the session cookie it came with (from before the
    confirmation was stored), or the queue shown next loses "Rejected: …"."""
    storage.put("documents/d1", PDF, "application/pdf")
    doc = documents.add(OTHER_PERSON, key="documents/d1")
    staff_queue(client, fake_rpc)
    with client.session_transaction() as session:
        session.permanent = True  # as a real login makes it
    cookie_before_the_reject = client.get_cookie("session").value

    rejected = client.post(f"/staff/documents/{doc['id']}/review",
                           data={"decision": "reject", "reason_choice": "Name does not match"})
    assert rejected.status_code == 302 and "Set-Cookie" in rejected.headers  # the confirmation is stored
    late_preview = app.test_client()
    late_preview.set_cookie("session", cookie_before_the_reject)
    preview = late_preview.get(f"/staff/documents/{doc['id']}/preview")

    assert preview.status_code == 200 and preview.get_data() == PDF
    assert "Set-Cookie" not in preview.headers
    queue = words(client.get(rejected.headers["Location"]).get_data(as_text=True))
    assert "Rejected: DOT Medical Examiner's Certificate" in queue
