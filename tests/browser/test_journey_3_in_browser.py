"""Journey 3 of SPEC §4 in a browser on a phone, against the whole running Hub: a driver uploads
the medical certificate on the Required Documents tab and sees "Success!", staff reject it in the
review queue with a reason, the driver sees the reason in red and sends a new one, staff approve
it with an expiry, and the tab shows the green check with "valid until"."""
import re
from datetime import timedelta

import pytest
import requests
from playwright.sync_api import expect

from common.clock import today
from tests.browser.conftest import phone_page
from tests.browser.test_dashboard_in_browser import create_account_and_apply, log_in

pytestmark = pytest.mark.browser

CODE = "399-DRIVER-G3"
MEDICAL = "DOT Medical Examiner's Certificate"


def pdf_file(folder, name: str, marker: str):
    path = folder / name
    path.write_bytes(b"%PDF-1.4\n% " + marker.encode() + b"\n%%EOF\n")
    return path


def upload_medical(page, hub, path) -> None:
    page.goto(f"{hub.url}/portal/classifications/{CODE}?tab=documents")
    card = page.get_by_test_id("requirement").filter(has_text=MEDICAL)
    card.get_by_test_id("file-input").set_input_files(str(path))
    item = card.get_by_test_id("upload-item")
    expect(item.get_by_test_id("upload-progress")).to_have_count(1)
    expect(item.locator(".upload-status")).to_have_text("Success!", timeout=20_000)


def staff_decide(staff_page, hub, person: dict, button: str, fill: dict) -> None:
    staff_page.goto(f"{hub.url}/staff/documents")
    entry = staff_page.get_by_test_id("queued-document").filter(has_text=person["il_number"])
    expect(entry).to_have_count(1)
    for label, value in fill.items():
        entry.get_by_label(label).first.fill(value)
    entry.get_by_role("button", name=button).click()
    expect(staff_page.locator(".flash")).to_be_visible()


def test_journey_3_upload_rejected_in_red_upload_again_approved_with_a_green_check(hub, page, browser, request,
                                                                                   tmp_path):
    person = create_account_and_apply(hub, CODE)
    log_in(page, hub, person)
    upload_medical(page, hub, pdf_file(tmp_path, "medical.pdf", f"first {person['il_number']}"))

    with phone_page(browser, request, "-staff") as staff_page:
        log_in_staff(staff_page, hub)
        staff_decide(staff_page, hub, person, "Reject", {"Or write the reason": "Name does not match"})

        page.goto(f"{hub.url}/portal/classifications/{CODE}?tab=documents")
        card = page.get_by_test_id("requirement").filter(has_text=MEDICAL)
        rejected = card.locator('[data-testid="document-status"][data-status="rejected"]')
        expect(rejected).to_contain_text("Name does not match")
        colour = rejected.locator(".status-label").evaluate("el => getComputedStyle(el).color")
        assert colour == "rgb(179, 38, 30)", colour  # the Hub's red

        upload_medical(page, hub, pdf_file(tmp_path, "medical-2.pdf", f"second {person['il_number']}"))
        expires = today() + timedelta(days=400)
        staff_decide(staff_page, hub, person, "Approve", {"Expiry date": expires.isoformat()})

    page.goto(f"{hub.url}/portal/classifications/{CODE}?tab=documents")
    card = page.get_by_test_id("requirement").filter(has_text=MEDICAL)
    approved = card.locator('[data-testid="document-status"][data-status="approved"]')
    expect(approved).to_contain_text(f"valid until {expires:%m/%d/%Y}")
    token = person["token"]
    messages = requests.get(hub.api("/me/messages"), headers={"Authorization": f"Bearer {token}"}).json()
    assert any("Name does not match" in m["body"] for m in messages["messages"])


def log_in_staff(page, hub) -> None:
    page.goto(hub.url + "/login")
    page.get_by_label("E-mail address").fill(hub.admin_email)
    page.get_by_label("Password").fill(hub.admin_password)
    page.get_by_role("main").get_by_role("button", name="Log in").click()
    expect(page).to_have_url(re.compile(r"/(staff|portal)"))
