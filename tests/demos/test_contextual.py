"""Contextual embeddings and fill-mask, on a tiny BERT whose fill-mask head is set by hand."""

import numpy as np
import pytest

from demos import contextual
from demos.common import InputError
from fixtures.tiny import MASK_FILLERS
from tests.plots import figure_of


@pytest.fixture
def model(load_model):
    return load_model("CONTEXTUAL")


def _check_matrix(result):
    matrix = np.array(result.matrix)
    assert matrix.shape == (len(result.labels), len(result.labels))
    assert np.allclose(matrix, matrix.T, atol=1e-6)
    assert np.allclose(np.diag(matrix), 1.0, atol=1e-6)
    assert (matrix <= 1.0 + 1e-9).all() and (matrix >= -1.0 - 1e-9).all()
    return matrix


def test_one_row_per_occurrence_across_widths_and_repeats(model):
    result = contextual.contextual_vectors(model, "ＡＢＣと東京\nABCとABCで働いています。\n\n私はABCへ行きます。", "ABC")
    _check_matrix(result)
    assert result.labels == ["1: [ＡＢＣ]と東京", "2-1: [ABC]とABCで働いて…", "2-2: ABCと[ABC]で働いています。",
                             "3: 私は[ABC]へ行きます。"]
    assert result.sentences == [1, 2, 2, 3]
    assert result.layer == result.layers == 2  # omitted: the last layer
    assert len(result.points) == 4
    # Different contexts give different vectors (unlike word2vec).
    assert not np.allclose(np.array(result.matrix), 1.0)


def test_a_full_width_query_finds_half_width_text(model):
    result = contextual.contextual_vectors(model, "ABCと東京\nＡＢＣで", "ＡＢＣ")
    assert [label.split(":")[0] for label in result.labels] == ["1", "2"]


def test_a_word_split_into_subwords_is_one_occurrence(model):
    tokens = model.tokenizer.tokenize("テレビを見た。")
    assert tokens[:3] == ["テ", "##レ", "##ビ"]  # the checkpoint's vocabulary splits it
    found = contextual.find_occurrences(model.tokenizer, "テレビを見た。", 1, "テレビ",
                                        contextual.align_tokens(model.tokenizer, "テレビを見た。"))
    assert len(found) == 1 and found[0].token_indices == (0, 1, 2)
    result = contextual.contextual_vectors(model, "テレビを見た。\n新しいテレビが好き。", "テレビ", 1)
    _check_matrix(result)
    assert len(result.labels) == 2 and result.layer == 1


def test_layer_zero_and_layers_past_the_last(model):
    assert contextual.contextual_vectors(model, "ABC\nABC", "ABC", 0).layer == 0
    assert contextual.contextual_vectors(model, "ABC\nABC", "ABC", 12).layer == 2


def test_missing_word_names_the_sentences(model):
    with pytest.raises(InputError, match=r"2, 3.*sentences 2, 3"):
        contextual.contextual_vectors(model, "ABCと東京\n大阪です。\n京都です。", "ABC")


def test_too_many_sentences_and_blank_input(model):
    with pytest.raises(InputError, match="12"):
        contextual.contextual_vectors(model, "\n".join(["ABC"] * 13), "ABC")
    with pytest.raises(InputError, match="Please enter"):
        contextual.CONTEXTUAL.compute(model, " \n ", "ABC")
    with pytest.raises(InputError, match="Please enter"):
        contextual.CONTEXTUAL.compute(model, "ABC", " ")
    with pytest.raises(InputError, match="too long"):
        contextual.CONTEXTUAL.compute(model, "ABC", "A" * (contextual.MAX_WORD_CHARS + 1))


def test_outputs_are_escaped_and_read_for_a_student(model):
    result = contextual.contextual_vectors(model, "<b>ABC</b>\n**ABC**", "ABC")
    table = contextual.to_table(result)
    assert len(table["data"]) == len(table["headers"]) - 1 == 2
    figure = figure_of(contextual.heatmap(result))
    hover = [text for row in figure["data"][0]["text"] for text in row]
    assert len(hover) == 4 and all("<b>" not in text for text in hover)
    assert sum("&lt;b&gt;[ABC]&lt;/b&gt;" in text for text in hover) == 3  # every pair but (2, 2)
    assert figure["data"][0]["texttemplate"] == "%{z:.2f}"  # a few occurrences: each cell shows its cosine
    scatter = figure_of(contextual.scatter(result))
    assert all("<b>" not in text for trace in scatter["data"] for text in trace["hovertext"])
    text = contextual.reading(result)
    assert "word2vec" in text and "<b>" not in text and "\\*\\*" in text
    assert "いちばん近い" in text and "farthest" in text


