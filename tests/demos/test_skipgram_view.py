"""The "How it learns" view (demos/skipgram.py): each button moves the training on by its count, the
equations show the step's own numbers, and play streams updates until paused."""

import math

import numpy as np
import pytest

from demos import skipgram
from tests.plots import figure_of

DEFAULTS = ("", 2, 2, 0.1, 1, "softmax", 1, 5)


def test_the_buttons_move_the_training_on_by_their_count():
    done, *_ = skipgram.moved("one")(0, *DEFAULTS)
    assert done == 1
    done, *_ = skipgram.moved("ten")(done, *DEFAULTS)
    assert done == 11
    pairs = len(skipgram.training_of(skipgram.builtin_corpus(), 2).pairs)
    done, *_ = skipgram.moved("epoch")(done, *DEFAULTS)
    assert done == 11 + pairs
    assert skipgram.moved("reset")(done, *DEFAULTS)[0] == 1


def test_the_first_step_shows_ln_v_and_the_numbers_of_its_equations():
    done, equations, probabilities, losses, x_map, u_map, plane, neighbours = skipgram.moved("one")(0, *DEFAULTS)
    words = len(skipgram.training_of(skipgram.builtin_corpus(), 2).corpus.vocabulary)
    assert f"ln {words}" in equations and f"{math.log(words):.4f}" in equations
    bars = figure_of(probabilities)["data"][0]
    assert len(bars["y"]) == words and bars["y"] == pytest.approx([1 / words] * words)  # every u is 0 at first
    assert figure_of(losses)["data"][0]["y"] == pytest.approx([math.log(words)])
    assert np.asarray(figure_of(x_map)["data"][0]["z"]).shape == (words, 2)
    u = np.asarray(figure_of(u_map)["data"][0]["z"])
    assert u.shape == (words, 2) and u.any()  # U started at zero and the first step moved every row of it
    assert len(figure_of(plane)["data"][0]["x"]) == words and len(neighbours) == 8


def test_the_equations_numbers_are_the_states(monkeypatch):
    settings = skipgram.settings_of(*DEFAULTS[:6])
    training, before = skipgram.state_at(settings, 4)
    t, c = training.pairs[4]
    _, after = skipgram.state_at(settings, 5)
    equations = skipgram.moved("one")(4, *DEFAULTS)[1]
    assert f"{skipgram._vector(before.X[t])} → {skipgram._vector(after.X[t])}" in equations
    assert f"{skipgram._vector(before.U[c])} → {skipgram._vector(after.U[c])}" in equations


def test_play_streams_updates_that_move_on_and_pause_redraws_everything(monkeypatch):
    import gradio as gr

    monkeypatch.setattr(skipgram, "PLAY_UPDATES", 6)
    updates = list(skipgram.play(0, *DEFAULTS))
    counts = [update[0] for update in updates]
    assert len(counts) == 6 and counts == sorted(counts) and counts[0] > 0
    skipped = [sum(isinstance(value, type(gr.skip())) for value in update) for update in updates]
    assert skipped[0] == 6 and skipped[skipgram.PLANE_EVERY - 1] == 5 and skipped[-1] == 0  # the last: everything
    redrawn = skipgram.moved("redraw")(counts[2], *DEFAULTS)
    assert redrawn[0] == counts[2] and not any(isinstance(value, type(gr.skip())) for value in redrawn)


def test_negative_sampling_and_mini_batches_say_so():
    equations = skipgram.moved("one")(0, "", 3, 2, 0.1, 1, "negative_sampling", 4, 5)[1]
    assert "(1 + K) ln 2" in equations and "4" in equations and "負例" in equations


def test_gensim_trains_the_same_corpus_beside_it():
    rows = skipgram.compare_with_gensim(300, *DEFAULTS)
    assert len(rows) == 8 and all(row[1] and row[2] for row in rows)
