"""What the page says about its own state: an answer whose input was edited says it is stale (once, and still after
a run that failed), the Stop button is off while nothing runs, and the Generation tab starts on the model that suits
the machine."""

from demos import generation, sentiment
from demos.common import COMMON
from tests.browser.conftest import ja, open_tab, run_and_wait, screenshot, toast_texts

STALE = "() => [...document.querySelectorAll('[role=tabpanel] .jnlp-stale')].filter(e => e.offsetParent).length"


def test_an_answer_goes_stale_when_its_input_is_edited_and_fresh_when_run_again(page):
    panel = open_tab(page, sentiment.TITLE)
    run_and_wait(page, lambda: panel.locator("button.gallery-item").first.click())
    assert page.evaluate(STALE) == 0
    panel.locator("textarea").first.press("End")
    panel.locator("textarea").first.type("でも高い。")
    page.wait_for_function(f"() => ({STALE})() > 0", timeout=5_000)
    # The label is marked, with the note in the page's language; the empty note under it is not.
    marked = page.locator("[role=tabpanel] .jnlp-stale")
    assert marked.count() == 1 and marked.first.get_attribute("data-testid") == "label"
    note = page.evaluate("() => getComputedStyle(document.querySelector('.jnlp-stale'), '::before').content")
    assert "入力が変わりました" in note
    screenshot(page, "sentiment-stale")
    run_and_wait(page, lambda: panel.get_by_role("button", name=ja(sentiment.WORDS("classify"))).click())
    assert page.evaluate(STALE) == 0


# Gradio's "Error" badges the page shows (its trackers' error state).
ERROR_BADGES = "() => [...document.querySelectorAll('[role=tabpanel] [data-testid=status-tracker] > .error')].filter(e => e.offsetParent).length"
# Each stale answer's note: the ::before of every element marked stale.
STALE_NOTES = """() => [...document.querySelectorAll('[role=tabpanel] .jnlp-stale')].filter(e => e.offsetParent)
    .map(e => getComputedStyle(e, '::before').content)"""


def test_after_a_failed_run_the_old_answers_stay_marked_stale_under_the_message_alone(page):
    """A long review's answer (the label and its truncation note), then the box emptied and the button clicked: the
    message says what to do, and the two old answers stay, each with one stale note, not under an "Error" badge."""
    panel = open_tab(page, sentiment.TITLE)
    box, button = panel.locator("textarea").first, panel.get_by_role("button", name=ja(sentiment.WORDS("classify")))
    box.fill("良い商品でした。" * 100)
    run_and_wait(page, button.click)
    assert "入力が長いため" in panel.inner_text()
    box.fill("")
    assert len(page.evaluate(STALE_NOTES)) == 2  # the label and the note, each once (Markdown repeats its classes)
    run_and_wait(page, button.click)
    page.get_by_test_id("toast-text").first.wait_for(timeout=5_000)
    assert any("Please enter some text" in text for text in toast_texts(page))
    notes = page.evaluate(STALE_NOTES)
    assert len(notes) == 2 and all("入力が変わりました" in note for note in notes), notes
    assert page.evaluate(ERROR_BADGES) == 0
    screenshot(page, "sentiment-failed-run")
    box.fill("良い商品でした。")
    run_and_wait(page, button.click)
    assert page.evaluate(STALE_NOTES) == [] and "入力が長いため" not in panel.inner_text()


def test_stop_is_off_until_a_generation_runs_and_the_tab_starts_on_the_small_model(page):
    panel = open_tab(page, generation.TITLE)
    panel.get_by_role("tab", name=ja(generation.WORDS("generate_tab"))).click()
    stop = panel.get_by_role("button", name=ja(COMMON("stop")), exact=True)
    assert stop.is_disabled()
    # No GPU here: the tab starts on the small GPT-2, while the API's default stays the book's model.
    small = panel.get_by_role("radio").nth(generation.MODEL_KEYS.index("GENERATION_SMALL"))
    page.wait_for_function("(radio) => radio.checked", arg=small.element_handle(), timeout=5_000)
    run_and_wait(page, lambda: panel.get_by_role("button", name=ja(generation.WORDS("generate")), exact=True).click())
    page.wait_for_function("(button) => button.disabled", arg=stop.element_handle(), timeout=10_000)