def test_fill_mask_gives_the_known_fillers(model):
    result = contextual.fill_masks(model, "今日は[MASK]に行きます。", 3)
    assert [token for token, _ in result.fillers[0]] == list(MASK_FILLERS)
    assert [p for _, p in result.fillers[0]] == pytest.approx(list(MASK_FILLERS.values()), abs=1e-6)
    assert result.completed == "今日は東京に行きます。"


def test_full_width_marks_and_several_masks(model):
    text = "ＡＢＣは＿へ行って ＊を見た。"
    result = contextual.fill_masks(model, text, 2)
    assert len(result.fillers) == 2 and all(len(row) == 2 for row in result.fillers)
    # Built from the original text (full-width letters and the space kept), not from a decoded one.
    assert result.completed == "ＡＢＣは東京へ行って 東京を見た。"
    rows = contextual.to_rows(result)
    assert [row[0] for row in rows] == ["マスク1 / mask 1"] * 2 + ["マスク2 / mask 2"] * 2
    assert contextual.FILL_HEADERS == ["マスク / mask", "順位 / rank", "候補 / filler", "確率 / probability"]
    assert rows[0][2:] == ["東京", 0.5]


def test_wordpiece_fillers_lose_their_mark():
    assert contextual.filler_text("##ス") == "ス"
    assert contextual.filler_text("東京") == "東京"
    assert contextual.filler_text("##") == "##"


def test_fill_mask_refusals(model):
    with pytest.raises(InputError, match="No mask"):
        contextual.fill_masks(model, "マスクのない文です。")
    with pytest.raises(InputError, match="Too many masks"):
        contextual.fill_masks(model, "＿" * (contextual.MAX_MASKS + 1))
    with pytest.raises(InputError, match="Please enter"):
        contextual.FILL_MASK.compute(model, "  ")


def test_handlers_give_the_gradio_values(model, monkeypatch, model_env):
    label, rows, completed = contextual.fill_mask("今日は＿に行きます。", 2)
    assert label == pytest.approx({"東京": 0.5, "大阪": 0.3}, abs=1e-6)
    assert completed == "今日は東京に行きます。" and len(rows) == 2
    table, heat, scatter, note = contextual.contextual("ABCと東京\nABCで", "ABC")
    assert len(table["data"]) == 2 and "word2vec" in note


def _title(figure: dict) -> str:
    """A figure's title as "日本語 / English" (common.plotly_plot may set the English on a line of its own)."""
    return figure["layout"]["title"]["text"].replace("<br>", " / ")


def test_the_embedding_layer_is_named_in_the_titles_and_one_occurrence_is_singular(model):
    result = contextual.contextual_vectors(model, "ABCと東京", "ABC", 0)
    assert _title(figure_of(contextual.heatmap(result))) == (
        "コサイン類似度・埋め込み層 / cosine similarity, embedding layer")
    assert "1 occurrence of 'ABC'" in contextual.reading(result)
    two = contextual.contextual_vectors(model, "ABCと東京\nABCで", "ABC", 0)
    assert "2 occurrences of 'ABC'" in contextual.reading(two)


def test_a_crowded_heatmap_shows_colours_only(model):
    sentences = "\n".join(["ABCとABCと東京"] * 9)  # 18 occurrences: 18 x 18 cells
    result = contextual.contextual_vectors(model, sentences, "ABC")
    assert len(result.labels) == 18 > contextual.MAX_SIDE_WITH_VALUES
    assert "texttemplate" not in figure_of(contextual.heatmap(result))["data"][0]


def test_the_heatmap_axes_name_occurrences_by_id_and_the_hover_gives_the_excerpts(model):
    result = contextual.contextual_vectors(model, "ABCと東京\nABCとABCで", "ABC")
    trace = figure_of(contextual.heatmap(result))["data"][0]
    assert trace["x"] == trace["y"] == ["1", "2-1", "2-2"]
    # Row 2-1, column 1: the hover names the row's excerpt first, then the column's.
    assert trace["text"][1][0] == f"{result.labels[1]}<br>{result.labels[0]}"
    assert result.labels[1].startswith("2-1: ") and "[ABC]" in result.labels[1]


def test_a_word_found_very_often_is_compared_in_every_sentence_and_the_tab_says_so(model):
    sentences = "\n".join(["ABCとABCとABCとABC"] * 12)  # 48 occurrences, 4 a sentence
    result = contextual.contextual_vectors(model, sentences, "ABC")
    limit = contextual.MAX_OCCURRENCES
    assert limit < 48 and result.found == 48
    assert len(result.labels) == len(result.matrix) == len(result.points) == limit
    # Every sentence's first three, then the fourth of the first sentences while room is left; in reading order.
    ids = [label.split(":")[0] for label in result.labels]
    extra = limit - 36
    assert ids == [f"{sentence}-{k}" for sentence in range(1, 13) for k in range(1, 5 if sentence <= extra else 4)]
    note = contextual.reading(result)
    assert "48" in note and f"{limit} of them are compared" in note
    few = contextual.contextual_vectors(model, "ABCとABC", "ABC")
    assert few.found == 2 and "compared" not in contextual.reading(few)


