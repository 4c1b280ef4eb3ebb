"""Required documents on a phone (seed 000, SPEC §4 journey 3): the gateway with canned service
answers and a real local-folder store (tests/browser/fake_hub.py), driven through headless
Chromium. Drag-and-drop and the file picker each show a progress bar, then a green "Success!";
a rejected document shows in red with its reason; staff review with a preview."""
import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import SCREENSHOTS, assert_fits_the_phone, log_in, running_fake_hub

pytestmark = pytest.mark.browser
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


@pytest.fixture(scope="module")
def fake_hub(tmp_path_factory):
    data_dir = tmp_path_factory.mktemp("fake-hub-data")
    with running_fake_hub(HUB_DATA_DIR=str(data_dir), FAKE_HUB_UPLOAD_DELAY="1.0") as url:
        yield {"url": url, "objects": data_dir / "objects"}


def snap(page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"documents-{name}.png"), full_page=True)


def medical_card(page):
    return page.get_by_test_id("requirement").filter(has_text="DOT Medical Examiner's Certificate")


def stored_documents(objects: Path) -> list[Path]:
    return [p for p in (objects / "documents").glob("*") if not p.name.endswith(".content-type")]


def test_a_rejected_document_shows_in_red_with_its_reason(fake_hub, page):
    log_in(page, fake_hub["url"], "ip", lands_on=r"/(portal|staff)$")
    page.goto(fake_hub["url"] + "/portal/classifications/399-DRIVER-G3?tab=documents")

    card = medical_card(page)
    rejected = card.locator('[data-testid="document-status"][data-status="rejected"]')
    expect(rejected).to_have_text("×Not accepted: Document is illegible")
    colour = rejected.locator(".status-label").evaluate("el => getComputedStyle(el).color")
    assert colour == "rgb(179, 38, 30)", colour  # --hub-bad
    approved = card.locator('[data-testid="document-status"][data-status="approved"]')
    expect(approved).to_contain_text("Approved, valid until 03/20/2024")
    snap(page, "required-documents-tab")


def test_drag_and_drop_shows_a_progress_bar_then_success_on_a_phone(fake_hub, page):
    log_in(page, fake_hub["url"], "ip", lands_on=r"/(portal|staff)$")
    page.goto(fake_hub["url"] + "/portal/classifications/399-DRIVER-G3?tab=documents")
    before = len(stored_documents(fake_hub["objects"]))

    zone = medical_card(page).get_by_test_id("dropzone")
    expect(zone.get_by_role("button", name="Upload Files")).to_be_visible()
    zone.scroll_into_view_if_needed()
    zone.evaluate("""(zone, bytes) => {
        const data = new DataTransfer();
        data.items.add(new File([new Uint8Array(bytes)], "medical-2024.pdf", {type: "application/pdf"}));
        zone.dispatchEvent(new DragEvent("dragover", {dataTransfer: data, bubbles: true, cancelable: true}));
        zone.dispatchEvent(new DragEvent("drop", {dataTransfer: data, bubbles: true, cancelable: true}));
    }""", list(PDF))

    item = medical_card(page).get_by_test_id("upload-item")
    expect(item).to_have_count(1)
    expect(item.get_by_test_id("upload-progress")).to_be_visible()
    snap(page, "drop-progress")
    expect(item.locator(".upload-status")).to_have_text("Success!")
    assert item.get_by_test_id("upload-progress").evaluate("bar => bar.value") == 100
    colour = item.locator(".upload-status").evaluate("el => getComputedStyle(el).color")
    assert colour == "rgb(30, 122, 58)", colour  # --hub-ok: green
    assert_fits_the_phone(page)
    snap(page, "drop-success")
    assert len(stored_documents(fake_hub["objects"])) == before + 1


