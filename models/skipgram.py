"""Skip-gram from the equations of book §1.3, in NumPy, one step at a time (what gensim does out of sight).

Every word w of the vocabulary V has two D-dimensional vectors: x_w as a centre word (a row of X) and
u_w as a context word (a row of U). For a centre word t and a context word c:

    full softmax:       P(c | t) = exp(u_c·x_t) / Σ_w exp(u_w·x_t),   L = −ln P(c | t)
    negative sampling:  L = −ln σ(u_c·x_t) − Σ_k ln σ(−u_k·x_t)   (k: K words drawn from the unigram^0.75)

A step takes a mini-batch of pairs, averages their losses and moves X and U against the gradient with
learning rate α. X starts uniform in [−0.5/D, 0.5/D] (as word2vec and gensim start it) and U at zero, so
before the first step every word is equally likely and the first loss is ln |V|.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

import numpy as np

from models.word2vec import skipgram_pairs

SOFTMAX, NEGATIVE_SAMPLING = "softmax", "negative_sampling"
METHODS = (SOFTMAX, NEGATIVE_SAMPLING)
MAX_VOCABULARY = 200


@dataclass(frozen=True)
class Corpus:
    vocabulary: list[str]  # the rows of X and U, in order of first appearance
    sentences: list[list[int]]  # each word as its row
    dropped: int = 0  # distinct words left out: only the MAX_VOCABULARY most frequent are kept


def corpus_of(sentences: list[list[str]], most: int = MAX_VOCABULARY) -> Corpus:
    """The vocabulary and the sentences as rows; beyond ``most`` words, the most frequent are kept (ties:
    the earlier first) and the others leave the sentences, as a minimum count would drop them."""
    counts = Counter(word for sentence in sentences for word in sentence)
    first = {}
    for sentence in sentences:
        for word in sentence:
            first.setdefault(word, len(first))
    kept = set(sorted(counts, key=lambda word: (-counts[word], first[word]))[:most])
    vocabulary = [word for word in first if word in kept]
    row = {word: i for i, word in enumerate(vocabulary)}
    rows = [[row[word] for word in sentence if word in row] for sentence in sentences]
    return Corpus(vocabulary, [sentence for sentence in rows if sentence], len(counts) - len(kept))


def pairs_of(corpus: Corpus, window: int) -> list[tuple[int, int]]:
    """(centre, context) rows in corpus order: every centre word in turn, its contexts from left to right."""
    return [pair for sentence in corpus.sentences for pair in skipgram_pairs(sentence, window)]


def noise_distribution(corpus: Corpus) -> np.ndarray:
    """The unigram distribution to the power 0.75, which negative samples are drawn from (as in word2vec)."""
    counts = np.bincount([word for sentence in corpus.sentences for word in sentence],
                         minlength=len(corpus.vocabulary)).astype(np.float64)
    weights = counts ** 0.75
    return weights / weights.sum()


@dataclass
class State:
    X: np.ndarray  # |V| × D, centre-word vectors
    U: np.ndarray  # |V| × D, context-word vectors
    rng: np.random.Generator = field(repr=False)  # negative samples come from it, after the initialisation
    steps: int = 0
    losses: list[float] = field(default_factory=list)


def initial_state(words: int, dim: int, seed: int) -> State:
    rng = np.random.default_rng(seed)
    X = rng.uniform(-0.5 / dim, 0.5 / dim, size=(words, dim))
    return State(X, np.zeros((words, dim)), rng)


@dataclass(frozen=True)
class Gradients:
    """One mini-batch: its mean loss and the gradients of that mean, with what a view shows of its first pair."""

    loss: float
    dX: np.ndarray  # |V| × D: nonzero on the batch's centre words only
    dU: np.ndarray  # |V| × D
    scores: np.ndarray  # the first pair's u_w·x_t for every word w (softmax), or for c and its negatives
    probabilities: np.ndarray  # the first pair's softmax over V, or σ of its scores
    negatives: np.ndarray  # the first pair's negative samples (negative sampling only)


def softmax_gradients(X: np.ndarray, U: np.ndarray, batch: list[tuple[int, int]]) -> Gradients:
    """The book's loss: −ln P(c | t) with the softmax over the whole vocabulary, averaged over the batch."""
    centres = np.array([t for t, _ in batch])
    contexts = np.array([c for _, c in batch])
    scores = X[centres] @ U.T  # B × |V|
    shifted = scores - scores.max(axis=1, keepdims=True)
    probabilities = np.exp(shifted)
    probabilities /= probabilities.sum(axis=1, keepdims=True)
    rows = np.arange(len(batch))
    loss = float(-np.log(probabilities[rows, contexts]).mean())
    error = probabilities.copy()  # ∂L/∂score = p_w − 1[w = c], for each pair
    error[rows, contexts] -= 1.0
    error /= len(batch)
    dX = np.zeros_like(X)
    np.add.at(dX, centres, error @ U)  # ∂L/∂x_t = Σ_w (p_w − 1[w = c]) u_w
    dU = error.T @ X[centres]  # ∂L/∂u_w = (p_w − 1[w = c]) x_t
    return Gradients(loss, dX, dU, scores[0], probabilities[0], np.array([], dtype=int))


