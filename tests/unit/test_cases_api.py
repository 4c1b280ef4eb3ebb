"""Contact Us through the gateway (fake RPC, real local storage for the staged files): the API
and the pages, anonymous and logged in, with good and bad attachments, the honeypot and the
rate limit."""
import io
import uuid

import pytest

from tests.support.fake_gateway import PERSON_ID, make_app, make_principal

PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + b"\x00" * 200
TOPICS = {"topics": [
    {"code": "roster", "label": "Roster Applications & Administration", "subtopics": [
        {"code": "required_documents", "label": "Submitting Required Documents for Application"}]},
    {"code": "general", "label": "General Questions",
     "subtopics": [{"code": "general_other", "label": "Something Else"}]},
]}
CASE = {"topic": "roster", "subtopic": "required_documents", "subject": "My CDL",
        "description": "Here it is.\nPat", "name": "Pat Grip", "email": "pat@example.com"}
REFERENCE = "CS-2026-000123"


@pytest.fixture
def app(fake_rpc, tmp_path):
    return make_app(fake_rpc, HUB_DATA_DIR=str(tmp_path))


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def opened(fake_rpc):
    """The payloads open_case received."""
    calls = []

    def open_case(payload, actor):
        calls.append((payload, actor))
        return {"reference": REFERENCE, "case_id": str(uuid.uuid4()), "attachments": len(payload["attachments"]),
                "refused": 0}

    fake_rpc.answer("documents", "open_case", open_case)
    fake_rpc.answer("documents", "list_case_topics", TOPICS)
    return calls


def staged_objects(tmp_path) -> list:
    folder = tmp_path / "objects" / "incoming"
    return [p for p in folder.glob("*") if not p.name.endswith(".content-type")] if folder.exists() else []


def as_person(fake_rpc, *roles) -> dict:
    fake_rpc.answer("accounts", "authenticate", make_principal(*roles))
    return {"Authorization": "Bearer a-token"}


# --- the API -------------------------------------------------------------------------------------

def test_anyone_reads_the_topics(client, fake_rpc, opened):
    response = client.get("/api/v1/contact/topics")
    assert response.status_code == 200
    assert response.json["topics"][0]["subtopics"][0]["label"] == "Submitting Required Documents for Application"


def test_an_anonymous_case_as_json_answers_201_with_the_reference(client, opened):
    response = client.post("/api/v1/contact", json=CASE)

    assert response.status_code == 201 and response.json == {"reference": REFERENCE}
    [(payload, actor)] = opened
    assert payload["person_id"] is None and payload["email"] == "pat@example.com" and payload["name"] == "Pat Grip"
    assert payload["attachments"] == [] and payload["source"] == "web"
    assert actor["roles"] == ["anonymous"]


def test_an_anonymous_sender_must_say_who_they_are(client, opened):
    response = client.post("/api/v1/contact", json={**CASE, "name": "", "email": None})
    assert response.status_code == 422
    assert set(response.json["details"]["fields"]) == {"name", "email"}
    assert opened == []


def test_a_bad_address_and_a_missing_subject_are_named(client, opened):
    response = client.post("/api/v1/contact", json={**CASE, "email": "not-an-address", "subject": ""})
    assert response.status_code == 422
    assert {"email", "subject"} <= set(response.json["details"]["fields"])


def test_a_filled_honeypot_is_answered_as_accepted_and_nothing_is_stored(client, opened, tmp_path):
    response = client.post("/api/v1/contact", data={**CASE, "website": "http://spam.example",
                                                    "files": (io.BytesIO(PDF), "cdl.pdf")},
                           content_type="multipart/form-data")
    assert response.status_code == 201 and response.json["reference"].startswith("CS-")
    assert opened == [] and staged_objects(tmp_path) == []


def test_an_anonymous_case_with_a_pdf_sends_the_staged_file_to_the_documents_service(client, opened, tmp_path):
    response = client.post("/api/v1/contact", data={**CASE, "files": (io.BytesIO(PDF), "My CDL.pdf")},
                           content_type="multipart/form-data")

    assert response.status_code == 201
    [(payload, _)] = opened
    [attachment] = payload["attachments"]
    assert attachment["content_type"] == "application/pdf" and attachment["size"] == len(PDF)
    assert attachment["staging_key"].startswith("incoming/")
    assert (tmp_path / "objects" / attachment["staging_key"]).read_bytes() == PDF


def test_an_anonymous_case_with_a_renamed_executable_is_refused_naming_the_file(client, opened, tmp_path):
    response = client.post("/api/v1/contact", data={**CASE, "files": [(io.BytesIO(PDF), "cdl.pdf"),
                                                                      (io.BytesIO(EXE), "license.pdf")]},
                           content_type="multipart/form-data")

    assert response.status_code == 415
    assert response.json["error"] == "unsupported_file_type"
    assert response.json["message"].startswith("license.pdf: ")
    assert opened == [] and staged_objects(tmp_path) == []  # the good file staged first is gone too


