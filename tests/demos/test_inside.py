"""Look inside (demos/inside.py): the steps read the pass behind the tab's answer; anatomy counts every parameter."""

import pytest

from demos import generation, inside, sentiment, similarity
from demos.common import InputError


@pytest.fixture
def models(load_model, monkeypatch):
    monkeypatch.delenv("JNLP_RESULT_CACHE", raising=False)
    return load_model


@pytest.mark.parametrize("text", ["この本はとても読みやすかった。", "ＡＢＣ　は 良い😀本です。", "東京\u3000大阪 ﾃｽﾄ"])
def test_steps_give_the_tabs_probabilities_and_spans_that_slice_the_typed_text(models, text):
    found = inside.steps("sentiment", text)
    label, _ = sentiment.sentiment(text)
    assert found["probabilities"] == pytest.approx(label, abs=1e-6)
    assert found["tokens"][0] == "[CLS]" and found["tokens"][-1] == "[SEP]"
    assert found["spans"][0] is None and found["spans"][-1] is None
    covered = [(start, end) for start, end in filter(None, found["spans"])]
    assert covered == sorted(covered) and all(a[1] <= b[0] for a, b in zip(covered, covered[1:]))
    assert "".join(text[start:end] for start, end in covered) == "".join(text.split()).replace("\u3000", "")


def test_steps_of_the_other_tasks_match_their_tabs(models):
    found = inside.steps("sts", "今日は", "明日は")
    assert found["score"] == pytest.approx(similarity.sts("今日は", "明日は")[0], abs=1e-4)
    found = inside.steps("simcse", "今日は天気が良い。", "この映画はつまらなかった。")
    assert found["cosine"] == pytest.approx(similarity.simcse("今日は天気が良い。", "この映画はつまらなかった。")[0],
                                            abs=1e-4)
    found = inside.steps("ner", "田中さんは東京で働いている。")
    tagged = dict(zip(found["tokens"], found["tags"]))
    assert tagged["東京"].startswith("B-") and tagged["[CLS]"] == "O"
    label, _ = generation.next_token("今日は", "GENERATION", 5)
    found = inside.steps("next_token", "今日は")
    assert [item["probability"] for item in found["top"]] == pytest.approx(list(label.values()), abs=1e-6)
    found = inside.steps("fill_mask", "今日は[MASK]に行きます。")
    assert found["tokens"][found["masks"][0]["position"]] == "[MASK]"


def test_steps_read_the_answers_pass_instead_of_running_the_model_again(models, count_forward):
    calls = count_forward("nli")
    from demos import nli

    nli.nli("公園で遊ぶ。", "外にいる。")
    found = inside.steps("nli", "公園で遊ぶ。", "外にいる。")
    assert len(calls) == 1 and sum(found["probabilities"].values()) == pytest.approx(1.0)


@pytest.mark.parametrize("task", sorted(inside.TASKS))
def test_anatomy_adds_up_to_every_parameter_and_says_which_parts_are_fine_tuned(models, task):
    found = inside.anatomy(task)
    key = inside.TASKS[task].model_key or "GENERATION"
    model = models(key).runner.model
    # The checkpoint's own count, read afresh (the app's copy may have its dense layers packed for oneDNN).
    fresh = type(model).from_pretrained(model.name_or_path)
    assert found["total"] == sum(p.numel() for p in fresh.parameters())
    assert sum(part["parameters"] for part in found["parts"]) == found["total"]
    heads = [part for part in found["parts"] if part["name"] == "head"]
    if task in ("sentiment", "nli", "sts", "ner"):  # a fine-tuned head, small beside the body
        assert heads and not heads[0]["pretrained"] and heads[0]["parameters"] < found["total"] / 10
    assert all(part["pretrained"] for part in found["parts"] if part["name"] != "head")


def test_bad_requests_are_refused_in_both_languages(models):
    with pytest.raises(InputError, match="task"):
        inside.steps("translate", "今日は")
    with pytest.raises(InputError, match="Please enter"):
        inside.steps("sentiment", " ")


def test_steps_name_the_words_and_the_shape_of_each_stage(models):
    found = inside.steps("sentiment", "ＡＢＣは良い本です。")
    assert found["words"] == [["ＡＢＣ", "は", "良い", "本", "です", "。"]]
    model = found["model"]
    config = models("SENTIMENT").runner.model.config
    assert (model["class"], model["layers"], model["hidden_size"]) == (
        "BertForSequenceClassification", config.num_hidden_layers, config.hidden_size)
    tokens = len(found["ids"])
    assert model["shapes"][0] == ["ids", [1, tokens]] and model["shapes"][-1] == ["output", [1, config.num_labels]]
    assert len(model["shapes"]) == config.num_hidden_layers + 3  # ids, embeddings, each layer, the head's output
    masked = inside.steps("fill_mask", "今日は[MASK]に行く。")
    assert "[MASK]" in masked["words"][0]  # the mask stays one word, as the tokenizer keeps it
    assert "words" not in inside.steps("next_token", "今日は")  # GPT-2's SentencePiece reads no MeCab words


def test_a_pasted_article_is_shown_by_its_beginning_in_the_steps(models):
    text = "今日は天気が良いので散歩に行きます。" * 2000
    shown = inside.steps_text(inside.steps("sentiment", text))
    assert f"{len(text):,} characters in all" in shown and len(shown) < 20_000


def test_a_pasted_article_gets_the_spans_of_the_tokens_the_model_read(models):
    text = "ＡＢＣの本は　とても読みやすかった😀。" * 2000
    found = inside.steps("sentiment", text)
    covered = [span for span in found["spans"] if span is not None]
    assert len(covered) == len(found["tokens"]) - 2  # every token the model read, [CLS] and [SEP] aside
    assert covered[0][0] == 0 and all(a[1] <= b[0] for a, b in zip(covered, covered[1:]))
    read = text[:covered[-1][1]]
    assert "".join(text[start:end] for start, end in covered) == read.replace("\u3000", "")
