"""A new grip on a phone (SPEC §4 journeys 1 and 8): applies for Local #80 Grip, payroll reports
a day, and the dashboard, the four requirement tabs, My Work Experience and the public Hub
search all say where they stand."""
import re
from datetime import timedelta

import pytest
import requests
from playwright.sync_api import expect

from common.clock import today as hub_today
from tests.browser.conftest import SCREENSHOTS
from tests.support.factories import make_person

pytestmark = pytest.mark.browser

GRIP = "IATSE, Local #80 (Grip)"


def create_account_and_apply(hub, code: str = "80-GRIP") -> dict:
    person = make_person()
    created = requests.post(hub.api("/accounts"), json=person, timeout=30)
    assert created.status_code == 201, created.text
    token = requests.post(hub.api("/session"), json={"email": person["email"], "password": person["password"]},
                          timeout=30).json()["token"]
    applied = requests.post(hub.api("/me/applications"), json={"classification_code": code},
                            headers={"Authorization": f"Bearer {token}"}, timeout=30)
    assert applied.status_code == 201, applied.text
    return {**person, **created.json(), "token": token}


def payroll_reports_a_day(hub, person: dict, code: str = "80-GRIP") -> None:
    record = {"ssn": person["ssn"], "last_name": person["last_name"], "first_name": person["first_name"],
              "employer": "Burbank Studios Payroll", "production": "Night Shoot", "classification_code": code,
              "work_date": (hub_today() - timedelta(days=3)).isoformat(), "hours": 10}
    response = requests.post(hub.api("/integrations/payroll/work-records"), json={"records": [record]},
                             headers={"Authorization": f"Bearer {hub.payroll_key}"}, timeout=60)
    assert response.status_code == 202, response.text
    assert response.json()["accepted"] == 1, response.text


def log_in(page, hub, person: dict) -> None:
    page.goto(hub.url + "/login")
    page.get_by_label("E-mail address").fill(person["email"])
    page.get_by_label("Password").fill(person["password"])
    page.get_by_role("main").get_by_role("button", name="Log in").click()
    expect(page).to_have_url(re.compile(r"/portal$"))


def snap(page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"step-{name}.png"), full_page=True)


def test_a_new_grip_sees_training_eligible_and_every_requirement_tab(hub, page):
    person = create_account_and_apply(hub)
    payroll_reports_a_day(hub, person)
    log_in(page, hub, person)

    expect(page.get_by_test_id("il-number")).to_have_text(person["il_number"])
    card = page.get_by_test_id("classification").filter(has_text=GRIP)
    expect(card).to_have_count(1)
    expect(card.get_by_test_id("status").locator(".status-label")).to_have_text("In Progress - Training Eligible")
    expect(card.get_by_test_id("status")).to_have_attribute("data-status", "in_progress_training_eligible")
    expect(page.get_by_role("heading", name="Pending Classifications")).to_be_visible()
    expect(page.get_by_role("button", name="+ Apply as New Classification")).to_be_visible()
    expect(page.get_by_test_id("unread-count")).to_have_text(re.compile(r"^\d+$"))
    snap(page, "dashboard-training-eligible")

    card.get_by_role("link", name="View Details").click()
    expect(page).to_have_url(re.compile(r"/portal/classifications/80-GRIP$"))
    expect(page.get_by_role("heading", name=GRIP)).to_be_visible()
    expect(page.get_by_test_id("status").locator(".status-label")).to_have_text("In Progress - Training Eligible")
    tabs = page.get_by_role("navigation", name="Requirements")

    # Work Experience: the first tab, open by default
    expect(tabs.get_by_role("link", name="Work Experience")).to_have_attribute("aria-current", "page")
    work = page.get_by_test_id("requirement").filter(has_text="30 verified work days")
    expect(work).to_contain_text("1 of 30 days")
    expect(work).to_contain_text("29 more needed")
    expect(work.get_by_test_id("state").locator(".status-label")).to_have_text("Not met")
    snap(page, "tab-work-experience")

    tabs.get_by_role("link", name="Training").click()
    expect(page).to_have_url(re.compile(r"\?tab=training$"))
    expect(tabs.get_by_role("link", name="Training")).to_have_attribute("aria-current", "page")
    expect(page.get_by_role("heading", name="Training", exact=True)).to_be_visible()
    course_a = page.get_by_test_id("requirement").filter(has_text="Safety Pass course A")
    expect(course_a).to_have_count(1)
    expect(course_a).to_contain_text("Enroll in course A on the Portal")
    expect(course_a.get_by_role("link", name="Go to course A")).to_have_attribute(
        "href", "/portal/training/courses/A")
    expect(page.get_by_test_id("requirement").filter(has_text="C19")).to_have_count(1)
    snap(page, "tab-training")

    tabs.get_by_role("link", name="Required Documents").click()
    expect(tabs.get_by_role("link", name="Required Documents")).to_have_attribute("aria-current", "page")
    expect(page.get_by_role("heading", name="Required Documents")).to_be_visible()
    expect(page.get_by_test_id("tab-summary")).to_have_text(re.compile(r"of \d+\s+Required Documents Completed"))

    tabs.get_by_role("link", name="Other Requirements").click()
    expect(tabs.get_by_role("link", name="Other Requirements")).to_have_attribute("aria-current", "page")
    expect(page.get_by_role("heading", name="Other Requirements")).to_be_visible()
    expect(page.get_by_text("Additional requirements for your job classification")).to_be_visible()
    snap(page, "tab-other")

    page.get_by_role("link", name="My Dashboard").click()
    page.get_by_role("button", name="My Work Experience").click()
    day = page.get_by_test_id("work-day")
    expect(day).to_have_count(1)
    expect(day).to_contain_text("Burbank Studios Payroll")
    expect(day).to_contain_text("Verified")
    expect(page.get_by_test_id("verified-total")).to_have_text("1")