def test_an_empty_attachment_is_refused(client, opened, tmp_path):
    response = client.post("/api/v1/contact", data={**CASE, "files": (io.BytesIO(b""), "scan.pdf")},
                           content_type="multipart/form-data")
    assert response.status_code == 422 and "empty" in response.json["message"]
    assert opened == []


def test_an_oversized_request_is_refused_before_it_is_read(fake_rpc, opened, tmp_path):
    client = make_app(fake_rpc, HUB_DATA_DIR=str(tmp_path), HUB_UPLOAD_MAX_MB="0.01").test_client()
    response = client.post("/api/v1/contact", data={**CASE, "files": (io.BytesIO(PDF + b"0" * 100_000), "big.pdf")},
                           content_type="multipart/form-data")
    assert response.status_code == 413 and response.json["error"] == "too_large"
    assert opened == [] and staged_objects(tmp_path) == []


def test_staged_files_are_removed_when_the_documents_service_refuses_the_case(client, fake_rpc, opened, tmp_path):
    from common.errors import ValidationFailed

    fake_rpc.answer("documents", "open_case", ValidationFailed("Choose a topic and a subtopic from the lists."))
    response = client.post("/api/v1/contact", data={**CASE, "files": (io.BytesIO(PDF), "cdl.pdf")},
                           content_type="multipart/form-data")
    assert response.status_code == 422 and staged_objects(tmp_path) == []


def test_a_logged_in_person_sends_as_themselves_without_name_or_address(client, fake_rpc, opened):
    response = client.post("/api/v1/contact", json={**CASE, "name": None, "email": None},
                           headers=as_person(fake_rpc))
    assert response.status_code == 201
    [(payload, actor)] = opened
    assert payload["person_id"] == PERSON_ID and payload["email"] is None and payload["name"] is None
    assert actor["roles"] == ["industry_professional"]


def test_anonymous_sends_are_rate_limited_per_address_but_logged_in_people_are_not(fake_rpc, opened, tmp_path):
    client = make_app(fake_rpc, HUB_DATA_DIR=str(tmp_path), RATELIMIT_ENABLED=True,
                      RATELIMIT_CONTACT="2 per hour").test_client()
    assert [client.post("/api/v1/contact", json=CASE).status_code for _ in range(3)] == [201, 201, 429]
    headers = as_person(fake_rpc)
    assert client.post("/api/v1/contact", json=CASE, headers=headers).status_code == 201


def test_my_cases_needs_a_login_and_lists_the_persons_cases(client, fake_rpc):
    assert client.get("/api/v1/me/cases").status_code == 401
    fake_rpc.answer("documents", "list_my_cases", lambda person_id: {"cases": [], "person": person_id})
    response = client.get("/api/v1/me/cases", headers=as_person(fake_rpc))
    assert response.status_code == 200 and response.json["person"] == PERSON_ID


def test_the_case_queue_is_for_staff_only(client, fake_rpc):
    response = client.get("/api/v1/staff/cases", headers=as_person(fake_rpc))
    assert response.status_code == 403


def test_staff_filter_the_queue_and_act_as_themselves(client, fake_rpc):
    headers = as_person(fake_rpc, "staff_reviewer")
    fake_rpc.answer("documents", "list_cases", lambda filters, viewer: {"cases": [], "filters": filters})
    response = client.get("/api/v1/staff/cases?status=closed&needs_match=1", headers=headers)
    assert response.json["filters"] == {"status": "closed", "needs_match": True, "assigned_to_me": False,
                                        "limit": 100}
    assert client.get("/api/v1/staff/cases?status=lost", headers=headers).status_code == 422

    case_id = str(uuid.uuid4())
    seen = {}
    for method in ("assign_case", "close_case"):
        fake_rpc.answer("documents", method, lambda cid, actor, method=method: seen.setdefault(method, (cid, actor)))
    fake_rpc.answer("documents", "reply_to_case", lambda cid, body, actor: seen.setdefault("reply", body))
    fake_rpc.answer("documents", "link_case", lambda cid, body, actor: seen.setdefault("link", body))
    fake_rpc.answer("documents", "attach_case_file", lambda cid, body, actor: seen.setdefault("attach", body))
    assert client.post(f"/api/v1/staff/cases/{case_id}/assign", headers=headers).status_code == 200
    assert seen["assign_case"][0] == case_id and seen["assign_case"][1]["roles"] == ["staff_reviewer"]
    reply = client.post(f"/api/v1/staff/cases/{case_id}/reply", json={"body": "Thanks"}, headers=headers)
    assert reply.status_code == 200
    assert client.post(f"/api/v1/staff/cases/{case_id}/reply", json={"body": ""}, headers=headers).status_code == 422
    person = str(uuid.uuid4())
    assert client.post(f"/api/v1/staff/cases/{case_id}/link", json={"person_id": person},
                       headers=headers).status_code == 200
    attachment = str(uuid.uuid4())
    assert client.post(f"/api/v1/staff/cases/{case_id}/attach", headers=headers,
                       json={"attachment_id": attachment, "document_type": "cdl_class_a"}).status_code == 200
    assert client.post(f"/api/v1/staff/cases/{case_id}/close", headers=headers).status_code == 200
    assert seen["reply"] == {"body": "Thanks"} and seen["link"] == {"person_id": person}
    assert seen["attach"]["document_type"] == "cdl_class_a" and "close_case" in seen


