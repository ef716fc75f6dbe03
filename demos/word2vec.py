"""word2vec: train skip-gram (or CBOW) live with gensim and explore the vectors in a 2D or 3D PCA plot (book §1.3)."""

from __future__ import annotations

import dataclasses
import difflib
import html
import inspect
import math
import time
import unicodedata
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import gradio as gr

from demos import i18n, skipgram, tasks, texts
from demos.components import FILES_KEPT_HOURS, SIDE_BY_SIDE_MIN_WIDTH, File
from demos.common import (COMMON, InputError, blank, clickable_examples, explanation,
                          markdown_literal, PLOT_FONT, plotly_plot, plotly_text, stop_button, stoppable, stops,
                          usable_text)
from demos.tasks import Input
from models import book_corpora
from models import word2vec as w2v
from models.corpus import default_corpus

WORDS = i18n.register("word2vec", {
    "title": ("単語ベクトル", "word2vec"),
    "corpus": ("自分の文章（空なら上で選んだコーパス）", "Your own text (empty: the corpus chosen above)"),
    "corpus_placeholder": ("1行に1文", "one sentence per line"),
    "upload": ("または .txt をアップロード（UTF-8 / Shift_JIS、2 MB まで）", "or upload a .txt (UTF-8 / Shift_JIS, up to 2 MB)"),
    "lemma": ("原形にする", "Use base forms"),
    "content_only": ("内容語だけ", "Content words only"),
    "architecture": ("方式", "Architecture"),
    "reproducible": ("再現性（1スレッド）", "Reproducible (one worker)"),
    "vector_size": ("次元", "Vector size"),
    "window": ("窓幅", "Window"),
    "min_count": ("最小出現回数", "Min count"),
    "negative": ("負例数", "Negative samples"),
    "epochs": ("エポック", "Epochs"),
    "train": ("学習する", "Train"),
    "loss": ("学習損失", "Training loss"),
    "similar_tab": ("似ている単語", "Similar words"),
    "words": ("単語（空白区切り）", "Words (space-separated)"),
    "topn": ("件数", "Top-n"),
    "find_similar": ("近い単語を探す", "Find similar words"),
    "pca": ("近い単語の PCA", "PCA of the neighbours"),
    "view": ("図の次元", "Plot"),
    "analogy_tab": ("アナロジー", "Analogy"),
    "pairs_tab": ("スキップグラムの組", "Skip-gram pairs"),
    "sentence": ("文", "Sentence"),
    "show_pairs": ("組を表示", "Show pairs"),
    "export_tab": ("書き出し", "Export"),
    "export": ("word2vec テキスト形式で書き出す", "Export (word2vec text format)"),
    "vectors": ("ベクトル", "Vectors"),
    "corpus_choice": ("コーパス（学習に使う文章）", "Corpus (the text to train on)"),
    "corpus_choice_info": ("本のデータは初回にダウンロードします（上限あり）。文章を貼り付けるか .txt を"
                           "アップロードすると、そちらを使います。",
                           "The book's data is downloaded on first use (capped). Pasted text or an uploaded .txt "
                           "is used instead."),
    "generated": ("アプリが作った文（既定）", "Sentences the app writes (default)"),
    "livedoor": ("livedoor ニュース（要約タブのデータ）", "livedoor news (the summarization data)"),
    "jawiki": ("Wikipedia の文（SimCSE のデータ）", "Wikipedia sentences (the SimCSE data)"),
})
TITLE = WORDS("title")

MAX_QUERY_WORDS = 5
MAX_TOPN = 30
MAX_CORPUS_CHARS = 2_000_000

EXAMPLE_WORDS = [["犬 東京"], ["寿司 野球 雨"], ["赤 母 電車"]]

# What a student may train on besides pasted or uploaded text: the app's generated sentences (offline, the
# default) or one of the book's corpora (models/book_corpora.py), by the API's value.
GENERATED = "generated"
BOOK_CORPORA = {"livedoor": "LIVEDOOR", "jawiki": "JAWIKI"}
CORPUS_CHOICES = (GENERATED, *BOOK_CORPORA)


def _corpus_text(corpus_text: str | None, upload: str | None, corpus_choice: str = GENERATED,
                 progress=None) -> tuple[str, str]:
    """The text to train on and a line saying where it came from (upload, pasted text, a book corpus or the default).

    ``progress(fraction, description)`` hears how reading a book corpus goes (its first use downloads it).
    """
    if upload:
        try:
            with open(upload, "rb") as handle:
                data = handle.read(w2v.MAX_UPLOAD_BYTES + 1)
        except FileNotFoundError:  # uploads are deleted after a few hours (demos/components.py)
            raise InputError(f"アップロードしたファイルはもうサーバーにありません（{FILES_KEPT_HOURS} 時間で消えます）。"
                             f"もう一度アップロードしてください。 / The uploaded file is no longer on the server "
                             f"(uploads are kept {FILES_KEPT_HOURS} hours): please upload it again.") from None
        return w2v.decode_upload(data), "アップロードしたファイル / uploaded file"
    if corpus_text and not blank(corpus_text):
        if len(corpus_text) > MAX_CORPUS_CHARS:
            raise InputError(f"文章が長すぎます（上限 {MAX_CORPUS_CHARS:,} 文字）。 / The text is too long "
                             f"(limit {MAX_CORPUS_CHARS:,} characters).")
        return usable_text(corpus_text), "入力した文章 / pasted text"
    if corpus_choice not in CORPUS_CHOICES:
        raise InputError(f"corpus_choice は {', '.join(CORPUS_CHOICES)} のどれかです。 / corpus_choice is one of "
                         f"{', '.join(CORPUS_CHOICES)}.")
    if corpus_choice in BOOK_CORPORA:
        corpus = book_corpora.load_corpus_text(BOOK_CORPORA[corpus_choice], progress)
        return corpus.text, corpus.description
    return default_corpus(), "既定のコーパス / default corpus"


