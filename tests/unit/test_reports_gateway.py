"""What people take away (seed 003), through the gateway over fake RPC: the Official Course
Transcript and Compliance Report PDFs read back with pypdf (text) and zxing-cpp (the QR code
image embedded in the report), and the public /verify/<code> page and API."""
import io
import re
import uuid
from datetime import date, datetime

import pypdf
import pytest
import zxingcpp
from gateway.reports import compliance_report_pdf, transcript_pdf

from common.errors import NotFound
from tests.support.fake_gateway import PERSON_ID, make_app, make_principal

BEARER = {"Authorization": "Bearer api-token"}
CODE = "7K3M-Q9XD-2HPR-WB4T"
ISSUED_AT = "2025-03-05T18:42:00+00:00"   # 10:42 AM in Burbank
IL = "1234567890"
CARD = {"person_id": PERSON_ID, "il_number": IL, "first_name": "Zoë", "last_name": "Łukasiewicz-Grip"}
SECRETS = ("987-65-4321", "987654321", "1985-04-12", "04/12/1985", "zoe@example.com", "818-555-0100")


def completion(code, title, completed, expires=None, score=None, source="online", status="current"):
    return {"id": str(uuid.uuid4()), "person_id": PERSON_ID, "course_code": code, "title": title,
            "completed_on": completed, "expires_on": expires, "score": score, "source": source, "status": status}


def make_transcript(**overrides) -> dict:
    transcript = {"person_id": PERSON_ID, "il_number": IL, "first_name": "Zoë", "last_name": "Łukasiewicz-Grip",
                  "completions": [
                      completion("A", "General Safety (IIPP)", "2024-03-01", None, 90),
                      completion("HP1", "Harassment Prevention for Non-Supervisors", "2024-03-02", "2026-03-02", 100),
                      completion("C19", "COVID-19 Prevention", "2022-01-05", "2023-01-05", 80, status="expired"),
                      completion("FORKLIFT", "Forklift Operator", "2024-04-10", "2027-04-10", source="in_person"),
                  ]}
    transcript.update(overrides)
    return transcript


def row(label, state, detail, kind="course", due=None, tab="training"):
    return {"phase": "ongoing", "kind": kind, "tab": tab, "label": label, "state": state, "detail": detail,
            "due_on": due, "next_step": None, "numbers": {}}


def record(code, name, status, label, rows, group=None, placed=None, advancement=None):
    return {"record_id": str(uuid.uuid4()), "classification_code": code, "name": name, "local": code.split("-")[0],
            "local_name": f"Local #{code.split('-')[0]}", "roster": "Industry Experience Roster", "group": group,
            "status": status, "label": label, "as_of": "2025-03-05", "applied_on": "2024-01-10",
            "placed_on": placed, "training_eligible": True, "anticipated_advancement_on": advancement,
            "advances_to": None, "rows": rows, "timeline": []}


CLASSIFICATIONS = {"as_of": "2025-03-05", "closed": [], "records": [
    record("80-GRIP", "IATSE Local #80 (Grip)", "compliant", "Compliant", [
        row("30 verified work days within 365 days", "met", "42 of 30 days in the last year", kind="work_days",
            tab="work_experience"),
        row("Harassment prevention, every 2 years", "due", "Expires 03/02/2026", due="2026-03-02"),
    ], placed="2024-05-01"),
    record("399-DRIVER-G3", "Teamsters, Local #399 (Driver Group 3)", "not_compliant", "Not Compliant", [
        row("DOT Medical Examiner's Certificate", "unmet", "Expired on 02/20/2025", kind="document", tab="documents"),
    ], group=3, placed="2023-02-01")],
    "pending": [record("399-DRIVER-G2", "Teamsters, Local #399 (Driver Group 2)", "pending_advancement",
                       "Pending (In Progress)", [row("2 Years Active, Upgrade", "unmet", "410 of 730 days",
                                                     kind="time_in_group", tab="other", due="2026-01-11")],
                       group=2, advancement="2026-01-11")]}

