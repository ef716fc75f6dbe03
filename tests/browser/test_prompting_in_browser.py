"""Fine-tuning vs prompting in the sentiment tab, in a real browser, in both languages: the review both
ways, what was trained, the prompt's tokens, and the experiment's accuracy with a mark on every row."""

import pytest

from demos import i18n, prompting
from tests.browser.conftest import page_at, toast_texts


@pytest.mark.parametrize("language, mode", [("ja", "light"), ("en", "dark")])
def test_one_review_two_ways_and_the_experiment(browser, running_app, language, mode):
    words = lambda name: i18n.in_language(prompting.WORDS(name), language)  # noqa: E731
    with page_at(browser, f"{running_app.url}?tab=sentiment&lang={language}&__theme={mode}", mode) as page:
        panel = page.locator("[role=tabpanel]:visible").first
        panel.get_by_role("textbox").first.fill("この本はとても読みやすかった。")
        panel.get_by_role("button", name=words("title")).click()
        panel.get_by_role("radio", name=words("few_shot")).check()
        template = panel.get_by_label(words("template"))
        page.wait_for_function("(el) => el.value.includes('説明が丁寧')", arg=template.element_handle(), timeout=10_000)
        panel.get_by_role("button", name=words("run")).click()
        panel.get_by_text("ln P(", exact=False).wait_for(timeout=60_000)
        shown = panel.inner_text()
        assert "なし（事前学習のまま）" in shown and "positive" in shown and "ポジティブ" in shown
        panel.get_by_role("button", name=words("experiment")).click()
        panel.get_by_text("正解率 / accuracy", exact=False).wait_for(timeout=60_000)
        shown = panel.inner_text()
        marks = shown.count("✓") + shown.count("✗")  # a mark on each prediction, not only a colour
        assert marks > 0 and marks % 2 == 0 and shown.count("%") >= 4
        assert toast_texts(page) == []