def query_words(words: str | None) -> list[str]:
    found = [w for w in (words or "").replace("、", " ").replace(",", " ").split() if w]
    if not found:
        raise InputError("調べる単語を入力してください（空白で区切って複数可）。 / Enter one or more words (space-separated).")
    return list(dict.fromkeys(found))[:MAX_QUERY_WORDS]


def suggestions(vectors, word: str, n: int = 5) -> list[str]:
    """Vocabulary words close to an unknown word: similar spelling first, then words sharing a character."""
    vocab = vectors.index_to_key
    close = difflib.get_close_matches(word, vocab, n=n, cutoff=0.3)
    sharing = [v for v in vocab if set(v) & set(word) and v not in close]
    return (close + sharing)[:n]


def unknown_message(vectors, unknown: list[str], escape=markdown_literal) -> str:
    """A line per unknown word, with vocabulary words close to it.

    The words are the user's and the corpus's (possibly an upload), so each is escaped for where the message is
    shown: ``markdown_literal`` for the note (gr.Markdown), ``html.escape`` for an error (a gr.Error's toast is HTML).
    """
    parts = []
    for word in unknown:
        hint = "、".join(escape(s) for s in suggestions(vectors, word)) or "—"
        shown = escape(word)
        parts.append(f"「{shown}」は語彙にありません（近い語: {hint}） / '{shown}' is not in the vocabulary (close: {hint})")
    # A blank line between words: gr.Markdown joins single line breaks into one paragraph.
    return "\n\n".join(parts)


def neighbours(vectors, words: list[str], topn: int) -> tuple[list[list[object]], list[str]]:
    rows, unknown = [], []
    for word in words:
        if word not in vectors.key_to_index:
            unknown.append(word)
            continue
        for other, score in vectors.most_similar(word, topn=topn):
            rows.append([word, other, round(float(score), 4)])
    return rows, unknown


# ------------------------------------------------------------------ the neighbours' scatter
#
# A plain PCA of the raw vectors drew a query's close neighbours as one blob of overlapping labels, and a far word
# stretched the axes. So the projection is fitted to the shown words' unit vectors (projection), each axis is spread
# out (spread_axis), a few labels are placed apart (place_labels), and every word is named with its cosine on hover.

VIEWS = ("2D", "3D")
# Flat labels, placed apart, read on a phone and on a projector alike; 3D is one click away.
DEFAULT_VIEW = "2D"
# Labelled per query: its closest words (the table lists them all, the hover names every point). Fewer in 3D,
# where labels cannot be placed apart: turning the plot moves them over each other.
LABELLED_NEIGHBOURS = {2: 3, 3: 1}
# Tukey's "far out" fences: this many interquartile ranges beyond the quartiles.
FAR_OUT = 3.0
# Room around the [0, 1] square the points are spread over, for the markers at its edges.
AXIS_PAD = 0.06
SCATTER_HEIGHT = {"2D": 500, "3D": 560}
LABEL_FONT_PX = 12
# The 2D labels are placed apart for the smallest plot they are drawn in: a phone's, where the axes get
# about this many pixels (a projector's wider plot only adds room between them).
PHONE_AXES_PX = (270, 290)
MARKER_PX = {True: 12, False: 8}  # a query's marker, a neighbour's
# Plotly's toolbar takes the top right corner of a figure and Gradio's label of the plot its top left: the
# titles go below both, where a phone's narrow plot had them under the toolbar's buttons.
TOOLBAR_PX = 36
# Buttons of no use here (selecting points, zooming by steps) that only widen the toolbar.
TOOLBAR_REMOVE = ["select2d", "lasso2d", "zoomIn2d", "zoomOut2d", "autoScale2d"]

QUERY_LEGEND = "クエリ / query"
FAR_LEGEND = "遠い語 / far word"
AXIS_TITLES = ("主成分 1 / PC 1", "主成分 2 / PC 2", "主成分 3 / PC 3")
SCATTER_TITLE = {"2D": "PCA（2次元） / PCA (2D)", "3D": "PCA（3次元） / PCA (3D)"}
# How to read the axes, in both languages, one line each (a phone has no room for both on one).
SCATTER_SUBTITLE = ("並び順は PCA のまま、間隔は見やすく調整。近さは cos で",
                    "PCA's order, spacing evened out: read closeness from cos")
LOSS_TITLE = "学習損失 / Training loss"
LOSS_AXIS_TITLES = ("エポック / epoch", "エポックの損失 / loss per epoch")
TABLE_HEADERS = ["クエリ / query", "単語 / word", "コサイン類似度 / cosine"]


@dataclass(frozen=True)
class Point:
    """One word of the scatter."""

    word: str
    query: str  # the query it is drawn for (its colour): itself for a query, else the first query listing it
    cosines: tuple[tuple[str, float], ...]  # (query, cosine) for each query listing it, as the table has them
    position: tuple[float, ...]  # on each axis, in [0, 1]
    far: bool  # beyond a far-out fence on some axis: clamped to the edge and marked
    label: str | None  # the text drawn beside it (plain: 3D draws it on the canvas), None for hover only
    label_position: str = "middle right"  # where the 2D label goes (Plotly's textposition)

    @property
    def is_query(self) -> bool:
        return self.word == self.query


