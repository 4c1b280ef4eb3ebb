"""The Message Center on a phone (issue 10, SPEC §4 journey 6): the unread badge in the menu on
every Portal page, reading a message changes it, a message's "Go to …" lands where the person
acts; My Account's e-mail preferences and a person's "E-mails sent" for staff. The gateway with
canned service answers (tests/browser/fake_hub.py) in its own process, through headless Chromium."""
import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import SCREENSHOTS, assert_fits_the_phone, log_in, running_fake_hub

pytestmark = pytest.mark.browser


@pytest.fixture
def fake_hub():
    """Its own process per test: the fake notifications service keeps what each test read."""
    with running_fake_hub() as url:
        yield url


def snap(page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"messages-{name}.png"), full_page=True)


def test_reading_a_message_and_following_its_link_on_a_phone(fake_hub, page):
    log_in(page, fake_hub, "ip")
    expect(page).to_have_url(re.compile(r"/portal$"))

    badge = page.get_by_test_id("unread-badge")
    expect(badge).to_have_text("2")
    expect(page.get_by_test_id("unread-count")).to_have_text("2")  # the dashboard says it too
    snap(page, "1-dashboard-badge")
    page.goto(fake_hub + "/portal/documents")
    expect(badge).to_have_text("2")  # on every Portal page

    page.get_by_test_id("menu-messages").click()
    expect(page).to_have_url(re.compile(r"/portal/messages$"))
    messages = page.get_by_test_id("message")
    expect(messages).to_have_count(4)
    expect(messages.first).to_contain_text("Your medical certificate was not accepted")  # newest first
    assert_fits_the_phone(page)
    snap(page, "2-message-center")

    deadline = messages.filter(has_text="expires soon")
    deadline.get_by_role("button", name="Mark as read").click()
    expect(badge).to_have_text("1")
    expect(page.get_by_test_id("inbox-unread")).to_have_text("1 unread")
    expect(messages.filter(has_text="expires soon").get_by_role("button", name="Mark as unread")).to_be_visible()

    rejected = messages.filter(has_text="not accepted")
    expect(rejected.get_by_test_id("message-go")).to_have_text("Go to My Documents")
    rejected.get_by_test_id("message-go").click()
    expect(page).to_have_url(re.compile(r"/portal/documents\?type=dot_medical_certificate$"))
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    expect(badge).to_have_count(0)  # nothing unread is left: no badge
    snap(page, "3-landed-on-documents")


def test_filtering_and_archiving_on_a_phone(fake_hub, page):
    log_in(page, fake_hub, "ip")
    page.goto(fake_hub + "/portal/messages")

    page.get_by_label("Category").select_option("training")
    page.get_by_role("button", name="Show").click()
    expect(page).to_have_url(re.compile(r"category=training"))
    expect(page.get_by_test_id("message")).to_have_count(1)

    page.get_by_label("Unread only").check()
    page.get_by_role("button", name="Show").click()
    expect(page.get_by_test_id("no-messages")).to_contain_text("No unread messages about training.")
    snap(page, "4-filter-empty")

    page.goto(fake_hub + "/portal/messages")
    page.get_by_test_id("message").filter(has_text="Welcome").get_by_role("button", name="Archive").click()
    expect(page.get_by_text("Moved to the archive")).to_be_visible()
    expect(page.get_by_test_id("message")).to_have_count(3)
    page.get_by_test_id("archive-view").click()
    expect(page.get_by_test_id("message")).to_have_count(1)
    expect(page.get_by_test_id("message")).to_contain_text("Welcome to the Industry Hub")
    assert_fits_the_phone(page)
    snap(page, "5-archive")


def test_e_mail_preferences_on_my_account(fake_hub, page):
    log_in(page, fake_hub, "ip")
    page.goto(fake_hub + "/portal/account")

    preferences = page.get_by_test_id("email-preferences")
    for always in ("deadline", "account"):
        box = preferences.get_by_test_id(f"email-{always}")
        expect(box).to_be_checked()
        expect(box).to_be_disabled()
    expect(preferences).to_contain_text("always sent")
    preferences.get_by_test_id("email-training").uncheck()
    preferences.get_by_test_id("digest").check()
    preferences.get_by_role("button", name="Save e-mail preferences").click()

    expect(page.get_by_text("Saved your e-mail preferences.")).to_be_visible()
    expect(preferences.get_by_test_id("email-training")).not_to_be_checked()
    expect(preferences.get_by_test_id("digest")).to_be_checked()
    assert_fits_the_phone(page)
    preferences.scroll_into_view_if_needed()
    snap(page, "6-account-preferences")


def test_staff_see_the_e_mails_sent_to_a_person(fake_hub, page):
    log_in(page, fake_hub, "staff")
    page.goto(fake_hub + "/staff")
    page.get_by_label("IL number, e-mail, exact SSN or last name").fill("Dolly")
    page.get_by_role("button", name="Search").click()
    page.get_by_role("link", name="Dolly, Robin").click()

    section = page.get_by_test_id("person-deliveries")
    expect(section.get_by_role("heading", name="E-mails sent")).to_be_visible()
    deliveries = section.get_by_test_id("delivery")
    expect(deliveries).to_have_count(2)
    expect(deliveries.first).to_contain_text("Failed")
    expect(deliveries.first).to_contain_text("550 5.1.1 mailbox unavailable")
    expect(deliveries.nth(1)).to_contain_text("Sent")
    expect(page.get_by_test_id("unread-badge")).to_have_count(0)  # a staff login has no Message Center
    assert_fits_the_phone(page)
    section.scroll_into_view_if_needed()
    snap(page, "7-staff-deliveries")
