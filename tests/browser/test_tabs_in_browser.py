"""What a user sees in a real browser."""

from playwright.sync_api import expect

from demos import contextual, generation, ner, nli, sentiment, similarity, summarization, tokenizer, word2vec
from demos.common import COMMON
from tests.browser.conftest import ja, open_tab, run_and_wait, screenshot, toast_texts


def test_sentiment_example_click_shows_every_label(page):
    panel = open_tab(page, sentiment.TITLE)
    panel.locator("button.gallery-item").first.click()
    label = panel.get_by_test_id("label")
    label.get_by_text("negative").wait_for(timeout=60_000)
    assert "positive" in label.inner_text()
    assert page.locator(".toast-body").count() == 0
    screenshot(page, "sentiment")


def test_empty_input_shows_a_readable_error(page):
    panel = open_tab(page, sentiment.TITLE)
    panel.get_by_role("button", name=ja(sentiment.WORDS("classify"))).click()
    toast = page.locator(".toast-body").first
    toast.wait_for(timeout=30_000)
    assert "Please enter some text" in toast.inner_text()


def test_ner_highlights_the_original_text(page):
    panel = open_tab(page, ner.TITLE)
    text = "ＡＢＣの山田　太郎さんが東京へ"
    panel.get_by_role("textbox").first.fill(text)
    panel.get_by_role("button", name=ja(ner.WORDS("find"))).click()
    panel.get_by_text("Found 3 named entities").wait_for(timeout=60_000)
    highlighted = panel.get_by_test_id("highlighted-text")
    assert "山田\u3000太郎" in highlighted.inner_text()
    screenshot(page, "ner")


def test_ner_example_click_highlights_entities(page):
    panel = open_tab(page, ner.TITLE)
    panel.locator("button.gallery-item").first.click()  # 鈴木一郎さんはソニーの社員として、大阪の本社で働いている。
    panel.get_by_text("Found 1 named entity").wait_for(timeout=60_000)
    # The tiny model's lexicon knows 大阪 (地名) only: it alone is drawn in the 地名 colour (#047857).
    marked = panel.get_by_test_id("highlighted-text").locator(".token", has_text="大阪")
    assert "rgba(4, 120, 87" in marked.first.evaluate("e => getComputedStyle(e).backgroundColor")
    assert panel.get_by_test_id("cell-0-0").inner_text() == "大阪"  # the table's first row: entity, type
    assert panel.get_by_test_id("cell-0-1").inner_text() == "地名"
    assert toast_texts(page) == []


def test_tokenizer_chips_show_markup_literally(page):
    panel = open_tab(page, tokenizer.TITLE)
    panel.get_by_role("textbox").first.fill("<img src=x onerror=alert(1)>東京")
    panel.get_by_role("button", name=ja(tokenizer.WORDS("tokenize"))).click()
    panel.get_by_text("<img src=x onerror=alert(1)>", exact=False).first.wait_for(timeout=60_000)
    assert panel.locator("img[src=x]").count() == 0
    screenshot(page, "tokenizer")


def test_word2vec_plot_labels_render_as_japanese_glyphs(page):
    panel = open_tab(page, word2vec.TITLE)
    panel.get_by_role("button", name=ja(word2vec.WORDS("find_similar"))).click()
    labels = panel.locator("svg text", has_text="東京")
    labels.first.wait_for(timeout=120_000)
    # A missing font draws every glyph as the same box: drawn with the label's font,
    # two different kanji must give different pixels.
    drawings = page.evaluate(
        """() => {
            const label = [...document.querySelectorAll('.js-plotly-plot text')].find(t => t.textContent === '東京');
            const family = getComputedStyle(label).fontFamily;
            const draw = (glyph) => {
                const canvas = document.createElement('canvas');
                canvas.width = 40; canvas.height = 40;
                const ctx = canvas.getContext('2d');
                ctx.font = `32px ${family}`;
                ctx.fillText(glyph, 2, 32);
                return canvas.toDataURL();
            };
            return [draw('東'), draw('京'), draw('\u0378'), draw('\u0379')];
        }"""
    )
    kanji_east, kanji_capital, missing_one, missing_two = drawings
    assert missing_one == missing_two  # the check itself: absent glyphs look alike
    assert kanji_east != kanji_capital, "Japanese labels render as boxes: no CJK font in the browser"
    # The search trained the vectors: the status and the loss plot say so, as after Train (no empty plot).
    panel.get_by_text(word2vec.TRAINED_BEFOREHAND.split(" / ")[0]).wait_for(timeout=30_000)
    page.wait_for_function("() => document.querySelectorAll('.js-plotly-plot').length >= 2", timeout=30_000)
    assert panel.locator(".js-plotly-plot").first.locator("text", has_text="loss").count() > 0
    screenshot(page, "word2vec")