def projection(matrix, dims: int):
    """PCA of exactly these vectors, each scaled to length 1 first: an (n, dims) array, zeros past the axes found.

    Fitted to the shown words alone, so the axes are the directions in which they differ. Unit length first:
    distances then follow cosine similarity, the measure the table shows (a frequent word's longer vector
    would otherwise sit apart for its length alone). One SVD: scikit-learn's PCA does the same, with a slow import.
    """
    import numpy as np

    matrix = np.nan_to_num(np.asarray(matrix, dtype=np.float64))
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    unit = np.divide(matrix, norms, out=np.zeros_like(matrix), where=norms > 0)
    centred = unit - unit.mean(axis=0)
    points = np.zeros((len(matrix), dims))
    if len(matrix) < 2:
        return points
    _, singular, axes = np.linalg.svd(centred, full_matrices=False)
    found = min(dims, int((singular > 1e-9 * max(float(singular[0]), 1e-300)).sum()))
    axes = axes[:found]
    # An SVD's signs are arbitrary: each axis is turned so its largest loading is positive (as in
    # scikit-learn), so the same words give the same picture every time.
    axes = axes * np.sign(axes[np.arange(found), np.abs(axes).argmax(axis=1)])[:, None]
    points[:, :found] = centred @ axes.T
    return points


def _ranks(values):
    """Each value's rank, 0 to n - 1 (ties share their mean rank)."""
    import numpy as np

    order = np.argsort(values, kind="stable")
    _, first, counts = np.unique(values[order], return_index=True, return_counts=True)
    ranks = np.empty(len(values))
    ranks[order] = np.repeat(first + (counts - 1) / 2, counts)
    return ranks


def spread_axis(values):
    """Where each coordinate goes on its axis, in [0, 1], and which ones lay beyond a far-out fence.

    Half of a position is the coordinate's rank among the points, evenly spaced: however close two words'
    vectors, consecutive points stay at least 1/(2(n - 1)) of the axis apart, so labels cannot pile up.
    The other half is the coordinate itself, scaled between Tukey's far-out fences (three interquartile
    ranges beyond the quartiles) with anything farther clamped to the edge: a real gap (between two
    queries' groups, before a far word) stays a gap, and one far word cannot squash the rest into a dot.
    The order along each PCA axis is kept; distances are not to scale, as the plot's subtitle says.
    """
    import numpy as np

    values = np.asarray(values, dtype=np.float64)
    n = len(values)
    if n < 2 or float(values.max() - values.min()) <= 1e-12:
        return np.full(n, 0.5), np.zeros(n, dtype=bool)
    rank = _ranks(values) / (n - 1)
    low_quartile, high_quartile = np.percentile(values, [25, 75])
    spread = high_quartile - low_quartile
    low = max(float(values.min()), low_quartile - FAR_OUT * spread)
    high = min(float(values.max()), high_quartile + FAR_OUT * spread)
    if high - low <= 1e-12:  # most points share one value: the ranks alone
        return rank, np.zeros(n, dtype=bool)
    far = (values < low) | (values > high)
    scaled = (np.clip(values, low, high) - low) / (high - low)
    return (rank + scaled) / 2, far


def _label_text(word: str, cosine: float | None) -> str:
    return word if cosine is None else f"{word} {cosine:.3f}"


def _text_px(text: str) -> float:
    """The estimated width of a label in pixels: a full-width character is about one em, others about 0.6."""
    return sum(LABEL_FONT_PX if unicodedata.east_asian_width(char) in "WF" else 0.6 * LABEL_FONT_PX
               for char in text)


# Where a label may go, in order of preference (Plotly's textposition values).
_LABEL_POSITIONS = ("middle right", "middle left", "top center", "bottom center", "top right", "top left",
                    "bottom right", "bottom left")
# How far a 2D label may stand out of the axes, in pixels (left, bottom, right, top): into the right margin
# and a little above and below, never over the axis titles.
LABEL_OVERHANG = (0, 6, 14, 6)


def _label_box(x: float, y: float, width: float, height: float, marker_px: float, where: str):
    """(left, bottom, right, top) in pixels (y upwards) of a label drawn at ``where`` beside a marker at (x, y).

    As plotly.js places it (Drawing.textPointStyle): the text stands off the marker's centre by
    radius / 0.8 + 1 pixels, horizontally for left and right, vertically for top and bottom.
    """
    gap = marker_px / 2 / 0.8 + 1
    vertical, horizontal = where.split()
    left = {"left": x - gap - width, "center": x - width / 2, "right": x + gap}[horizontal]
    bottom = {"top": y + gap, "middle": y - height / 2, "bottom": y - gap - height}[vertical]
    return left, bottom, left + width, bottom + height


def _overlap(a, b) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def label_boxes(points: list[Point], size_px: tuple[float, float] = PHONE_AXES_PX) -> dict[str, tuple]:
    """Each drawn 2D label's estimated box (left, bottom, right, top) in pixels, on axes of ``size_px``."""
    pixels = _pixels(size_px)
    return {p.word: _label_box(*pixels(p), _text_px(p.label), LABEL_FONT_PX * 1.25, MARKER_PX[p.is_query],
                               p.label_position) for p in points if p.label}


def _pixels(size_px: tuple[float, float]):
    width, height = size_px
    scale = 1 + 2 * AXIS_PAD
    return lambda p: ((p.position[0] + AXIS_PAD) / scale * width, (p.position[1] + AXIS_PAD) / scale * height)


def _marker_box(point: Point, pixels) -> tuple:
    x, y = pixels(point)
    half = MARKER_PX[point.is_query] / 2
    return x - half, y - half, x + half, y + half


