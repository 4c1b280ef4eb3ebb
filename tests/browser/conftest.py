"""Headless Debian Chromium driven through Playwright: one browser per session, a fresh phone-sized
context per test, and a screenshot of where each test ended up."""
import os
import re
import subprocess
import sys
import time
import warnings
from contextlib import contextmanager
from pathlib import Path

import eventlet
import greenlet
import pytest

from tests.support.waiting import free_port, wait_for_port

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"
PHONE = {"width": 390, "height": 844}  # the pages are mobile-first, so the tests look on a phone
ROOT_DIR = Path(__file__).resolve().parents[2]


@contextmanager
def running_fake_hub(module: str = "tests.browser.fake_hub", *arguments: str, **environment: str):
    """A gateway with canned service answers (the module's `python -m MODULE PORT ARGUMENTS…`, by
    default tests/browser/fake_hub.py) in its own process, with these extra environment variables;
    yields its base URL and stops it afterwards."""
    port = free_port()
    process = subprocess.Popen([sys.executable, "-m", module, str(port), *arguments], cwd=ROOT_DIR,
                               env={**os.environ, **environment},
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_for_port(port, timeout=60, what="the gateway with canned answers", process=process)
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(timeout=10)


def log_in(page, url: str, who: str, lands_on: str | None = None) -> None:
    """Log in as who@example.com (the fake hub takes any password); with lands_on, wait until the
    browser has arrived at a URL matching that pattern."""
    page.goto(url + "/login")
    page.get_by_label("E-mail address").fill(f"{who}@example.com")
    page.get_by_label("Password").fill("any-password-will-do")
    page.get_by_role("main").get_by_role("button", name="Log in").click()
    if lands_on is not None:
        from playwright.sync_api import expect

        expect(page).to_have_url(re.compile(lands_on))


@pytest.fixture(scope="session")
def browser():
    if not CHROMIUM.exists():
        # `playwright install` cannot download here, so the system Chromium is the only browser.
        pytest.fail(f"browser tests need Debian's Chromium at {CHROMIUM} (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    manager = sync_playwright()
    playwright = manager.start()
    try:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()
    finally:
        stop_playwright(manager)


def stop_playwright(manager) -> None:
    """Stop Playwright's driver without hanging under eventlet.

    Playwright's stop switches to its dispatcher greenlet and expects to be switched back to when
    that greenlet ends. But eventlet re-parents every greenlet that waits in its hub onto the hub,
    so the finished dispatcher hands control to the hub and nothing ever resumes the caller. A
    green watcher resumes the caller once the dispatcher is dead.
    """
    fiber = getattr(manager, "_dispatcher_fiber", None)
    if fiber is None:  # a Playwright that works differently: nothing to work around
        manager.__exit__(None, None, None)
        return
    caller = greenlet.getcurrent()
    stopped = False

    def resume_caller():
        while not fiber.dead:
            eventlet.sleep(0.05)
        if not stopped:
            caller.switch()

    watcher = eventlet.spawn(resume_caller)
    try:
        manager.__exit__(None, None, None)
    finally:
        stopped = True
        watcher.kill()


def page_width(page) -> int:
    """How wide the page is, measured once it and its stylesheets have loaded.

    On a busy machine a page reached by a click or a form post can be in the DOM (so `expect`
    passes) before hub.css applies, and unstyled tables and forms are wider than the phone:
    CI measured 764 and 786 px that way. Every width check goes through here.

    It polls document.readyState with page.evaluate: page.wait_for_load_state keeps its wait and
    timeout on the Python side and hung for good under eventlet's monkey-patching, and
    wait_for_function with an expression needs 'unsafe-eval', which the Hub's CSP refuses.
    """
    deadline = time.monotonic() + 10
    while page.evaluate("document.readyState") != "complete":
        assert time.monotonic() < deadline, f"{page.url} did not finish loading in 10 s"
        time.sleep(0.05)
    return page.evaluate("document.documentElement.scrollWidth")


def assert_fits_the_phone(page) -> None:
    width = page_width(page)
    assert width <= PHONE["width"], f"the page is {width} px wide on a {PHONE['width']} px phone"


@contextmanager
def phone_page(browser, request, suffix: str = ""):
    """A page in a fresh phone-sized context (its own cookies); a screenshot is kept at the end."""
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True,
                                  device_scale_factor=1)
    context.set_default_timeout(10_000)
    page = context.new_page()
    try:
        yield page
    finally:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        name = re.sub(r"[^\w.-]+", "_", request.node.name) + suffix
        try:
            page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)
        except Exception as exc:  # a missing picture must not hide the test's own outcome
            warnings.warn(f"no screenshot for {request.node.name}: {exc}", stacklevel=2)
        context.close()


@pytest.fixture
def page(browser, request):
    with phone_page(browser, request) as page:
        yield page
