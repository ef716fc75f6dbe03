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
    entities = ner.recognize(load_model("NER"), text)
    assert _found(entities) == expected
    for entity in entities:
        assert text[entity.start : entity.end] == entity.text
        assert 0.5 < entity.score <= 1.0


def test_highlights_rebuild_the_input_character_for_character(load_model):
    text = "\u3000ＡＢＣの山田　太郎さんが\n東京😀と東京へ行った  "
    entities = ner.recognize(load_model("NER"), text)
    pieces = ner.to_highlights(text, entities)
    assert "".join(piece for piece, _ in pieces) == text
    assert [(p, label) for p, label in pieces if label] == [
        ("ＡＢＣ", "法人名"), ("山田\u3000太郎", "人名"), ("東京", "地名"), ("東京", "地名")]


def test_entities_past_the_model_limit_are_still_found(load_model):
    model = load_model("NER")
    filler = "今日は天気が良いので散歩に行きます。" * 12  # well past 64 tokens
    text = filler + "山田太郎さんは京都へ行きます。" + filler + "大阪"
    found = _found(ner.recognize(model, text))
    first = len(filler)
    assert found == [
        ("山田太郎", "人名", first, first + 4),
        ("京都", "地名", first + 7, first + 9),
        ("大阪", "地名", len(text) - 2, len(text)),
    ]


def test_a_long_sentence_without_punctuation_is_cut_at_token_boundaries(load_model):
    text = "天気" * 150 + "東京"
    found = _found(ner.recognize(load_model("NER"), text))
    assert found == [("東京", "地名", 300, 302)]


def test_table_rows():
    entities = [ner.Entity("東京", "地名", 0.98765, 3, 5)]
    assert ner.to_table(entities) == [["東京", "地名", 0.9877, 3, 5]]


def test_highlights_of_text_without_entities_is_the_text():
    assert ner.to_highlights("ただの文。", []) == [("ただの文。", None)]


def test_only_the_beginning_of_a_very_long_text_is_analysed_and_said_so(load_model):
    text = "東京。" + "あ" * ner.MAX_NER_CHARS + "大阪"
    entities = ner.recognize(load_model("NER"), text)
    assert _found(entities) == [("東京", "地名", 0, 2)]  # 大阪 lies past the analysed part
    pieces = ner.to_highlights(text, entities)
    assert "".join(p for p, _ in pieces) == text  # the whole text is still shown
    line = ner.summary_line(entities, len(text))
    assert "5,000" in line and f"{len(text):,}" in line
    assert "5,000" not in ner.summary_line(entities, 100)


def test_whitespace_only_is_refused(load_model):
    with pytest.raises(InputError):
        ner.recognize(load_model("NER"), " \n\u3000")
