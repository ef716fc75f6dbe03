"""word2vec: train skip-gram (or CBOW) live with gensim and explore the vectors in 3D (book §1.3)."""

from __future__ import annotations

import difflib
import html
import time

import gradio as gr

from demos import i18n, texts
from demos.components import FILES_KEPT_HOURS, SIDE_BY_SIDE_MIN_WIDTH, File, Number, Radio, Slider
from demos.common import (COMMON, InputError, blank, clickable_examples, explanation, friendly_errors,
                          markdown_literal, PLOT_FONT, plotly_plot, plotly_text, usable_text)
from models import word2vec as w2v
from models.corpus import default_corpus

WORDS = i18n.register("word2vec", {
    "title": ("単語ベクトル", "word2vec"),
    "corpus": ("コーパス（空なら既定のコーパス）", "Corpus (empty: the default corpus)"),
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
    "pca": ("PCA (3次元)", "3D PCA"),
    "analogy_tab": ("アナロジー", "Analogy"),
    "pairs_tab": ("スキップグラムの組", "Skip-gram pairs"),
    "sentence": ("文", "Sentence"),
    "show_pairs": ("組を表示", "Show pairs"),
    "export_tab": ("書き出し", "Export"),
    "export": ("word2vec テキスト形式で書き出す", "Export (word2vec text format)"),
    "vectors": ("ベクトル", "Vectors"),
})
TITLE = WORDS("title")

MAX_QUERY_WORDS = 5
MAX_TOPN = 30
MAX_CORPUS_CHARS = 2_000_000

EXAMPLE_WORDS = [["犬 東京"], ["寿司 野球 雨"], ["赤 母 電車"]]


def _corpus_text(corpus_text: str | None, upload: str | None) -> tuple[str, str]:
    """The text to train on and a line saying where it came from (upload, pasted text or the default)."""
    if upload:
        try:
            with open(upload, "rb") as handle:
                data = handle.read(w2v.MAX_UPLOAD_BYTES + 1)
        except FileNotFoundError:  # uploads are deleted after a few hours (demos/components.py)
            raise InputError(f"アップロードしたファイルはもうサーバーにありません（{FILES_KEPT_HOURS} 時間で消えます）。"
                             f"もう一度アップロードしてください。 / The uploaded file is no longer on the server "
                             f"(uploads are kept {FILES_KEPT_HOURS} hours): please upload it again.") from None
        try:
            return w2v.decode_upload(data), "アップロードしたファイル / uploaded file"
        except w2v.CorpusError as exc:
            raise InputError(str(exc)) from None
    if corpus_text and not blank(corpus_text):
        if len(corpus_text) > MAX_CORPUS_CHARS:
            raise InputError(f"文章が長すぎます（上限 {MAX_CORPUS_CHARS:,} 文字）。 / The text is too long "
                             f"(limit {MAX_CORPUS_CHARS:,} characters).")
        return usable_text(corpus_text), "入力した文章 / pasted text"
    return default_corpus(), "既定のコーパス / default corpus"


def trained_model(corpus_text, upload, use_lemma, content_only, params: w2v.Params, on_epoch=None):
    text, source = _corpus_text(corpus_text, upload)
    sentences = w2v.tokenize_corpus(text, bool(use_lemma), bool(content_only))
    try:
        trained, cached = w2v.train_cached(sentences, params, on_epoch)
    except w2v.CorpusError as exc:
        raise InputError(str(exc)) from None
    return trained, cached, source


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

    The words are the user's and the corpus's (possibly an upload), so each is
    escaped for where the message is shown: ``markdown_literal`` for the note
    (gr.Markdown), ``html.escape`` for an error (Gradio renders a gr.Error
    message as HTML in its toast).
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


