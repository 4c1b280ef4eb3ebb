"""Getting into and looking after an account, on a phone, through the pages only: My Account,
claiming a migrated record from the invitation e-mail, "Forgot your password?", and staff
acting on someone's behalf."""
import re

import pytest
import requests
from playwright.sync_api import expect

from tests.browser.conftest import SCREENSHOTS, phone_page
from tests.support.factories import make_person
from tests.support.waiting import wait_until

pytestmark = pytest.mark.browser

NEW_PASSWORD = "violet-canyon-ledger-42"
INVITATION = "Action Required - Welcome to the Contract Services Portal!"
RESET = "Reset your Contract Services Portal password"
WRONG_LOGIN = "That e-mail and password do not match an account."


# --- helpers -------------------------------------------------------------------------------------

@pytest.fixture
def fresh_page(browser, request):
    """A second phone of its own (cookies and all), for the person the e-mail was sent to."""
    with phone_page(browser, request, suffix="-second-phone") as page:
        yield page


def create_account(hub) -> dict:
    person = make_person()
    response = requests.post(hub.api("/accounts"), json=person, timeout=30)
    assert response.status_code == 201, response.text
    return {**person, **response.json()}


def log_in(page, email: str, password: str) -> None:
    page.get_by_label("E-mail address").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("main").get_by_role("button", name="Log in").click()


def log_in_from_home(page, hub, email: str, password: str) -> None:
    page.goto(hub.url)
    page.get_by_role("link", name="Portal Login").click()
    log_in(page, email, password)


def log_out(page) -> None:
    page.get_by_role("button", name="Log out").click()
    expect(page.get_by_text("You are logged out.")).to_be_visible()


def link_in_email(hub, address: str, subject: str, path: str) -> str:
    """The link to `path` in the newest e-mail with `subject` to `address` (waits up to 20 s)."""
    def find():
        for message in reversed(hub.smtp.messages_to(address)):
            if message["Subject"] == subject:
                body = message.get_body(("plain",)).get_content()
                found = re.search(rf"https?://\S+{re.escape(path)}\?token=[\w-]+", body)
                if found:
                    return found.group(0)
        return None

    return wait_until(find, timeout=20, interval=0.5, message=f"the e-mail {subject!r} to {address}")


