"""The bilingual UI: every word the browser shows exists in Japanese and English (demos/i18n.py)."""

from __future__ import annotations

import re

import pytest
from gradio.i18n import I18nData

from demos import i18n

WORDS = re.compile(r"[A-Za-z\u3040-\u30ff\u4e00-\u9fff]")
JAPANESE = re.compile(r"[\u3000-\u30ff\u4e00-\u9fff\uff00-\uffef]")  # kana, kanji, Japanese punctuation
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
