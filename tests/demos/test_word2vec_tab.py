import re

import numpy as np
import pytest

from demos import i18n
from demos import word2vec as tab
from tests.plots import figure_of

CORPUS = "\n".join(["犬と猫が庭で遊ぶ。", "猫と犬が部屋で眠る。", "東京と大阪へ行く。", "大阪と東京で働く。"] * 10)
SETTINGS = (None, False, True, 20, 2, 2, 5, 3, 1, "skip-gram", True)  # upload … reproducible, as _explore trains


def _values(corpus_text, *settings, corpus_choice=tab.GENERATED) -> dict:
    """What the endpoints hand their helpers (tab._trained, tab._params): the corpus and the settings by name."""
    return {"corpus_text": corpus_text, **dict(zip([s.name for s in tab.SETTINGS], settings)),
            "corpus_choice": corpus_choice}


def _explore(words, **settings):
    return tab.explore(CORPUS, words, None, False, True, 20, 2, settings.get("min_count", 2), 5,
                       settings.get("epochs", 3), 1, "skip-gram", True, 3, *settings.get("view", ()))


def _points(figure) -> list[dict]:
    """Every point of a scatter figure: its trace (query), text, hover and position."""
    found = []
    for trace in figure["data"]:
        for i, hover in enumerate(trace.get("hovertext", [])):
            position = tuple(trace[axis][i] for axis in "xyz" if axis in trace)
            found.append({"query": trace["name"], "text": trace["text"][i], "hover": hover,
                          "more": trace["customdata"][i], "position": position, "type": trace["type"]})
    return found


def test_explore_gives_neighbours_and_one_point_per_word():
    rows, figure, note = _explore("犬 東京")
    assert {row[0] for row in rows} == {"犬", "東京"}
    assert all(-1.0 <= row[2] <= 1.0 for row in rows)
    points = _points(figure_of(figure))
    words = [point["hover"].split(":")[0] for point in points]
    assert sorted(words) == sorted(set(words))  # one point per word
    assert set(words) == {"犬", "東京"} | {row[1] for row in rows}
    assert {point["type"] for point in points} == {"scatter"}  # 2D unless 3D is asked for
    assert note == ""


def test_3d_is_one_argument_away_and_the_api_keeps_its_inputs_first():
    import inspect

    _, figure, _ = _explore("犬 東京", view=("3D",))
    assert {point["type"] for point in _points(figure_of(figure))} == {"scatter3d"}
    assert all(len(point["position"]) == 3 for point in _points(figure_of(figure)))
    parameters = [p for p in inspect.signature(tab.explore).parameters.values() if p.name != "progress"]
    assert [p.name for p in parameters[:2]] == ["corpus_text", "words"]
    # Inputs added later come last, each with its default: an older call keeps its meaning.
    assert [(p.name, p.default) for p in parameters[-2:]] == [("view", "2D"), ("corpus_choice", "generated")]
    assert tab.DEFAULT_VIEW == "2D"


def test_each_setting_is_declared_once_for_the_api_docs_the_signatures_and_the_sliders():
    import inspect

    import gradio as gr
    from gradio.utils import get_function_description

    from models import word2vec as w2v

    expected = {name: (low, high, getattr(w2v.Params(), name)) for name, (low, high) in w2v.BOUNDS.items()}
    for handler in (tab.train_tab, tab.explore, tab.analogy, tab.export):
        parameters = inspect.signature(handler).parameters
        described = get_function_description(handler)[1]
        for name, (low, high, default) in expected.items():
            assert parameters[name].default == default and f"{low} to {high}, default {default}" in described[name]
        assert list(parameters)[-1] == "progress" and isinstance(parameters["progress"].default, gr.Progress)
    with gr.Blocks() as demo:
        tab.build()
    config = demo.get_config_file()
    components = {c["id"]: c for c in config["components"]}
    for api_name, handler in (("train_word2vec", tab.train_tab), ("word2vec", tab.explore)):
        endpoint = next(d for d in config["dependencies"] if d.get("api_name") == api_name)
        props = {name: components[i]["props"] for name, i in zip(inspect.signature(handler).parameters,
                                                                  endpoint["inputs"])}
        assert {name: (props[name]["minimum"], props[name]["maximum"], props[name]["value"])
                for name in expected} == expected
    # A Python caller's number out of bounds gets the nearest allowed one, as the slider's bounds say.
    rows, _, _ = tab.explore(CORPUS, "犬", *SETTINGS, 10**6)
    assert len(rows) == min(tab.MAX_TOPN, len(tab._trained(_values(CORPUS, *SETTINGS)).vectors) - 1)


