"""Attention (demos/attention_map.py, models/attention.py): rows are softmaxes, GPT-2's causal mask
holds, hiding special tokens and grouping a long text keep rows summing to 1, and the tab's fast
attention kernel is back after the view's pass."""

import numpy as np
import pytest

from demos import attention_map
from demos.common import InputError
from models.attention import blocks, grouped, without


@pytest.fixture
def models(load_model, monkeypatch):
    monkeypatch.delenv("JNLP_RESULT_CACHE", raising=False)
    return load_model


@pytest.mark.parametrize("task, texts", [("sentiment", ("この本は良い。",)), ("nli", ("公園で遊ぶ。", "外にいる。")),
                                         ("ner", ("山田さんは東京へ。",)), ("fill_mask", ("今日は[MASK]です。",)),
                                         ("simcse", ("今日は晴れ。", "明日は雨。")), ("next_token", ("今日は天気が",))])
@pytest.mark.parametrize("head", [-1, 1])
def test_every_row_sums_to_one_over_the_tabs_tokens(models, task, texts, head):
    found = attention_map.attention(task, *texts, head=head)
    weights = np.asarray(found["weights"])
    assert weights.shape == (len(found["tokens"]),) * 2
    assert weights.sum(axis=1) == pytest.approx(np.ones(len(weights)), abs=1e-5)
    assert found["layer"] == found["layers"] and found["head"] == head
    if task == "next_token":
        assert found["causal"] and np.triu(weights, k=1).max() == 0
    else:
        assert not found["causal"] and np.triu(weights, k=1).max() > 0


def test_a_model_without_attention_layers_says_so(models, monkeypatch):
    monkeypatch.setattr(attention_map, "attention_weights", lambda model, ids, separator: np.zeros((0, 0) + (len(ids),) * 2))
    with pytest.raises(InputError, match="no attention layers"):  # an embeddings-only model
        attention_map.attention("ner", "山田さんは東京へ。")


def test_layers_and_heads_differ_and_out_of_range_ones_are_refused(models):
    first = np.asarray(attention_map.attention("sentiment", "この本は良い。", layer=1, head=1)["weights"])
    second = np.asarray(attention_map.attention("sentiment", "この本は良い。", layer=1, head=2)["weights"])
    average = np.asarray(attention_map.attention("sentiment", "この本は良い。", layer=1, head=-1)["weights"])
    assert not np.allclose(first, second) and np.allclose(average, (first + second) / 2, atol=1e-5)
    with pytest.raises(InputError, match="1 to 2"):
        attention_map.attention("sentiment", "この本は良い。", layer=3)
    with pytest.raises(InputError, match="heads are 1 to 2"):
        attention_map.attention("sentiment", "この本は良い。", head=0)


def test_the_tab_keeps_its_fast_kernel_after_the_view(models):
    model = models("SENTIMENT").runner.model
    before = model.config._attn_implementation
    attention_map.attention("sentiment", "この本は良い。")
    assert model.config._attn_implementation == before


def test_hiding_and_grouping_keep_rows_summing_to_one():
    rng = np.random.default_rng(0)
    matrix = rng.random((130, 130))
    matrix /= matrix.sum(axis=1, keepdims=True)
    shown = without(matrix, [0, 129])
    assert shown.shape == (128, 128) and shown.sum(axis=1) == pytest.approx(np.ones(128))
    groups = blocks(130, 64)
    assert len(groups) <= 64 and sum(groups, []) == list(range(130))
    assert grouped(matrix, groups).sum(axis=1) == pytest.approx(np.ones(len(groups)))


def test_the_heatmap_labels_each_position_and_blocks_a_long_text(models, monkeypatch):
    from tests.plots import figure_of

    found = attention_map.attention("sentiment", "この本は良い。")
    trace = figure_of(attention_map.heatmap(found, hide_special=True))["data"][0]
    assert len(trace["x"]) == len(found["tokens"]) - 2 and trace["x"][0].startswith("0:")
    monkeypatch.setattr(attention_map, "MOST_SHOWN", 8)  # the test models read at most 64 tokens
    found = attention_map.attention("sentiment", "今日は東京の料理が良いので、山田さんと話した。")
    assert len(found["tokens"]) > attention_map.MOST_SHOWN
    trace = figure_of(attention_map.heatmap(found))["data"][0]
    assert len(trace["x"]) <= attention_map.MOST_SHOWN
    assert np.asarray(trace["z"]).sum(axis=1) == pytest.approx(np.ones(len(trace["z"])), abs=1e-5)