PUBLIC_PERSON = {"il_number": IL, "first_name": "Zoë", "last_name": "Łukasiewicz-Grip",
                 "classifications": [
                     {"code": "80-GRIP", "name": "IATSE Local #80 (Grip)", "local": "80", "status": "compliant",
                      "status_label": "Compliant", "on_roster": True},
                     {"code": "399-DRIVER-G3", "name": "Teamsters, Local #399 (Driver Group 3)", "local": "399",
                      "status": "not_compliant", "status_label": "Not Compliant", "on_roster": False}],
                 "safety_pass": {"courses": ["A", "FORKLIFT", "HP1"]}}


def pdf_text(data: bytes) -> str:
    """The text of every page, whitespace made single spaces (table cells wrap their lines)."""
    pages = pypdf.PdfReader(io.BytesIO(data)).pages
    return " ".join(" ".join(page.extract_text().split()) for page in pages)


def qr_codes(data: bytes) -> list[str]:
    """The text of every QR code in the PDF's embedded images."""
    found = []
    for page in pypdf.PdfReader(io.BytesIO(data)).pages:
        for image in page.images:
            found += [b.text for b in zxingcpp.read_barcodes(image.image) if b.format == zxingcpp.BarcodeFormat.QRCode]
    return found


# --- the PDFs themselves ---------------------------------------------------------------------------

def test_the_transcript_lists_every_course_with_date_score_source_expiry_and_status():
    data = transcript_pdf(make_transcript(), "Zoë Łukasiewicz-Grip", IL, date(2025, 3, 5))
    assert data.startswith(b"%PDF-")
    text = pdf_text(data)
    assert "Official Course Transcript" in text and "Zoë Łukasiewicz-Grip" in text and IL in text
    for expected in ("A — General Safety (IIPP)", "HP1 — Harassment Prevention", "C19 — COVID-19 Prevention",
                     "FORKLIFT — Forklift Operator", "03/01/2024", "03/02/2026", "90%", "100%", "In person",
                     "Expired", "Current", "Does not expire", "Issued 03/05/2025"):
        assert expected in text, expected


def test_every_page_names_the_person_and_their_il_number():
    many = make_transcript(completions=[completion(f"K{n}", f"Course number {n}", "2024-01-01") for n in range(60)])
    reader = pypdf.PdfReader(io.BytesIO(transcript_pdf(many, "Pat Grip", IL, date(2025, 3, 5))))
    assert len(reader.pages) > 1
    for page in reader.pages:
        text = " ".join(page.extract_text().split())
        assert "Pat Grip" in text and f"IL# {IL}" in text


def test_the_compliance_report_shows_each_classification_requirement_safety_pass_and_its_code():
    url = f"https://hub.example.org/verify/{CODE}"
    data = compliance_report_pdf(CLASSIFICATIONS, make_transcript(), "Zoë Łukasiewicz-Grip", IL, CODE,
                                 datetime.fromisoformat(ISSUED_AT), url)
    text = pdf_text(data)
    for expected in ("Compliance Report", "Zoë Łukasiewicz-Grip", IL, CODE, url,
                     "IATSE Local #80 (Grip)", "Compliant", "30 verified work days within 365 days", "Met",
                     "Harassment prevention, every 2 years", "Due", "03/02/2026",
                     "Teamsters, Local #399 (Driver Group 3)", "Not Compliant", "DOT Medical Examiner's Certificate",
                     "Not met", "Expired on 02/20/2025",
                     "Teamsters, Local #399 (Driver Group 2)", "Pending (In Progress)", "Under way",
                     "Anticipated Advancement Date 01/11/2026",
                     "Safety Pass", "A — General Safety (IIPP)", "FORKLIFT — Forklift Operator",
                     "This report was issued 03/05/2025 at 10:42 AM PST"):
        assert expected in text, expected
    safety_pass = text[text.rindex("Safety Pass"):]
    assert "C19" not in safety_pass   # expired: not part of the Safety Pass
    assert qr_codes(data) == [url]


def test_a_report_for_someone_with_nothing_yet_says_so():
    data = compliance_report_pdf({"as_of": "2025-03-05", "records": [], "pending": [], "closed": []},
                                 make_transcript(completions=[]), "Pat Grip", IL, CODE,
                                 datetime.fromisoformat(ISSUED_AT), f"http://hub/verify/{CODE}")
    text = pdf_text(data)
    assert "No classification records." in text and "No current Safety Pass courses." in text


# --- the PDFs over the API -------------------------------------------------------------------------

