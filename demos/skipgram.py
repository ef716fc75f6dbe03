"""仕組み / How it learns: skip-gram trained step by step on a tiny corpus, the equations of book §1.3 with
the numbers of each step filled in (models/skipgram.py does the arithmetic; gensim does it out of sight).

A training is fully determined by the corpus, the settings and the number of steps done, so the page
keeps only that number: each click replays from the nearest state kept here (recent ones, by settings)
and every figure shows the state after the last step.
"""

from __future__ import annotations

import copy
import hashlib
import math
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np

import gradio as gr

from demos import i18n, tasks
from demos.common import (PLOT_FONT, TITLE_MARGIN, InputError, markdown_literal, plotly_plot, plotly_text,
                          stop_button, stoppable, stops, usable_text)
from demos.tasks import Input
from models import corpus as generated
from models import skipgram as sg
from models.recent import LeastRecentlyUsed
from models.word2vec import tokenize_corpus

LONGEST_CORPUS = 5_000
CORPUS = Input("corpus_text", f"A few Japanese sentences, one per line (at most {LONGEST_CORPUS:,} characters), split"
               " into words by MeCab, nouns, verbs and adjectives kept as in the word2vec tab; empty for the"
               " built-in corpus (48 sentences the app writes: 4 kinds of word × 4 words × 3 sentences)", kind=None)
DIM = Input("dim", "D, the length of each word's two vectors", int, 2, 2, 20, ja="次元 D", en="dimension D")
WINDOW = Input("window", "How many words on each side are contexts", int, 2, 1, 5, ja="窓幅", en="window")
RATE = Input("learning_rate", "α, the step against the gradient", float, 0.1, 0.001, 2.0, 0.001, ja="学習率 α",
             en="learning rate α")
STEPS = Input("steps", "How many SGD steps to run from the initialisation (one pair each)", int, 1, 1, 20_000,
              ja="ステップ数", en="steps")
SEED = Input("seed", "The seed of the initialisation (and of the negative samples)", int, 1, 0, 2**31 - 1,
             ja="シード", en="seed")
METHOD = Input("method", "softmax (the book's equation, over the whole vocabulary) or negative_sampling"
               " (gensim's way: the context word against K words drawn at random)", default=sg.SOFTMAX,
               choices=sg.METHODS, ja="方式", en="method")
BATCH = Input("batch_size", "Pairs per step (their losses averaged)", int, 1, 1, 64, ja="ミニバッチ", en="mini-batch")
NEGATIVE = Input("negative", "K, negative samples per pair", int, 5, 1, 20, ja="負例数 K", en="negative samples K")
API_INPUTS = (CORPUS, DIM, WINDOW, RATE, STEPS, SEED, METHOD)


@dataclass(frozen=True)
class Settings:
    text: str  # the corpus as read (the built-in one when the request's was empty)
    dim: int
    window: int
    learning_rate: float
    seed: int
    method: str
    batch_size: int = 1
    negative: int = 5


@dataclass(frozen=True)
class Training:
    corpus: sg.Corpus
    pairs: list[tuple[int, int]]
    noise: np.ndarray


def builtin_corpus() -> str:
    """Four kinds of word, four words each, in the same three sentences of their kind: words of a kind share
    their contexts exactly, so skip-gram should make them neighbours."""
    kinds = ("animals", "foods", "places", "sports")
    return "\n".join(generated.TEMPLATES[kind][sentence].format(w=word) for kind in kinds
                     for word in generated.CATEGORIES[kind][:4] for sentence in range(3))


def settings_of(corpus_text: Any, dim: Any, window: Any, learning_rate: Any, seed: Any, method: Any,
                batch_size: Any = 1, negative: Any = 5) -> Settings:
    """The request's settings, checked (numbers brought within their bounds, as every tab does)."""
    text = usable_text(str(corpus_text or ""))
    if len(text) > LONGEST_CORPUS:
        raise InputError(f"コーパスが長すぎます（{LONGEST_CORPUS:,} 文字まで）。数文で試してください。 / The corpus is too"
                         f" long (at most {LONGEST_CORPUS:,} characters): a few sentences are enough here.")
    return Settings(text if text.strip() else builtin_corpus(), DIM.check(dim), WINDOW.check(window),
                    RATE.check(learning_rate), SEED.check(seed), METHOD.check(method), BATCH.check(batch_size),
                    NEGATIVE.check(negative))