def test_the_openapi_document_lists_the_contact_endpoints(client):
    paths = client.get("/api/v1/openapi.json").json["paths"]
    assert {"/api/v1/contact", "/api/v1/contact/topics", "/api/v1/me/cases", "/api/v1/staff/cases",
            "/api/v1/staff/cases/{case_id}/reply", "/api/v1/staff/cases/{case_id}/assign",
            "/api/v1/staff/cases/{case_id}/attach", "/api/v1/staff/cases/{case_id}/link",
            "/api/v1/staff/cases/{case_id}/close"} <= set(paths)
    assert "201" in paths["/api/v1/contact"]["post"]["responses"]


# --- the pages -----------------------------------------------------------------------------------

def test_the_contact_page_lists_topics_and_asks_an_anonymous_sender_for_name_and_address(client, opened):
    page = client.get("/contact?topic=roster&subtopic=required_documents").get_data(as_text=True)
    assert "Submitting Required Documents for Application" in page
    assert 'name="email"' in page and 'name="name"' in page and 'name="website"' in page
    assert 'value="required_documents" selected' in page
    assert 'type="file"' in page and "multiple" in page


def test_the_contact_page_shows_plain_errors_and_keeps_what_was_typed(client, opened):
    response = client.post("/contact", data={**CASE, "email": "", "subject": ""})
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Enter your e-mail address" in page and "Enter a subject" in page
    assert "Here it is." in page and opened == []


def test_the_contact_page_shows_a_refused_file_under_the_file_input(client, opened):
    response = client.post("/contact", data={**CASE, "files": (io.BytesIO(EXE), "cdl.pdf")},
                           content_type="multipart/form-data")
    page = response.get_data(as_text=True)
    assert response.status_code == 422 and 'data-testid="files-error"' in page and "cdl.pdf" in page


def test_sending_from_the_page_shows_the_reference(client, opened):
    response = client.post("/contact", data=CASE)
    assert response.status_code == 303 and response.headers["Location"].endswith("/contact/sent")
    page = client.get("/contact/sent").get_data(as_text=True)
    assert REFERENCE in page and "e-mailed it to you" in page


def test_a_logged_in_persons_page_asks_no_name_and_lists_their_cases(app, fake_rpc, opened):
    fake_rpc.answer("accounts", "authenticate", make_principal())
    client = app.test_client()
    with client.session_transaction() as session:
        session["token"] = "a-token"
    page = client.get("/contact").get_data(as_text=True)
    assert 'name="email"' not in page and "Message Center" in page
    fake_rpc.answer("documents", "list_my_cases", {"cases": [{
        "id": str(uuid.uuid4()), "reference": REFERENCE, "status": "answered", "status_label": "Answered",
        "topic": "roster", "topic_label": "Roster Applications & Administration", "subtopic": "required_documents",
        "subtopic_label": "Submitting Required Documents for Application", "subject": "My CDL",
        "description": "Here it is.", "source": "web", "person_id": PERSON_ID, "needs_person_match": False,
        "created_at": "2026-03-01T18:00:00+00:00", "updated_at": "2026-03-01T18:00:00+00:00", "closed_at": None,
        "attachments": [{"id": str(uuid.uuid4()), "file_name": "cdl.pdf", "size": 10, "content_type": "application/pdf",
                         "status": "stored", "reason": None, "document_id": None, "document_type": None}],
        "replies": [{"id": str(uuid.uuid4()), "body": "We filed your CDL.", "created_at": "2026-03-02T18:00:00+00:00",
                     "author": "staff"}]}]})
    page = client.get("/portal/cases").get_data(as_text=True)
    assert REFERENCE in page and "We filed your CDL." in page and "Answered" in page
