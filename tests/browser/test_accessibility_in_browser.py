"""Accessibility (WCAG 2.2 AA) in a real Chromium: axe-core on every tab after its example ran, the
keyboard alone, targets of at least 24 × 24 px and text at 200 %.

axe-core comes bundled with axe-playwright-python (requirements-test.txt). What Gradio draws and the app
cannot change is listed in GRADIO_OWN with the reason (README, "Accessibility", says so too); everything
else must pass.
"""

from __future__ import annotations

import pytest

from demos import DEMOS, i18n, links
from tests.browser.conftest import close_toasts, page_at, run_and_wait, toast_texts

# The rules of WCAG 2.0–2.2 at levels A and AA, and axe's best practices.
AXE_OPTIONS = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa",
                                                     "best-practice"]},
               "resultTypes": ["violations"]}
# The rules whose result depends on the colours: the only ones a switch to dark mode can change (the page's
# markup stays the same), so the dark page is audited with these alone.
COLOUR_RULES = ["color-contrast", "link-in-text-block"]
# (rule, a piece of the node's selector, why the app cannot fix it). Empty: nothing of Gradio's is left.
GRADIO_OWN: list[tuple[str, str, str]] = []

TABS = [links.tab_id(module) for module in DEMOS]
MODEL_TABS = [tab for tab in TABS if tab != "about"]
LOOK_INSIDE = ("中身を見る", "Look inside")

# Every element a pointer or a key can act on, its size, and where it sits (WCAG 2.5.8's inline exception:
# a link inside a sentence may be as small as its text). Gradio keeps hidden copies of the tab buttons to
# measure them (aria-hidden, never focused): not targets. A radio button or checkbox is its whole label.
_SMALL_TARGETS = """() => [...document.querySelectorAll(
        'a[href], button, input, textarea, select, summary, [role=tab], [role=button], [tabindex]:not([tabindex="-1"])')]
    .filter((e) => !e.closest('[aria-hidden=true]') && !e.closest('p, li, td'))
    .map((e) => (e.type === 'radio' || e.type === 'checkbox') && e.closest('label') ? e.closest('label') : e)
    .map((e) => [e, e.getBoundingClientRect()])
    .filter(([e, box]) => box.width > 0 && box.height > 0 && getComputedStyle(e).visibility !== 'hidden')
    .filter(([e, box]) => box.width < 24 || box.height < 24)
    .map(([e, box]) => `${e.tagName} "${(e.innerText || e.getAttribute('aria-label') || '').slice(0, 30)}" `
                       + `${Math.round(box.width)}×${Math.round(box.height)}`)"""


def _loaded(page) -> None:
    """Wait until the page's own start-up requests are done: an example clicked before them was undone."""
    page.get_by_role("tab").first.wait_for()
    page.wait_for_load_state("networkidle")


# Every tab's examples fill a text box of the open panel.
_EXAMPLE_FILLED = "() => [...document.querySelectorAll('[role=tabpanel] textarea')].some((box) => box.offsetParent && box.value)"


def _example_landed(page) -> None:
    """Wait for an example's text to land in its box, and for what it started to end: on a server just started it
    lands 0.4 s after the example's run is seen, and a click before that reads an empty box."""
    page.wait_for_function(_EXAMPLE_FILLED, timeout=20_000)
    page.wait_for_function("() => !window.__jnlpBusy()", timeout=60_000)


def _run_example_and_open_sections(page, language: str) -> None:
    """The visible tab's first example (the answer is audited too), then its "Look inside" opened."""
    panel = page.locator("[role=tabpanel]:visible").first
    example = panel.locator("button.gallery-item, [data-testid=dataset-cell-0-0]").first
    if example.count():
        run_and_wait(page, example.click, timeout=120_000)
        _example_landed(page)
    inside = panel.get_by_role("button", name=LOOK_INSIDE[language == "en"])
    if inside.count():
        run_and_wait(page, inside.first.click, timeout=120_000)
    _settled(page)


# Answers fade in: colours are measured once every transition has ended (a toast's stays running while it is
# shown: the test reports its text instead).
_STILL = """() => document.getAnimations().every((a) => a.playState !== 'running'
    || a.effect.getTiming().iterations === Infinity || (a.effect.target && a.effect.target.closest('.toast-body')))"""


