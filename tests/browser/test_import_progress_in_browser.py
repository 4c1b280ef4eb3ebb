"""Staff watch a legacy import on a phone: upload a CSV file on /staff/imports, land on the
import's page, which refreshes itself while the rows done climb, then shows the report (created,
unchanged, rejected rows by line) with the rejected rows to download; and send every claim
invitation with one press, the page following the drive to the end. The gateway runs with canned
answers (tests/browser/fake_hub.py): the import, and the drive, move on a step each time the page
reads them."""
import re
import time
from pathlib import Path

import pytest
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import expect

from tests.browser.conftest import PHONE, assert_fits_the_phone, log_in, running_fake_hub

pytestmark = pytest.mark.browser
SCREENSHOT = Path("/tmp/import_progress.png")
FILE_NAME = "legacy_people_export_2024-03-01_final_v2.csv"
PEOPLE_CSV = (b"il_number,ssn,first_name,last_name,date_of_birth,email,phone,address,legacy_code\n"
              b"1000000001,123-45-6789,Pat,Lee,1980-01-02,pat@example.com,,,X\n")


@pytest.fixture(scope="module")
def fake_hub():
    with running_fake_hub() as url:
        yield url


def watch_until_done(page, timeout: float = 45) -> list[str]:
    """The distinct "rows done" the page showed, in order, until its status read done."""
    seen: list[str] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            status = page.get_by_test_id("status").text_content(timeout=2_000)
            done = page.get_by_test_id("done").text_content(timeout=2_000)
        except PlaywrightError:
            continue  # caught mid-refresh: look again
        if not seen or seen[-1] != done:
            seen.append(done)
        if status == "done":
            return seen
        page.wait_for_timeout(250)
    pytest.fail(f"the import's page never showed it done; it showed {seen}")


def test_staff_upload_a_file_and_watch_its_import_to_the_report_on_a_phone(fake_hub, page):
    log_in(page, fake_hub, "staff", lands_on=r"/staff")
    page.goto(fake_hub + "/staff/imports")
    page.get_by_label("Kind of file").select_option("people")
    page.get_by_label("CSV file (UTF-8, a header row)").set_input_files(
        {"name": FILE_NAME, "mimeType": "text/csv", "buffer": PEOPLE_CSV})
    page.get_by_role("button", name="Import", exact=True).click()

    expect(page).to_have_url(re.compile(r"/staff/imports/[0-9a-f-]{36}$"), timeout=15_000)
    expect(page.get_by_role("heading", level=1)).to_contain_text(FILE_NAME)
    expect(page.get_by_text("Extra column(s) ignored: legacy_code").first).to_be_visible()

    seen = watch_until_done(page)
    # it refreshed itself: rows done climbed batch by batch to the whole file
    assert seen[0] == "0 / counting…" and seen[-1] == "1,200 / 1,200", seen
    climbed = [int(s.split(" / ")[0].replace(",", "")) for s in seen]
    assert climbed == sorted(climbed) and len(set(climbed)) >= 3, seen

    # the report: what was created and left unchanged, each rejected row by its line
    expect(page.get_by_test_id("created")).to_have_text("1170")
    expect(page.get_by_test_id("unchanged")).to_have_text("24")
    expect(page.get_by_test_id("rejected")).to_have_text("6")
    lines = page.get_by_test_id("rejections").locator("tbody tr td[data-label=Line]")
    expect(lines).to_have_text(["7", "58", "311", "640", "902", "1187"])
    expect(page.get_by_test_id("rejections")).to_contain_text("ssn: already on file under IL number 1000000042")
    assert page.locator('meta[http-equiv="refresh"]').count() == 0  # done: it stops refreshing
    expect(page.get_by_test_id("progress-bar")).to_have_count(0)

    download = page.get_by_role("link", name="Download all as CSV")
    rejected = page.request.get(fake_hub + download.get_attribute("href"))
    assert rejected.ok and rejected.headers["content-type"].startswith("text/csv")
    rows = rejected.text().splitlines()
    assert rows[0] == "line,reason" and [r.split(",")[0] for r in rows[1:]] == ["7", "58", "311", "640", "902", "1187"]

    # on a phone: nothing wider than the screen
    assert page.viewport_size == PHONE
    assert_fits_the_phone(page)
    page.evaluate("window.scrollTo(0, 0)")
    page.screenshot(path=str(SCREENSHOT))


