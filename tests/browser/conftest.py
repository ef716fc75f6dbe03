"""A real Chromium (Debian's package) driven by Playwright against the app on 127.0.0.1."""

import os
from contextlib import contextmanager
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


@contextmanager
def page_at(browser, url: str, mode: str = "light", width: int = 1280):
    """A page at ``url`` (light or dark) that fails the test on uncaught browser errors, closed afterwards."""
    context = browser.new_context(viewport={"width": width, "height": 900}, locale="ja-JP", color_scheme=mode)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    try:
        page.goto(url)
        yield page
    finally:
        context.close()
    assert errors == [], errors


def ja(words) -> str:
    """What a Japanese browser shows for a registered text (demos/i18n.py) or a "ja / en" string."""
    from demos import i18n

    return i18n.in_language(words, "ja")


def open_tab(page, title):
    page.get_by_role("tab", name=ja(title)).click()
    return page.locator("[role=tabpanel]:visible").first


def screenshot(page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)
    print(f"screenshot: {SCREENSHOTS / name}.png")


# A status tracker sits on every output; it loses its "hide" class while the output's
# event is queued or running, and shows a translated "Error" if the event failed.
_WATCH_EVENTS = """() => {
    const busy = () => [...document.querySelectorAll('[data-testid=status-tracker]')]
        .some(t => !t.classList.contains('hide') && !/エラー|Error/.test(t.textContent));
    window.__jnlpBusy = busy;
    window.__jnlpBusySeen = false;
    if (window.__jnlpObserver) window.__jnlpObserver.disconnect();
    // An observer sees every DOM change, so even a request too quick for polling is noticed.
    window.__jnlpObserver = new MutationObserver(() => { if (busy()) window.__jnlpBusySeen = true; });
    window.__jnlpObserver.observe(document.body, {subtree: true, childList: true, attributes: true,
                                                  attributeFilter: ['class'], characterData: true});
}"""


def run_and_wait(page, action, timeout: float = 60_000) -> None:
    """Do ``action`` (a click) and wait until the events it started have finished (or failed).

    Outputs that look the same before and after (a tiny model's constant label) can't
    tell a finished request from one never sent; the status trackers can.
    """
    page.evaluate(_WATCH_EVENTS)
    action()
    page.wait_for_function("() => window.__jnlpBusySeen && !window.__jnlpBusy()", timeout=timeout)


def close_toasts(page) -> None:
    """Close every toast (an error toast stays 10 s), so a later check for "no toast" means this step."""
    for button in page.locator("[data-testid=toast-close]").all():
        button.click()
    page.wait_for_function("() => !document.querySelector('.toast-body')", timeout=5_000)


def toast_texts(page) -> list[str]:
    return page.locator("[data-testid=toast-text]").all_inner_texts()