def test_a_word2vec_example_searches_at_once_like_every_tabs_examples(page):
    panel = open_tab(page, word2vec.TITLE)
    panel.locator("button.gallery-item", has_text="寿司 野球 雨").click()
    # Its three query words make the plot's legend, without a press of the search button.
    page.wait_for_function(
        "() => ['寿司', '野球', '雨'].every(w => [...document.querySelectorAll('[role=tabpanel] .legendtext')]"
        ".some(t => t.textContent.trim() === w))", timeout=120_000)
    assert panel.get_by_role("textbox", name=ja(word2vec.WORDS("words"))).input_value() == "寿司 野球 雨"
    panel.get_by_text(word2vec.TRAINED_BEFOREHAND.split(" / ")[0]).wait_for(timeout=30_000)
    assert page.locator(".toast-body").count() == 0


def test_nli_example_shows_three_labels(page):
    panel = open_tab(page, nli.TITLE)
    panel.get_by_test_id("dataset-cell-0-0").click()
    label = panel.get_by_test_id("label")
    label.get_by_text("neutral").wait_for(timeout=60_000)
    assert "entailment" in label.inner_text() and "contradiction" in label.inner_text()
    screenshot(page, "nli")


def test_summarization_example_writes_a_summary(page):
    panel = open_tab(page, summarization.TITLE)
    panel.locator("button.gallery-item").first.click()
    page.wait_for_function(
        "() => [...document.querySelectorAll('[role=tabpanel] textarea')].some(t => t.offsetParent && t.disabled && t.value.length > 0)",
        timeout=60_000,
    )
    screenshot(page, "summarization")


def test_generation_streams_text(page):
    panel = open_tab(page, generation.TITLE)
    panel.get_by_role("tab", name=ja(generation.WORDS("generate_tab"))).click()
    panel.get_by_role("button", name=ja(generation.WORDS("generate")), exact=True).click()
    page.wait_for_function(
        "() => [...document.querySelectorAll('[role=tabpanel] textarea')]"
        ".some(t => t.offsetParent && t.disabled && t.value.startsWith('今日は天気が良いので') && t.value.length > 10)",
        timeout=60_000,
    )
    assert page.locator(".toast-body").count() == 0
    screenshot(page, "generation")


def test_next_token_then_append_grows_the_prompt_one_token_at_a_time(page):
    panel = open_tab(page, generation.TITLE)
    prompt = panel.get_by_label(ja(generation.WORDS("prompt")))
    start = prompt.input_value()
    run_and_wait(page, lambda: panel.get_by_role("button", name=ja(generation.WORDS("predict_next"))).click())
    # The most likely token is chosen for appending; the dropdown shows it with its probability.
    chosen = panel.get_by_label(ja(generation.WORDS("token_to_append"))).input_value()
    top = panel.get_by_test_id("label-output-value").inner_text().strip()
    assert chosen.startswith(top) and chosen.endswith("%)")
    # Appending adds exactly that token and asks the model again for the longer prompt.
    run_and_wait(page, lambda: panel.get_by_role("button", name=ja(generation.WORDS("append"))).click())
    assert prompt.input_value() == start + top
    assert panel.get_by_test_id("label-output-value").inner_text().strip()
    assert page.locator(".toast-body").count() == 0


# One click here starts two events that load two models at once (models/loader.py builds one at a time).
def test_similarity_shows_the_jsts_score_beside_the_simcse_cosine(page):
    panel = open_tab(page, similarity.TITLE)
    # gr.Number outputs are <input type=number>: the value property changes, not the attribute.
    sts = panel.get_by_label(ja(similarity.WORDS("sts_score")))
    simcse = panel.get_by_label(ja(similarity.WORDS("simcse_cosine")))
    # Before anything ran the scores are empty, not a 0 no model gave.
    expect(sts).to_have_value("")
    expect(simcse).to_have_value("")
    panel.get_by_test_id("dataset-cell-0-0").click()
    page.wait_for_function(
        "([a, b]) => document.querySelector('.toast-body') || (!['', '0'].includes(a.value) && !['', '0'].includes(b.value))",
        arg=[sts.element_handle(), simcse.element_handle()],
        timeout=60_000,
    )
    assert toast_texts(page) == []
    assert panel.get_by_role("textbox").first.input_value() == "川沿いの道を犬と一緒に走った。"
    assert float(sts.input_value()) == 3.7  # the tiny JSTS model's raw regression value, no sigmoid
    assert -1 <= float(simcse.input_value()) <= 1

    # The button runs both models on typed text; one sentence twice has cosine 1.
    sentence = "猫が窓辺で眠っている。"
    panel.get_by_role("textbox").nth(0).fill(sentence)
    panel.get_by_role("textbox").nth(1).fill(sentence)
    run_and_wait(page, panel.get_by_role("button", name=ja(COMMON("compare"))).click)
    assert toast_texts(page) == []
    assert float(sts.input_value()) == 3.7
    assert float(simcse.input_value()) == 1.0
    screenshot(page, "similarity")