def test_a_running_import_fits_a_phone_and_shows_its_progress_bar(fake_hub, page):
    log_in(page, fake_hub, "staff", lands_on=r"/staff")
    page.goto(fake_hub + "/staff/imports")
    page.get_by_label("CSV file (UTF-8, a header row)").set_input_files(
        {"name": "people.csv", "mimeType": "text/csv", "buffer": PEOPLE_CSV})
    page.get_by_role("button", name="Import", exact=True).click()
    expect(page).to_have_url(re.compile(r"/staff/imports/[0-9a-f-]{36}$"), timeout=15_000)

    # wait out the first refresh: counted, rows under way
    expect(page.get_by_test_id("status")).to_have_text("running", timeout=15_000)
    bar = page.get_by_test_id("progress-bar")
    expect(bar).to_have_attribute("max", "1200")
    assert int(bar.get_attribute("value")) > 0
    assert_fits_the_phone(page)
    page.screenshot(path=str(SCREENSHOT.with_name("import_progress_running.png")))


def watch_the_drive(page, timeout: float = 45) -> list[str]:
    """What the invitations line said, in order, until the drive was done."""
    seen: list[str] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            said = page.get_by_test_id("invitation-drive").text_content(timeout=2_000)
        except PlaywrightError:
            continue  # caught mid-refresh: look again
        if not seen or seen[-1] != said:
            seen.append(said)
        if said.startswith("Invitations sent to"):
            return seen
        page.wait_for_timeout(250)
    pytest.fail(f"the imports page never showed the invitations sent; it showed {seen}")


def test_one_press_sends_every_claim_invitation_in_the_background_on_a_phone(fake_hub, page):
    log_in(page, fake_hub, "staff", lands_on=r"/staff")
    page.goto(fake_hub + "/staff/imports")
    counts = page.get_by_test_id("invitation-counts")
    expect(counts).to_contain_text("Invited 1,200 so far. 1,300 imported people")
    page.get_by_role("button", name="Send invitations").click()
    expect(page.get_by_role("status")).to_contain_text("Sending invitations to 1,300 people in the background")
    expect(page.get_by_test_id("invitation-drive")).to_have_text("Sending invitations: 0 of 1,300")
    expect(page.get_by_role("button", name="Send invitations")).to_be_disabled()
    assert_fits_the_phone(page)

    # the page refreshes itself while the drive runs: nothing more to press
    expect(page.get_by_test_id("invitation-drive")).to_have_text("Sending invitations: 500 of 1,300",
                                                                 timeout=15_000)
    expect(page.get_by_test_id("invitation-progress")).to_have_attribute("value", "500")
    assert_fits_the_phone(page)
    page.get_by_test_id("invite-form").scroll_into_view_if_needed()
    page.screenshot(path=str(SCREENSHOT.with_name("import_invitations_running.png")))

    seen = watch_the_drive(page)
    assert seen[-1] == "Invitations sent to 1,300 people on 03/01/2024.", seen
    expect(counts).to_contain_text("Invited 2,500 so far. Nobody is waiting for an invitation.")
    expect(page.get_by_role("button", name="Send invitations")).to_be_disabled()
    # (the page may go on refreshing for the imports the other tests left running)
    assert_fits_the_phone(page)
    page.get_by_test_id("invite-form").scroll_into_view_if_needed()
    page.screenshot(path=str(SCREENSHOT.with_name("import_invitations.png")))
