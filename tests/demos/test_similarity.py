import numpy as np
import pytest
import torch

from demos import similarity


def test_sts_score_is_the_raw_regression_output(load_model):
    result = similarity.STS.compute(load_model("STS"), "犬と走った。", "犬を連れて走った。")
    # The checkpoint's output is 3.7 for any pair; a sigmoid would give 0.976.
    assert result.value == pytest.approx(3.7, abs=1e-5)
    assert not result.truncated


def test_sts_score_is_not_squashed_above_one(load_model):
    # Guard against a sigmoid or softmax creeping back in: the score lives on 0–5.
    assert similarity.STS.compute(load_model("STS"), "今日は", "明日は").value > 1.0


def test_identical_sentences_have_cosine_one(load_model):
    result = similarity.SIMCSE.compute(load_model("SIMCSE"), "今日は天気が良い。", "今日は天気が良い。")
    assert result.value == pytest.approx(1.0, abs=1e-6)


def test_simcse_is_the_cosine_of_the_cls_vectors(load_model, checkpoint_dir):
    from transformers import AutoModel, AutoTokenizer

    text1, text2 = "山田さんは東京で働いています。", "この映画はつまらなかった。"
    value = similarity.SIMCSE.compute(load_model("SIMCSE"), text1, text2).value

    tokenizer = AutoTokenizer.from_pretrained(checkpoint_dir["SIMCSE"])
    model = AutoModel.from_pretrained(checkpoint_dir["SIMCSE"]).eval()
    with torch.no_grad():
        cls = [model(**tokenizer(t, return_tensors="pt")).last_hidden_state[0, 0] for t in (text1, text2)]
    expected = torch.nn.functional.cosine_similarity(cls[0], cls[1], dim=0).item()
    assert value == pytest.approx(expected, abs=1e-5)
    assert value < 0.999  # different sentences really differ in this checkpoint


def test_cosine_of_a_zero_vector_is_zero_not_nan():
    assert similarity.cosine(np.zeros(3), np.ones(3)) == 0.0
    assert similarity.cosine(np.array([1.0, 0.0]), np.array([0.0, 2.0])) == 0.0
    assert similarity.cosine(np.array([1.0, 1.0]), np.array([2.0, 2.0])) == pytest.approx(1.0)


def test_long_sentences_are_truncated_not_an_error(load_model):
    long_text = "今日は天気が良いので散歩に行きます。" * 30
    assert similarity.STS.compute(load_model("STS"), long_text, "短い文。").truncated
    result = similarity.SIMCSE.compute(load_model("SIMCSE"), long_text, "短い文。")
    assert result.truncated and -1.0 <= result.value <= 1.0