def _settled(page) -> None:
    page.wait_for_function(_STILL, timeout=10_000)


# Every plot on show has its text alternative under it (demos/plot_text.py), in the page's language, and
# Plotly's drawing is hidden from screen readers.
_EVERY_PLOT_DESCRIBED = """(english) => [...document.querySelectorAll('[role=tabpanel] .js-plotly-plot')]
    .filter((plot) => plot.offsetParent)
    .every((plot) => {
        const said = plot.nextElementSibling && plot.nextElementSibling.matches('.jnlp-plot-text')
            && plot.nextElementSibling.querySelector('p');
        const kind = english ? /chart|heatmap|scatter plot/ : /グラフ|ヒートマップ|散布図/;
        return said && kind.test(said.textContent)
            && [...plot.querySelectorAll('.main-svg')].every((svg) => svg.getAttribute('aria-hidden') === 'true');
    })"""


def _violations(page, whole_page: bool, colours_only: bool = False) -> list[str]:
    """axe's critical and serious findings: on the whole page, or (the page's frame once audited) on the open tab;
    every rule of AXE_OPTIONS, or only those of COLOUR_RULES."""
    from axe_playwright_python.sync_playwright import Axe

    context = None
    if not whole_page:
        page.evaluate("""() => document.querySelectorAll('[role=tabpanel]').forEach((panel) =>
            panel.toggleAttribute('data-jnlp-audit', !!panel.offsetParent && !panel.parentElement.closest('[role=tabpanel]')))""")
        context = {"include": [["[data-jnlp-audit]"]]}
    found = []
    options = {**AXE_OPTIONS, "runOnly": {"type": "rule", "values": COLOUR_RULES}} if colours_only else AXE_OPTIONS
    for violation in Axe().run(page, context=context, options=options).response["violations"]:
        if violation["impact"] not in ("critical", "serious"):
            continue
        for node in violation["nodes"]:
            selector = " ".join(map(str, node["target"]))
            if not any(rule == violation["id"] and where in selector for rule, where, _ in GRADIO_OWN):
                found.append(f"{violation['id']}: {selector} ({node['html'][:80]})")
    return found


def _in_mode(page, mode: str) -> None:
    """Switch the open page to light or dark as Gradio's own setting does (the body's class), once the plots
    and every colour have followed."""
    page.evaluate("(dark) => document.body.classList.toggle('dark', dark)", mode == "dark")
    page.wait_for_function("""(dark) => [...document.querySelectorAll('[role=tabpanel] .js-plotly-plot')]
        .filter((plot) => plot.offsetParent && plot._fullLayout)
        .every((plot) => plot._fullLayout.font.color === getComputedStyle(plot).color)""", arg=mode == "dark")
    _settled(page)


@pytest.mark.parametrize("language", ["ja", "en"])
def test_axe_finds_nothing_serious_on_any_tab_after_its_example_in_light_and_dark(browser, running_app, language):
    """Each tab's example and "Look inside" run once; the page is then audited in the mode the answers arrived in
    (every rule) and in the other mode (the colour rules: the markup is the same). The next tab starts in that other
    mode, so the tabs' answers arrive on the light and the dark page in turn."""
    problems: dict[str, list[str]] = {}
    with page_at(browser, f"{running_app.url}?lang={language}&__theme=light", "light") as page:
        _loaded(page)
        modes = ("light", "dark")
        for tab, module in zip(TABS, DEMOS, strict=True):
            page.get_by_role("tab", name=i18n.in_language(module.TITLE, language), exact=True).click()
            _run_example_and_open_sections(page, language)
            page.wait_for_function(_EVERY_PLOT_DESCRIBED, arg=language == "en", timeout=10_000)
            found = []
            for mode in modes:
                _in_mode(page, mode)
                found += [f"{mode}: {problem}" for problem in _violations(page, whole_page=tab == TABS[0],
                                                                          colours_only=mode != modes[0])]
            if language == "ja":  # sizes do not depend on the colours
                found += [f"target smaller than 24 × 24 px: {small}" for small in page.evaluate(_SMALL_TARGETS)]
            found += [f"message: {text}" for text in toast_texts(page)]  # the example and the section ran
            if found:
                problems[tab] = found
                close_toasts(page)
            modes = modes[::-1]  # the page stays in its mode: the next tab's answers arrive in it
    assert not problems, "\n".join(f"{tab}: {found}" for tab, found in problems.items())