def scatter(vectors, rows: list[list[object]]):
    """3D PCA of the query words and their neighbours: one point per word, coloured by query (a gr.Plot value)."""
    import numpy as np
    from sklearn.decomposition import PCA

    groups: dict[str, list[tuple[str, float]]] = {}
    for query, other, score in rows:
        groups.setdefault(query, [(query, 1.0)]).append((other, score))
    words = list(dict.fromkeys(w for members in groups.values() for w, _ in members))
    matrix = np.array([vectors[w] for w in words])
    components = min(3, len(words), matrix.shape[1])
    points = PCA(n_components=components, random_state=0).fit_transform(matrix) if len(words) > 1 else matrix[:, :1] * 0
    # (nan_to_num: the figure goes out as strict JSON, where a NaN from degenerate vectors has no spelling.)
    points = np.pad(np.nan_to_num(points), ((0, 0), (0, 3 - points.shape[1])))
    # Four decimals place a point to a ten-thousandth of the plot; float32's full digits only weigh the reply down.
    position = {w: [round(v, 4) for v in points[i].tolist()] for i, w in enumerate(words)}
    traces = []
    shown: set[str] = set()
    for query, members in groups.items():
        members = [(w, s) for w, s in members if w not in shown]
        shown.update(w for w, _ in members)
        x, y, z = zip(*(position[w] for w, _ in members))
        traces.append({
            "type": "scatter3d", "x": x, "y": y, "z": z, "mode": "markers+text", "name": plotly_text(query),
            # The 3D marker text is drawn on the WebGL canvas, which decodes no entities (escaped,
            # "&lt;" would show as such) and runs no script: it stays the plain word.
            "text": [w for w, _ in members],
            "hovertext": [f"{plotly_text(w)}: cos {s:.3f}" for w, s in members], "hoverinfo": "text",
            "marker": {"size": [9 if w == query else 5 for w, _ in members]},
        })
    return plotly_plot(traces, {
        "font": PLOT_FONT,
        "margin": {"l": 0, "r": 0, "t": 30, "b": 0}, "height": 520, "legend": {"title": {"text": "query"}},
        "title": {"text": "PCA (3D) of word vectors"},
    })


def loss_figure(losses: list[float]):
    """The training loss per epoch as a line (a gr.Plot value): drawn again after every epoch while training."""
    return plotly_plot([{"type": "scatter", "x": list(range(1, len(losses) + 1)), "y": [float(v) for v in losses],
                         "mode": "lines+markers"}],
                       # Epochs are whole numbers: ticks at 1, 2, 3 (by fives past ten), never at 1.5.
                       {"xaxis": {"title": {"text": "epoch"}, "dtick": 1 if len(losses) <= 10 else 5},
                        "yaxis": {"title": {"text": "loss (per epoch)"}},
                        "font": PLOT_FONT, "height": 300, "margin": {"l": 40, "r": 10, "t": 30, "b": 40},
                        "title": {"text": "学習損失 / Training loss"}})


def _params(vector_size, window, min_count, negative, epochs, seed, architecture, reproducible) -> w2v.Params:
    return w2v.checked_params(vector_size=vector_size, window=window, min_count=min_count, negative=negative,
                              epochs=epochs, seed=seed, sg=architecture != "CBOW", reproducible=reproducible)


def _trained_for(corpus_text, upload, use_lemma, content_only, vector_size, window, min_count, negative, epochs,
                 seed, architecture, reproducible) -> w2v.Trained:
    """The model for the tab's current settings: from the cache when already trained."""
    params = _params(vector_size, window, min_count, negative, epochs, seed, architecture, reproducible)
    return trained_model(corpus_text, upload, use_lemma, content_only, params)[0]


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


# The corpus and training settings every endpoint that trains takes, described once for their docstrings
# (Gradio builds the API and MCP tool documentation from them).
_CORPUS_ARG = ("corpus_text: Japanese text to train on (str; several sentences, up to 2,000,000 characters). "
               "Empty uses the app's default corpus of everyday sentences.")
_SETTINGS_ARGS = """\
upload: A .txt corpus file (UTF-8, UTF-16 or Shift_JIS, at most 2 MB) used instead of corpus_text, or null (default).
use_lemma: Whether words are reduced to their dictionary form (lemma) by MeCab before training (bool, default False).
content_only: Whether only content words (nouns, verbs, adjectives) are kept, dropping particles and symbols (bool, default True).
vector_size: Dimensions of the word vectors (whole number, 10 to 300, default 100).
window: Context window, words on each side of the centre word (whole number, 1 to 10, default 5).
min_count: Words seen fewer times are left out of the vocabulary (whole number, 1 to 50, default 5).
negative: Negative samples per positive pair (whole number, 1 to 20, default 5).
epochs: Passes over the corpus (whole number, 1 to 30, default 5).
seed: Random seed (whole number, 0 to 2147483647, default 1); with reproducible, the same settings give the same vectors.
architecture: "skip-gram" (default, the book's) or "CBOW".
reproducible: Train with one worker thread so a seed gives the same vectors every time (bool, default True); False is faster but not reproducible."""


def _settings_documented(handler):
    """``handler`` with the corpus and training settings described in place of ``{corpus_text}`` and ``{settings}``."""
    indented = _SETTINGS_ARGS.replace("\n", "\n        ").rstrip()
    handler.__doc__ = handler.__doc__.replace("{corpus_text}", _CORPUS_ARG).replace("{settings}", indented)
    return handler


