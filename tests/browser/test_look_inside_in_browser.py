"""The closed "Look inside" section (demos/inside.py) in a real browser: computed when opened, per tab."""

import pytest

from demos import attention_map, i18n, inside, nli, saliency, similarity
from tests.browser.conftest import page_at, ja, open_tab, screenshot, toast_texts


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
    assert "いいえ、追加" in text  # the fine-tuned head in the anatomy table
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


@pytest.mark.parametrize("language, mode", [("ja", "light"), ("en", "dark")])
def test_the_heatmaps_and_the_coloured_words_show_in_both_languages_and_modes(browser, running_app, language, mode):
    with page_at(browser, f"{running_app.url}?tab=sentiment&lang={language}&__theme={mode}", mode) as page:
        panel = page.locator("[role=tabpanel]:visible").first
        panel.get_by_role("textbox").first.fill("この映画は最高だった。")
        words = inside.WORDS
        panel.get_by_role("button", name=i18n.in_language(words("look_inside"), language)).click()
        section = panel.locator(".js-plotly-plot")
        page.wait_for_function("() => document.querySelectorAll('[role=tabpanel] .js-plotly-plot').length >= 2",
                               timeout=60_000)  # the anatomy's bars and the attention's heatmap
        assert panel.locator(".js-plotly-plot .heatmaplayer").count() == 1 and section.count() == 2
        assert i18n.in_language(attention_map.WORDS("not_explanation"), language)[:20] in panel.inner_text()
        panel.get_by_role("button", name=i18n.in_language(saliency.WORDS("compute"), language)).click()
        panel.locator(".jnlp-saliency ruby").first.wait_for(timeout=60_000)
        panel.get_by_text("δ =", exact=False).wait_for(timeout=60_000)  # Integrated Gradients after the preview
        assert saliency.PREVIEW[:10] not in panel.inner_text()
        shown = panel.locator(".jnlp-saliency").inner_text()
        assert "映画" in shown and panel.locator(".jnlp-saliency rt").count() == panel.locator(".jnlp-saliency ruby").count()
        # the layer selector now offers the model's own layers
        panel.get_by_label(i18n.in_language(attention_map.WORDS("layer"), language)).click()
        page.get_by_role("option", name="1", exact=True).wait_for(timeout=10_000)
        assert toast_texts(page) == []
        screenshot(page, f"look-inside-sentiment-{language}-{mode}")


def test_the_next_token_heatmap_shows_the_causal_mask(page):
    from demos import generation

    panel = open_tab(page, generation.TITLE)
    panel.get_by_role("textbox").first.fill("今日は天気が良いので")
    _open_section(panel)
    panel.get_by_text(ja(attention_map.WORDS("causal"))[:10], exact=False).first.wait_for(timeout=60_000)
    page.wait_for_function("() => document.querySelector('[role=tabpanel]:not([hidden]) .heatmaplayer') !== null",
                           timeout=60_000)
    assert toast_texts(page) == []


def test_the_ner_and_fill_mask_sections_show_their_steps_and_heatmaps(page):
    from demos import contextual, ner

    panel = open_tab(page, ner.TITLE)
    panel.get_by_role("textbox").first.fill("山田太郎さんは東京で働いている。")
    _open_section(panel)
    panel.get_by_text("B- 始まり", exact=False).wait_for(timeout=60_000)  # per-token tags → entities
    panel.locator(".heatmaplayer").wait_for(timeout=60_000)
    panel = open_tab(page, contextual.TITLE)
    panel.get_by_role("tab", name=ja(contextual.WORDS("fill_tab"))).click()
    panel = panel.locator("[role=tabpanel]:visible").first
    panel.get_by_role("textbox").first.fill("図書館で[MASK]を借りた。")
    _open_section(panel)
    panel.get_by_text("[MASK]", exact=False).first.wait_for(timeout=60_000)
    panel.locator(".heatmaplayer").wait_for(timeout=60_000)
    assert toast_texts(page) == []