# ---------------------------------------------------------------- the scatter: projection and spread

def _keyed(words: list[str], matrix):
    from gensim.models import KeyedVectors

    vectors = KeyedVectors(vector_size=matrix.shape[1])
    vectors.add_vectors(words, np.asarray(matrix, dtype=np.float32))
    return vectors


def _cluster(prefix="w", seed=0, size=10, dims=50):
    """``size`` words whose vectors are a shared centre plus 10 % noise (cosines about 0.99), and one far word
    (about 0.5): the default corpus's 犬 with 猫, 牛, 羊 … and 走っ, engineered."""
    rng = np.random.default_rng(seed)
    centre = rng.normal(size=dims)
    matrix = np.vstack([centre + 0.1 * rng.normal(size=(size, dims)), centre + 1.3 * rng.normal(size=(1, dims))])
    return [f"{prefix}{i}" for i in range(size)] + [f"{prefix}_far"], matrix


def _rows(vectors, queries, topn=10):
    return [[query, other, round(float(score), 4)] for query in queries
            for other, score in vectors.most_similar(query, topn=topn)]


def test_the_projection_is_a_pca_of_the_shown_words_unit_vectors_only():
    from sklearn.decomposition import PCA

    words, matrix = _cluster()
    shown = _keyed(words, matrix)
    rows = _rows(shown, ["w0"])
    # The same words in a vocabulary with 300 more, longer and pointing elsewhere: the picture is the same.
    rng = np.random.default_rng(1)
    others = [f"other{i}" for i in range(300)]
    everything = _keyed(words + others, np.vstack([matrix, 20 * rng.normal(size=(300, matrix.shape[1]))]))
    for dims in (2, 3):
        assert ([p.position for p in tab.scatter_points(shown, rows, dims)]
                == [p.position for p in tab.scatter_points(everything, rows, dims)])
    # And the coordinates are scikit-learn's PCA of the unit vectors (up to each axis's sign).
    order = ["w0", *(row[1] for row in rows)]
    picked = np.array([shown[w] for w in order], dtype=np.float64)
    unit = picked / np.linalg.norm(picked, axis=1, keepdims=True)
    expected = PCA(n_components=3).fit_transform(unit)
    np.testing.assert_allclose(np.abs(tab.projection(picked, 3)), np.abs(expected), atol=1e-6)
    # Length alone moves nothing: a word's vector doubled gives the same coordinates.
    longer = picked.copy()
    longer[3] *= 2
    np.testing.assert_allclose(tab.projection(longer, 2), tab.projection(picked, 2), atol=1e-9)


@pytest.mark.parametrize("dims", [2, 3])
def test_a_tight_cluster_spreads_over_the_plot_and_a_far_word_goes_to_the_edge_marked(dims):
    from sklearn.decomposition import PCA

    words, matrix = _cluster()
    vectors = _keyed(words, matrix)
    rows = _rows(vectors, ["w0"])
    assert min(row[2] for row in rows[:-1]) > 0.97 and rows[-1][1] == "w_far" and rows[-1][2] < 0.7
    points = {p.word: p for p in tab.scatter_points(vectors, rows, dims)}
    cluster = np.array([p.position for word, p in points.items() if word != "w_far"])
    # Threshold: the ten close words cover at least 40 % of every axis of the plot's [0, 1] range ...
    assert (cluster.max(axis=0) - cluster.min(axis=0) >= 0.4).all(), cluster
    # ... where a plain PCA of the same vectors, scaled to its extremes, squeezed them into 5 % of one axis.
    plain = PCA(n_components=dims).fit_transform(matrix)
    plain_span = (plain[:-1].max(axis=0) - plain[:-1].min(axis=0)) / (plain.max(axis=0) - plain.min(axis=0))
    assert plain_span.min() < 0.05
    # No two of them share a spot: at least 1/(2(n - 1)) apart on each axis (n = 11 points).
    for axis in range(dims):
        assert np.diff(np.sort(cluster[:, axis])).min() >= 1 / 20 - 1e-4
    # The far word sits at an edge of the plot, marked: a diamond and a line on hover, and in the legend.
    far = points["w_far"]
    assert far.far and (0.0 in far.position or 1.0 in far.position)
    assert not any(p.far for word, p in points.items() if word != "w_far")
    figure = figure_of(tab.scatter(vectors, rows, "3D" if dims == 3 else "2D"))
    trace = figure["data"][0]
    index = trace["hovertext"].index(next(h for h in trace["hovertext"] if h.startswith("w_far:")))
    assert trace["marker"]["symbol"][index] == "diamond" and "far out" in trace["customdata"][index]
    assert [t["name"] for t in figure["data"]] == ["w0", tab.FAR_LEGEND]