def place_labels(points: list[Point], size_px: tuple[float, float] = PHONE_AXES_PX) -> list[Point]:
    """The 2D labels placed where they overlap no other label, no labelled point and no edge, on axes of ``size_px``.

    Queries first, then each query's closest neighbour, then each one's second, and so on. A label goes to the
    right of its point, the left, above or below: the free place that covers the fewest unlabelled points
    (those are named on hover). A neighbour's label with no free place is dropped (its word stays on hover);
    a query's is always drawn.
    """
    width, height = size_px
    pixels = _pixels(size_px)
    labelled = [p for p in points if p.label]
    taken = [_marker_box(p, pixels) for p in labelled]  # no label hides a labelled point
    dots = [_marker_box(p, pixels) for p in points if not p.label]
    placed = {}
    for point in sorted(labelled, key=_label_priority(points)):
        x, y = pixels(point)
        size = (_text_px(point.label), LABEL_FONT_PX * 1.25)
        own = _marker_box(point, pixels)
        boxes = [(where, _label_box(x, y, *size, MARKER_PX[point.is_query], where)) for where in _LABEL_POSITIONS]
        left, bottom, right, top = LABEL_OVERHANG
        free = [(sum(_overlap(box, dot) for dot in dots), order, where, box)
                for order, (where, box) in enumerate(boxes)
                if box[0] >= -left and box[1] >= -bottom and box[2] <= width + right and box[3] <= height + top
                and not any(_overlap(box, other) for other in taken if other != own)]
        if free or point.is_query:
            _, _, where, box = min(free) if free else (0, 0, *boxes[0])
            taken.append(box)
            placed[point.word] = where
    return [dataclasses.replace(p, label=p.label if p.word in placed else None,
                                label_position=placed.get(p.word, p.label_position)) for p in points]


def _label_priority(points: list[Point]):
    """Sort key: queries first, then each query's closest neighbour, then each one's second, and so on."""
    rank_in_group: dict[str, int] = {}
    seen: dict[str, int] = {}
    for point in points:
        if not point.is_query:
            seen[point.query] = seen.get(point.query, 0) + 1
            rank_in_group[point.word] = seen[point.query]
    return lambda point: (0, 0) if point.is_query else (1, rank_in_group[point.word])


def scatter_points(vectors, rows: list[list[object]], dims: int) -> list[Point]:
    """The query words and their neighbours (rows of the table: query, word, cosine) as points of a ``dims``-D scatter.

    One point per word. Labelled: every query, and its LABELLED_NEIGHBOURS closest words with their cosine.
    """
    import numpy as np

    queries = list(dict.fromkeys(str(query) for query, _, _ in rows))
    cosines: dict[str, list[tuple[str, float]]] = {}
    group: dict[str, str] = {query: query for query in queries}
    for query, other, score in rows:
        cosines.setdefault(str(other), []).append((str(query), float(score)))
        group.setdefault(str(other), str(query))
    # Each query, then its neighbours in the table's order (closest first).
    words = list(dict.fromkeys(w for query in queries for w in [query, *(str(o) for q, o, _ in rows if q == query)]))
    coordinates = projection(np.array([vectors[w] for w in words]), dims)
    axes = [spread_axis(coordinates[:, axis]) for axis in range(dims)]
    labelled = set(queries)
    for query in queries:
        closest = [str(o) for q, o, _ in rows if q == query and str(o) not in queries]
        labelled.update(closest[:LABELLED_NEIGHBOURS[dims]])
    points = []
    for i, word in enumerate(words):
        is_query = group[word] == word
        own = None if is_query else dict(cosines[word])[group[word]]
        points.append(Point(
            word=word, query=group[word], cosines=tuple(cosines.get(word, ())),
            # Four decimals place a point to a ten-thousandth of the plot; more digits only weigh the reply down.
            position=tuple(round(float(positions[i]), 4) for positions, _ in axes),
            far=bool(any(far[i] for _, far in axes)),
            label=_label_text(word, own) if word in labelled else None))
    return points


def hover_lines(point: Point) -> list[str]:
    """What hovering a point shows, line by line: the word and its cosine to its query (gensim's, as in the
    table), then to whom, and more; words escaped."""
    word = plotly_text(point.word)
    lines = []
    if point.is_query:
        lines.append(f"{word}: クエリ / query")
    for query, cosine in point.cosines:
        shown = plotly_text(query)
        if not lines:
            lines.append(f"{word}: cos {cosine:.4f}")
            lines.append(f"{shown} とのコサイン類似度 / cosine similarity to {shown}")
        else:
            lines.append(f"{shown} とは / to {shown}: cos {cosine:.4f}")
    if point.far:
        lines.append("遠いので端に寄せて表示 / far out: drawn at the edge")
    return lines


def _title(text: str, subtitle: tuple[str, str] | None = None) -> tuple[dict, int]:
    """A figure's title at its top left, below the toolbar, and the top margin it needs (pixels)."""
    # common.plotly_plot draws a bilingual title on two lines, Japanese over English, and plotly.js raises
    # a title of two lines by half a line's height more than its padding says.
    lines = 2 if " / " in text else 1
    title = {"text": text, "x": 0, "xref": "container", "xanchor": "left", "y": 1, "yref": "container",
             "yanchor": "top", "pad": {"t": TOOLBAR_PX + (lines - 1) * 18, "l": 10}, "font": {"size": 15}}
    margin = TOOLBAR_PX + 24 * lines + 8
    if subtitle:
        title["subtitle"] = {"text": "<br>".join(subtitle), "font": {"size": 11}}
        margin += 32
    return title, margin


