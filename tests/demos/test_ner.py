"""NER: entities mapped back to exact spans of the user's original text."""

import pytest

from demos import ner
from demos.common import InputError


def _found(entities):
    return [(e.text, e.label, e.start, e.end) for e in entities]


@pytest.mark.parametrize(
    "text, expected",
    [
        ("山田太郎さんは東京で働いています。", [("山田太郎", "人名", 0, 4), ("東京", "地名", 7, 9)]),
        # full-width letters: NFKC turns ＡＢＣ into ABC, the span still points at ＡＢＣ
        ("ＡＢＣの佐藤花子さん", [("ＡＢＣ", "法人名", 0, 3), ("佐藤花子", "人名", 4, 8)]),
        # an ideographic space inside a name stays inside the entity
        ("山田　太郎と大阪", [("山田\u3000太郎", "人名", 0, 5), ("大阪", "地名", 6, 8)]),
        # half-width spaces between entities stay outside them
        ("東京 大阪  京都", [("東京", "地名", 0, 2), ("大阪", "地名", 3, 5), ("京都", "地名", 7, 9)]),
        # repeated entity strings each get their own span
        ("東京と東京と東京", [("東京", "地名", 0, 2), ("東京", "地名", 3, 5), ("東京", "地名", 6, 8)]),
        # emoji and newlines before, between and after
        ("😀山田太郎\nは\n\n東京😀", [("山田太郎", "人名", 1, 5), ("東京", "地名", 9, 11)]),
        ("👩‍👧トヨタ", [("トヨタ", "法人名", 3, 6)]),
        ("今日は天気が良い。", []),
    ],
)
def test_entities_point_at_the_original_characters(load_model, text, expected):
    entities = ner.recognize(load_model("NER"), text).entities
    assert _found(entities) == expected
    for entity in entities:
        assert text[entity.start : entity.end] == entity.text
        assert 0.5 < entity.score <= 1.0


def test_highlights_rebuild_the_input_character_for_character(load_model):
    text = "\u3000ＡＢＣの山田　太郎さんが\n東京😀と東京へ行った  "
    entities = ner.recognize(load_model("NER"), text).entities
    pieces = ner.to_highlights(text, entities)
    assert "".join(piece for piece, _ in pieces) == text
    assert [(p, label) for p, label in pieces if label] == [
        ("ＡＢＣ", "法人名"), ("山田\u3000太郎", "人名"), ("東京", "地名"), ("東京", "地名")]


def test_entities_past_the_model_limit_are_still_found(load_model):
    model = load_model("NER")
    filler = "今日は天気が良いので散歩に行きます。" * 12  # well past 64 tokens
    text = filler + "山田太郎さんは京都へ行きます。" + filler + "大阪"
    found = _found(ner.recognize(model, text).entities)
    first = len(filler)
    assert found == [
        ("山田太郎", "人名", first, first + 4),
        ("京都", "地名", first + 7, first + 9),
        ("大阪", "地名", len(text) - 2, len(text)),
    ]


def test_a_long_sentence_without_punctuation_is_cut_at_token_boundaries(load_model):
    text = "天気" * 150 + "東京"
    found = _found(ner.recognize(load_model("NER"), text).entities)
    assert found == [("東京", "地名", 300, 302)]


def test_table_rows():
    entities = [ner.Entity("東京", "地名", 0.98765, 3, 5)]
    assert ner.to_table(entities) == [["東京", "地名", 0.9877, 3, 5]]


def test_highlights_of_text_without_entities_is_the_text():
    assert ner.to_highlights("ただの文。", []) == [("ただの文。", None)]


def test_only_the_beginning_of_a_very_long_text_is_analysed_and_said_so(load_model):
    text = "東京。" + "あ" * ner.MAX_NER_CHARS + "大阪"
    entities = ner.recognize(load_model("NER"), text).entities
    assert _found(entities) == [("東京", "地名", 0, 2)]  # 大阪 lies past the analysed part
    pieces = ner.to_highlights(text, entities)
    assert "".join(p for p, _ in pieces) == text  # the whole text is still shown
    line = ner.summary_line(entities, len(text))
    assert "5,000" in line and f"{len(text):,}" in line
    assert "5,000" not in ner.summary_line(entities, 100)


def test_whitespace_only_is_refused(load_model):
    with pytest.raises(InputError):
        ner.NER.compute(load_model("NER"), " \n\u3000")


def _entities(*labels):
    return [ner.Entity("x", label, 0.9, i, i + 1) for i, label in enumerate(labels)]


def test_the_summary_counts_in_the_right_number_and_glosses_the_types():
    assert ner.summary_line(_entities("地名"), 10) == (
        "1 個の固有表現が見つかりました（地名 1）。 / Found 1 named entity: 地名 (place) 1.")
    line = ner.summary_line(_entities("地名", "人名", "地名"), 10)
    # The types in the dataset's order, each glossed in English.
    assert line == ("3 個の固有表現が見つかりました（人名 1、地名 2）。"
                    " / Found 3 named entities: 人名 (person) 1, 地名 (place) 2.")
    assert ner.summary_line([], 10) == "固有表現は見つかりませんでした。 / No named entities were found."


def test_a_type_the_book_lacks_is_shown_as_the_model_names_it():
    # A model of one's own (JNLP_MODEL_NER) may have other types: no gloss, and Markdown shown as text.
    assert ner.glossed("PER") == "PER"
    assert "**B**" not in ner.summary_line(_entities("**B**"), 10)


def test_every_type_has_a_colour_and_a_gloss():
    from fixtures.text import NER_TYPES

    assert list(ner.COLORS) == list(ner.GLOSSES) == NER_TYPES


def test_the_colour_key_is_in_the_readers_language():
    from demos import i18n

    japanese, english = i18n.pair(ner.WORDS("legend"))
    for label, colour in ner.COLORS.items():
        assert colour in japanese and colour in english
        assert f"{label}</span>" in japanese and f"{label} ({ner.GLOSSES[label]})" in english
    assert "person" not in japanese and "種類" not in english


def test_the_table_is_headed_in_both_languages_and_keeps_the_types_as_the_model_names_them():
    assert [header.split(" / ")[1] for header in ner.TABLE_HEADERS] == ["entity", "type", "score", "start", "end"]
    assert ner.to_table(_entities("地名"))[0][1] == "地名"  # the API's value, as in the highlights