# Corpora read recently (MeCab, vocabulary, pairs) and the latest state of recent trainings.
_trainings: LeastRecentlyUsed[Training] = LeastRecentlyUsed(8)
_states: LeastRecentlyUsed[sg.State] = LeastRecentlyUsed(32)


def training_of(text: str, window: int) -> Training:
    key = (hashlib.sha256(text.encode()).hexdigest(), window)
    found = _trainings.get(key)
    if found is None:
        corpus = sg.corpus_of(tokenize_corpus(text))
        pairs = sg.pairs_of(corpus, window)
        if len(corpus.vocabulary) < 2 or not pairs:
            raise InputError("単語が少なすぎて、中心語と文脈語の組ができません。文をもう少し足してください。 / Too few words to"
                             " make any (centre, context) pair: add a few more sentences.")
        found = Training(corpus, pairs, sg.noise_distribution(corpus))
        _trainings.put(key, found)
    return found


def _state_key(settings: Settings) -> tuple:
    return (hashlib.sha256(settings.text.encode()).hexdigest(), *[getattr(settings, name) for name in
                                                                  ("dim", "window", "learning_rate", "seed", "method",
                                                                   "batch_size", "negative")])


def state_at(settings: Settings, steps: int) -> tuple[Training, sg.State]:
    """The state after ``steps`` steps, continued from the latest kept one when it is not past them."""
    training = training_of(settings.text, settings.window)
    kept = _states.get(_state_key(settings))
    state = copy.deepcopy(kept) if kept is not None and kept.steps <= steps else \
        sg.initial_state(len(training.corpus.vocabulary), settings.dim, settings.seed)
    while state.steps < steps:
        _advance(training, state, settings)
    _states.put(_state_key(settings), copy.deepcopy(state))
    return training, state


def _advance(training: Training, state: sg.State, settings: Settings) -> sg.Gradients:
    return sg.step(state, sg.batch_at(training.pairs, state.steps, settings.batch_size), settings.learning_rate,
                   settings.method, training.noise, settings.negative)


def skipgram_steps(values: dict[str, Any]) -> dict[str, Any]:
    settings = settings_of(values["corpus_text"], values["dim"], values["window"], values["learning_rate"],
                           values["seed"], values["method"])
    training, state = state_at(settings, STEPS.check(values["steps"]))
    vocabulary = training.corpus.vocabulary
    used = [sg.batch_at(training.pairs, done, 1)[0] for done in range(state.steps)]
    return {"vocabulary": vocabulary, "pairs": [[vocabulary[t], vocabulary[c]] for t, c in used],
            "losses": [float(loss) for loss in state.losses], "X": state.X.tolist(), "U": state.U.tolist(),
            "settings": {"dim": settings.dim, "window": settings.window, "learning_rate": settings.learning_rate,
                         "steps": state.steps, "seed": settings.seed, "method": settings.method},
            "dropped_words": training.corpus.dropped}


def _api(*args: Any, **kwargs: Any) -> dict[str, Any]:
    bound = tasks.signature(API_INPUTS).bind(*args, **kwargs)
    bound.apply_defaults()
    return skipgram_steps(dict(bound.arguments))


skipgram_steps_api = tasks.typed(tasks.declared_handler(
    _api, "skipgram_steps", "Train skip-gram (book section 1.3) by hand for a number of SGD steps, one (centre,"
    " context) pair each in corpus order, from word2vec's initialisation: X uniform in [-0.5/D, 0.5/D], U zero.",
    API_INPUTS, ("JSON: vocabulary (the rows of X and U), pairs ([centre, context] of each step), losses (one per"
                 " step, natural log), X and U (|V| x D lists of lists after the steps), settings (the values used)",)),
    API_INPUTS)


# ---- the view ---------------------------------------------------------------------------------------------