@pytest.fixture
def person(fake_rpc):
    fake_rpc.answer("accounts", "authenticate", make_principal())
    fake_rpc.answer("accounts", "person_card", lambda person_id, viewer: {**CARD, "person_id": person_id})
    fake_rpc.answer("training", "transcript", lambda person_id: make_transcript(person_id=person_id))
    fake_rpc.answer("rosters", "my_classifications", lambda person_id, as_of: CLASSIFICATIONS)
    issued = []

    def issue(person_id, actor):
        issued.append((person_id, actor))
        return {"code": CODE, "person_id": person_id, "issued_at": ISSUED_AT}

    fake_rpc.answer("training", "issue_report_code", issue)
    return issued


def assert_pdf_attachment(response, name_prefix: str):
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.mimetype == "application/pdf"
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("attachment;") and f'filename="{name_prefix}-{IL}-' in disposition
    assert response.headers["Cache-Control"] == "no-store"


def test_the_transcript_pdf_downloads_as_an_attachment_nobody_caches(client, fake_rpc, person):
    response = client.get("/api/v1/me/transcript.pdf", headers=BEARER)
    assert_pdf_attachment(response, "transcript")
    assert "HP1 — Harassment Prevention" in pdf_text(response.data)
    assert ("training", "issue_report_code") not in fake_rpc.methods_called()


def test_each_compliance_report_download_issues_a_code_whose_qr_opens_the_public_page(client, fake_rpc, person):
    response = client.get("/api/v1/me/compliance-report.pdf", headers=BEARER)
    assert_pdf_attachment(response, "compliance-report")
    (person_id, actor), = person
    assert person_id == PERSON_ID and actor["account_id"]
    text = pdf_text(response.data)
    assert CODE in text and "Teamsters, Local #399 (Driver Group 3)" in text
    (url,) = qr_codes(response.data)
    assert url.endswith(f"/verify/{CODE}") and url in text


def test_the_qr_code_points_at_hub_public_url(client, fake_rpc, person, monkeypatch):
    monkeypatch.setenv("HUB_PUBLIC_URL", "https://hub.contractservices.example/")
    response = client.get("/api/v1/me/compliance-report.pdf", headers=BEARER)
    assert qr_codes(response.data) == [f"https://hub.contractservices.example/verify/{CODE}"]


def test_staff_acting_for_a_person_get_that_persons_reports(client, fake_rpc, person):
    other = str(uuid.uuid4())
    fake_rpc.answer("accounts", "authenticate", {**make_principal("staff_reviewer"), "person_id": None})
    response = client.get("/api/v1/me/compliance-report.pdf", headers={**BEARER, "X-Act-For": other})
    assert_pdf_attachment(response, "compliance-report")
    (person_id, actor), = person
    assert person_id == other and actor["on_behalf_of"] == other
    assert ("training", "transcript", (other,)) in fake_rpc.calls


def test_the_pdfs_need_a_login(client, fake_rpc):
    for path in ("/api/v1/me/transcript.pdf", "/api/v1/me/compliance-report.pdf"):
        response = client.get(path)
        assert response.status_code == 401 and response.get_json()["error"] == "unauthorized"


def test_the_portal_offers_both_pdfs_to_the_browser_session(client, fake_rpc, person):
    with client.session_transaction() as session:
        session["token"] = "page-token"
    page = client.get("/portal/reports")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'href="/portal/compliance-report.pdf"' in html and 'href="/portal/transcript.pdf"' in html
    assert_pdf_attachment(client.get("/portal/transcript.pdf"), "transcript")
    assert_pdf_attachment(client.get("/portal/compliance-report.pdf"), "compliance-report")


def test_a_logged_out_browser_is_sent_to_log_in_for_a_pdf(client):
    response = client.get("/portal/compliance-report.pdf")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


# --- /verify ---------------------------------------------------------------------------------------

@pytest.fixture
def verifiable(fake_rpc):
    """A known code; the services hold details the page must never show."""
    def verify(code):
        if code.replace("-", "").upper() != CODE.replace("-", ""):
            raise NotFound("No Compliance Report has this verification code.")
        return {"code": CODE, "person_id": PERSON_ID, "issued_at": ISSUED_AT}

    fake_rpc.answer("training", "verify_report_code", verify)
    leaky = {"ssn": SECRETS[0], "date_of_birth": SECRETS[2], "email": SECRETS[4], "phone": SECRETS[5]}
    fake_rpc.answer("training", "transcript", lambda person_id: {**make_transcript(), **leaky})
    searches = []

    def search(criteria):
        searches.append(criteria)
        return {"results": [PUBLIC_PERSON], "total": 1, "page": 1, "page_size": 25, "pages": 1}

    fake_rpc.answer("rosters", "search_roster", search)
    return searches