def negative_sampling_gradients(X: np.ndarray, U: np.ndarray, batch: list[tuple[int, int]],
                                negatives: np.ndarray) -> Gradients:
    """gensim's loss: the context word against K negative samples (``negatives``: B × K rows), averaged."""
    centres = np.array([t for t, _ in batch])
    targets = np.concatenate([np.array([[c] for _, c in batch]), negatives], axis=1)  # B × (1 + K)
    signs = np.ones(targets.shape)
    signs[:, 1:] = -1.0
    scores = np.einsum("bd,bkd->bk", X[centres], U[targets])
    loss = float(np.logaddexp(0.0, -signs * scores).sum(axis=1).mean())  # −ln σ(±s), stably
    # ∂L/∂s = σ(s) − 1 for the context word, σ(s) for a negative sample
    error = (1.0 / (1.0 + np.exp(-scores)) - (signs > 0)) / len(batch)
    dX = np.zeros_like(X)
    np.add.at(dX, centres, np.einsum("bk,bkd->bd", error, U[targets]))
    dU = np.zeros_like(U)
    np.add.at(dU, targets.ravel(), (error[:, :, None] * X[centres][:, None, :]).reshape(-1, X.shape[1]))
    return Gradients(loss, dX, dU, scores[0], 1.0 / (1.0 + np.exp(-scores[0])), negatives[0])


def gradients(state: State, batch: list[tuple[int, int]], method: str, noise: np.ndarray | None = None,
              negative: int = 5) -> Gradients:
    """The batch's loss and gradients at ``state`` (negative samples drawn from ``state.rng``)."""
    if method == SOFTMAX:
        return softmax_gradients(state.X, state.U, batch)
    negatives = state.rng.choice(len(noise), size=(len(batch), negative), p=noise)
    return negative_sampling_gradients(state.X, state.U, batch, negatives)


def step(state: State, batch: list[tuple[int, int]], learning_rate: float, method: str = SOFTMAX,
         noise: np.ndarray | None = None, negative: int = 5) -> Gradients:
    """One SGD step on ``batch``: X and U move together against the gradient (both from the same values)."""
    found = gradients(state, batch, method, noise, negative)
    state.X -= learning_rate * found.dX
    state.U -= learning_rate * found.dU
    state.steps += 1
    state.losses.append(found.loss)
    return found


def batch_at(pairs: list[tuple[int, int]], steps_done: int, size: int) -> list[tuple[int, int]]:
    """The pairs of the next step: ``size`` pairs on from where the earlier steps left off, round the corpus."""
    start = steps_done * size
    return [pairs[(start + i) % len(pairs)] for i in range(size)]


def nearest(X: np.ndarray, row: int, count: int = 3) -> list[tuple[int, float]]:
    """The ``count`` rows closest to ``row`` by cosine, with their cosines."""
    norms = np.linalg.norm(X, axis=1)
    cosines = X @ X[row] / np.maximum(norms * norms[row], 1e-12)
    cosines[row] = -np.inf
    best = np.argsort(-cosines)[:count]
    return [(int(i), float(cosines[i])) for i in best]