def test_spread_axis_keeps_the_order_and_clamps_a_far_value():
    values = np.array([0.03, 0.0, 0.01, 0.02, 5.0, 0.04])
    positions, far = tab.spread_axis(values)
    assert list(np.argsort(positions)) == list(np.argsort(values))  # PCA's order kept
    assert far.tolist() == [False, False, False, False, True, False] and positions[4] == 1.0
    assert positions[:4].max() - positions[:4].min() > 0.4  # the close five are not squashed by the far one
    same, none_far = tab.spread_axis(np.zeros(4))  # nothing to spread: the middle
    assert same.tolist() == [0.5] * 4 and not none_far.any()


# ---------------------------------------------------------------- labels, cosines, the figure

def _two_clusters():
    first, first_matrix = _cluster("a", seed=2)
    second, second_matrix = _cluster("b", seed=3)
    return _keyed(first + second, np.vstack([first_matrix, second_matrix]))


def test_labels_are_the_queries_and_their_closest_words_placed_apart():
    vectors = _two_clusters()
    rows = _rows(vectors, ["a0", "b0"])
    closest = {query: [row[1] for row in rows if row[0] == query] for query in ("a0", "b0")}
    # 3D (drawn on the canvas, turned by the user): the queries and each one's closest word, nothing else.
    points3d = tab.scatter_points(vectors, rows, 3)
    assert {p.word for p in points3d if p.label} == {"a0", "b0", closest["a0"][0], closest["b0"][0]}
    # 2D: the queries always; of the neighbours only each query's three closest, where their labels fit.
    points = tab.place_labels(tab.scatter_points(vectors, rows, 2))
    labelled = {p.word for p in points if p.label}
    assert {"a0", "b0"} <= labelled <= {"a0", "b0", *closest["a0"][:3], *closest["b0"][:3]}
    assert all(set(closest[query][:3]) & labelled for query in closest)  # and at least one of them each
    # On a phone's axes no two labels overlap, none covers a labelled point, none runs off the plot.
    boxes = tab.label_boxes(points)
    pixels = tab._pixels(tab.PHONE_AXES_PX)
    width, height = tab.PHONE_AXES_PX
    left, bottom, right, top = tab.LABEL_OVERHANG
    for word, box in boxes.items():
        assert box[0] >= -left and box[1] >= -bottom and box[2] <= width + right and box[3] <= height + top
        for other, other_box in boxes.items():
            assert other == word or not tab._overlap(box, other_box), (word, other)
        for point in points:
            if point.label and point.word != word:
                assert not tab._overlap(box, tab._marker_box(point, pixels)), (word, point.word)
    # Everyone else is named on hover.
    hovered = {p["hover"].split(":")[0] for p in _points(figure_of(tab.scatter(vectors, rows)))}
    assert hovered == {"a0", "b0", *closest["a0"], *closest["b0"]}


