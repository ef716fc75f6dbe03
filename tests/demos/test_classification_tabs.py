"""Sentiment and NLI: every label's probability, exactly as the hand-set checkpoints define them."""

import math

import pytest

from demos import nli, sentiment
from demos.common import InputError


def test_sentiment_gives_every_label_with_its_probability(load_model):
    scores = sentiment.SENTIMENT.compute(load_model("SENTIMENT"), "この本はとても読みやすかった。")
    assert list(scores.probabilities) == ["positive", "negative"]  # the model's label order
    assert scores.probabilities["positive"] == pytest.approx(0.75, abs=1e-6)
    assert scores.probabilities["negative"] == pytest.approx(0.25, abs=1e-6)
    assert not scores.truncated


def test_nli_gives_all_three_labels(load_model):
    scores = nli.NLI.compute(load_model("NLI"), "公園で子どもが遊んでいる。", "子どもが外にいる。")
    assert scores.probabilities == pytest.approx({"entailment": 0.6, "contradiction": 0.3, "neutral": 0.1}, abs=1e-6)
    assert math.isclose(sum(scores.probabilities.values()), 1.0, abs_tol=1e-6)


def test_long_input_is_truncated_and_said_so(load_model):
    model = load_model("SENTIMENT")
    long_text = "今日は天気が良いので散歩に行きます。" * 40  # far past the fixture's 64 positions
    scores = sentiment.SENTIMENT.compute(model, long_text)
    assert scores.truncated and scores.limit == 64
    assert sum(scores.probabilities.values()) == pytest.approx(1.0)


def test_long_pair_is_truncated(load_model):
    scores = nli.NLI.compute(load_model("NLI"), "山田さんは東京で働いています。" * 20, "短い仮説。")
    assert scores.truncated


@pytest.mark.parametrize("text", ["", "   ", "\u3000\n\t", "\u200b\ufeff", None])
def test_blank_input_is_refused_with_a_bilingual_message(load_model, text):
    with pytest.raises(InputError, match="入力してください.*Please enter"):
        sentiment.SENTIMENT.compute(load_model("SENTIMENT"), text)


def test_blank_hypothesis_names_the_hypothesis(load_model):
    with pytest.raises(InputError, match="仮説.*hypothesis"):
        nli.NLI.compute(load_model("NLI"), "前提の文。", " ")


def test_lone_surrogates_become_replacement_characters(load_model):
    from demos.common import require_text
    from demos import ner

    assert require_text("東京\ud800大阪") == "東京\ufffd大阪"
    text = "東京\udfff大阪"
    pieces, rows, _ = ner.ner(text)
    assert "".join(piece for piece, _ in pieces) == "東京\ufffd大阪"
    assert [row[3:] for row in rows] == [[0, 2], [3, 5]]
    assert sentiment.SENTIMENT.compute(load_model("SENTIMENT"), "良い\ud800").probabilities


def test_text_after_a_nul_still_counts(load_model):
    from demos import ner, word2vec
    from demos.common import require_text

    assert require_text("abc\x00東京") == "abc\ufffd東京"
    _, rows, _ = ner.ner("abc\x00東京")
    assert [row[0] for row in rows] == ["東京"] and rows[0][3:] == [4, 6]
    text, _ = word2vec._corpus_text("犬\x00猫が走る。", None)
    assert text == "犬\ufffd猫が走る。"