def test_the_file_picker_uploads_several_files_each_with_its_progress(fake_hub, page, tmp_path):
    log_in(page, fake_hub["url"], "ip", lands_on=r"/(portal|staff)$")
    page.goto(fake_hub["url"] + "/portal/classifications/399-DRIVER-G3?tab=documents")
    front, back = tmp_path / "front.pdf", tmp_path / "back.png"
    front.write_bytes(PDF + b"front")
    back.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + b"\x00" * 64)

    card = medical_card(page)
    picker = card.get_by_test_id("file-input")
    # "Upload Files" opens this picker (the input itself is hidden behind the button)
    expect(card.get_by_role("button", name="Upload Files")).to_have_attribute("data-opens", picker.get_attribute("id"))
    picker.set_input_files([str(front), str(back)])

    items = card.get_by_test_id("upload-item")
    expect(items).to_have_count(2)
    expect(items.get_by_test_id("upload-progress")).to_have_count(2)
    expect(items.nth(0).locator(".upload-status")).to_have_text("Success!")
    expect(items.nth(1).locator(".upload-status")).to_have_text("Success!")
    snap(page, "picker-success")


def test_a_refused_file_says_why_and_offers_a_retry(fake_hub, page, tmp_path):
    log_in(page, fake_hub["url"], "ip", lands_on=r"/(portal|staff)$")
    page.goto(fake_hub["url"] + "/portal/documents")
    fake = tmp_path / "medical.pdf"
    fake.write_bytes(b"MZ\x90\x00" + b"\x00" * 200)  # a program named like a PDF

    page.get_by_label("Kind of document").select_option("dot_medical_certificate")
    page.get_by_test_id("file-input").set_input_files(str(fake))

    item = page.get_by_test_id("upload-item")
    expect(item.locator(".upload-status")).to_contain_text("This file looks like a program, which we cannot accept.")
    expect(item.get_by_role("button", name="Retry")).to_be_visible()
    colour = item.locator(".upload-status").evaluate("el => getComputedStyle(el).color")
    assert colour == "rgb(179, 38, 30)", colour
    snap(page, "refused-retry")


def test_my_documents_lists_each_with_its_status_on_a_phone(fake_hub, page):
    log_in(page, fake_hub["url"], "ip", lands_on=r"/(portal|staff)$")
    page.get_by_role("link", name="My Documents").click()

    expect(page.get_by_role("heading", name="My Documents")).to_be_visible()
    rows = page.get_by_test_id("document")
    expect(rows.filter(has_text="Not accepted: Document is illegible")).to_have_count(1)
    with page.expect_download() as download:
        rows.filter(has_text="cdl-a.pdf").get_by_role("link", name="cdl-a.pdf").click()
    assert download.value.suggested_filename == "cdl-a.pdf"
    assert_fits_the_phone(page)
    snap(page, "my-documents")


def test_staff_review_the_queue_with_a_preview_on_a_phone(fake_hub, page):
    log_in(page, fake_hub["url"], "staff", lands_on=r"/(portal|staff)$")
    page.get_by_role("button", name="Documents to review").click()

    card = page.get_by_test_id("queued-document").filter(has_text="robin-medical.pdf")
    expect(card.get_by_test_id("person-card")).to_contain_text("Robin Dolly")
    expect(card.get_by_test_id("person-card")).to_contain_text("IL# 5550001112")
    expect(card.get_by_test_id("preview")).to_have_attribute("src", re.compile(r"/staff/documents/[\w-]+/preview$"))
    preview = page.request.get(fake_hub["url"] + card.get_by_test_id("preview").get_attribute("src"))
    assert preview.ok and preview.headers["content-disposition"].startswith("inline")
    assert_fits_the_phone(page)
    snap(page, "staff-queue")

    card.get_by_label("Reason to reject (the person sees it)").select_option("Name does not match")
    card.get_by_role("button", name="Reject").click()
    # the queue comes back with every preview: give a loaded machine time to serve it
    expect(page.locator(".flash-success")).to_contain_text("Rejected: DOT Medical Examiner's Certificate",
                                                           timeout=20_000)
    expect(page.get_by_test_id("queued-document").filter(has_text="robin-medical.pdf")).to_have_count(0)


def test_the_work_days_queue_links_the_proof(fake_hub, page):
    log_in(page, fake_hub["url"], "staff", lands_on=r"/(portal|staff)$")
    page.goto(fake_hub["url"] + "/staff/work-days")

    proof = page.get_by_test_id("pending-day").get_by_test_id("proof")
    expect(proof.get_by_role("link", name="open the proof of employment")).to_be_visible()
    snap(page, "work-days-proof")
