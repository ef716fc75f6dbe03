"""The bilingual UI: every word the browser shows exists in Japanese and English (demos/i18n.py)."""

from __future__ import annotations

import inspect
import json
import re

import pytest
from gradio.i18n import I18nData

from demos import i18n

WORDS = re.compile(r"[A-Za-z\u3040-\u30ff\u4e00-\u9fff]")
JAPANESE = re.compile(r"[\u3000-\u30ff\u4e00-\u9fff\uff00-\uffef]")  # kana, kanji, Japanese punctuation
LATIN = re.compile(r"[A-Za-z]")
# Notation, the same in every language: the analogy's symbols.
NOTATION = {"a", "− b", "+ c", "a − b + c"}
# Props a reader sees; a Button's, Markdown's or HTML's value is its visible text.
SHOWN_PROPS = ("label", "placeholder", "info")
SHOWN_VALUE = ("markdown", "button", "html")


@pytest.fixture(scope="module")
def config():
    from app import demo

    return demo.get_config_file()


def _shown_texts(config):
    for component in config["components"]:
        if component["type"] == "api":  # gr.api's stand-ins for an API-only endpoint: never drawn on the page
            continue
        props = component["props"]
        for prop in SHOWN_PROPS + ("value",):
            if prop == "value" and component["type"] not in SHOWN_VALUE:
                continue
            if prop == "label" and props.get("show_label") is False and component["type"] != "dataset":
                continue
            value = props.get(prop)
            if isinstance(value, I18nData) or (isinstance(value, str) and value):
                yield component["type"], prop, value


def test_every_word_on_the_page_is_translatable(config):
    untranslated = [(kind, prop, str(value)[:60]) for kind, prop, value in _shown_texts(config)
                    if i18n.key_of(value) is None and WORDS.search(value) and value not in NOTATION]
    assert untranslated == []


def test_every_key_the_page_uses_has_both_languages(config):
    used = {i18n.key_of(value) for _, _, value in _shown_texts(config)} - {None}
    assert len(used) > 80  # every tab's labels, buttons, explanations and example captions
    catalog = i18n.catalog()
    translations = i18n.translations().translations_dict
    for key in used:
        japanese, english = catalog[key]
        assert translations["en"][key] == english and translations["ja"][key] == japanese
        assert japanese.strip() and english.strip()


def test_each_pair_is_japanese_then_english():
    for key, (japanese, english) in i18n.catalog().items():
        # Swapped or copied pairs show up as a Japanese column without Japanese.
        assert JAPANESE.search(japanese) or japanese == english, key


def test_the_explanations_are_in_the_catalog():
    from demos import texts

    catalog = i18n.catalog()
    assert catalog["explanation.sentiment"] == (texts.SENTIMENT_JA, texts.SENTIMENT_EN)
    assert catalog["app.intro"] == (texts.APP_INTRO_JA, texts.APP_INTRO_EN)


def test_english_browsers_get_english_and_every_other_language_japanese():
    translations = i18n.translations().translations_dict
    japanese = {key: ja for key, (ja, _) in i18n.catalog().items()}
    assert translations["ja"] == japanese
    # Gradio picks the browser's language among its own (fr, zh-CN …) and falls back to English
    # only for languages it does not know; the app's words follow Japanese for all of them.
    for locale in ("fr", "de", "ko", "zh-CN", "zh-TW", "pt-BR"):
        assert translations[locale] == japanese, locale
    assert set(translations["en"]) == set(japanese)


def test_a_missing_key_fails_when_the_ui_is_built():
    words = i18n.register("test_i18n", {"present": ("ある", "present")})
    assert i18n.key_of(words("present")) == "test_i18n.present"
    with pytest.raises(KeyError, match="test_i18n.absent"):
        words("absent")


def test_a_pair_needs_both_languages_and_one_meaning():
    with pytest.raises(ValueError, match="both"):
        i18n.register("test_i18n_empty", {"x": ("ある", " ")})
    i18n.register("test_i18n_twice", {"x": ("一", "one")})
    with pytest.raises(ValueError, match="twice"):
        i18n.register("test_i18n_twice", {"x": ("二", "two")})


def test_range_errors_name_the_setting_in_both_languages():
    from demos.generation import WORDS as GENERATION
    from demos.components import Slider

    slider = Slider(0.05, 2.0, value=1.0, label=GENERATION("temperature"))
    with pytest.raises(Exception) as refused:
        slider.preprocess(5.0)
    assert "「温度」" in str(refused.value) and "'Temperature'" in str(refused.value)


# ---------------------------------------------------------------- plots and tables
#
# Gradio translates a component's label, info and placeholder, but not a table's column headers nor
# anything inside a figure (the installed frontend translates only props that are strings): headers,
# titles, axes and legends are made on the server, like answers, so they are in both languages, as the
# rest of the server's text is (demos/i18n.py). Not one English word in a Japanese page, nor the reverse.


def _one_language_at_a_time(text: object) -> bool:
    """A registered text (the browser shows the reader's language), a text in both languages, or no words."""
    if i18n.key_of(text) is not None:
        return True
    text = str(text)
    if not WORDS.search(text) or text in NOTATION:
        return True
    return bool(JAPANESE.search(text) and LATIN.search(text))


