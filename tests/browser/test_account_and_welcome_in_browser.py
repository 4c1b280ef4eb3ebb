"""A person on a phone, through the pages only: create an account, see the IL number and the
welcome message, read it, log out and back in; and the forms' messages when something is wrong."""
import re
import time
import uuid

import pytest
import requests
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

PASSWORD = "a-long-password-1"


def new_person() -> dict:
    unique = uuid.uuid4().int
    area = unique % 566 + 100  # 100–665: never 000, 666 or 9xx
    group = (unique >> 16) % 99 + 1
    serial = (unique >> 32) % 9999 + 1
    suffix = uuid.uuid4().hex[:8]
    return {"first_name": "Robin", "last_name": f"Dolly{suffix}", "date_of_birth": "1990-07-15",
            "ssn": f"{area:03d}-{group:02d}-{serial:04d}", "email": f"robin.{suffix}@example.com",
            "password": PASSWORD}


def fill_create_account(page, person: dict, confirm: str | None = None) -> None:
    page.get_by_label("First name").fill(person["first_name"])
    page.get_by_label("Last name").fill(person["last_name"])
    page.get_by_label("Date of birth").fill(person["date_of_birth"])
    page.get_by_label("Social Security Number").fill(person["ssn"])
    page.get_by_label("E-mail address").fill(person["email"])
    page.get_by_label(re.compile(r"^Password")).fill(person["password"])
    page.get_by_label("Confirm password").fill(person["password"] if confirm is None else confirm)
    page.get_by_role("main").get_by_role("button", name="Create Account").click()


def log_in(page, email: str, password: str) -> None:
    page.get_by_label("E-mail address").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("main").get_by_role("button", name="Log in").click()


def wait_for_unread_count(page, expected: str, timeout: float = 20) -> None:
    counter = page.get_by_test_id("unread-count")
    deadline = time.monotonic() + timeout
    while counter.inner_text().strip() != expected:
        if time.monotonic() > deadline:
            pytest.fail(f"the dashboard still shows {counter.inner_text()!r} unread after {timeout}s")
        page.wait_for_timeout(500)
        page.reload()
    expect(counter).to_have_text(expected)


def test_new_person_creates_an_account_reads_the_welcome_and_logs_back_in(hub, page):
    person = new_person()
    page.goto(hub.url)
    page.get_by_role("button", name="Create Account").first.click()
    expect(page.get_by_role("heading", name="Create Account")).to_be_visible()
    fill_create_account(page, person)

    expect(page).to_have_url(re.compile(r"/portal$"))
    il_number = page.get_by_test_id("il-number")
    expect(il_number).to_have_text(re.compile(r"^\d{10}$"))
    il = il_number.inner_text().strip()
    expect(page.get_by_text(f"Your IL number is {il}")).to_be_visible()
    wait_for_unread_count(page, "1")

    page.get_by_test_id("menu-messages").click()  # its name carries the unread count
    expect(page).to_have_url(re.compile(r"/portal/messages$"))
    welcome = page.get_by_test_id("message").filter(has_text="Welcome to the Industry Hub")
    expect(welcome).to_have_count(1)
    expect(welcome).to_contain_text(il)
    expect(welcome.get_by_text("New", exact=True)).to_be_visible()
    expect(page.get_by_text("1 unread")).to_be_visible()

    welcome.get_by_role("button", name="Mark as read").click()
    expect(page.get_by_text("0 unread")).to_be_visible()
    expect(welcome.get_by_text("New", exact=True)).to_have_count(0)
    expect(welcome.get_by_role("button", name="Mark as read")).to_have_count(0)

    page.get_by_role("button", name="Log out").click()
    expect(page.get_by_text("You are logged out.")).to_be_visible()
    page.goto(hub.url + "/portal")
    expect(page).to_have_url(re.compile(r"/login\?next=(/|%2F)portal$"))
    expect(page.get_by_role("heading", name="Portal Login")).to_be_visible()

    page.get_by_role("link", name="Portal Login").click()
    log_in(page, person["email"], person["password"])
    expect(page).to_have_url(re.compile(r"/portal$"))
    expect(page.get_by_test_id("il-number")).to_have_text(il)
    expect(page.get_by_test_id("unread-count")).to_have_text("0")


def test_create_account_explains_each_wrong_field_and_never_echoes_the_ssn(hub, page):
    person = {**new_person(), "ssn": "12-34"}
    page.goto(hub.url)
    page.get_by_role("button", name="Create Account").first.click()
    fill_create_account(page, person, confirm="a-different-password")

    expect(page).to_have_url(re.compile(r"/create-account$"))
    ssn = page.get_by_label("Social Security Number")
    expect(ssn).to_have_attribute("aria-invalid", "true")
    expect(ssn).to_have_value("")
    ssn_message = page.locator("#ssn-help")
    expect(ssn_message).to_be_visible()
    expect(ssn_message).to_contain_text("SSN")
    expect(page.locator("#password_confirm-help")).to_have_text(re.compile("passwords do not match"))
    expect(page.get_by_label("Confirm password")).to_have_attribute("aria-invalid", "true")
    # what the person typed elsewhere is kept, so they only fix what is wrong
    expect(page.get_by_label("E-mail address")).to_have_value(person["email"])
    assert "12-34" not in page.content()


def test_wrong_password_on_portal_login_is_refused_plainly(hub, page):
    person = new_person()
    created = requests.post(hub.api("/accounts"), json=person, timeout=30)
    assert created.status_code == 201, created.text
    page.goto(hub.url)
    page.get_by_role("link", name="Portal Login").click()
    log_in(page, person["email"], "not-the-password")

    expect(page.get_by_role("alert")).to_have_text("That e-mail and password do not match an account.")
    expect(page).to_have_url(re.compile(r"/login$"))
    expect(page.get_by_role("heading", name="Portal Login")).to_be_visible()