def test_every_tab_is_visible_on_a_1280_px_projector(page):
    from demos import DEMOS

    page.set_viewport_size({"width": 1280, "height": 800})
    for module in DEMOS:
        tab = page.get_by_role("tab", name=ja(module.TITLE))
        tab.wait_for(state="visible", timeout=10_000)
        box = tab.bounding_box()
        assert box and box["x"] >= 0 and box["x"] + box["width"] <= 1280, module.TITLE
    screenshot(page, "tabs-1280")


def test_contextual_tab_compares_occurrences_and_fills_masks(page):
    panel = open_tab(page, contextual.TITLE)
    # Before a comparison the empty table names its one column (not Gradio's placeholder "1 2 3").
    headers = panel.locator("table").first.locator("thead th")
    expect(headers).to_have_count(1)
    assert contextual.OCCURRENCE_HEADER.split(" / ")[0] in headers.first.inner_text()
    panel.get_by_test_id("dataset-cell-0-0").click()  # the かける sentences
    panel.locator(".js-plotly-plot").first.wait_for(timeout=60_000)
    assert toast_texts(page) == []
    table = panel.get_by_test_id("cell-0-1").first  # the first row's first similarity: itself, 1
    assert float(table.inner_text()) == 1.0
    screenshot(page, "contextual")

    panel.get_by_role("tab", name=ja(contextual.WORDS("fill_tab"))).click()
    filling = page.locator("[role=tabpanel]:visible").last
    filling.get_by_role("textbox").first.fill("私は＿に住んでいる。")
    run_and_wait(page, filling.get_by_role("button", name=ja(contextual.WORDS("predict"))).click)
    assert toast_texts(page) == []
    assert "東京" in filling.get_by_test_id("label").inner_text()  # the tiny model's top filler
    completed = filling.get_by_role("textbox").nth(1).input_value()
    assert completed == "私は東京に住んでいる。"
    screenshot(page, "fill-mask")


def test_enter_in_a_one_line_box_runs_what_its_button_runs(page):
    panel = open_tab(page, word2vec.TITLE)
    words = panel.get_by_label(ja(word2vec.WORDS("words")))
    words.fill("猫")
    words.press("Enter")
    first_query = panel.get_by_test_id("cell-0-0").first
    expect(first_query).to_have_text("猫", timeout=120_000)  # trains the default corpus first
    assert toast_texts(page) == []

    panel = open_tab(page, contextual.TITLE)
    word = panel.get_by_label(ja(contextual.WORDS("word")))
    word.fill("かけ")
    word.press("Enter")
    # かけ occurs once in each of the example's four sentences: a 4 x 4 table, headed by those occurrences.
    headers = panel.locator("table").first.locator("thead th")
    expect(headers).to_have_count(5, timeout=60_000)
    assert "[かけ]" in headers.nth(1).inner_text()


def test_tokenizer_chips_stay_dark_on_pale_in_dark_mode(browser, running_app):
    # A projector room's laptop in dark mode: Gradio gives every element of an HTML output the theme's
    # (near-white) text colour; the chips' own colour must win, or they are white on pale yellow.
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="ja-JP", color_scheme="dark")
    try:
        page = context.new_page()
        page.goto(f"{running_app.url}?__theme=dark&tab=tokenizer")
        panel = page.locator("[role=tabpanel]:visible").first
        panel.get_by_role("button", name=ja(tokenizer.WORDS("tokenize"))).click()
        chip = panel.locator(".jnlp-chips span[title]:not(.special)").first
        chip.wait_for(timeout=60_000)
        body = page.evaluate("() => getComputedStyle(document.querySelector('.prose')).color")
        assert body != "rgb(17, 24, 39)"  # the check itself: the theme's text colour is light here
        assert chip.evaluate("e => getComputedStyle(e).color") == "rgb(17, 24, 39)"
        screenshot(page, "tokenizer-dark")
    finally:
        context.close()