# Whatever has the focus shows a ring: an outline of at least 2 px (demos/theme.py's :focus-visible rule).
_FOCUS = """() => {
    const e = document.activeElement, style = getComputedStyle(e);
    const ring = style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) >= 2;
    return {tag: e.tagName, role: e.getAttribute('role'), text: (e.innerText || e.value || '').trim().slice(0, 40),
            ring, primary: e.classList.contains('primary'), example: e.classList.contains('gallery-item') || (e.dataset.testid || '').startsWith('dataset-cell'),
            inPanel: !!e.closest('[role=tabpanel]')};
}"""


def _press_until(page, key: str, wanted, stops: list[dict], most: int = 200) -> dict:
    """Press ``key`` until the focused element is ``wanted``; every stop on the way must show its ring."""
    for _ in range(most):
        page.keyboard.press(key)
        focused = page.evaluate(_FOCUS)
        stops.append(focused)
        if focused["tag"] != "BODY":
            assert focused["ring"], f"no visible focus ring on {focused}"
        if wanted(focused):
            return focused
    raise AssertionError(f"{key} never reached it; stops: {[stop['text'] for stop in stops[-15:]]}")


def _run_by_key(page, key: str, what: str) -> None:
    try:
        run_and_wait(page, lambda: page.keyboard.press(key), timeout=60_000)
    except Exception as error:
        raise AssertionError(f"{key} on {what} ran nothing") from error




def test_the_keyboard_alone_runs_each_tabs_example_and_main_action_with_a_visible_focus(browser, running_app):
    with page_at(browser, f"{running_app.url}?lang=en", "light") as page:
        _loaded(page)
        for tab, module in zip(TABS, DEMOS, strict=True):
            if tab not in MODEL_TABS:
                continue
            title = i18n.in_language(module.TITLE, "en")
            stops: list[dict] = []
            # Back up from the last tab's button (or from the page's end) to the tab bar: the shorter way.
            _press_until(page, "Shift+Tab", lambda f: f["role"] == "tab" and f["text"] == title and not f["inPanel"],
                         stops)
            page.keyboard.press("Enter")
            page.wait_for_function(f"() => document.querySelector('[role=tab][aria-selected=true]').innerText.trim()"
                                   f" === {title!r}")
            example = _press_until(page, "Tab", lambda f: f["example"], stops)
            _run_by_key(page, "Enter", f"{tab}: the example {example['text']!r}")
            _example_landed(page)
            button = _press_until(page, "Shift+Tab", lambda f: f["primary"] and f["inPanel"], stops)  # back up to it
            _run_by_key(page, "Space", f"{tab}: the button {button['text']!r}")
            assert toast_texts(page) == [], tab


def test_text_at_200_percent_keeps_every_tab_and_answer_on_the_screen(browser, running_app):
    """Zoom 200 % in a 1280 px window is a 640 px page drawn at twice the scale."""
    context = browser.new_context(viewport={"width": 640, "height": 450}, device_scale_factor=2, locale="ja-JP")
    page = context.new_page()
    try:
        page.goto(f"{running_app.url}?lang=ja")
        _loaded(page)
        for module in DEMOS:
            tab = page.get_by_role("tab", name=i18n.in_language(module.TITLE, "ja"), exact=True)
            box = tab.bounding_box()
            assert box and box["x"] >= 0 and box["x"] + box["width"] <= 640, module.TITLE  # wrapped, not cut
            tab.click()
            _run_example_and_open_sections(page, "ja")
            wide = page.evaluate("() => document.documentElement.scrollWidth")
            assert wide <= 641, f"{module.__name__}: the page scrolls sideways ({wide} px)"
            panel = page.locator("[role=tabpanel]:visible").first
            for button in panel.locator("button.primary:visible").all():
                edge = button.bounding_box()
                assert edge["x"] >= 0 and edge["x"] + edge["width"] <= 641, button.inner_text()
    finally:
        context.close()
