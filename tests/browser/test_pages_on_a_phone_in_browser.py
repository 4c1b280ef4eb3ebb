"""Layout on a phone, where only a browser can tell: the gateway with canned service answers
(tests/browser/fake_hub.py) in its own process, looked at through headless Chromium."""
import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import PHONE, assert_fits_the_phone, log_in, page_width, running_fake_hub

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def fake_hub():
    with running_fake_hub() as url:
        yield url


def page_size(page) -> tuple[int, int]:
    page_width(page)  # waits until the page and its stylesheets have loaded (see conftest)
    return page.evaluate("[document.documentElement.scrollWidth, document.documentElement.scrollHeight]")


def test_the_local_399_apply_page_fits_a_few_screens_of_a_phone(fake_hub, page):
    log_in(page, fake_hub, "ip")
    page.goto(fake_hub + "/portal/apply?local=399")

    local = page.get_by_test_id("local-399")
    expect(local.get_by_test_id("apply-399-DRIVER-G3")).to_contain_text("You already have this classification.")
    width, height = page_size(page)
    assert width <= PHONE["width"]
    assert height < 4 * PHONE["height"], f"the page is {height} px tall"  # it was ~11,000 px
    # the requirements are a tap away, not in the way
    card = local.get_by_test_id("apply-399-WRANGLER-G3")
    expect(card.get_by_text("Safety Pass course C19")).to_be_hidden()
    card.get_by_text("What it takes").click()
    expect(card.get_by_text("Safety Pass course C19")).to_be_visible()


def test_the_locals_are_listed_in_number_order(fake_hub, page):
    log_in(page, fake_hub, "ip")
    page.goto(fake_hub + "/portal/apply")

    locals_ = page.locator("details.local").evaluate_all("nodes => nodes.map(n => n.dataset.testid)")
    assert locals_ == ["local-44", "local-80", "local-399", "local-728"]


def test_the_requirement_tabs_are_an_even_grid_on_a_phone(fake_hub, page):
    log_in(page, fake_hub, "ip")
    page.goto(fake_hub + "/portal/classifications/80-GRIP?tab=training")

    tabs = page.get_by_role("navigation", name="Requirements").get_by_role("link")
    expect(tabs).to_have_count(4)
    boxes = [tabs.nth(i).bounding_box() for i in range(4)]
    sizes = {(round(b["width"]), round(b["height"])) for b in boxes}
    assert len(sizes) == 1, f"tabs of different sizes: {boxes}"
    assert boxes[0]["y"] == boxes[1]["y"] and boxes[2]["y"] == boxes[3]["y"] > boxes[0]["y"]
    assert page_size(page)[0] <= PHONE["width"]


def test_a_next_step_calls_contract_services_with_one_tap(fake_hub, page):
    log_in(page, fake_hub, "ip")
    page.goto(fake_hub + "/portal/classifications/80-GRIP?tab=work_experience")

    step = page.get_by_test_id("next-step")
    expect(step).to_have_count(1)
    expect(step.get_by_role("link", name="818.565.0550 ext. 1100")).to_have_attribute("href", "tel:+18185650550,1100")


def test_a_document_next_step_points_to_the_upload_right_under_it(fake_hub, page):
    log_in(page, fake_hub, "ip")
    page.goto(fake_hub + "/portal/classifications/399-DRIVER-G3?tab=documents")

    step = page.get_by_test_id("next-step")
    expect(step).to_have_count(1)  # the licence is met; the certificate is due
    expect(step).to_contain_text("DOT Medical Examiner's Certificate")
    expect(step).to_contain_text("“Upload Files” below")
    certificate = page.get_by_test_id("requirement").filter(has_text="DOT Medical Examiner's Certificate")
    expect(certificate.get_by_role("button", name="Upload Files")).to_be_visible()
    expect(page.get_by_test_id("requirement").filter(has_text="Commercial Driver's License")).to_have_count(1)


def test_the_dashboard_shows_each_records_key_figure(fake_hub, page):
    log_in(page, fake_hub, "ip")

    grip = page.get_by_test_id("classification").filter(has_text="(Grip)")
    expect(grip.get_by_test_id("key-figure")).to_have_text("12 of 30 days")
    expect(grip.get_by_test_id("key-figure")).to_be_in_viewport()


def test_a_union_rep_lands_on_their_local_filters_it_and_exports_it_on_a_phone(fake_hub, page):
    log_in(page, fake_hub, "rep")

    expect(page).to_have_url(re.compile(r"/reps/399"))
    expect(page.get_by_test_id("member")).to_have_count(2)
    page.get_by_label("Status").select_option("compliant")
    page.get_by_role("button", name="Filter").click()
    expect(page).to_have_url(re.compile(r"status=compliant"))
    expect(page.get_by_test_id("member")).to_have_count(1)
    expect(page.get_by_test_id("member")).to_contain_text("Dolly")
    export = page.get_by_test_id("export-csv")
    expect(export).to_have_attribute("href", re.compile(r"/reps/399/members\.csv\?status=compliant"))
    csv_text = page.request.get(fake_hub + export.get_attribute("href")).text()
    assert "Dolly" in csv_text and "Doe" not in csv_text
    assert_fits_the_phone(page)


def test_an_unknown_page_offers_a_way_back_on_a_phone(fake_hub, page):
    log_in(page, fake_hub, "ip")
    response = page.goto(fake_hub + "/portal/no-such-page")

    assert response.status == 404
    expect(page.get_by_role("heading", name="Not found")).to_be_visible()
    page.get_by_role("button", name="My Dashboard").click()
    expect(page.get_by_test_id("il-number")).to_have_text("1234567890")


def test_the_staff_pages_fit_a_phone(fake_hub, page):
    log_in(page, fake_hub, "staff")
    page.get_by_label("IL number, e-mail, exact SSN or last name").fill("Dolly")
    page.get_by_role("button", name="Search").click()
    expect(page.get_by_test_id("search-result")).to_have_count(2)
    assert page_size(page)[0] <= PHONE["width"]

    page.get_by_role("link", name="Dolly, Robin").click()
    expect(page.get_by_test_id("staff-classification")).to_have_count(3)
    assert page_size(page)[0] <= PHONE["width"]

    page.goto(fake_hub + "/staff/audit")
    expect(page.get_by_test_id("audit-person").first).to_have_text("John Doe")
    assert page_size(page)[0] <= PHONE["width"]


def test_the_hub_has_a_favicon(fake_hub, page):
    response = page.goto(fake_hub + "/favicon.ico")

    assert response.ok and response.url.endswith("/static/favicon.svg")