def _occurrence(sentence: int, k: int) -> contextual.Occurrence:
    return contextual.Occurrence(sentence, k, k + 1, (k,), f"{sentence}-{k}")


@pytest.mark.parametrize("counts, limit, kept", [
    ([3, 1, 5], 10, [3, 1, 5]),  # under the limit: all of them
    ([30, 30], 40, [20, 20]),  # shared evenly
    ([100, 2, 2, 2], 40, [34, 2, 2, 2]),  # the short ones whole, the long one takes the rest
    ([5, 5, 5], 7, [3, 2, 2]),  # the earlier sentences take the remainder
    ([0, 4], 3, [0, 3]),
])
def test_occurrences_are_spread_over_the_sentences(counts, limit, kept):
    found = [[_occurrence(sentence, k) for k in range(count)] for sentence, count in enumerate(counts, start=1)]
    chosen = contextual.spread_over_sentences(found, limit)
    assert [sum(o.sentence == sentence for o in chosen) for sentence in range(1, len(counts) + 1)] == kept
    # Each sentence's first ones, in reading order.
    assert chosen == [o for occurrences, n in zip(found, kept) for o in occurrences[:n]]



def test_the_figures_are_valid_plotly_figures_in_plotlys_own_look(model):
    import plotly.graph_objects as go
    import plotly.io as pio

    result = contextual.contextual_vectors(model, "ABCと東京\nABCとABCで\n私はABCへ", "ABC")
    heatmap, scatter = figure_of(contextual.heatmap(result)), figure_of(contextual.scatter(result))
    plotly_look = pio.templates["plotly"].to_plotly_json()
    for figure in (heatmap, scatter):
        go.Figure(figure)  # Plotly's own validation: raises on any property plotly.js would not know
        # Plotly's default look: its colours for the traces; the page's mode sets only the backgrounds,
        # lines and text (demos/theme.py, through common.plotly_plot).
        template = figure["layout"]["template"]
        assert template["data"] == plotly_look["data"]
        assert template["layout"]["colorway"] == plotly_look["layout"]["colorway"]
    # Red for similar, as Plotly's RdBu reversed: plotly.js would read the bare name "RdBu" the other way.
    expanded = go.Heatmap(colorscale="RdBu").colorscale
    assert [tuple(step) for step in heatmap["data"][0]["colorscale"]] == [tuple(step) for step in expanded]
    assert heatmap["data"][0]["reversescale"] is True
    assert heatmap["data"][0]["z"] == result.matrix
    # Made on the server, like an answer: in both languages, with the layer.
    assert _title(heatmap) == f"コサイン類似度・第 {result.layer} 層 / cosine similarity, layer {result.layer}"
    assert _title(scatter) == f"PCA（2次元）・第 {result.layer} 層 / PCA (2D), layer {result.layer}"
    # One trace per sentence; its points are the PCA coordinates of that sentence's occurrences.
    assert [trace["name"] for trace in scatter["data"]] == [f"文 {n} / sentence {n}" for n in (1, 2, 3)]
    assert [len(trace["x"]) for trace in scatter["data"]] == [1, 2, 1]
    assert [[x, y] for trace in scatter["data"] for x, y in zip(trace["x"], trace["y"])] == [
        list(point) for point in result.points]


@pytest.mark.parametrize("shape", [(2, 8), (4, 768), (12, 768), (3, 2)])
def test_the_pca_gives_scikit_learns_points(shape):
    import numpy as np
    from sklearn.decomposition import PCA

    vectors = np.random.default_rng(sum(shape)).normal(size=shape)
    expected = PCA(n_components=2, svd_solver="full").fit_transform(vectors)
    assert np.allclose(contextual._pca_2d(vectors), expected, atol=1e-9)


def test_identical_vectors_sit_at_the_origin():
    import numpy as np

    assert contextual._pca_2d(np.ones((3, 768))) == [(0.0, 0.0)] * 3
    assert contextual._pca_2d(np.ones((1, 768))) == [(0.0, 0.0)]


def test_lines_with_only_invisible_characters_are_not_sentences():
    assert contextual.split_sentences("犬が走る。\n\u200b\ufeff\n猫が寝る。") == ["犬が走る。", "猫が寝る。"]
