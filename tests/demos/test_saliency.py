"""Saliency (demos/saliency.py): on a classifier that reads one word only, that word gets the top
attribution, Integrated Gradients' scores add up to the change they explain, and removing the top
word moves the answer far more than removing a word scored near zero."""

import pytest

from demos import saliency
from demos.common import InputError, markdown_literal
from fixtures.text import SENTIMENT_LABELS
from fixtures.tiny import build_keyword_classifier
from models.attributions import GRADIENT_X_INPUT, INTEGRATED_GRADIENTS

KEYWORD = "最高"


@pytest.fixture(scope="module")
def keyword_model(tmp_path_factory):
    return build_keyword_classifier(tmp_path_factory.mktemp("keyword"), SENTIMENT_LABELS, KEYWORD)


@pytest.fixture
def models(load_model, monkeypatch, keyword_model):
    monkeypatch.delenv("JNLP_RESULT_CACHE", raising=False)
    monkeypatch.setenv("JNLP_MODEL_SENTIMENT", str(keyword_model))
    return load_model


@pytest.mark.parametrize("method", [INTEGRATED_GRADIENTS, GRADIENT_X_INPUT])
@pytest.mark.parametrize("text", ["この映画は最高だった。", "今日は東京の料理が最高だったので、山田さんと話した。"])
def test_the_one_word_the_model_reads_gets_the_top_attribution(models, method, text):
    found = saliency.saliency("sentiment", text, method=method)
    assert found["target"] == "positive" and found["explained"] == "label"
    top = max(found["words"], key=lambda word: word["score"])
    assert top["word"] == KEYWORD and text[top["start"]:top["end"]] == KEYWORD
    tokens = [token for token in found["tokens"] if token["start"] is not None]
    assert max(tokens, key=lambda token: token["score"])["token"] == KEYWORD
    assert sum(word["score"] for word in found["words"]) == pytest.approx(
        sum(token["score"] for token in tokens), abs=1e-9)


def test_integrated_gradients_add_up_to_the_change_from_the_baseline(models):
    found = saliency.saliency("sentiment", "この映画は最高だった。", steps=64)
    assert found["baseline_token"] == "[PAD]"
    assert f"語を {markdown_literal('[PAD]')} に置換" in saliency.saliency_text(found)
    total = sum(token["score"] for token in found["tokens"])
    assert total == pytest.approx(found["value"] - found["baseline_value"] + found["delta"], abs=1e-6)
    assert abs(found["delta"]) < 0.05 * abs(found["value"] - found["baseline_value"])


def test_removing_the_top_word_moves_the_answer_more_than_removing_a_low_one(models):
    found = saliency.saliency("sentiment", "この映画は最高だった。")
    check = found["faithfulness"]
    assert check["top"]["word"] == KEYWORD and check["top"]["after"] < 0.5 < check["before"]
    assert abs(check["low"]["change"]) < 0.1 * abs(check["top"]["change"])


def test_a_label_the_student_picks_is_explained_and_an_unknown_one_is_refused(models):
    found = saliency.saliency("sentiment", "この映画は最高だった。", target="negative")
    assert found["target"] == "negative"
    assert min(found["words"], key=lambda word: word["score"])["word"] == KEYWORD
    with pytest.raises(InputError, match="positive, negative"):
        saliency.saliency("sentiment", "この映画は最高だった。", target="joy")
    with pytest.raises(InputError, match="sentiment, nli, sts, next_token"):
        saliency.saliency("ner", "この映画は最高だった。")


def test_pairs_name_their_segment_and_spans_slice_each_text(models):
    first, second = "公園で　ＡＢＣ を遊ぶ。", "外にいる😀。"
    found = saliency.saliency("nli", first, second, method=GRADIENT_X_INPUT)
    texts = [first, second]
    for token in found["tokens"]:
        if token["start"] is not None:
            assert texts[token["segment"]][token["start"]:token["end"]]
    assert {word["segment"] for word in found["words"]} == {0, 1}
    assert all(texts[w["segment"]][w["start"]:w["end"]] == w["word"] for w in found["words"])


def test_sts_explains_the_raw_value_and_next_token_a_token(models):
    found = saliency.saliency("sts", "今日は晴れ", "明日は雨")
    assert found["target"] == "score" and found["explained"] == "value" and found["faithfulness"]["top"]
    found = saliency.saliency("next_token", "今日は天気が良いので", method=GRADIENT_X_INPUT)
    assert found["explained"] == "next_token" and 0 < found["value"] <= 1
    assert all(token["segment"] == 0 for token in found["tokens"])
    # GPT-2's baseline is its own padding token, named as its tokenizer writes it.
    found = saliency.saliency("next_token", "今日は天気が良いので", steps=4)
    blank = models("GENERATION").tokenizer.pad_token
    assert found["baseline_token"] == blank and f"replaced by {markdown_literal(blank)}" in saliency.saliency_text(found)
    with pytest.raises(InputError, match="1"):
        saliency.saliency("next_token", "今日は", target="今日は天気が良いので散歩")


def test_the_coloured_text_escapes_what_was_typed_and_prints_every_score(models):
    text = "<b>最高</b>だった"
    found = saliency.saliency("sentiment", text, method=GRADIENT_X_INPUT)
    page = saliency.coloured_text(found)
    assert "<b>" not in page and page.count("&lt;") == 2 and page.count("&gt;") == 2
    assert page.count("<rt>") == len(found["words"])
    assert KEYWORD in saliency.saliency_text(found)


def test_a_long_prompt_is_shown_from_near_the_words_the_model_read(models):
    # GPT-2 reads a long prompt's last tokens: the unread start is cut to its last stretch, as the unread end is.
    from demos import inside

    prompt = "今日は天気が良いので東京を散歩した。" * 400
    found = saliency.saliency("next_token", prompt, method=GRADIENT_X_INPUT, check=False)
    assert found["words"][0]["start"] > inside.SHOWN_CHARS
    page = saliency.coloured_text(found)
    before = page[page.index(">") + 1:page.index("<ruby")]
    assert before.startswith("…") and len(before) == inside.SHOWN_CHARS + 1
    assert prompt[found["words"][0]["start"] - inside.SHOWN_CHARS:found["words"][0]["start"]] == before[1:]


def test_the_section_shows_gradient_x_input_first_while_integrated_gradients_runs(models):
    from demos import inside

    shown = list(inside._saliency("sentiment", INTEGRATED_GRADIENTS, 8, "", "この映画は最高だった。"))
    assert len(shown) == 2 and saliency.PREVIEW in shown[0][1] and saliency.PREVIEW not in shown[1][1]
    assert "δ" in shown[1][1] and "δ" not in shown[0][1]  # only Integrated Gradients has an error to report
    assert len(list(inside._saliency("sentiment", GRADIENT_X_INPUT, 8, "", "この映画は最高だった。"))) == 1