WORDS = i18n.register("skipgram", {
    "tab": ("仕組み", "How it learns"),
    "intro": (
        "skip-gram を式のとおりに 1 ステップずつ学習します。各単語 w は 2 つのベクトル x_w（中心語として）と u_w（文脈語として）"
        "を持ち、P(c | t) = exp(u_c·x_t) / Σ_w exp(u_w·x_t)、損失 L = −ln P(c | t)、勾配に逆らって学習率 α で動きます。"
        "x は [−0.5/D, 0.5/D] の一様乱数、u は 0 から始まるので、最初はどの語も同じ確率で、最初の損失は ln |V| です。"
        "負例サンプリング（gensim の方式）は、分母の和が語彙全体にわたって重いので、文脈語と K 個の無作為な語だけを比べます。",
        "Skip-gram trained by its equations, one step at a time. Each word w has two vectors, x_w (as a centre word) and"
        " u_w (as a context word); P(c | t) = exp(u_c·x_t) / Σ_w exp(u_w·x_t), the loss is L = −ln P(c | t), and the"
        " vectors move against its gradient with learning rate α. x starts uniform in [−0.5/D, 0.5/D] and u at zero,"
        " so at first every word is equally likely and the first loss is ln |V|. Negative sampling (gensim's way)"
        " exists because the softmax's sum runs over the whole vocabulary: it compares the context word with K words"
        " drawn at random instead."),
    "corpus": ("コーパス（空欄なら内蔵の 48 文）", "Corpus (empty: the built-in 48 sentences)"),
    "one": ("1 ステップ", "1 step"),
    "ten": ("10 ステップ", "10 steps"),
    "epoch": ("1 エポック", "1 epoch"),
    "play": ("再生 ▶", "Play ▶"),
    "pause": ("一時停止", "Pause"),
    "reset": ("最初から", "Reset"),
    "done": ("済んだステップ", "Steps done"),
    "gensim": ("同じコーパスを gensim で学習して比べる", "Train the same corpus with gensim to compare"),
    "probabilities": ("このステップの確率", "This step's probabilities"),
    "loss": ("損失", "Loss"),
    "x_matrix": ("行列 X", "Matrix X"),
    "u_matrix": ("行列 U", "Matrix U"),
    "plane": ("ベクトル x_w の動き", "The vectors x_w moving"),
    "dim": ("次元 D", "Dimension D"),
    "window": ("窓幅", "Window"),
    "rate": ("学習率 α", "Learning rate α"),
    "batch": ("ミニバッチの組数", "Pairs per mini-batch"),
    "negative": ("負例数 K（負例サンプリング）", "Negative samples K (negative sampling)"),
    "seed": ("シード", "Seed"),
    "method": ("方式", "Method"),
})
METHOD_NAMES = {sg.SOFTMAX: "softmax（式のとおり / the book's）", sg.NEGATIVE_SAMPLING: "負例サンプリング / negative sampling"}
NEIGHBOUR_HEADERS = ["単語 / word", "近い語（今） / neighbours now", "このクリックの前 / before this click"]
GENSIM_HEADERS = ["単語 / word", "この学習 / this training", "gensim (skip-gram, 負例 / negative sampling)"]
PLAY_UPDATES = 200  # a play runs at most this many updates; press it again to go on
# Redrawing a Plotly figure ten times a second kept a browser too busy to take a click on Pause.
PLANE_EVERY = 5  # the moving vectors twice a second
SLOW_EVERY = 20  # while playing, the loss, the matrices and the tables are redrawn every this many updates


def _vector(values: np.ndarray, most: int = 6) -> str:
    shown = ", ".join(f"{value:+.4f}" for value in values[:most])
    return f"[{shown}{', …' if len(values) > most else ''}]"