def scatter(vectors, rows: list[list[object]], view: str = DEFAULT_VIEW):
    """A 2D or 3D PCA scatter of the query words and their neighbours, coloured by query (a gr.Plot value)."""
    dims = 3 if view == "3D" else 2
    points = scatter_points(vectors, rows, dims)
    if dims == 2:
        points = place_labels(points)
    traces = []
    for query in [p.word for p in points if p.is_query]:
        members = [p for p in points if p.query == query]
        hovers = [hover_lines(p) for p in members]
        trace = {
            # The hover's first line is the point's hovertext (the word and its cosine); the rest come from
            # customdata, joined by the template's line breaks, so the words' texts hold no markup.
            "name": plotly_text(query), "mode": "markers+text", "hovertext": [lines[0] for lines in hovers],
            "customdata": ["".join(f"<br>{line}" for line in lines[1:]) for lines in hovers],
            "hovertemplate": "%{hovertext}%{customdata}<extra></extra>",
            "marker": {"size": [MARKER_PX[p.is_query] for p in members],
                       "symbol": ["diamond" if p.far else "circle" for p in members]},
            "textfont": {"size": LABEL_FONT_PX},
        }
        coordinates = dict(zip("xyz", zip(*(p.position for p in members))))
        if dims == 3:
            # The 3D marker text is drawn on the WebGL canvas, which decodes no entities (escaped, "&lt;"
            # would show as such) and runs no script: the label stays plain text.
            traces.append({"type": "scatter3d", **coordinates, **trace, "textposition": "top center",
                           "text": [p.label or "" for p in members]})
        else:
            traces.append({"type": "scatter", **coordinates, **trace, "cliponaxis": False,
                           "textposition": [p.label_position for p in members],
                           "text": [_label_2d(p) for p in members]})
    if any(p.far for p in points):  # a legend entry saying what the diamonds are
        traces.append({"type": "scatter3d" if dims == 3 else "scatter", "x": [None], "y": [None],
                       **({"z": [None]} if dims == 3 else {}), "mode": "markers", "name": FAR_LEGEND,
                       "hoverinfo": "skip", "marker": {"symbol": "diamond", "size": 8, "color": "rgb(128,128,128)"}})
    title, top = _title(SCATTER_TITLE[view if view in VIEWS else DEFAULT_VIEW], SCATTER_SUBTITLE)
    # The legend's entries wrap into rows on a phone: the bottom margin makes room for as many as it will need.
    legend_rows = math.ceil(sum(_text_px(t["name"]) + 40 for t in traces) / PHONE_AXES_PX[0])
    axes = [{"title": {"text": AXIS_TITLES[i]}, "range": [-AXIS_PAD, 1 + AXIS_PAD], "showticklabels": False,
             "zeroline": False} for i in range(dims)]
    layout = {
        "font": PLOT_FONT, "height": SCATTER_HEIGHT["3D" if dims == 3 else "2D"], "title": title,
        "margin": {"l": 30, "r": LABEL_OVERHANG[2] + 4, "t": top, "b": 40 + 22 * (legend_rows + 1)},
        "hovermode": "closest",
        # Below the plot, across, its title above the entries: at the side it took a third of a phone's width.
        "legend": {"orientation": "h", "x": 0, "xanchor": "left", "y": 0, "yref": "container", "yanchor": "bottom",
                   "title": {"text": QUERY_LEGEND, "side": "top"}},
        "modebar": {"remove": TOOLBAR_REMOVE},
    }
    if dims == 3:
        # From a little farther than Plotly's default (1.25 on each axis): the axis titles stay in a narrow view.
        layout["scene"] = {**{f"{name}axis": axis for name, axis in zip("xyz", axes)}, "aspectmode": "cube",
                           "camera": {"eye": {"x": 1.7, "y": 1.7, "z": 1.25}}}
        layout["margin"].update({"l": 10, "r": 10, "b": 10 + 22 * (legend_rows + 1)})
    else:
        layout["xaxis"], layout["yaxis"] = axes
    return plotly_plot(traces, layout)


def _label_2d(point: Point) -> str:
    """A 2D label (SVG text: escaped); a query's in bold."""
    if not point.label:
        return ""
    shown = plotly_text(point.label)
    return f"<b>{shown}</b>" if point.is_query else shown


def loss_figure(losses: list[float]):
    """The training loss per epoch as a line (a gr.Plot value): drawn again after every epoch while training."""
    title, top = _title(LOSS_TITLE)
    return plotly_plot([{"type": "scatter", "x": list(range(1, len(losses) + 1)), "y": [float(v) for v in losses],
                         "mode": "lines+markers"}],
                       # Epochs are whole numbers: ticks at 1, 2, 3 (by fives past ten), never at 1.5.
                       {"xaxis": {"title": {"text": LOSS_AXIS_TITLES[0]}, "dtick": 1 if len(losses) <= 10 else 5},
                        "yaxis": {"title": {"text": LOSS_AXIS_TITLES[1]}},
                        "font": PLOT_FONT, "height": 320, "margin": {"l": 50, "r": 10, "t": top, "b": 40},
                        "title": title, "modebar": {"remove": TOOLBAR_REMOVE}})


# ------------------------------------------------------------------ the endpoints
#
# Each input is declared once (demos/tasks.py's Input): the page's controls, the checks, the handlers' signatures and
# docstrings (the API page, MCP) and the inputs their events are wired to are made from these declarations.

def _label(name: str):
    """A setting's label on the page: its own words, by its name (use_lemma's key is older than the name)."""
    return COMMON("seed") if name == "seed" else WORDS({"use_lemma": "lemma"}.get(name, name))


def _bounded(name: str, meaning: str, step: int = 1) -> Input:
    """A training setting within w2v.BOUNDS, its default w2v.Params's: what training itself holds to."""
    ja, en = i18n.pair(_label(name))
    return Input(name, meaning, int, getattr(w2v.Params(), name), *w2v.BOUNDS[name], step, ja=ja, en=en.lower())


CORPUS_TEXT = Input("corpus_text", f"Japanese text to train on (str; several sentences, up to {MAX_CORPUS_CHARS:,}"
                    " characters). Empty uses the app's default corpus of everyday sentences.", kind=None)