def test_the_verify_api_shows_the_live_public_status_and_when_the_report_was_issued(client, verifiable):
    response = client.get(f"/api/v1/verify/{CODE}")
    assert response.status_code == 200
    body = response.get_json()
    assert verifiable == [{"il_number": IL, "last_name": None, "first_name": None, "ssn": None,
                           "classification": None, "local": None, "page": 1}]
    assert body["code"] == CODE and body["issued_at"].startswith("2025-03-05T18:42")
    assert body["issued"] == "03/05/2025 at 10:42 AM PST"
    assert body["person"] == PUBLIC_PERSON
    assert set(body) == {"code", "issued_at", "issued", "checked_at", "checked", "person"}
    assert not any(secret in response.get_data(as_text=True) for secret in SECRETS)


def test_the_verify_page_shows_name_il_number_classifications_and_safety_pass_only(client, verifiable):
    response = client.get(f"/verify/{CODE}")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    for expected in ("This code is genuine", "03/05/2025 at 10:42 AM PST", "Zoë Łukasiewicz-Grip", IL,
                     "IATSE Local #80 (Grip)", "Compliant", "Teamsters, Local #399 (Driver Group 3)",
                     "Not Compliant", "Not on the roster", "A, FORKLIFT, HP1"):
        assert expected in html, expected
    assert not any(secret in html for secret in SECRETS)
    assert not re.search(r"\b\d{3}-\d{2}-\d{4}\b", html)   # nothing shaped like an SSN


def test_a_code_typed_from_paper_finds_the_report(client, verifiable):
    assert client.get("/verify?code=7k3m q9xd 2hpr wb4t").status_code == 302
    assert client.get("/api/v1/verify/7k3mq9xd2hprwb4t").get_json()["code"] == CODE


def test_someone_without_a_public_roster_record_shows_name_il_number_and_current_courses(client, fake_rpc,
                                                                                      verifiable):
    fake_rpc.answer("rosters", "search_roster", {"results": [], "total": 0, "page": 1, "page_size": 25, "pages": 0})
    person = client.get(f"/api/v1/verify/{CODE}").get_json()["person"]
    assert person == {"il_number": IL, "first_name": "Zoë", "last_name": "Łukasiewicz-Grip", "classifications": [],
                      "safety_pass": {"courses": ["A", "FORKLIFT", "HP1"]}}


def test_an_unknown_code_is_plainly_not_found(client, verifiable):
    api = client.get("/api/v1/verify/ZZZZ-ZZZZ-ZZZZ-ZZZZ")
    assert api.status_code == 404
    assert api.get_json() == {"error": "not_found", "message": "No Compliance Report has this verification code."}
    page = client.get("/verify/ZZZZ-ZZZZ-ZZZZ-ZZZZ")
    assert page.status_code == 404
    html = page.get_data(as_text=True)
    assert "Code not found" in html and IL not in html and "Zoë" not in html
    assert verifiable == []   # nobody was looked up


def test_a_code_too_long_to_be_one_is_refused_without_asking_the_services(client, fake_rpc):
    assert client.get("/api/v1/verify/" + "A" * 200).status_code == 404
    assert fake_rpc.calls == []


def test_the_verify_routes_are_rate_limited_like_the_search(fake_rpc, verifiable):
    app = make_app(fake_rpc, RATELIMIT_ENABLED=True, RATELIMIT_SEARCH="2 per minute")
    client = app.test_client()
    for path in (f"/api/v1/verify/{CODE}", f"/verify/{CODE}"):
        assert [client.get(path).status_code for _ in range(3)] == [200, 200, 429]


def test_the_dashboard_links_to_my_reports():
    from pathlib import Path

    import gateway

    dashboard = Path(gateway.__file__).parent / "templates" / "portal" / "dashboard.html"
    assert "url_for('reports.my_reports')" in dashboard.read_text() and ">My Reports<" in dashboard.read_text()