def equations_text(training: Training, before: sg.State, found: sg.Gradients, settings: Settings,
                   batch: list[tuple[int, int]]) -> str:
    """The slide's equations with this step's numbers: its first pair's, and the update the step made."""
    vocabulary = training.corpus.vocabulary
    t, c = batch[0]
    x_t, u_c, rate = before.X[t], before.U[c], settings.learning_rate
    done = before.steps * settings.batch_size
    head = [f"**ステップ / step {before.steps + 1}** — 中心語 / centre t = **{markdown_literal(vocabulary[t])}**, "
            f"文脈語 / context c = **{markdown_literal(vocabulary[c])}**（ペア / pair {done % len(training.pairs) + 1} / "
            f"{len(training.pairs)}, エポック / epoch {done // len(training.pairs) + 1}）", ""]
    if len(batch) > 1:
        head += [f"ミニバッチ {len(batch)} 組の損失と勾配の平均で更新します。1〜5 はその最初の組の数値です。 / The step follows the mean"
                 f" loss and gradient of a mini-batch of {len(batch)} pairs; 1 to 5 are its first pair's numbers.", ""]
    first_time = before.steps == 0
    if settings.method == sg.SOFTMAX:
        own = sg.softmax_gradients(before.X, before.U, [batch[0]])
        scores, p = own.scores, own.probabilities
        total = float(np.exp(scores - scores.max()).sum() * math.exp(scores.max()))
        steps = [f"スコア / scores s_w = u_w·x_t（{len(vocabulary)} 語すべて / every word）: s_c = {scores[c]:+.4f}, "
                 f"最大 / largest {scores.max():+.4f}",
                 f"P(c | t) = exp(s_c) / Σ_w exp(s_w) = {math.exp(scores[c]):.4f} / {total:.4f} = {p[c]:.4f}",
                 f"L = −ln P(c | t) = {own.loss:.4f}" + (
                     f"（= ln |V| = ln {len(vocabulary)}: u がすべて 0 / every u is 0）" if first_time else ""),
                 f"∂L/∂x_t = Σ_w (p_w − 1[w = c]) u_w = {_vector(own.dX[t])}",
                 f"∂L/∂u_c = (p_c − 1) x_t = ({p[c]:.4f} − 1) × {_vector(x_t)} = {_vector(own.dU[c])}; "
                 f"ほかの語 / every other word: ∂L/∂u_w = p_w x_t"]
    else:
        own = sg.negative_sampling_gradients(before.X, before.U, [batch[0]], found.negatives[None, :])
        sigma = own.probabilities
        negatives = ", ".join(f"{markdown_literal(vocabulary[k])} {score:+.4f}"
                              for k, score in zip(own.negatives, own.scores[1:]))
        steps = [f"スコア / scores: s_c = u_c·x_t = {own.scores[0]:+.4f}; 負例 / negatives k: {negatives}",
                 f"L = −ln σ(s_c) − Σ_k ln σ(−s_k) = {own.loss:.4f}" + (
                     "（= (1 + K) ln 2: u がすべて 0 / every u is 0）" if first_time else ""),
                 f"∂L/∂x_t = (σ(s_c) − 1) u_c + Σ_k σ(s_k) u_k = {_vector(own.dX[t])}",
                 f"∂L/∂u_c = (σ(s_c) − 1) x_t = ({sigma[0]:.4f} − 1) × {_vector(x_t)} = {_vector(own.dU[c])}; "
                 f"∂L/∂u_k = σ(s_k) x_t"]
    steps += [f"更新 / update (α = {rate:g}): x_t ← x_t − α ∂L/∂x_t: {_vector(x_t)} → {_vector(x_t - rate * found.dX[t])}; "
              f"u_c ← u_c − α ∂L/∂u_c: {_vector(u_c)} → {_vector(u_c - rate * found.dU[c])}"]
    return "\n".join(head + [f"{number}. {line}" for number, line in enumerate(steps, start=1)])


def probabilities_figure(training: Training, found: sg.Gradients, settings: Settings,
                         batch: list[tuple[int, int]]) -> Any:
    """The first pair's softmax over the vocabulary (the context word in orange), or σ of its K + 1 scores."""
    vocabulary, (_, c) = training.corpus.vocabulary, batch[0]
    if settings.method == sg.SOFTMAX:
        words, values, context = vocabulary, found.probabilities, c
        title = "P(w | t) = softmax(u_w·x_t)"
    else:
        words = [vocabulary[c], *(vocabulary[k] for k in found.negatives)]
        values, context = found.probabilities, 0
        title = "σ(s): 文脈語と負例 / the context word and the negatives"
    ticks = [f"{i}:{plotly_text(word)}" for i, word in enumerate(words)]
    colours = ["#ea580c" if i == context else "#2563eb" for i in range(len(words))]
    # Each bar's score s = u_w·x_t in its hover text, beside the probability it gives.
    # The context word's bar is hatched as well as orange: colour is never the only mark (WCAG 1.4.1).
    marker = {"color": colours, "pattern": {"shape": ["/" if i == context else "" for i in range(len(words))]}}
    trace = {"type": "bar", "x": ticks, "y": [float(v) for v in values], "marker": marker,
             "customdata": [float(score) for score in found.scores],
             "hovertemplate": "%{x}: s = %{customdata:+.4f}, p = %{y:.4f}<extra></extra>"}
    return plotly_plot([trace], {"font": PLOT_FONT, "height": 300, "title": {"text": title},
                                 "margin": {"l": 10, "r": 10, "t": TITLE_MARGIN, "b": 10},
                                 "xaxis": {"type": "category", "showticklabels": len(words) <= 60, "tickangle": -60},
                                 "yaxis": {"range": [0, 1] if settings.method != sg.SOFTMAX else None}})


