"""The closed "Look inside" section (demos/inside.py) in a real browser: computed when opened, per tab."""

from demos import inside, nli, similarity
from tests.browser.conftest import ja, open_tab, screenshot, toast_texts


def _open_section(panel):
    panel.get_by_role("button", name=ja(inside.WORDS("look_inside"))).click()


def test_opening_the_section_shows_the_tokens_and_the_softmax_of_the_tabs_answer(page):
    panel = open_tab(page, nli.TITLE)
    boxes = panel.get_by_role("textbox")
    boxes.nth(0).fill(nli.EXAMPLES[0][0])
    boxes.nth(1).fill(nli.EXAMPLES[0][1])
    panel.get_by_role("button", name=ja(nli.WORDS("infer"))).click()
    panel.get_by_test_id("label").get_by_text("neutral").wait_for(timeout=60_000)
    _open_section(panel)
    panel.get_by_text("softmax: p = exp(z)", exact=False).wait_for(timeout=60_000)
    text = panel.inner_text()
    assert "[CLS]" in text and "[SEP]" in text and "60.0%" in text  # the checkpoint's entailment probability
    assert "ファインチューニングで追加" in text  # the fine-tuned head in the anatomy table
    assert toast_texts(page) == []
    screenshot(page, "look-inside-nli")


def test_the_similarity_section_switches_between_its_two_models(page):
    panel = open_tab(page, similarity.TITLE)
    boxes = panel.get_by_role("textbox")
    boxes.nth(0).fill("今日は")
    boxes.nth(1).fill("明日は")
    _open_section(panel)
    panel.get_by_text("softmax なし", exact=False).wait_for(timeout=60_000)  # JSTS: the raw value
    panel.get_by_role("radio", name="simcse").check()
    panel.get_by_role("button", name=ja(inside.WORDS("show"))).click()
    panel.get_by_text("コサイン / cosine", exact=False).wait_for(timeout=60_000)
    assert toast_texts(page) == []
