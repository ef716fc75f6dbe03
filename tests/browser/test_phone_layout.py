"""Small screens: on a phone (390 px wide) nothing squeezed to a character per line or wider than the screen;
on a 1280 px projector every column in view."""

import pytest

from demos import about, contextual, generation, summarization, word2vec
from tests.browser.conftest import ja, open_tab, run_and_wait, screenshot, toast_texts

PHONE = {"width": 390, "height": 844}

# Each visible slider's block: its width, and its label's height (one line of text is about 20-30 px).
_SLIDERS = """() => [...document.querySelectorAll('[role=tabpanel] input[type=range]')].filter(e => e.offsetParent)
    .map(e => { const block = e.closest('.block');
                const label = block.querySelector('[data-testid=block-info]');
                return {width: block.getBoundingClientRect().width, label: label.getBoundingClientRect().height}; })"""


def _page_width(page) -> int:
    return page.evaluate("() => document.documentElement.scrollWidth")


@pytest.mark.parametrize("module", [summarization, word2vec, generation, contextual],
                         ids=["summarization", "word2vec", "generation", "contextual"])
def test_sliders_go_one_per_line_with_their_labels_on_one_line(page, module):
    page.set_viewport_size(PHONE)
    open_tab(page, module.TITLE)
    sliders = page.evaluate(_SLIDERS)
    assert sliders
    # Side by side, 最大トークン数 or エポック stood one character per line beside the number box.
    assert all(slider["width"] > 280 and slider["label"] < 40 for slider in sliders), sliders
    assert _page_width(page) <= PHONE["width"]
    screenshot(page, f"phone-{module.__name__.rsplit('.', 1)[1]}")


def test_the_status_table_keeps_its_columns_readable_and_scrolls_inside_itself(page):
    page.set_viewport_size(PHONE)
    panel = open_tab(page, about.TITLE)
    key = panel.get_by_test_id("cell-0-0").first  # the models table's first key
    key.filter(has_text="SENTIMENT").wait_for(timeout=30_000)
    # The text's line boxes: squeezed to the screen's width, each column was about 40 px and
    # SENTIMENT broke into S/EN/TI/ME/NT, five lines.
    lines = key.evaluate("""cell => { const range = document.createRange();
                                      range.selectNodeContents(cell.querySelector('span'));
                                      return new Set([...range.getClientRects()].map(r => Math.round(r.top))).size; }""")
    assert lines == 1 and key.bounding_box()["width"] >= 120
    assert _page_width(page) <= PHONE["width"]  # the table scrolls, not the page
    screenshot(page, "phone-status")


def test_the_contextual_heatmap_leaves_most_of_its_width_to_the_cells(page):
    page.set_viewport_size(PHONE)
    panel = open_tab(page, contextual.TITLE)
    run_and_wait(page, panel.get_by_test_id("dataset-cell-1-0").click)  # the はし sentences
    assert toast_texts(page) == []
    heatmap = panel.locator(".js-plotly-plot").first
    figure, cells = heatmap.bounding_box(), heatmap.locator(".nsewdrag").first.bounding_box()
    # With the excerpts as tick labels the cells had about a third of the width; ids leave them most of it.
    assert cells["width"] > 0.6 * figure["width"], (cells, figure)
    assert heatmap.locator(".xtick text").all_text_contents() == ["1", "2", "3", "4"]
    assert _page_width(page) <= PHONE["width"]
    screenshot(page, "phone-contextual")


def test_the_status_table_shows_every_column_on_a_1280_px_projector(page):
    page.set_viewport_size({"width": 1280, "height": 800})
    panel = open_tab(page, about.TITLE)
    first, last = panel.get_by_test_id("cell-0-0").first, panel.get_by_test_id("cell-0-6").first
    first.filter(has_text="SENTIMENT").wait_for(timeout=30_000)
    table = panel.locator("[role=grid]").first.bounding_box()
    right = last.bounding_box()
    assert right["x"] + right["width"] <= table["x"] + table["width"] <= 1280, (right, table)


def test_every_sub_tab_shows_on_a_phone_and_examples_fit_the_screen(page):
    page.set_viewport_size(PHONE)
    panel = open_tab(page, word2vec.TITLE)
    # Gradio's default put the sub-tabs that did not fit in a "…" menu: they wrap onto a second row instead.
    for name in ("similar_tab", "analogy_tab", "pairs_tab", "export_tab"):
        assert panel.get_by_role("tab", name=ja(word2vec.WORDS(name))).is_visible()
    screenshot(page, "phone-word2vec-tabs")
    panel = open_tab(page, contextual.TITLE)
    examples = panel.locator(".table-wrap").last
    examples.wait_for()
    # The examples of the sentences and their word were cut off at the screen's edge.
    assert examples.evaluate("(wrap) => wrap.scrollWidth <= wrap.clientWidth + 1")
    # A table that must scroll (the status table's seven columns) says so on a phone.
    panel = open_tab(page, about.TITLE)
    note = page.evaluate("() => getComputedStyle(document.querySelector('.jnlp-wide-table'), '::after').content")
    assert "横にスクロール" in note