def snap(page, name: str) -> None:
    """A picture of a step on the way, next to the one the fixture takes at the end."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"step-{name}.png"), full_page=True)


def flash(page, text: str):
    return page.get_by_role("status").filter(has_text=text)


# --- My Account ----------------------------------------------------------------------------------

def test_a_person_keeps_their_contact_details_up_to_date_and_changes_their_password(hub, page):
    person = create_account(hub)
    log_in_from_home(page, hub, person["email"], person["password"])
    expect(page).to_have_url(re.compile(r"/portal$"))

    page.get_by_role("link", name="My Account").click()
    expect(page.get_by_role("heading", name="My Account", exact=True)).to_be_visible()
    expect(page.get_by_label("E-mail address")).to_have_value(person["email"])
    page.get_by_label("Phone").fill("(818) 555-0142")
    page.get_by_label("Street address").fill("2710 Winona Avenue")
    page.get_by_label("Apartment, suite, unit").fill("Stage 4")
    page.get_by_label("City").fill("Burbank")
    page.get_by_label("State").fill("CA")
    page.get_by_label("ZIP code").fill("91504")
    notifications = page.get_by_label("E-mail me my notifications")
    expect(notifications).to_be_checked()
    notifications.uncheck()
    page.get_by_role("button", name="Save", exact=True).click()

    expect(flash(page, "Saved.")).to_be_visible()
    snap(page, "my-account-saved")
    page.reload()
    expect(page.get_by_label("Phone")).to_have_value("(818) 555-0142")
    expect(page.get_by_label("Street address")).to_have_value("2710 Winona Avenue")
    expect(page.get_by_label("Apartment, suite, unit")).to_have_value("Stage 4")
    expect(page.get_by_label("City")).to_have_value("Burbank")
    expect(page.get_by_label("State")).to_have_value("CA")
    expect(page.get_by_label("ZIP code")).to_have_value("91504")
    expect(page.get_by_label("E-mail me my notifications")).not_to_be_checked()

    page.get_by_label("Current password").fill(person["password"])
    page.get_by_label(re.compile(r"^New password")).fill(NEW_PASSWORD)
    page.get_by_label("Confirm new password").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Change password").click()
    expect(flash(page, "Your password is changed.")).to_be_visible()
    assert NEW_PASSWORD not in page.content()

    log_out(page)
    page.get_by_role("link", name="Portal Login").click()
    log_in(page, person["email"], person["password"])
    expect(page.get_by_role("alert")).to_have_text(WRONG_LOGIN)
    log_in(page, person["email"], NEW_PASSWORD)
    expect(page).to_have_url(re.compile(r"/portal$"))
    expect(page.get_by_test_id("il-number")).to_have_text(person["il_number"])


def test_a_wrong_current_password_is_refused_in_plain_words(hub, page):
    person = create_account(hub)
    log_in_from_home(page, hub, person["email"], person["password"])
    page.get_by_role("link", name="My Account").click()

    page.get_by_label("Current password").fill("not-my-password-at-all")
    page.get_by_label(re.compile(r"^New password")).fill(NEW_PASSWORD)
    page.get_by_label("Confirm new password").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Change password").click()

    current = page.get_by_label("Current password")
    expect(current).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#current_password-help")).to_have_text("Your current password is not right.")
    expect(current).to_have_value("")


# --- claiming a migrated record ------------------------------------------------------------------

def test_a_migrated_worker_claims_their_account_from_the_invitation_e_mail(hub, page, fresh_page):
    worker = make_person()
    log_in_from_home(page, hub, hub.admin_email, hub.admin_password)
    expect(page).to_have_url(re.compile(r"/staff$"))  # staff have no dashboard of their own

    page.get_by_role("button", name="New person").click()
    page.get_by_label("First name").fill(worker["first_name"])
    page.get_by_label("Last name").fill(worker["last_name"])
    page.get_by_label("Date of birth").fill(worker["date_of_birth"])
    page.get_by_label("Social Security Number").fill(worker["ssn"])
    page.get_by_label("E-mail address").fill(worker["email"])
    page.get_by_role("button", name="Record person").click()

    expect(page.get_by_role("heading", name=f"{worker['first_name']} {worker['last_name']}")).to_be_visible()
    expect(page.get_by_test_id("has-account")).to_have_text("Not yet")
    page.get_by_role("button", name="Send invitation").click()
    expect(flash(page, "Invitation sent.")).to_be_visible()
    snap(page, "staff-person-invited")
    claim_link = link_in_email(hub, worker["email"], INVITATION, "/claim")

    fresh_page.goto(claim_link)
    expect(fresh_page.get_by_role("heading", name="Claim your new Portal account")).to_be_visible()
    snap(fresh_page, "claim-form")
    fresh_page.get_by_label("Create your password").fill(NEW_PASSWORD)
    fresh_page.get_by_label("Confirm password").fill(NEW_PASSWORD)
    fresh_page.get_by_role("button", name="Claim my account").click()

    expect(fresh_page).to_have_url(re.compile(r"/portal$"))
    expect(fresh_page.get_by_role("heading", name=f"{worker['first_name']} {worker['last_name']}")).to_be_visible()
    expect(flash(fresh_page, "Your Portal account is ready.")).to_be_visible()

    fresh_page.goto(claim_link)  # the same link again, on the same phone: used up
    expect(fresh_page.get_by_role("heading", name="This link no longer works")).to_be_visible()
    expect(fresh_page.get_by_role("link", name="Forgot your password?")).to_be_visible()

    page.goto(claim_link)  # and on another device: the Hub says so before asking for a password
    expect(page.get_by_role("heading", name="This link no longer works")).to_be_visible()
    expect(page.get_by_label("Create your password")).to_have_count(0)
    expect(page.get_by_role("alert")).to_contain_text("expired or was already used")
    page.get_by_role("link", name="Forgot your password?").click()
    expect(page.get_by_role("heading", name="Forgot your password?")).to_be_visible()


# --- Forgot your password? -----------------------------------------------------------------------

def test_forgot_password_answers_alike_for_anyone_and_its_link_sets_a_new_password(hub, page):
    person = create_account(hub)
    page.goto(hub.url)
    page.get_by_role("link", name="Portal Login").click()
    page.get_by_role("link", name="Forgot your password?").click()

    page.get_by_label("E-mail address").fill(person["email"])
    page.get_by_role("button", name="E-mail me a link").click()
    expect(page.get_by_role("heading", name="Check your e-mail")).to_be_visible()
    answer_for_known = page.get_by_role("main").inner_text()
    snap(page, "forgot-password-answer")

    page.goto(hub.url + "/forgot-password")
    page.get_by_label("E-mail address").fill(f"nobody.{person['il_number']}@example.com")
    page.get_by_role("button", name="E-mail me a link").click()
    expect(page.get_by_role("heading", name="Check your e-mail")).to_be_visible()
    assert page.get_by_role("main").inner_text() == answer_for_known

    reset_link = link_in_email(hub, person["email"], RESET, "/reset-password")
    page.goto(reset_link)
    page.get_by_label(re.compile(r"^New password")).fill(NEW_PASSWORD)
    page.get_by_label("Confirm new password").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Save my new password").click()

    expect(page).to_have_url(re.compile(r"/login$"))
    expect(flash(page, "Your password is changed. Log in with it.")).to_be_visible()
    log_in(page, person["email"], NEW_PASSWORD)
    expect(page).to_have_url(re.compile(r"/portal$"))
    expect(page.get_by_test_id("il-number")).to_have_text(person["il_number"])


def test_forgot_password_explains_an_address_that_is_not_an_e_mail_address(hub, page):
    page.goto(hub.url + "/forgot-password")
    page.get_by_label("E-mail address").fill("pat-at-example")
    page.get_by_role("button", name="E-mail me a link").click()

    email = page.get_by_label("E-mail address")
    expect(email).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#email-help")).to_have_text("Enter an e-mail address like name@example.com.")


# --- staff acting on behalf ----------------------------------------------------------------------

def test_staff_find_a_person_by_il_number_and_act_on_their_behalf(hub, page):
    person = create_account(hub)
    full_name = f"{person['first_name']} {person['last_name']}"
    log_in_from_home(page, hub, hub.admin_email, hub.admin_password)

    page.get_by_label("IL number, e-mail, exact SSN or last name").fill(person["il_number"])
    page.get_by_role("button", name="Search").click()
    snap(page, "staff-search-results")
    page.get_by_test_id("search-results").get_by_role(
        "link", name=f"{person['last_name']}, {person['first_name']}").click()
    expect(page).to_have_url(re.compile(rf"/staff/people/{person['person_id']}$"))
    expect(page.get_by_test_id("il-number")).to_have_text(person["il_number"])
    expect(page.get_by_text("***-**-" + person["ssn"][-4:])).to_be_visible()

    page.get_by_role("button", name="Act on behalf").click()
    expect(page).to_have_url(re.compile(r"/portal$"))
    banner = page.get_by_test_id("acting-banner")
    expect(banner).to_contain_text(f"You are helping {full_name} (IL# {person['il_number']})")
    expect(page.get_by_test_id("il-number")).to_have_text(person["il_number"])
    snap(page, "acting-on-behalf-dashboard")

    banner.get_by_role("button", name="Stop").click()
    expect(page).to_have_url(re.compile(rf"/staff/people/{person['person_id']}$"))
    expect(page.get_by_test_id("acting-banner")).to_have_count(0)

    page.get_by_role("link", name="Audit log for this person").click()
    views = page.get_by_test_id("audit-entry").filter(has_text="person.private_details_viewed")
    expect(views.first).to_be_visible()
    expect(views.first).to_contain_text("Staff (admin)")
    expect(views.first).to_contain_text(f"{full_name} IL# {person['il_number']}")  # by name, not id
    assert views.count() >= 2  # the staff page, then the Portal while acting
