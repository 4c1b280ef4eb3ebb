"""Contact Us on a phone (seed 000, option 2): the gateway with canned service answers (the ones of
tests/browser/fake_hub.py plus the documents service's case RPCs, served by this module as
`python -m tests.browser.test_contact_in_browser PORT DATA_DIR`), looked at through headless
Chromium at 390x844."""
import sys
import uuid

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import assert_fits_the_phone, log_in, running_fake_hub

pytestmark = pytest.mark.browser
PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + b"\x00" * 200
REFERENCE = "CS-2026-000123"
CASE_ID = "6f1c0a4e-8f59-4d39-9d83-6f0f2b0d8c11"


def canned_cases(person_id: str | None) -> list[dict]:
    def case(reference, status, label, subject, **extra):
        return {"id": extra.pop("id", str(uuid.uuid4())), "reference": reference, "status": status,
                "status_label": label, "topic": "roster", "topic_label": "Roster Applications & Administration",
                "subtopic": "required_documents",
                "subtopic_label": "Submitting Required Documents for Application", "subject": subject,
                "description": "Pat Grip, Teamsters Local #399, Driver Group 3.\nMy renewed CDL is attached.",
                "source": "web", "person_id": person_id, "needs_person_match": person_id is None,
                "created_at": "2026-03-02T17:05:00+00:00", "updated_at": "2026-03-02T17:05:00+00:00",
                "closed_at": None, "attachments": [], "replies": [], **extra}

    files = [{"id": str(uuid.uuid4()), "file_name": "CDL front and back.pdf", "size": 284_113,
              "content_type": "application/pdf", "status": "stored", "reason": None, "document_id": None,
              "document_type": None},
             {"id": str(uuid.uuid4()), "file_name": "medical.exe", "size": 4096, "content_type": None,
              "status": "refused", "reason": "We can only accept a PDF, a JPEG or PNG picture, or an iPhone "
                                            "photo (HEIC).", "document_id": None, "document_type": None}]
    return [
        case(REFERENCE, "answered", "Answered", "Renewed CDL for my Driver Group 3 record", id=CASE_ID,
             attachments=files[:1],
             replies=[{"id": str(uuid.uuid4()), "author": "staff", "created_at": "2026-03-03T18:00:00+00:00",
                       "body": "Thank you, Pat. We filed your CDL for review; you will see it under Required "
                               "Documents within two business days."}]),
        case("CS-2026-000098", "open", "New", "Question about my transcript", attachments=files[1:],
             topic="training", topic_label="Safety Pass Training", subtopic="transcript",
             subtopic_label="Transcript and Completions"),
    ]


def staff_case(case: dict) -> dict:
    return {**case, "sender_name": "Pat Grip", "sender_email": "pat.grip@example.com", "il_number": None,
            "first_name": None, "last_name": None, "assigned_to": None}


def fake_rpc():
    from documents.cases import load_topics

    from tests.browser.fake_hub import fake_rpc as hub_rpc

    rpc = hub_rpc()
    rpc.answer("documents", "list_case_topics", load_topics().out().model_dump(mode="json"))
    rpc.answer("documents", "open_case", lambda payload, actor: {
        "reference": REFERENCE, "case_id": CASE_ID, "attachments": len(payload["attachments"]), "refused": 0})
    rpc.answer("documents", "list_my_cases", lambda person_id: {"cases": canned_cases(person_id)})
    rpc.answer("documents", "list_cases", lambda filters, viewer: {
        "cases": [staff_case(c) for c in canned_cases(None)]})
    rpc.answer("documents", "get_case", lambda case_id, viewer: {
        **staff_case(canned_cases(None)[0]),
        "attachments": canned_cases(None)[0]["attachments"] + canned_cases(None)[1]["attachments"]})
    rpc.answer("documents", "list_document_types", {"document_types": [
        {"code": "cdl_class_a", "label": "Commercial Driver's License, Class A", "expires": True, "checks": []},
        {"code": "dot_medical_certificate", "label": "DOT Medical Examiner's Certificate", "expires": True,
         "checks": []}]})
    return rpc


@pytest.fixture(scope="module")
def contact_hub(tmp_path_factory):
    data_dir = tmp_path_factory.mktemp("contact-hub")
    with running_fake_hub("tests.browser.test_contact_in_browser", str(data_dir)) as url:
        yield url