def loss_figure(state: sg.State, words: int, pairs: int, settings: Settings) -> Any:
    """Each step's loss, its mean over the last epoch's steps, and where it started: ln |V| for the softmax,
    (1 + K) ln 2 for negative sampling."""
    start = math.log(words) if settings.method == sg.SOFTMAX else (1 + settings.negative) * math.log(2)
    shown = np.asarray(state.losses[-5000:])
    first = state.steps - len(shown) + 1
    steps = list(range(first, state.steps + 1))
    window = max(1, min(len(shown), pairs // settings.batch_size))  # an epoch's steps
    running = np.convolve(shown, np.ones(window) / window, mode="valid")
    traces = [{"type": "scatter", "mode": "lines", "x": steps, "y": shown.tolist(), "name": "L",
               "line": {"color": "rgba(37, 99, 235, 0.35)", "width": 1}},
              {"type": "scatter", "mode": "lines", "x": steps[window - 1:], "y": running.tolist(),
               "name": "1 エポックの平均 / mean over an epoch", "line": {"color": "#2563eb", "width": 2.5}},
              {"type": "scatter", "mode": "lines", "x": [first, max(state.steps, first + 1)], "y": [start, start],
               "name": "最初 / at first", "line": {"color": "#ea580c", "dash": "dash"}}]
    return plotly_plot(traces, {"font": PLOT_FONT, "height": 300, "title": {"text": "損失 / loss (ln)"},
                                "margin": {"l": 10, "r": 10, "t": TITLE_MARGIN, "b": 10},
                                "legend": {"orientation": "h", "y": -0.3},
                                "xaxis": {"title": {"text": "step"}}})


def matrix_figure(matrix: np.ndarray, vocabulary: list[str], name: str) -> Any:
    """X or U as a heatmap: a row per word, a column per dimension."""
    largest = float(np.abs(matrix).max()) or 1.0
    trace = {"type": "heatmap", "z": matrix.tolist(), "y": [f"{i}:{plotly_text(w)}" for i, w in enumerate(vocabulary)],
             "x": [str(d + 1) for d in range(matrix.shape[1])], "zmin": -largest, "zmax": largest,
             "colorscale": [[0, "#2563eb"], [0.5, "rgba(128, 128, 128, 0.08)"], [1, "#ea580c"]],
             "hovertemplate": "%{y}, d%{x}: %{z:.4f}<extra></extra>"}
    return plotly_plot([trace], {"font": PLOT_FONT, "height": min(640, 14 * len(vocabulary) + 120),
                                 "title": {"text": name}, "margin": {"l": 10, "r": 10, "t": TITLE_MARGIN, "b": 10},
                                 "xaxis": {"type": "category", "title": {"text": "d"}},
                                 "yaxis": {"type": "category", "autorange": "reversed",
                                           "showticklabels": len(vocabulary) <= 60}})


def plane_figure(state: sg.State, vocabulary: list[str], pair: tuple[int, int]) -> Any:
    """Each word's x in 2D: the vectors themselves for D = 2, their first two principal components above."""
    X = state.X
    if X.shape[1] > 2:
        centred = X - X.mean(axis=0)
        _, _, axes = np.linalg.svd(centred, full_matrices=False)
        X = centred @ axes[:2].T
    colours = ["#ea580c" if i in pair else "#2563eb" for i in range(len(vocabulary))]
    trace = {"type": "scatter", "mode": "markers+text" if len(vocabulary) <= 60 else "markers",
             "x": X[:, 0].tolist(), "y": X[:, 1].tolist(), "text": [plotly_text(w) for w in vocabulary],
             "textposition": "top center",
             "marker": {"color": colours, "size": 8,  # the pair's words are stars as well as orange
                        "symbol": ["star" if i in pair else "circle" for i in range(len(vocabulary))]},
             "hovertemplate": "%{text}<extra></extra>"}
    title = "x_w (D = 2)" if state.X.shape[1] == 2 else f"x_w: PCA {state.X.shape[1]} → 2"
    return plotly_plot([trace], {"font": PLOT_FONT, "height": 420, "title": {"text": title},
                                 "margin": {"l": 10, "r": 10, "t": TITLE_MARGIN, "b": 10}})


def _neighbours(X: np.ndarray, vocabulary: list[str], row: int) -> str:
    return "、".join(f"{vocabulary[i]} ({cosine:.2f})" for i, cosine in sg.nearest(X, row))


def shown_words(training: Training, pair: tuple[int, int], most: int = 8) -> list[int]:
    """The rows a neighbours table lists: the step's pair, then the most frequent words."""
    counts = np.bincount([w for sentence in training.corpus.sentences for w in sentence],
                         minlength=len(training.corpus.vocabulary))
    rows = list(dict.fromkeys([*pair, *np.argsort(-counts, kind="stable").tolist()]))
    return rows[:most]


def neighbours_table(training: Training, before: sg.State, after: sg.State, pair: tuple[int, int]) -> list[list[str]]:
    vocabulary = training.corpus.vocabulary
    return [[vocabulary[row], _neighbours(after.X, vocabulary, row), _neighbours(before.X, vocabulary, row)]
            for row in shown_words(training, pair)]


def view(settings: Settings, steps: int, since: int, everything: bool = True, plane: bool = True) -> tuple:
    """Everything the view shows after ``steps`` steps (at least one), its table comparing with ``since``;
    without ``everything``, the count, the equations and (with ``plane``) the plane only, gr.skip() for the rest."""
    steps = max(1, steps)
    training, last = state_at(settings, steps - 1)
    earlier = state_at(settings, min(since, steps - 1))[1] if everything and since < steps - 1 else last
    before = copy.deepcopy(last)
    batch = sg.batch_at(training.pairs, last.steps, settings.batch_size)
    found = _advance(training, last, settings)
    _states.put(_state_key(settings), copy.deepcopy(last))
    vocabulary = training.corpus.vocabulary
    note = ""
    if training.corpus.dropped:
        note = (f"\n\n語彙は多い順に {sg.MAX_VOCABULARY} 語まで（{training.corpus.dropped} 語は使っていません）。 / The vocabulary"
                f" keeps the {sg.MAX_VOCABULARY} most frequent words ({training.corpus.dropped} left out).")
    equations = equations_text(training, before, found, settings, batch) + note
    moving = plane_figure(last, vocabulary, batch[0]) if plane or everything else gr.skip()
    if not everything:
        return (last.steps, equations, gr.skip(), gr.skip(), gr.skip(), gr.skip(), moving, gr.skip())
    return (last.steps, equations, probabilities_figure(training, found, settings, batch),
            loss_figure(last, len(vocabulary), len(training.pairs), settings), matrix_figure(last.X, vocabulary, "X（中心語 / centre words）"),
            matrix_figure(last.U, vocabulary, "U（文脈語 / context words）"), moving,
            neighbours_table(training, earlier, last, batch[0]))


def _settings(values: tuple) -> Settings:
    return settings_of(*values)


def moved(by: str):
    """The handler of a button that moves the training on (``by``: one, ten, epoch) or back to its start."""
    def handler(done: float | None, *values: Any) -> tuple:
        settings = _settings(values)
        done = int(done or 0)
        if by == "reset":
            return view(settings, 1, 0)
        if by == "redraw":  # every figure at the step a paused play reached
            return view(settings, done, done)
        pairs = len(training_of(settings.text, settings.window).pairs)
        count = {"one": 1, "ten": 10, "epoch": math.ceil(pairs / settings.batch_size)}[by]
        return view(settings, min(done + count, STEPS.high), done)
    handler.__name__ = f"skipgram_{by}"
    return handler


def play(done: float | None, *values: Any) -> Iterator[tuple]:
    """Streams the training on, ten updates a second, until paused (or PLAY_UPDATES updates): each update
    the step count and its equations, the moving vectors every PLANE_EVERY updates, the other figures every
    SLOW_EVERY updates and at the end."""
    settings = _settings(values)
    done = int(done or 0)
    pairs = len(training_of(settings.text, settings.window).pairs)
    per_update = max(1, pairs // (20 * settings.batch_size))  # an epoch in about 2 s
    for update in range(1, PLAY_UPDATES + 1):
        started = time.perf_counter()
        last = update == PLAY_UPDATES or done + 2 * per_update > STEPS.high
        shown = view(settings, done + per_update, done, everything=last or update % SLOW_EVERY == 0,
                     plane=update % PLANE_EVERY == 0)
        done = shown[0]
        yield shown
        if last:
            return
        time.sleep(max(0.0, 0.1 - (time.perf_counter() - started)))


def compare_with_gensim(done: float | None, *values: Any) -> list[list[str]]:
    """The same corpus, dimension, window and seed trained by gensim's skip-gram (negative sampling) for as many
    epochs as the steps done here, and the neighbours each gives."""
    from models.word2vec import gensim_models

    Word2Vec = gensim_models().Word2Vec
    settings = _settings(values)
    steps = max(1, int(done or 0))
    training, state = state_at(settings, steps)
    vocabulary = training.corpus.vocabulary
    sentences = [[vocabulary[w] for w in sentence] for sentence in training.corpus.sentences]
    epochs = max(1, min(200, round(steps * settings.batch_size / len(training.pairs))))
    model = Word2Vec(sentences, vector_size=settings.dim, window=settings.window, min_count=1, sg=1,
                     negative=settings.negative, alpha=min(settings.learning_rate, 0.1), seed=settings.seed,
                     workers=1, epochs=epochs)
    rows = []
    for row in shown_words(training, training.pairs[0]):
        word = vocabulary[row]
        theirs = "、".join(f"{w} ({cosine:.2f})" for w, cosine in model.wv.most_similar(word, topn=3))
        rows.append([word, _neighbours(state.X, vocabulary, row), theirs])
    return rows


def build() -> None:
    """The "How it learns" sub-tab of the word2vec tab."""
    gr.Markdown(WORDS("intro"))
    with gr.Row():
        corpus = gr.Textbox(label=WORDS("corpus"), lines=3, max_length=LONGEST_CORPUS, scale=2)
        with gr.Column(scale=3):
            with gr.Row():
                dim, window, rate = DIM.slider(WORDS("dim")), WINDOW.slider(WORDS("window")), RATE.slider(WORDS("rate"))
            with gr.Row():
                batch, negative = BATCH.slider(WORDS("batch")), NEGATIVE.slider(WORDS("negative"))
                seed = SEED.number_box(WORDS("seed"))
                method = METHOD.radio(METHOD_NAMES.get, WORDS("method"))
    with gr.Row():
        one, ten, epoch = (gr.Button(WORDS(name), variant="primary" if name == "one" else "secondary")
                           for name in ("one", "ten", "epoch"))
        play_button, pause = gr.Button(WORDS("play")), stop_button(WORDS("pause"))
        reset = gr.Button(WORDS("reset"))
        done = gr.Number(value=0, precision=0, label=WORDS("done"), interactive=False)
    equations = gr.Markdown()
    # Labelled for screen readers (each figure has its own title on screen).
    plot = lambda name: gr.Plot(label=WORDS(name), show_label=False)  # noqa: E731
    with gr.Row():
        probabilities, losses = plot("probabilities"), plot("loss")
    with gr.Row():
        x_map, u_map, plane = plot("x_matrix"), plot("u_matrix"), plot("plane")
    neighbours = gr.Dataframe(headers=NEIGHBOUR_HEADERS, interactive=False)
    compare = gr.Button(WORDS("gensim"), size="sm")
    compared = gr.Dataframe(headers=GENSIM_HEADERS, interactive=False)
    inputs = [done, corpus, dim, window, rate, seed, method, batch, negative]
    outputs = [done, equations, probabilities, losses, x_map, u_map, plane, neighbours]
    private = {"api_visibility": "private", "concurrency_id": "skipgram", "concurrency_limit": 4}
    for button, by in ((one, "one"), (ten, "ten"), (epoch, "epoch"), (reset, "reset")):
        button.click(moved(by), inputs=inputs, outputs=outputs, **private)
    playing = stoppable(pause, [play_button.click], play, inputs=inputs, outputs=outputs, show_progress="hidden",
                        **private)
    stops(pause, [playing])
    pause.click(moved("redraw"), inputs=inputs, outputs=outputs, **private)  # a play redraws some figures rarely
    compare.click(compare_with_gensim, inputs=inputs, outputs=[compared], **private)
    gr.api(skipgram_steps_api, api_name="skipgram_steps")
