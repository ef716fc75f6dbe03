"""A real Chromium (Debian's package) driven by Playwright against the app on 127.0.0.1."""

import os
from pathlib import Path

import pytest

CHROMIUM = "/usr/bin/chromium"
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
         "--disable-sync", "--no-first-run"]
SCREENSHOTS = Path(os.environ.get("JNLP_SCREENSHOTS", "/tmp/jnlp-screenshots"))


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.fail("Chromium is missing: run `bash .ci/run`, which installs Debian's chromium package.")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        yield instance
        instance.close()


@pytest.fixture
def page(browser, running_app):
    """A wide page (every tab fits in the tab bar) that fails the test on uncaught browser errors."""
    context = browser.new_context(viewport={"width": 1920, "height": 1000}, locale="ja-JP")
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(running_app.url)
    page.get_by_role("tab").first.wait_for()
    yield page
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    context.close()
    assert errors == [], errors


def open_tab(page, title: str):
    page.get_by_role("tab", name=title).click()
    return page.locator("[role=tabpanel]:visible").first


def screenshot(page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)
    print(f"screenshot: {SCREENSHOTS / name}.png")