def test_each_point_shows_the_cosine_gensim_gives_as_the_table_does():
    rows, figure, _ = _explore("犬 東京")
    vectors = tab._trained(_values(CORPUS, *SETTINGS)).vectors
    expected = {(query, word): score for query in ("犬", "東京") for word, score in vectors.most_similar(query, topn=3)}
    assert {(row[0], row[1]): row[2] for row in rows} == {key: round(s, 4) for key, s in expected.items()}
    for view in tab.VIEWS:
        figure = figure_of(tab.scatter(vectors, rows, view))
        for point in _points(figure):
            word = point["hover"].split(":")[0]
            if word == point["query"]:
                assert point["hover"] == f"{word}: クエリ / query"
                continue
            score = expected[(point["query"], word)]
            assert point["hover"] == f"{word}: cos {score:.4f}"  # the table's four decimals
            assert point["more"].startswith(f"<br>{point['query']} とのコサイン類似度 / cosine similarity to ")
            if point["text"]:  # a labelled point: e.g. 猫 0.996
                assert point["text"] == f"{word} {score:.3f}"


@pytest.mark.parametrize("view", ["2D", "3D"])
def test_both_views_are_valid_plotly_figures(view):
    import plotly.graph_objects as go

    vectors = _two_clusters()
    figure = figure_of(tab.scatter(vectors, _rows(vectors, ["a0", "b0"]), view))
    go.Figure(figure)  # plotly validates every property: an unknown or ill-typed one raises
    kind = {"2D": "scatter", "3D": "scatter3d"}[view]
    assert {trace["type"] for trace in figure["data"]} == {kind}
    for trace in figure["data"][:2]:
        axes = "xyz" if view == "3D" else "xy"
        lengths = {len(trace[key]) for key in [*axes, "text", "hovertext", "customdata"]}
        assert len(lengths) == 1 and all(0 <= v <= 1 for axis in axes for v in trace[axis])
    ranges = ([figure["layout"]["scene"][f"{a}axis"]["range"] for a in "xyz"] if view == "3D"
              else [figure["layout"][f"{a}axis"]["range"] for a in "xy"])
    assert all(low < 0 and high > 1 for low, high in ranges)  # every point inside, markers whole


def test_labels_are_escaped_in_2d_and_plain_on_the_3d_canvas():
    evil = "<img src=x onerror=alert(1)>"
    vectors = _keyed(["犬", evil, "猫"], np.random.default_rng(0).normal(size=(3, 4)))
    rows = [["犬", evil, 0.9], ["犬", "猫", 0.5]]
    flat = [t for trace in figure_of(tab.scatter(vectors, rows, "2D"))["data"] for t in trace["text"]]
    assert "&lt;img src=x onerror=alert(1)&gt; 0.900" in flat and not any("<img" in t for t in flat)
    solid = [t for trace in figure_of(tab.scatter(vectors, rows, "3D"))["data"] for t in trace["text"]]
    assert f"{evil} 0.900" in solid


# ---------------------------------------------------------------- one language at a time

JAPANESE = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]")


def _bilingual(text: str) -> bool:
    """Japanese, then English: "ja / en", or on two lines ("ja<br>en": common.plotly_plot splits titles)."""
    separator = " / " if " / " in text else "<br>"
    japanese, _, english = text.partition(separator)
    return bool(JAPANESE.search(japanese)) and bool(re.search(r"[A-Za-z]{2}", english))


def _fixed_texts(figure) -> list[str]:
    """Every title, subtitle, axis title and legend title of a figure."""
    layout = figure["layout"]
    texts = [layout["title"]["text"]]
    if "subtitle" in layout["title"]:
        texts.append(layout["title"]["subtitle"]["text"])
    axes = [layout[k] for k in ("xaxis", "yaxis") if k in layout]
    axes += [layout["scene"][f"{a}axis"] for a in "xyz" if "scene" in layout]
    texts += [axis["title"]["text"] for axis in axes]
    if "legend" in layout:
        texts.append(layout["legend"]["title"]["text"])
    return texts