def test_a_person_applies_from_the_portal_and_a_second_application_is_refused(hub, page):
    person = create_account_and_apply(hub)
    log_in(page, hub, person)

    page.get_by_role("button", name="+ Apply as New Classification").click()
    expect(page.get_by_role("heading", name="Apply as New Classification")).to_be_visible()
    local_80 = page.get_by_test_id("local-80")
    local_80.locator(":scope > summary").click()
    grip = local_80.get_by_test_id("apply-80-GRIP")
    expect(grip).to_contain_text("You already have this classification.")
    dolly = local_80.get_by_test_id("apply-80-DOLLY-GRIP")
    expect(dolly).to_contain_text("30 verified work days")
    dolly.get_by_role("button", name=re.compile("^Apply for")).click()

    expect(page).to_have_url(re.compile(r"/portal/classifications/80-DOLLY-GRIP$"))
    expect(page.get_by_role("status").filter(has_text="You applied for IATSE, Local #80 (Dolly Grip)")).to_be_visible()
    expect(page.get_by_test_id("status").locator(".status-label")).to_have_text("In Progress - Not Training Eligible")
    page.get_by_role("link", name="My Dashboard").click()
    expect(page.get_by_test_id("classification")).to_have_count(2)


def test_anyone_finds_the_person_on_the_public_search_without_their_ssn_on_the_page(hub, page):
    person = create_account_and_apply(hub)
    payroll_reports_a_day(hub, person)

    page.goto(hub.url)
    page.get_by_role("main").get_by_role("button", name="Search the Hub").click()
    expect(page.get_by_text("You don't need to fill every field")).to_be_visible()
    page.get_by_label("Last name").fill(person["last_name"][:12])
    page.get_by_label("Social Security Number").fill(person["ssn"])
    page.get_by_role("button", name="Search", exact=True).click()

    result = page.get_by_test_id("search-result")
    expect(result).to_have_count(1)
    expect(result).to_contain_text(f"{person['last_name']}, {person['first_name']}")
    expect(result).to_contain_text(person["il_number"])
    expect(result).to_contain_text(GRIP)
    expect(result).to_contain_text("In Progress - Training Eligible")
    expect(result).to_contain_text("Not on the roster")
    expect(page.get_by_label("Social Security Number")).to_have_value("")
    html = page.content()
    assert person["ssn"] not in html and person["ssn"].replace("-", "") not in html
    assert "ssn" not in page.url.lower()
