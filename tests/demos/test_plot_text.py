"""The text alternative of every figure (demos/plot_text.py): its sentence and table say what it draws."""

import json

import numpy as np

from demos import common, inside, plot_text, skipgram, word2vec


def _text(figure) -> dict:
    """What the page writes under a gr.Plot value: the figure's layout.meta."""
    return json.loads(figure.plot)["layout"]["meta"][plot_text.META_KEY]


def test_the_anatomy_bars_are_listed_with_their_counts_and_the_extremes_named():
    parts = [{"name": "embeddings", "parameters": 24_000_000, "pretrained": True},
             {"name": "layer 1", "parameters": 7_087_872, "pretrained": True},
             {"name": "classifier", "parameters": 1_538, "pretrained": False}]
    text = _text(inside.anatomy_figure({"parts": parts}))
    assert text["rows"] == [["embeddings", "24,000,000"], ["layer 1", "7,087,872"], ["classifier", "1,538"]]
    assert "embeddings = 24,000,000" in text["summary"]["en"] and "classifier = 1,538" in text["summary"]["en"]
    assert text["summary"]["ja"].startswith("パラメータ数: 棒グラフ（3 本）")
    assert text["summary"]["en"].startswith("parameters: bar chart of 3 bars")


def test_a_heatmap_gives_every_row_with_its_label_and_where_the_largest_and_smallest_values_are():
    matrix = np.array([[0.5, -0.25], [1.5, 0.0], [0.125, 0.75]])
    text = _text(skipgram.matrix_figure(matrix, ["犬", "猫", "<b>"], "X"))
    assert text["header"] == ["", "1", "2"]
    assert text["rows"] == [["0:犬", "0.5", "-0.25"], ["1:猫", "1.5", "0"], ["2:<b>", "0.125", "0.75"]]  # unescaped
    assert "1.5（1:猫 → 1）" in text["summary"]["ja"] and "smallest -0.25 (0:犬 → 2)" in text["summary"]["en"]


def test_a_line_chart_says_where_each_series_starts_and_ends():
    text = _text(word2vec.loss_figure([268_012.5, 1.75, 1.25]))
    assert [row[1:] for row in text["rows"]] == [["1", "268,012"], ["2", "1.75"], ["3", "1.25"]]
    axis = plot_text.plain(word2vec.LOSS_AXIS_TITLES[1])
    assert f"{axis} from 268,012 (x = 1) to 1.25 (x = 3)" in text["summary"]["en"]  # named by its axis


def test_a_scatter_lists_each_named_point_with_its_group_and_skips_legend_only_traces():
    traces = [{"type": "scatter", "mode": "markers+text", "name": "東京", "x": [0.25, 0.5], "y": [1.0, -1.0],
               "text": ["<b>東京</b>", "大阪&amp;京都"]},
              {"type": "scatter", "mode": "markers", "name": "far", "x": [None], "y": [None]}]
    text = plot_text.describe(traces, {"title": {"text": "単語の地図 / word map"}})
    assert text["rows"] == [["東京", "東京", "0.25", "1"], ["東京", "大阪&京都", "0.5", "-1"]]
    assert text["summary"]["en"].startswith("word map: scatter plot of 2 points in 1 group;")
    assert text["summary"]["ja"].startswith("単語の地図: 散布図（2 点、1 グループ）")


def test_a_long_table_is_cut_and_says_how_many_rows_it_leaves_out():
    rows = plot_text.MOST_ROWS + 7
    text = plot_text.describe([{"type": "heatmap", "z": [[float(i)] * 50 for i in range(rows)]}], {})
    assert len(text["rows"]) == plot_text.MOST_ROWS and text["more_rows"] == 7
    assert len(text["rows"][0]) == 1 + plot_text.MOST_COLUMNS and text["header"][-1] == "… +10"
    assert f"largest {rows - 1}" in text["summary"]["en"]


def test_every_figure_the_app_makes_carries_its_text_alternative():
    figure = common.plotly_plot([{"type": "bar", "x": ["a"], "y": [1]}], {"title": {"text": "題 / title"}})
    layout = json.loads(figure.plot)["layout"]
    assert layout["meta"][plot_text.META_KEY]["summary"]["en"].startswith("title: bar chart of 1 bars")
    assert layout["title"]["text"] == "題<br>title"  # the drawn title is still on two lines