@friendly_errors
@_settings_documented
def train_tab(corpus_text: str = "", upload=None, use_lemma=False, content_only=True, vector_size=100, window=5,
              min_count=5, negative=5, epochs=5, seed=1, architecture="skip-gram", reproducible=True):
    """Train word2vec (gensim) on a Japanese corpus tokenized by MeCab, reporting the loss epoch by epoch (book section 1.3).

    Stop (or leaving) ends the training. Models are cached: the same corpus and settings reuse the trained vectors.

    Args:
        {corpus_text}
        {settings}

    Returns:
        A Markdown status line: progress while training, then the corpus source, word and vocabulary counts and the time taken (streamed)
        A Plotly figure of the training loss per epoch
    """
    params = _params(vector_size, window, min_count, negative, epochs, seed, architecture, reproducible)
    text, source = _corpus_text(corpus_text, upload)
    started = time.perf_counter()
    source_ja, _, source_en = source.partition(" / ")
    yield f"⏳ 形態素解析中（{source_ja}）… / tokenizing the {source_en}…", gr.skip()
    sentences = w2v.tokenize_corpus(text, bool(use_lemma), bool(content_only))
    try:
        for step in w2v.train_streaming(sentences, params):
            if step.trained is None:
                yield (f"⏳ 学習中 epoch {step.epoch}/{params.epochs} / training, epoch {step.epoch} of "
                       f"{params.epochs}", loss_figure(step.losses))
            else:
                yield (_status(step.trained, source, trained_how(step.cached, time.perf_counter() - started)),
                       loss_figure(step.trained.losses))
    except w2v.CorpusError as exc:
        raise InputError(str(exc)) from None


@friendly_errors
def training_shown(corpus_text, upload=None, use_lemma=False, content_only=True, vector_size=100, window=5,
                   min_count=5, negative=5, epochs=5, seed=1, architecture="skip-gram", reproducible=True):
    """The status line and loss curve of the vectors for these settings, if trained; nothing changes otherwise.

    Runs after a search, an analogy or an export (privately, not an API endpoint): those train the vectors
    when needed, and a student who never pressed Train would otherwise see an empty loss plot and no word
    of what was trained. Never trains: only the cache is read.
    """
    params = _params(vector_size, window, min_count, negative, epochs, seed, architecture, reproducible)
    text, source = _corpus_text(corpus_text, upload)
    trained = w2v.already_trained(w2v.tokenize_corpus(text, bool(use_lemma), bool(content_only)), params)
    if trained is None:  # dropped from the cache meanwhile: the last status stays
        return gr.skip(), gr.skip()
    return _status(trained, source, TRAINED_BEFOREHAND), loss_figure(trained.losses)


@friendly_errors
@_settings_documented
def explore(corpus_text: str, words: str, upload=None, use_lemma=False, content_only=True, vector_size=100,
            window=5, min_count=5, negative=5, epochs=5, seed=1, architecture="skip-gram", reproducible=True,
            topn=10):
    """The words closest to some query words in word2vec vectors trained on a Japanese corpus, with a 3D PCA plot (book section 1.3).

    The vectors are trained first with the given settings, or reused when already trained. Models are cached: the same corpus and settings reuse the trained vectors.

    Args:
        {corpus_text}
        words: Up to 5 query words, separated by spaces or commas (str, required), e.g. 犬 東京.
        {settings}
        topn: How many neighbours per query word (whole number, 1 to 30, default 10).

    Returns:
        A table with the columns query, word, cosine: each query word's nearest words by cosine similarity
        A 3D PCA scatter of the query words and their neighbours (a Plotly figure)
        A Markdown note naming query words that are not in the vocabulary, with suggestions; empty when all were found
    """
    wanted = query_words(words)
    trained = _trained_for(corpus_text, upload, use_lemma, content_only, vector_size, window, min_count, negative,
                           epochs, seed, architecture, reproducible)
    topn = int(min(MAX_TOPN, max(1, topn if topn == topn else 10)))
    rows, unknown = neighbours(trained.vectors, wanted, topn)
    if not rows:
        raise InputError(unknown_message(trained.vectors, unknown, html.escape))
    return rows, scatter(trained.vectors, rows), unknown_message(trained.vectors, unknown)