def test_the_rule_of_one_language_at_a_time():
    assert _one_language_at_a_time("種類 / type") and _one_language_at_a_time("surface 表層形")
    assert _one_language_at_a_time("#") and _one_language_at_a_time("0.5")
    assert not _one_language_at_a_time("type") and not _one_language_at_a_time("種類")
    assert _one_language_at_a_time(i18n.text("app.intro"))


def _headers_shown(headers: list, rows: list) -> list[str]:
    """The column headers that are the app's words: a header that repeats a cell of the table names an
    item of the data (the contextual tab's occurrences head both its rows and its columns)."""
    cells = {str(cell) for row in rows or [] for cell in row}
    return [str(header) for header in headers if str(header) not in cells]


def _figure_words(figure: dict) -> list[str]:
    """Every title of a Plotly figure: the figure's (and its subtitle), its axes' (2D and 3D), its legend's
    and its colour bars'."""
    found: list[str] = []

    def walk(node: object, key: str = "") -> None:
        if isinstance(node, dict):
            for name, value in node.items():
                if name == "template":  # Plotly's default look, no words of the app
                    continue
                if name in ("title", "subtitle"):
                    title = value.get("text") if isinstance(value, dict) else value
                    if title:
                        found.append(str(title))
                    if isinstance(value, dict):
                        walk({"subtitle": value["subtitle"]} if "subtitle" in value else {})
                    continue
                walk(value, name)
        elif isinstance(node, list):
            for value in node:
                walk(value, key)

    walk(figure.get("layout", {}))
    for trace in figure.get("data", []):
        walk({name: value for name, value in trace.items() if name in ("colorbar", "marker")})
    return found


def test_every_table_header_on_the_page_is_in_the_readers_language(config):
    wrong = []
    for component in config["components"]:
        props = component["props"]
        if component["type"] != "dataframe":
            continue
        value = props.get("value") or {}
        for header in _headers_shown(props.get("headers") or [], []) + _headers_shown(
                value.get("headers") or [], value.get("data") or []):
            if not _one_language_at_a_time(header):
                wrong.append(f"{i18n.both_languages(props.get('label') or '')}: {header}")
    assert sorted(set(wrong)) == [], "\n".join(sorted(set(wrong)))


def test_highlighted_text_shows_no_class_in_one_language_only(config):
    """A HighlightedText's legend writes its classes (the NER types) as they come, untranslated: the NER
    tab shows its own translated colour key instead. Beside each entity the type stays, as the model
    names it (its output, like a label's name), so that colour is not the only mark of a type."""
    for component in config["components"]:
        props = component["props"]
        if component["type"] == "highlightedtext" and props.get("show_legend"):
            assert all(_one_language_at_a_time(name) for name in props.get("color_map") or {}), props


# Inputs of each public endpoint with a table or a figure among its answers (the rest take their
# component's value on the page): the answers' headers and figures are checked, as a browser gets them.
_CORPUS = "\n".join(["犬と猫が庭で遊ぶ。", "父と母が東京へ行く。", "兄と姉が大阪で働く。"] * 20)
SAMPLE_INPUTS = {
    "ner": ["山田太郎さんは東京で働いています。"],
    "tokenize": [],
    "contextual": ["ABCと東京\nABCで", "ABC"],
    "fill_mask": ["今日は＿に行きます。"],
    "train_word2vec": [_CORPUS],
    "word2vec": [_CORPUS, "犬 東京"],
    "analogy": [_CORPUS, "父", "母", "兄"],
    "skipgram_pairs": [],
    "status": [],
}


def _answers(blocks, monkeypatch, model_env):
    """(endpoint, output component, the value a browser gets) of every public endpoint with a table or figure."""
    import gradio as gr

    for name, value in model_env.items():
        monkeypatch.setenv(name, value)
    for function in blocks.fns.values():
        outputs = [o for o in function.outputs if isinstance(o, (gr.Dataframe, gr.Plot))]
        if function.api_visibility != "public" or not function.api_name or not outputs:
            continue
        assert function.api_name in SAMPLE_INPUTS, f"give SAMPLE_INPUTS inputs for /{function.api_name}"
        given = SAMPLE_INPUTS[function.api_name]
        inputs = [*given, *(component.value for component in function.inputs[len(given):])]
        answer = function.fn(*inputs)
        if inspect.isgenerator(answer):  # a streamed answer: its last update
            *_, answer = answer
        answer = answer if isinstance(answer, (tuple, list)) and len(function.outputs) > 1 else [answer]
        for component, value in zip(function.outputs, answer):
            if isinstance(component, (gr.Dataframe, gr.Plot)):
                yield function.api_name, component, component.postprocess(value)


def test_every_answers_table_header_and_figure_title_is_in_the_readers_language(monkeypatch, model_env):
    """Every title, axis, legend title and column header of the tables and figures the endpoints answer
    with is in both languages (or a registered text): one language at a time, in every view."""
    import gradio as gr

    from app import demo

    wrong, seen = [], set()
    for endpoint, component, value in _answers(demo, monkeypatch, model_env):
        seen.add(endpoint)
        if value is None:
            continue
        if isinstance(component, gr.Dataframe):
            words = _headers_shown(value.headers, value.data)
        else:
            words = _figure_words(json.loads(value.plot))
            assert words, f"/{endpoint}: a figure without a title"
        wrong += [f"/{endpoint}: {word}" for word in words if not _one_language_at_a_time(word)]
    assert seen == set(SAMPLE_INPUTS)
    assert sorted(set(wrong)) == [], "\n".join(sorted(set(wrong)))