# What every endpoint that trains takes, in this order, after corpus_text and the endpoint's own inputs.
SETTINGS = (
    Input("upload", f"A .txt corpus file (UTF-8, UTF-16 or Shift_JIS, at most {w2v.MAX_UPLOAD_BYTES // 1_000_000} MB)"
          " used instead of corpus_text, or null (default).", kind=None, default=None),
    Input("use_lemma", "Whether words are reduced to their dictionary form (lemma) by MeCab first", bool, False),
    Input("content_only", "Whether only content words (nouns, verbs, adjectives) are kept, dropping particles and"
          " symbols", bool, True),
    _bounded("vector_size", "Dimensions of the word vectors", step=10),
    _bounded("window", "Context window, words on each side of the centre word"),
    _bounded("min_count", "Words seen fewer times are left out of the vocabulary"),
    _bounded("negative", "Negative samples per positive pair"),
    _bounded("epochs", "Passes over the corpus"),
    _bounded("seed", "Random seed; with reproducible, the same settings give the same vectors"),
    Input("architecture", "The training architecture; skip-gram is the book's", default="skip-gram",
          choices=("skip-gram", "CBOW")),
    Input("reproducible", "Train with one worker thread so a seed gives the same vectors every time; False is faster"
          " but not reproducible", bool, True),
)
SETTING = {declared.name: declared for declared in SETTINGS}
# The last input of every endpoint that trains (after the ones it had before the choice existed).
CORPUS_CHOICE = Input("corpus_choice", "What to train on when corpus_text is empty and nothing is uploaded: generated"
                      " (the app's sentences), livedoor (the book's livedoor news corpus) or jawiki (the book's"
                      " Wikipedia sentences); the book's corpora are downloaded on first use, capped",
                      default=GENERATED, choices=CORPUS_CHOICES)
QUERY = Input("words", f"Up to {MAX_QUERY_WORDS} query words, separated by spaces or commas, e.g. 犬 東京")
TOPN = Input("topn", "How many neighbours per query word", int, 10, 1, MAX_TOPN, ja="件数", en="top-n")
VIEW = Input("view", "The plot's dimensions", default=DEFAULT_VIEW, choices=VIEWS)
ANALOGY = (Input("a", "The word to start from, e.g. 父"), Input("b", "The word to subtract, e.g. 母"),
           Input("c", "The word to add, e.g. 兄"))
PAIRS = (Input("sentence", "A Japanese sentence; it is split into words by MeCab and its first 60 words are used"),
         dataclasses.replace(SETTING["window"], default=2), SETTING["use_lemma"],
         dataclasses.replace(SETTING["content_only"], default=False))


@contextmanager
def _corpus_errors() -> Iterator[None]:
    """A corpus or setting the student can fix (w2v.CorpusError) is an InputError, its message unchanged."""
    try:
        yield
    except w2v.CorpusError as exc:
        raise InputError(str(exc)) from None


def _endpoint(*inputs: Input, returns: tuple[str, ...], progress: bool = True):
    """The Gradio handler of ``body(values)`` (the request's inputs by name, numbers and switches checked),
    made from ``inputs`` as a Task's is (tasks.declared_handler). ``progress`` adds a last parameter whose
    default is a gr.Progress: the only kind Gradio passes a tracker to."""
    more = [inspect.Parameter("progress", inspect.Parameter.POSITIONAL_OR_KEYWORD, default=gr.Progress())] * progress
    signature = tasks.signature(inputs, *more)

    def values(args: tuple, kwargs: dict) -> dict[str, Any]:
        bound = signature.bind(*args, **kwargs)
        bound.apply_defaults()
        return {**bound.arguments, **{i.name: i.check(bound.arguments[i.name]) for i in inputs if i.kind is not str}}

    def endpoint(body: Callable[[dict[str, Any]], Any]) -> Callable[..., Any]:
        if inspect.isgeneratorfunction(body):
            def handler(*args: Any, **kwargs: Any) -> Any:
                with _corpus_errors():
                    yield from body(values(args, kwargs))
        else:
            def handler(*args: Any, **kwargs: Any) -> Any:
                with _corpus_errors():
                    return body(values(args, kwargs))
        handler.inputs = inputs  # type: ignore[attr-defined]  # what build() wires, in this order
        return tasks.declared_handler(handler, body.__name__, inspect.getdoc(body), inputs, returns, *more)

    return endpoint


def _trains(*own: Input, after: tuple[Input, ...] = (), corpus_text: Input = CORPUS_TEXT, **endpoint: Any):
    """_endpoint of one that trains: corpus_text, its own inputs, the settings, ``after``, and corpus_choice."""
    return _endpoint(corpus_text, *own, *SETTINGS, *after, CORPUS_CHOICE, **endpoint)


def _corpus(values: dict[str, Any]) -> tuple[str, str]:
    return _corpus_text(values["corpus_text"], values["upload"], values["corpus_choice"], values.get("progress"))


def _sentences(text: str, values: dict[str, Any]) -> list[list[str]]:
    return w2v.tokenize_corpus(text, bool(values["use_lemma"]), bool(values["content_only"]))


def _params(values: dict[str, Any]) -> w2v.Params:
    return w2v.checked_params(**values, sg=values["architecture"] != "CBOW")


def _trained(values: dict[str, Any]) -> w2v.Trained:
    """The vectors for the request's corpus and settings: from the cache when already trained."""
    return w2v.train_cached(_sentences(_corpus(values)[0], values), _params(values))[0]


# How the vectors came, when a search or an analogy trained them (or found them trained) before the Train button.
TRAINED_BEFOREHAND = "この設定で学習済み / trained with these settings"


