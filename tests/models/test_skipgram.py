"""Skip-gram by hand (models/skipgram.py): the hand-written gradients are autograd's, the same seed gives
the same numbers, and on the built-in corpus the loss falls and words of a kind become neighbours."""

import math

import numpy as np
import pytest
import torch

from demos.skipgram import builtin_corpus
from models import skipgram as sg
from models.word2vec import tokenize_corpus


def _autograd(X, U, batch, negatives=None):
    Xt = torch.tensor(X, dtype=torch.float64, requires_grad=True)
    Ut = torch.tensor(U, dtype=torch.float64, requires_grad=True)
    centres = torch.tensor([t for t, _ in batch])
    contexts = torch.tensor([c for _, c in batch])
    if negatives is None:  # −ln softmax(U x_t)[c], the book's equation, averaged over the batch
        loss = torch.nn.functional.cross_entropy(Xt[centres] @ Ut.T, contexts)
    else:
        x = Xt[centres]
        positive = torch.nn.functional.logsigmoid((x * Ut[contexts]).sum(-1))
        negative = torch.nn.functional.logsigmoid(-(x[:, None, :] * Ut[torch.tensor(negatives)]).sum(-1)).sum(-1)
        loss = -(positive + negative).mean()
    loss.backward()
    return loss.item(), Xt.grad.numpy(), Ut.grad.numpy()


@pytest.mark.parametrize("seed", range(5))
@pytest.mark.parametrize("size", [1, 3, 8])
def test_the_hand_written_gradients_are_autograds(seed, size):
    rng = np.random.default_rng(seed)
    words, dim = int(rng.integers(5, 40)), int(rng.integers(2, 12))
    X, U = rng.normal(size=(words, dim)), rng.normal(size=(words, dim))
    batch = [(int(rng.integers(words)), int(rng.integers(words))) for _ in range(size)]
    batch[-1] = batch[0]  # a pair twice in a batch: its gradient counts twice
    found = sg.softmax_gradients(X, U, batch)
    loss, dX, dU = _autograd(X, U, batch)
    assert found.loss == pytest.approx(loss, abs=1e-9)
    assert np.abs(found.dX - dX).max() < 1e-6 and np.abs(found.dU - dU).max() < 1e-6
    negatives = rng.integers(words, size=(size, 5))
    found = sg.negative_sampling_gradients(X, U, batch, negatives)
    loss, dX, dU = _autograd(X, U, batch, negatives)
    assert found.loss == pytest.approx(loss, abs=1e-9)
    assert np.abs(found.dX - dX).max() < 1e-6 and np.abs(found.dU - dU).max() < 1e-6


@pytest.fixture(scope="module")
def corpus():
    return sg.corpus_of(tokenize_corpus(builtin_corpus()))


def test_the_start_is_word2vecs_and_the_first_loss_is_ln_v(corpus):
    state = sg.initial_state(len(corpus.vocabulary), 4, seed=7)
    assert np.abs(state.X).max() <= 0.5 / 4 and not state.U.any()
    pairs = sg.pairs_of(corpus, 2)
    found = sg.step(state, sg.batch_at(pairs, 0, 1), 0.1)
    assert found.loss == pytest.approx(math.log(len(corpus.vocabulary)))
    state = sg.initial_state(len(corpus.vocabulary), 4, seed=7)
    found = sg.step(state, sg.batch_at(pairs, 0, 1), 0.1, sg.NEGATIVE_SAMPLING, sg.noise_distribution(corpus), 5)
    assert found.loss == pytest.approx(6 * math.log(2))


@pytest.mark.parametrize("method", sg.METHODS)
def test_the_same_seed_gives_the_same_numbers_step_for_step(corpus, method):
    def trained(seed):
        state = sg.initial_state(len(corpus.vocabulary), 5, seed)
        pairs, noise = sg.pairs_of(corpus, 2), sg.noise_distribution(corpus)
        for _ in range(50):
            sg.step(state, sg.batch_at(pairs, state.steps, 2), 0.2, method, noise, 3)
        return state

    first, again, other = trained(3), trained(3), trained(4)
    assert first.losses == again.losses and np.array_equal(first.X, again.X) and np.array_equal(first.U, again.U)
    assert not np.array_equal(first.X, other.X)


@pytest.mark.parametrize("method", sg.METHODS)
def test_on_the_builtin_corpus_the_loss_falls_and_words_of_a_kind_become_neighbours(corpus, method):
    from models.corpus import CATEGORIES

    state = sg.initial_state(len(corpus.vocabulary), 10, seed=1)
    pairs, noise = sg.pairs_of(corpus, 2), sg.noise_distribution(corpus)
    for _ in range(20 * len(pairs)):
        sg.step(state, sg.batch_at(pairs, state.steps, 1), 0.1, method, noise, 5)
    epochs = np.asarray(state.losses).reshape(20, len(pairs)).mean(axis=1)
    assert epochs[-1] < 0.8 * epochs[0]  # the mean loss of an epoch falls by a fifth at least
    row = {word: i for i, word in enumerate(corpus.vocabulary)}
    kind = {word: name for name, words in CATEGORIES.items() for word in words[:4] if word in row}
    assert len(kind) == 16  # 4 kinds × 4 words
    for word in kind:  # the nearest of the 15 other kind words is one of the same kind, by a margin
        others = [other for other in kind if other != word]
        cosines = {other: float(state.X[row[word]] @ state.X[row[other]] / np.linalg.norm(state.X[row[word]])
                                / np.linalg.norm(state.X[row[other]])) for other in others}
        same = [cosines[o] for o in others if kind[o] == kind[word]]
        different = [cosines[o] for o in others if kind[o] != kind[word]]
        assert min(same) > max(different) and np.mean(same) > 0.8, word


def test_a_vocabulary_over_the_cap_keeps_the_most_frequent_words():
    sentences = [["a", "b"], ["b", "c", "d"], ["c", "b", "e"]]
    kept = sg.corpus_of(sentences, most=3)
    assert kept.vocabulary == ["a", "b", "c"] and kept.dropped == 2  # b 3×, c 2×, then a (first seen)
    assert kept.sentences == [[0, 1], [1, 2], [2, 1]]