@friendly_errors
@_settings_documented
def analogy(corpus_text, a, b, c, upload=None, use_lemma=False, content_only=True, vector_size=100, window=5,
            min_count=5, negative=5, epochs=5, seed=1, architecture="skip-gram", reproducible=True):
    """Word analogy a - b + c in word2vec vectors trained on a Japanese corpus, e.g. 父 - 母 + 兄 ≈ 姉 (book section 1.3).

    The vectors are trained first with the given settings, or reused when already trained. Models are cached: the same corpus and settings reuse the trained vectors.

    Args:
        {corpus_text}
        a: The word to start from (str, required), e.g. 父.
        b: The word to subtract (str, required), e.g. 母.
        c: The word to add (str, required), e.g. 兄.
        {settings}

    Returns:
        A table with the columns word, cosine: the 10 words closest to a - b + c
    """
    words = [query_words(x)[0] for x in (a, b, c)]
    trained = _trained_for(corpus_text, upload, use_lemma, content_only, vector_size, window, min_count, negative,
                           epochs, seed, architecture, reproducible)
    unknown = [x for x in words if x not in trained.vectors.key_to_index]
    if unknown:
        raise InputError(unknown_message(trained.vectors, unknown, html.escape))
    results = trained.vectors.most_similar(positive=[words[0], words[2]], negative=[words[1]], topn=10)
    return [[word, round(float(score), 4)] for word, score in results]


@friendly_errors
def pairs(sentence: str, window: float = 2, use_lemma: bool = False, content_only: bool = False):
    """The (centre word, context word) training pairs skip-gram word2vec makes from one Japanese sentence (book section 1.3).

    Args:
        sentence: A Japanese sentence (str, required); it is split into words by MeCab and its first 60 words are used.
        window: Context window, words on each side of the centre word (whole number, 1 to 10, default 2).
        use_lemma: Whether words are reduced to their dictionary form (lemma) first (bool, default False).
        content_only: Whether only content words are kept (bool, default False).

    Returns:
        A table with the columns centre, context: one row per training pair, in order
    """
    tokens = [t for s in w2v.tokenize_corpus(sentence or "", bool(use_lemma), bool(content_only)) for t in s]
    if not tokens:
        raise InputError("文を入力してください。 / Please enter a sentence.")
    size = int(min(w2v.BOUNDS["window"][1], max(1, window if window == window else 2)))
    return [[centre, context] for centre, context in w2v.skipgram_pairs(tokens[:60], size)]


@friendly_errors
@_settings_documented
def export(corpus_text, upload=None, use_lemma=False, content_only=True, vector_size=100, window=5, min_count=5,
           negative=5, epochs=5, seed=1, architecture="skip-gram", reproducible=True):
    """Export word2vec vectors trained on a Japanese corpus as a file in the plain word2vec text format (book section 1.3).

    The vectors are trained first with the given settings, or reused when already trained. Models are cached: the same corpus and settings reuse the trained vectors.

    Args:
        {corpus_text}
        {settings}

    Returns:
        A .txt file in the word2vec text format: a header line (vocabulary size, dimensions), then one word and its numbers per line; gensim's KeyedVectors.load_word2vec_format reads it
    """
    trained = _trained_for(corpus_text, upload, use_lemma, content_only, vector_size, window, min_count, negative,
                           epochs, seed, architecture, reproducible)
    return w2v.export_file(trained)


