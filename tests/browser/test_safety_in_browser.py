"""The public Safety page on a phone: bulletins newest first, hotlines a tap away, resources,
and a bulletin's formatting (with markup in its text shown as text, never run). The gateway runs
with canned service answers (tests/browser/fake_hub.py) in its own process."""

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import assert_fits_the_phone, running_fake_hub

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def fake_hub():
    with running_fake_hub() as url:
        yield url


def test_safety_page_from_the_home_page_on_a_phone(fake_hub, page):
    page.goto(fake_hub + "/")
    page.get_by_test_id("home-safety").click()
    expect(page.get_by_role("heading", name="Safety", exact=True)).to_be_visible()

    titles = page.get_by_test_id("bulletin").get_by_role("heading").all_inner_texts()
    assert titles[0] == "Heat illness prevention on outdoor sets"
    assert titles[-1] == "Firearms and blank-firing weapons on set"   # newest first
    expect(page.get_by_test_id("bulletin").nth(1)).to_contain_text("For Local #80, Local #728, 399-DRIVER-G3")

    contract_services = page.get_by_test_id("hotline").filter(has_text="Contract Services")
    expect(contract_services.get_by_role("link", name="818.565.0550")).to_have_attribute("href", "tel:+18185650550")
    training = page.get_by_test_id("hotline").filter(has_text="Safety Pass training")
    expect(training.get_by_role("link")).to_have_attribute("href", "tel:+18185650550,1260")
    expect(page.get_by_test_id("resource").first).to_be_visible()

    assert_fits_the_phone(page)
    # the number is big enough to hit with a thumb
    box = training.get_by_role("link").bounding_box()
    assert box["height"] >= 40


def test_a_bulletin_keeps_its_formatting_and_shows_markup_as_text(fake_hub, page):
    page.goto(fake_hub + "/safety")
    page.get_by_role("link", name="Firearms and blank-firing weapons on set", exact=True).click()
    expect(page.get_by_test_id("bulletin-body")).to_contain_text("<script>alert('not run')</script> stays text.")

    page.goto(fake_hub + "/safety")
    page.get_by_role("link", name="Heat illness prevention on outdoor sets", exact=True).click()
    body = page.get_by_test_id("bulletin-body")
    expect(body.locator("strong")).to_have_text("95°F")
    expect(body.locator("li")).to_have_count(3)
    expect(body.get_by_role("link")).to_have_attribute("href", "https://www.dir.ca.gov/dosh/heatillnessinfo.html")
    assert_fits_the_phone(page)
