"""Taking HP1 on a phone (seed 003, SPEC §4 journeys 1 and 5): from My Training through the
questionnaire (not a supervisor → HP1), one module per page, the quiz (a wrong answer first
shows which question was wrong, then a pass) to the transcript. The gateway runs with canned
answers and a small stateful training service (tests/browser/fake_hub.py)."""
import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import SCREENSHOTS, assert_fits_the_phone, log_in, running_fake_hub

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def fake_hub(tmp_path_factory):
    data_dir = tmp_path_factory.mktemp("fake-hub-training")
    with running_fake_hub(HUB_DATA_DIR=str(data_dir)) as url:
        yield url


def snap(page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"training-{name}.png"), full_page=True)


def answer(page, choices: dict[int, str]) -> None:
    for number, choice in choices.items():
        page.get_by_test_id("question").nth(number - 1).get_by_label(choice, exact=True).check()


def test_taking_hp1_on_a_phone_from_enrollment_through_the_quiz_to_the_transcript(fake_hub, page):
    log_in(page, fake_hub, "ip", lands_on=r"/(portal|staff)$")

    # My Training, from the Portal menu: harassment prevention is open, with a questionnaire
    page.get_by_role("link", name="My Training").click()
    expect(page.get_by_role("heading", name="My Training")).to_be_visible()
    hp = page.locator('[data-testid="course"][data-code="HP"]')
    expect(hp).to_contain_text("Harassment Prevention (HP1 or HP2)")
    assert_fits_the_phone(page)
    snap(page, "my-training")
    hp.get_by_role("button", name="Enroll: a short questionnaire first").click()

    # the questionnaire: not a supervisor, no crew → HP1, and the page says why
    questions = page.get_by_test_id("question")
    expect(questions).to_have_count(2)
    questions.nth(0).get_by_label("No", exact=True).check()
    questions.nth(1).get_by_label("No", exact=True).check()
    snap(page, "questionnaire")
    page.get_by_role("button", name="Enroll").click()
    expect(page.get_by_role("status")).to_contain_text("Your course is HP1")
    expect(page.get_by_role("status")).to_contain_text("the 1-hour course for non-supervisors")
    expect(page.get_by_role("heading", level=1)).to_have_text("Harassment Prevention for Non-Supervisors")
    expect(page.get_by_test_id("progress")).to_contain_text("0 of 3 parts done")
    assert_fits_the_phone(page)
    snap(page, "enrolled")

    # one module per page; Next saves progress, Back goes back
    page.get_by_test_id("continue").click()
    expect(page.get_by_test_id("module-number")).to_have_text("Part 1 of 3")
    page.get_by_role("button", name="Next").click()
    expect(page.get_by_test_id("module-number")).to_have_text("Part 2 of 3")
    assert_fits_the_phone(page)
    snap(page, "module")
    page.get_by_role("button", name="Back").click()
    expect(page.get_by_test_id("module-number")).to_have_text("Part 1 of 3")
    page.get_by_role("button", name="Next").click()

    # stopping here and coming back (on another device) resumes after the last part done
    page.get_by_role("link", name=re.compile("^← HP1")).click()
    expect(page.get_by_test_id("progress")).to_contain_text("1 of 3 parts done")
    expect(page.get_by_test_id("continue")).to_have_text("Continue: What to do if it happens")
    page.get_by_test_id("continue").click()
    page.get_by_role("button", name="Next").click()
    page.get_by_role("button", name="Next: the quiz").click()

    # the quiz: radio buttons, and nothing in the page tells the right answer
    expect(page.get_by_role("heading", name="Quiz")).to_be_visible()
    quiz = page.locator("form[data-testid=quiz]").inner_html()
    assert "correct" not in quiz.lower() and "data-answer" not in quiz and " checked" not in quiz
    answer(page, {1: "Yes", 2: "Yes", 3: "No, that is retaliation"})
    assert_fits_the_phone(page)
    snap(page, "quiz")
    page.get_by_role("button", name="Hand in my answers").click()

    # a wrong answer: which question, the score, a retake
    expect(page.get_by_test_id("result-heading")).to_have_text("Not passed yet")
    expect(page.get_by_test_id("result")).to_contain_text("Score 67%")
    expect(page.get_by_test_id("wrong-question")).to_have_text(["Must you confront the person yourself before "
                                                                "reporting?"])
    snap(page, "quiz-failed")
    page.get_by_test_id("retake").click()
    answer(page, {1: "Yes", 2: "No, you may report it straight away", 3: "No, that is retaliation"})
    page.get_by_role("button", name="Hand in my answers").click()

    # a pass, then the transcript
    expect(page.get_by_test_id("result-heading")).to_have_text("You passed")
    expect(page.get_by_test_id("result")).to_contain_text("Score 100%")
    snap(page, "quiz-passed")
    page.get_by_test_id("to-transcript").click()
    expect(page.get_by_role("heading", name="Official Course Transcript")).to_be_visible()
    hp1 = page.locator('[data-testid="completion"][data-code="HP1"]')
    expect(hp1).to_contain_text("100%")
    expect(hp1).to_contain_text("Online course")
    expect(page.locator('[data-testid="completion"][data-code="A"]')).to_contain_text("01/20/2024")
    assert_fits_the_phone(page)
    snap(page, "transcript")

    # My Training now lists HP1 as completed
    page.goto(fake_hub + "/portal/training")
    expect(page.locator('[data-testid="course"][data-code="HP1"]')).to_contain_text("Completed")