@pytest.mark.parametrize("view", ["2D", "3D", "loss"])
def test_every_title_axis_and_legend_text_is_in_both_languages(view):
    vectors = _two_clusters()
    rows = _rows(vectors, ["a0", "b0"])
    figure = figure_of(tab.loss_figure([3.0, 2.0]) if view == "loss" else tab.scatter(vectors, rows, view))
    texts = _fixed_texts(figure)
    assert len(texts) >= (3 if view == "loss" else 5)
    assert all(_bilingual(text) for text in texts), texts
    if view != "loss":
        assert _bilingual(tab.FAR_LEGEND) and all(_bilingual(h) for h in tab.TABLE_HEADERS)
        # The hover's own words: each line after the word's is bilingual.
        for trace in figure["data"][:2]:
            for more in trace["customdata"]:
                assert all(_bilingual(line) for line in more.split("<br>")[1:]), more


def test_the_toolbar_leaves_the_titles_alone():
    vectors = _two_clusters()
    rows = _rows(vectors, ["a0", "b0"])
    for figure in (tab.scatter(vectors, rows, "2D"), tab.scatter(vectors, rows, "3D"), tab.loss_figure([1.0])):
        layout = figure_of(figure)["layout"]
        title = layout["title"]
        # At the top left, under the band of Gradio's label and Plotly's toolbar; the plot starts below it.
        assert title["x"] == 0 and title["xanchor"] == "left" and title["yanchor"] == "top"
        assert title["pad"]["t"] >= tab.TOOLBAR_PX and layout["margin"]["t"] >= title["pad"]["t"] + 24
        # Colours are common.plotly_plot's (light and dark mode), not this tab's.
        assert "paper_bgcolor" not in layout and "plot_bgcolor" not in layout and "color" not in layout["font"]


def test_the_tab_s_fixed_words_are_registered_and_the_endpoint_takes_the_view_then_the_corpus_last():
    import gradio as gr

    with gr.Blocks() as demo:
        tab.build()
    config = demo.get_config_file()
    components = {c["id"]: c for c in config["components"]}
    endpoint = next(d for d in config["dependencies"] if d.get("api_name") == "word2vec")
    inputs = [components[i] for i in endpoint["inputs"]]
    assert [i18n.pair(c["props"]["label"])[1] for c in inputs[:2]] == ["Your own text (empty: the corpus chosen above)",
                                                                        "Words (space-separated)"]
    view, choice = inputs[-2:]
    assert view["type"] == "radio" and view["props"]["value"] == "2D"
    assert i18n.key_of(view["props"]["label"]) == "word2vec.view"
    assert choice["type"] == "radio" and choice["props"]["value"] == tab.GENERATED
    assert i18n.key_of(choice["props"]["label"]) == "word2vec.corpus_choice"
    plots = [c for c in components.values() if c["type"] == "plot"]
    assert all(i18n.key_of(c["props"]["label"]) for c in plots) and len(plots) == 2 + 5  # and "How it learns"'s
    tables = [c for c in components.values() if c["type"] == "dataframe"]
    assert len(tables) == 3 + 2 and all(_bilingual(h) for t in tables for h in t["props"]["headers"])


def test_unknown_word_is_reported_with_suggestions_and_the_rest_still_plots():
    rows, figure, note = _explore("犬 宇宙人")
    assert {row[0] for row in rows} == {"犬"}
    assert "宇宙人" in note and "not in the vocabulary" in note


def test_only_unknown_words_is_a_clear_error():
    with pytest.raises(Exception, match="not in the vocabulary"):
        _explore("宇宙人")


def test_blank_words_are_refused():
    with pytest.raises(Exception, match="Enter one or more words"):
        _explore("   ")


def test_skipgram_pairs_of_a_sentence():
    rows = tab.pairs("犬が走る", 1)
    assert rows == [["犬", "が"], ["が", "犬"], ["が", "走る"], ["走る", "が"]]


def test_analogy_and_export(tmp_path):
    results = tab.analogy(CORPUS, "犬", "猫", "東京", None, False, True, 20, 2, 2, 5, 3, 1, "skip-gram", True)
    assert results and all(len(row) == 2 for row in results)
    path = tab.export(CORPUS, None, False, True, 20, 2, 2, 5, 3, 1, "skip-gram", True)
    header, *lines = open(path, encoding="utf-8").read().splitlines()
    count, size = map(int, header.split())
    assert size == 20 and count == len(lines)
    assert {line.split()[0] for line in lines} >= {"犬", "猫", "東京", "大阪"}