def trained_how(cached: bool, seconds: float) -> str:
    """How the Train button got its vectors: from the cache, or trained in so many seconds."""
    return "キャッシュから / from the cache" if cached else f"{seconds:.1f} 秒で学習 / trained in {seconds:.1f} s"


def _status(trained: w2v.Trained, source: str, how: str) -> str:
    reproducible = "（シード固定・1スレッドなので再現可能 / seeded, one worker: reproducible）" \
        if trained.params.workers == 1 else "（複数スレッドは再現性なし / several workers: not reproducible）"
    return (f"{source} ・ {trained.words:,} 語 / words ・ 語彙 {len(trained.vectors.index_to_key):,} / vocabulary ・ "
            f"{how} {reproducible}")


@_trains(corpus_text=dataclasses.replace(CORPUS_TEXT, default=""), returns=(
    "A Markdown status line: progress while training, then the corpus source, word and vocabulary counts and the time"
    " taken (streamed)", "A Plotly figure of the training loss per epoch"))
def train_tab(values):
    """Train word2vec (gensim) on a Japanese corpus tokenized by MeCab, reporting the loss epoch by epoch (book section 1.3).

    Stop (or leaving) ends the training. Models are cached: the same corpus and settings reuse the trained vectors.
    """
    params = _params(values)
    text, source = _corpus(values)
    started = time.perf_counter()
    source_ja, _, source_en = source.partition(" / ")
    yield f"⏳ 形態素解析中（{source_ja}）… / tokenizing the {source_en}…", gr.skip()
    for step in w2v.train_streaming(_sentences(text, values), params):
        if step.trained is None:
            yield (f"⏳ 学習中 epoch {step.epoch}/{params.epochs} / training, epoch {step.epoch} of {params.epochs}",
                   loss_figure(step.losses))
        else:
            yield (_status(step.trained, source, trained_how(step.cached, time.perf_counter() - started)),
                   loss_figure(step.trained.losses))


@_trains(progress=False, returns=("The status line and the loss figure; gr.skip() for both when not trained",))
def training_shown(values):
    """The status line and loss curve of the vectors for these settings, if trained; nothing changes otherwise.

    Runs after a search, an analogy or an export (privately, not an API endpoint): those train the vectors
    when needed, and a student who never pressed Train would otherwise see an empty loss plot and no word
    of what was trained. Never trains: only the cache is read.
    """
    text, source = _corpus(values)
    trained = w2v.already_trained(_sentences(text, values), _params(values))
    if trained is None:  # dropped from the cache meanwhile: the last status stays
        return gr.skip(), gr.skip()
    return _status(trained, source, TRAINED_BEFOREHAND), loss_figure(trained.losses)


@_trains(QUERY, after=(TOPN, VIEW), returns=(
    "A table with the columns query, word, cosine (headers in Japanese and English): each query word's nearest words"
    " by cosine similarity",
    "A 2D or 3D PCA scatter of the query words and their neighbours, each with its cosine on hover (a Plotly figure)",
    "A Markdown note naming query words that are not in the vocabulary, with suggestions; empty when all were found"))
def explore(values):
    """The words closest to some query words in word2vec vectors trained on a Japanese corpus, with a PCA plot (book section 1.3).

    The vectors are trained first with the given settings, or reused when already trained. Models are cached: the same corpus and settings reuse the trained vectors.
    """
    wanted = query_words(values["words"])
    trained = _trained(values)
    rows, unknown = neighbours(trained.vectors, wanted, values["topn"])
    if not rows:
        raise InputError(unknown_message(trained.vectors, unknown, html.escape))
    return rows, scatter(trained.vectors, rows, values["view"]), unknown_message(trained.vectors, unknown)


@_trains(*ANALOGY, returns=("A table with the columns word, cosine: the 10 words closest to a - b + c",))
def analogy(values):
    """Word analogy a - b + c in word2vec vectors trained on a Japanese corpus, e.g. 父 - 母 + 兄 ≈ 姉 (book section 1.3).

    The vectors are trained first with the given settings, or reused when already trained. Models are cached: the same corpus and settings reuse the trained vectors.
    """
    a, b, c = (query_words(values[name])[0] for name in "abc")
    trained = _trained(values)
    unknown = [x for x in (a, b, c) if x not in trained.vectors.key_to_index]
    if unknown:
        raise InputError(unknown_message(trained.vectors, unknown, html.escape))
    return [[word, round(float(score), 4)] for word, score in trained.vectors.most_similar(positive=[a, c],
                                                                                             negative=[b], topn=10)]


@_endpoint(*PAIRS, progress=False,
           returns=("A table with the columns centre, context: one row per training pair, in order",))
def pairs(values):
    """The (centre word, context word) training pairs skip-gram word2vec makes from one Japanese sentence (book section 1.3)."""
    tokens = [t for s in _sentences(values["sentence"] or "", values) for t in s]
    if not tokens:
        raise InputError("文を入力してください。 / Please enter a sentence.")
    return [[centre, context] for centre, context in w2v.skipgram_pairs(tokens[:60], values["window"])]


@_trains(returns=("A .txt file in the word2vec text format: a header line (vocabulary size, dimensions), then one word"
                  " and its numbers per line; gensim's KeyedVectors.load_word2vec_format reads it",))
def export(values):
    """Export word2vec vectors trained on a Japanese corpus as a file in the plain word2vec text format (book section 1.3).

    The vectors are trained first with the given settings, or reused when already trained. Models are cached: the same corpus and settings reuse the trained vectors.
    """
    return w2v.export_file(_trained(values))


def _control(declared: Input) -> gr.Component:
    """A training setting's control on the page, made from its declaration."""
    label = _label(declared.name)
    if declared.kind is bool:
        return gr.Checkbox(value=declared.default, label=label)
    if declared.choices:
        return declared.radio(str, label)
    if declared.name == "seed":
        return declared.number_box(label)
    return declared.slider(label, min_width=SIDE_BY_SIDE_MIN_WIDTH)