def test_an_anonymous_visitor_sends_documents_from_a_phone_and_sees_the_reference(contact_hub, page, tmp_path):
    page.goto(contact_hub + "/")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Contact Us").click()
    expect(page.get_by_role("heading", name="Contact Us")).to_be_visible()

    subtopic = page.get_by_label("Subtopic")
    page.get_by_label("Topic", exact=True).select_option(label="Roster Applications & Administration")
    # only the chosen topic's subtopics are offered
    expect(subtopic.locator("option", has_text="Online Courses")).to_have_count(0)
    subtopic.select_option(label="Submitting Required Documents for Application")
    page.get_by_label("Your name").fill("Pat Grip")
    page.get_by_label("Your e-mail address").fill("pat.grip@example.com")
    page.get_by_label("Subject").fill("Renewed CDL")
    page.get_by_label("Description").fill("Pat Grip, Teamsters Local #399, Driver Group 3.\nMy CDL is attached.")
    page.get_by_label("Files").set_input_files([{"name": "cdl.pdf", "mimeType": "application/pdf", "buffer": PDF}])
    assert_fits_the_phone(page)
    page.get_by_role("button", name="Send").click()

    expect(page.get_by_test_id("reference")).to_have_text(REFERENCE)
    expect(page.get_by_text("We also e-mailed it to you.")).to_be_visible()
    assert_fits_the_phone(page)


def test_a_refused_file_is_explained_beside_the_file_input_and_nothing_typed_is_lost(contact_hub, page):
    page.goto(contact_hub + "/contact?topic=roster&subtopic=required_documents")
    expect(page.get_by_label("Subtopic")).to_have_value("required_documents")
    page.get_by_label("Your name").fill("Pat Grip")
    page.get_by_label("Your e-mail address").fill("pat.grip@example.com")
    page.get_by_label("Subject").fill("My medical certificate")
    page.get_by_label("Description").fill("Attached.")
    page.get_by_label("Files").set_input_files([{"name": "medical.pdf", "mimeType": "application/pdf",
                                                 "buffer": EXE}])
    page.get_by_role("button", name="Send").click()

    expect(page.get_by_test_id("files-error")).to_contain_text("medical.pdf")
    expect(page.get_by_label("Subject")).to_have_value("My medical certificate")
    expect(page.get_by_label("Subtopic")).to_have_value("required_documents")
    assert_fits_the_phone(page)


def test_empty_fields_are_named_in_plain_words(contact_hub, page):
    page.goto(contact_hub + "/contact")
    page.get_by_role("button", name="Send").click()
    expect(page.get_by_text("Choose a topic.")).to_be_visible()
    expect(page.get_by_text("Enter your e-mail address")).to_be_visible()
    expect(page.get_by_text("Tell us what you need")).to_be_visible()


def test_a_logged_in_person_is_not_asked_who_they_are_and_follows_their_cases(contact_hub, browser, request):
    from tests.browser.conftest import phone_page

    with phone_page(browser, request, "-contact") as page:
        log_in(page, contact_hub, "ip")
        page.goto(contact_hub + "/contact")
        expect(page.get_by_label("Your e-mail address")).to_have_count(0)
        expect(page.get_by_text("our answer in your Message Center")).to_be_visible()
    with phone_page(browser, request, "-my-cases") as page:
        log_in(page, contact_hub, "ip")
        page.goto(contact_hub + "/portal/cases")
        cases = page.get_by_test_id("case")
        expect(cases).to_have_count(2)
        expect(cases.first.get_by_test_id("case-reply")).to_contain_text("We filed your CDL")
        expect(cases.nth(1)).to_contain_text("not accepted")
        assert_fits_the_phone(page)


def test_staff_work_the_case_queue_on_a_phone(contact_hub, browser, request):
    from tests.browser.conftest import phone_page

    with phone_page(browser, request, "-queue") as page:
        log_in(page, contact_hub, "staff")
        page.goto(contact_hub + "/staff/cases")
        expect(page.get_by_test_id("case-row")).to_have_count(2)
        assert_fits_the_phone(page)
    with phone_page(browser, request, "-case") as page:
        log_in(page, contact_hub, "staff")
        page.goto(f"{contact_hub}/staff/cases/{CASE_ID}")
        expect(page.get_by_test_id("needs-match")).to_be_visible()
        expect(page.get_by_test_id("refused-file")).to_contain_text("medical.exe")
        expect(page.get_by_role("button", name="Attach as a required document")).to_be_visible()
        expect(page.get_by_role("button", name="Send the answer")).to_be_visible()
        assert_fits_the_phone(page)


def main(port: int, data_dir: str) -> None:
    from tests.support.fake_gateway import make_app

    app = make_app(fake_rpc(), HUB_DATA_DIR=data_dir)
    app.run(host="127.0.0.1", port=port, threaded=True, use_reloader=False)


if __name__ == "__main__":
    main(int(sys.argv[1]), sys.argv[2])