def build() -> dict[str, gr.Component]:
    explanation(texts.EXPLAINED("word2vec"))
    with gr.Row():
        with gr.Column(scale=2):
            corpus_text = gr.Textbox(label=WORDS("corpus"), lines=4, placeholder=WORDS("corpus_placeholder"))
            upload = File(label=WORDS("upload"), file_types=[".txt"], type="filepath")
            with gr.Row():
                use_lemma = gr.Checkbox(value=False, label=WORDS("lemma"))
                content_only = gr.Checkbox(value=True, label=WORDS("content_only"))
        with gr.Column(scale=2):
            with gr.Row():
                architecture = Radio(["skip-gram", "CBOW"], value="skip-gram", label=WORDS("architecture"))
                reproducible = gr.Checkbox(value=True, label=WORDS("reproducible"))
            with gr.Row():
                vector_size = Slider(*w2v.BOUNDS["vector_size"], value=100, step=10, label=WORDS("vector_size"),
                                     min_width=SIDE_BY_SIDE_MIN_WIDTH)
                window = Slider(*w2v.BOUNDS["window"], value=5, step=1, label=WORDS("window"),
                                min_width=SIDE_BY_SIDE_MIN_WIDTH)
                min_count = Slider(*w2v.BOUNDS["min_count"], value=5, step=1, label=WORDS("min_count"),
                                   min_width=SIDE_BY_SIDE_MIN_WIDTH)
            with gr.Row():
                negative = Slider(*w2v.BOUNDS["negative"], value=5, step=1, label=WORDS("negative"),
                                  min_width=SIDE_BY_SIDE_MIN_WIDTH)
                epochs = Slider(*w2v.BOUNDS["epochs"], value=5, step=1, label=WORDS("epochs"),
                                min_width=SIDE_BY_SIDE_MIN_WIDTH)
                seed = Number(value=1, precision=0, minimum=0, maximum=w2v.BOUNDS["seed"][1], label=COMMON("seed"))
            with gr.Row():
                train_button = gr.Button(WORDS("train"), variant="primary")
                stop_button = gr.Button(COMMON("stop"), variant="stop")
    status = gr.Markdown()
    losses = gr.Plot(label=WORDS("loss"))
    settings = [upload, use_lemma, content_only, vector_size, window, min_count, negative, epochs, seed, architecture,
                reproducible]
    # Training and anything that may train share one slot: a user's training cannot starve the rest.
    shared = {"concurrency_id": "word2vec", "concurrency_limit": 1}
    with gr.Tab(WORDS("similar_tab")):
        with gr.Row():
            words = gr.Textbox(label=WORDS("words"), value="犬 東京")
            topn = Slider(1, MAX_TOPN, value=10, step=1, label=WORDS("topn"), min_width=SIDE_BY_SIDE_MIN_WIDTH)
        explore_button = gr.Button(WORDS("find_similar"), variant="primary")
        explore_note = gr.Markdown()
        with gr.Row():
            table = gr.Dataframe(headers=["query", "word", "cosine"], interactive=False, max_height=520)
            plot = gr.Plot(label=WORDS("pca"))
        # Like every tab's examples, a click searches at once (training the vectors first when needed).
        example_searches = clickable_examples(EXAMPLE_WORDS, [words], COMMON("examples"),
                                              [(explore, [corpus_text, words, *settings, topn],
                                                [table, plot, explore_note])], **shared)
    with gr.Tab(WORDS("analogy_tab")):
        with gr.Row():
            a = gr.Textbox(value="父", label="a")
            b = gr.Textbox(value="母", label="− b")
            c = gr.Textbox(value="兄", label="+ c")
        analogy_button = gr.Button("a − b + c", variant="primary")
        analogy_table = gr.Dataframe(headers=["word", "cosine"], interactive=False)
    with gr.Tab(WORDS("pairs_tab")):
        sentence = gr.Textbox(value="犬が庭で楽しそうに走っている。", label=WORDS("sentence"))
        pair_window = Slider(1, w2v.BOUNDS["window"][1], value=2, step=1, label=WORDS("window"))
        pairs_button = gr.Button(WORDS("show_pairs"), variant="primary")
        pairs_table = gr.Dataframe(headers=["centre 中心語", "context 文脈語"], interactive=False, max_height=400)
    with gr.Tab(WORDS("export_tab")):
        export_button = gr.Button(WORDS("export"))
        exported = gr.File(label=WORDS("vectors"))
    training = train_button.click(train_tab, inputs=[corpus_text, *settings], outputs=[status, losses],
                                  api_name="train_word2vec", **shared)
    # Enter in a one-line box runs what its button runs (one event either way: one endpoint, one queue slot).
    exploring = gr.on([explore_button.click, words.submit], explore, inputs=[corpus_text, words, *settings, topn],
                      outputs=[table, plot, explore_note], api_name="word2vec", **shared)
    solving = gr.on([analogy_button.click, a.submit, b.submit, c.submit], analogy,
                    inputs=[corpus_text, a, b, c, *settings], outputs=[analogy_table], api_name="analogy", **shared)
    gr.on([pairs_button.click, sentence.submit], pairs, inputs=[sentence, pair_window, use_lemma],
          outputs=[pairs_table], api_name="skipgram_pairs")
    exporting = export_button.click(export, inputs=[corpus_text, *settings], outputs=[exported],
                                    api_name="export_vectors", **shared)
    # What a search, an analogy or an export trained is shown as if Train had been pressed (not an API endpoint:
    # it only reads the cache). Outside the shared slot: it never trains, and needs no turn behind a training.
    for event in (exploring, *example_searches, solving, exporting):
        event.success(training_shown, inputs=[corpus_text, *settings], outputs=[status, losses],
                      api_visibility="private", show_progress="hidden")
    # Stop ends a training between two epochs (train_streaming); the other events are freed at once.
    stop_button.click(None, cancels=[training, exploring, *example_searches, solving, exporting],
                      api_visibility="private")
    return {"words": words, "sentence": sentence}  # what a shared link may fill (demos/links.py)