def build() -> dict[str, gr.Component]:
    explanation(texts.EXPLAINED("word2vec"))
    with gr.Row():
        with gr.Column(scale=2):
            # Every input an endpoint is wired to, by its declared name (wired below).
            shown = {"corpus_choice": CORPUS_CHOICE.radio(WORDS, WORDS("corpus_choice"),
                                                          info=WORDS("corpus_choice_info")),
                     "corpus_text": gr.Textbox(label=WORDS("corpus"), lines=4, placeholder=WORDS("corpus_placeholder")),
                     "upload": File(label=WORDS("upload"), file_types=[".txt"], type="filepath")}
            with gr.Row():
                shown.update({name: _control(SETTING[name]) for name in ("use_lemma", "content_only")})
        with gr.Column(scale=2):
            for row in (("architecture", "reproducible"), ("vector_size", "window", "min_count"),
                        ("negative", "epochs", "seed")):
                with gr.Row():
                    shown.update({name: _control(SETTING[name]) for name in row})
            with gr.Row():
                train_button = gr.Button(WORDS("train"), variant="primary")
                stop = stop_button(COMMON("stop"))
    status = gr.Markdown()
    losses = gr.Plot(label=WORDS("loss"))

    def wired(handler) -> list[gr.Component]:
        return [shown[declared.name] for declared in handler.inputs]

    # Training and anything that may train share one slot: a user's training cannot starve the rest.
    shared = {"concurrency_id": "word2vec", "concurrency_limit": 1}
    # On a phone the sub-tabs wrap onto a second row; by default Gradio hid the last two in a "…" menu.
    with gr.Tabs(overflow_behavior="wrap"):
        with gr.Tab(WORDS("similar_tab")):
            with gr.Row():
                words = shown["words"] = gr.Textbox(label=WORDS("words"), value="犬 東京")
                shown["topn"] = TOPN.slider(WORDS("topn"), min_width=SIDE_BY_SIDE_MIN_WIDTH)
                view = shown["view"] = VIEW.radio(str, WORDS("view"), min_width=SIDE_BY_SIDE_MIN_WIDTH)
            explore_button = gr.Button(WORDS("find_similar"), variant="primary")
            explore_note = gr.Markdown()
            with gr.Row():
                # Headers in both languages: the answer carries them (as the API's value), so they are server-made text.
                table = gr.Dataframe(headers=TABLE_HEADERS, interactive=False, max_height=520)
                plot = gr.Plot(label=WORDS("pca"))
            # Like every tab's examples, a click searches at once (training the vectors first when needed).
            example_searches = clickable_examples(EXAMPLE_WORDS, [words], COMMON("examples"),
                                                  [(explore, wired(explore), [table, plot, explore_note])], **shared)
        with gr.Tab(WORDS("analogy_tab")):
            with gr.Row():
                shown.update(a=gr.Textbox(value="父", label="a"), b=gr.Textbox(value="母", label="− b"),
                             c=gr.Textbox(value="兄", label="+ c"))
            analogy_button = gr.Button("a − b + c", variant="primary")
            analogy_table = gr.Dataframe(headers=TABLE_HEADERS[1:], interactive=False)
        with gr.Tab(WORDS("pairs_tab")):
            sentence = gr.Textbox(value="犬が庭で楽しそうに走っている。", label=WORDS("sentence"))
            pair_window = PAIRS[1].slider(WORDS("window"))
            pairs_button = gr.Button(WORDS("show_pairs"), variant="primary")
            pairs_table = gr.Dataframe(headers=["中心語 / centre", "文脈語 / context"], interactive=False, max_height=400)
        with gr.Tab(WORDS("export_tab")):
            export_button = gr.Button(WORDS("export"))
            exported = gr.File(label=WORDS("vectors"))
        with gr.Tab(skipgram.WORDS("tab")):
            skipgram.build()
    # Stop is on while a training, search, analogy or export runs (each may train).
    training = stoppable(stop, [train_button.click], train_tab, inputs=wired(train_tab), outputs=[status, losses],
                         api_name="train_word2vec", **shared)
    # Enter in a one-line box runs what its button runs (one event either way: one endpoint, one queue slot).
    # Switching the view searches again (the vectors come from the cache): the same endpoint, view last.
    exploring = stoppable(stop, [explore_button.click, words.submit, view.input], explore, inputs=wired(explore),
                          outputs=[table, plot, explore_note], api_name="word2vec", **shared)
    solving = stoppable(stop, [analogy_button.click, *(shown[name].submit for name in "abc")], analogy,
                        inputs=wired(analogy), outputs=[analogy_table], api_name="analogy", **shared)
    gr.on([pairs_button.click, sentence.submit], pairs, inputs=[sentence, pair_window, shown["use_lemma"]],
          outputs=[pairs_table], api_name="skipgram_pairs")
    exporting = stoppable(stop, [export_button.click], export, inputs=wired(export), outputs=[exported],
                          api_name="export_vectors", **shared)
    # What a search, an analogy or an export trained is shown as if Train had been pressed (not an API endpoint:
    # it only reads the cache). Outside the shared slot: it never trains, and needs no turn behind a training.
    for event in (exploring, *example_searches, solving, exporting):
        event.success(training_shown, inputs=wired(training_shown), outputs=[status, losses],
                      api_visibility="private", show_progress="hidden")
    # Stop ends a training between two epochs (train_streaming); the other events are freed at once.
    stops(stop, [training, exploring, *example_searches, solving, exporting])
    return {"words": words, "sentence": sentence}  # what a shared link may fill (demos/links.py)