def test_uploaded_shift_jis_file_trains(tmp_path):
    upload = tmp_path / "corpus.txt"
    upload.write_bytes(CORPUS.encode("cp932"))
    rows, _, _ = tab.explore("", "犬", str(upload), False, True, 20, 2, 2, 5, 3, 1, "skip-gram", True, 3)
    assert rows


def test_binary_upload_is_refused(tmp_path):
    upload = tmp_path / "image.txt"
    upload.write_bytes(b"\x89PNG\x00\x00\x01")
    with pytest.raises(Exception, match="text file"):
        tab.explore("", "犬", str(upload), False, True, 20, 2, 2, 5, 3, 1, "skip-gram", True, 3)


def test_what_a_search_trained_is_shown_as_the_train_button_would_show_it():
    import gradio as gr

    from models import word2vec as w2v

    # A setting no other test trains with (seed 7): not in the cache yet, so nothing to show.
    settings = (None, False, True, 20, 2, 2, 5, 3, 7, "skip-gram", True)
    w2v.CACHE.clear()
    assert all(isinstance(value, type(gr.skip())) for value in tab.training_shown(CORPUS, *settings))
    tab.explore(CORPUS, "犬", *settings, 3)  # trains the vectors for these settings
    status, figure = tab.training_shown(CORPUS, *settings)
    trained = w2v.already_trained(w2v.tokenize_corpus(CORPUS), tab._params(_values(CORPUS, *settings)))
    assert tab.TRAINED_BEFOREHAND in status and "入力した文章 / pasted text" in status
    assert f"語彙 {len(trained.vectors.index_to_key):,}" in status
    assert figure_of(figure)["data"][0]["y"] == trained.losses and len(trained.losses) == 3
    # Other settings were never trained: nothing is shown for them, and nothing trains.
    other = (*settings[:8], 8, *settings[9:])
    assert isinstance(tab.training_shown(CORPUS, *other)[0], type(gr.skip()))
    assert w2v.already_trained(w2v.tokenize_corpus(CORPUS), tab._params(_values(CORPUS, *other))) is None


@pytest.mark.parametrize("epochs", [1, 5, 10, 11, 30])
def test_loss_curve_has_one_point_per_epoch_and_whole_number_ticks(epochs):
    losses = [1000.0 / (epoch + 1) for epoch in range(epochs)]
    figure = figure_of(tab.loss_figure(losses))
    assert figure["data"][0]["x"] == list(range(1, epochs + 1)) and figure["data"][0]["y"] == losses
    tick = figure["layout"]["xaxis"]["dtick"]
    assert isinstance(tick, int) and 1 <= tick and epochs // tick <= 10  # never half epochs, never crowded


def test_a_corpus_box_with_only_invisible_characters_counts_as_empty():
    # Zero-width spaces or a BOM left from a paste: the default corpus, as for an empty box.
    assert tab._corpus_text("\u200b\ufeff\n \u2060", None)[1] == tab._corpus_text("", None)[1]


def test_a_book_corpus_is_trained_on_when_chosen_and_nothing_is_pasted(monkeypatch, tmp_path):
    from demos.common import InputError
    from tests.models.test_book_corpora import livedoor_rows, write_jsonl

    folder = write_jsonl(tmp_path / "livedoor" / "train.jsonl", livedoor_rows(40)).parent
    monkeypatch.setenv("JNLP_DATASET_LIVEDOOR", str(folder))
    text, source = tab._corpus_text("", None, "livedoor")
    assert "東京で新しいPCが発表された。" in text.splitlines()  # NFKC, one sentence a line, URLs left out
    assert "livedoor" in source and str(folder) in source
    rows, _, _ = tab.explore("", "東京", None, False, True, 20, 2, 1, 5, 3, 1, "skip-gram", True, 5, "2D", "livedoor")
    assert rows and all(row[0] == "東京" and row[1] in text for row in rows)  # its words, not the generated ones
    # Pasted text still wins over the choice, as the choice's note says.
    assert tab._corpus_text("犬が走る。", None, "livedoor")[1] == "入力した文章 / pasted text"
    with pytest.raises(InputError):
        tab._corpus_text("", None, "somewhere-else")
