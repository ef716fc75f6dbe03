"""The word2vec tab's "How it learns" view in a real browser: step buttons, the equations with numbers,
play and pause, and gensim beside it, in Japanese and English."""

import re
import time

import pytest

from demos import i18n, skipgram
from tests.browser.conftest import page_at, toast_texts


@pytest.mark.parametrize("language, mode", [("ja", "light"), ("en", "dark")])
def test_step_play_pause_and_compare(browser, running_app, language, mode):
    words = lambda name: i18n.in_language(skipgram.WORDS(name), language)  # noqa: E731
    with page_at(browser, f"{running_app.url}?tab=word2vec&lang={language}&__theme={mode}", mode) as page:
        page.get_by_role("tab", name=words("tab")).click()
        view = page.locator("[role=tabpanel]:visible [role=tabpanel]:visible").first
        done = view.get_by_label(words("done"))
        view.get_by_role("button", name=words("one"), exact=True).click()
        view.locator("li", has_text="L = −ln P(c | t)").first.wait_for(timeout=30_000)
        assert "ln |V|" in view.inner_text() or "ln 38" in view.inner_text()  # the first loss, said on screen
        view.get_by_role("button", name=words("ten")).click()
        page.wait_for_function("(el) => el.value === '11'", arg=done.element_handle(), timeout=30_000)
        view.get_by_role("button", name=words("play")).click()
        pause = view.get_by_role("button", name=words("pause"))
        page.wait_for_function("(el) => Number(el.value) > 40", arg=done.element_handle(), timeout=30_000)
        pause.click(timeout=10_000)  # the page stays responsive while it plays
        time.sleep(1)
        stopped = int(done.input_value())
        time.sleep(1)
        assert int(done.input_value()) == stopped and not pause.is_enabled()
        step = re.search(r"step (\d+)", view.inner_text())
        assert step and int(step.group(1)) == stopped  # the equations are the paused step's
        assert view.locator(".js-plotly-plot").count() == 5
        # The neighbours tables: 8 words, 3 neighbours each, in two columns, every one with its cosine.
        cosines = "(el) => (el.innerText.match(/\\(-?\\d\\.\\d\\d\\)/g) || []).length"
        shown = view.element_handle()
        assert page.evaluate(cosines, shown) == 48  # now and before this click
        view.get_by_role("button", name=words("gensim")).click()
        page.wait_for_function(f"(el) => ({cosines})(el) === 96", arg=shown, timeout=30_000)  # and gensim's
        assert toast_texts(page) == []
