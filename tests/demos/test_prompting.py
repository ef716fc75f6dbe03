"""Prompting as a classifier (demos/prompting.py) on a GPT-2 whose next-token distribution is known by
construction: the label words' probabilities are the products of their tokens' probabilities."""

import math

import pytest

from demos import prompting
from demos.common import InputError
from fixtures.tiny import build_fixed_gpt2


@pytest.fixture(scope="module")
def fixed(tmp_path_factory):
    return build_fixed_gpt2(tmp_path_factory.mktemp("fixed_gpt2"))


@pytest.fixture
def model(load_model, monkeypatch, fixed):
    monkeypatch.delenv("JNLP_RESULT_CACHE", raising=False)
    monkeypatch.setenv("JNLP_MODEL_GENERATION_SMALL", str(fixed[0]))
    return load_model("GENERATION_SMALL")


@pytest.mark.parametrize("template, words", [("", "ポジティブ,ネガティブ"), (prompting.FEW_SHOT, "良い、悪い、ポジティブ"),
                                             ("感想 {text} ってことで結論は", "ネガティブ，良い")])
def test_label_probabilities_are_the_products_of_their_tokens_probabilities(model, fixed, template, words):
    _, logprobs = fixed
    review = "この本はとても読みやすかった。"
    found = prompting.prompt_classify(review, template, words)
    expected = {}
    for label in found["labels"]:
        assert label["tokens"] == model.tokenizer.convert_ids_to_tokens(label["token_ids"])
        expected[label["word"]] = sum(logprobs[token] for token in label["token_ids"])
        assert label["logprob"] == pytest.approx(expected[label["word"]], abs=1e-5)
    assert [label["word"] for label in found["labels"]] == prompting.label_words_of(words)
    assert any(len(label["token_ids"]) > 1 for label in found["labels"])  # a label word of several tokens
    total = sum(math.exp(value) for value in expected.values())
    for label in found["labels"]:
        assert label["probability"] == pytest.approx(math.exp(expected[label["word"]]) / total, abs=1e-6)
    assert found["prompt"] == prompting.fill(prompting.template_of(template), review)


def test_the_filled_prompt_is_read_without_special_tokens(model):
    found = prompting.prompt_classify("良い本です。", "", "ポジティブ,ネガティブ")
    ids = model.tokenizer(found["prompt"], add_special_tokens=False)["input_ids"]
    assert found["prompt_tokens"] == model.tokenizer.convert_ids_to_tokens(ids)
    assert model.tokenizer.eos_token not in found["prompt_tokens"]
    assert found["prompt"].startswith("レビュー：良い本です。\n感情：")


@pytest.mark.parametrize("template, words, message", [
    ("レビュー：感情：", "ポジティブ,ネガティブ", "{text}"),
    ("", "ポジティブ", "at least two"),
    ("", " , 、", "at least two"),
    ("", ",".join(f"語{i}" for i in range(11)), "At most 10 label words"),
    ("{text}" + "あ" * 5000, "ポジティブ,ネガティブ", "too long"),
])
def test_a_template_without_its_slot_or_too_few_label_words_is_refused(model, template, words, message):
    with pytest.raises(InputError, match=message):
        prompting.classify_by_prompt(model, "良い本です。", template, words)


def test_the_experiment_scores_both_ways_over_the_shown_reviews(load_model, model, monkeypatch):
    found = prompting.experiment("", "ポジティブ,ネガティブ", "GENERATION_SMALL")
    rows = found["rows"]
    assert [row["review"] for row in rows] == [review for review, _ in prompting.EXPERIMENT]
    assert sum(row["truth"] == "positive" for row in rows) == len(rows) // 2  # balanced
    assert not any(review in prompting.FEW_SHOT for review, _ in prompting.EXPERIMENT)  # never its own example
    for way in ("fine_tuned", "prompted"):
        right = sum(row[way] == row["truth"] for row in rows)
        assert found[way]["accuracy"] == right / len(rows)
        confusion = found[way]["confusion"]
        assert sum(confusion[t][g] for t in prompting.LABELS for g in prompting.LABELS) == len(rows)
        assert confusion["positive"]["positive"] + confusion["negative"]["negative"] == right
    # the fixed GPT-2 gives every review the same answer: the label word with more probability, always
    assert len({row["prompted"] for row in rows}) == 1 and found["prompted"]["accuracy"] == 0.5
    table = prompting.experiment_rows(found)
    assert all(cell.endswith(("✓", "✗")) for row in table for cell in row[2:])


def test_both_ways_side_by_side_says_what_was_trained(model):
    label, trained, prompted, details = prompting.both_ways("良い本です。", "", "ポジティブ,ネガティブ", "GENERATION_SMALL")
    assert set(label) == {"positive", "negative"} and sum(prompted.values()) == pytest.approx(1.0)
    assert "なし（事前学習のまま）" in trained and "head" in trained
    assert "ln P" in details and "ポジティブ" in details
