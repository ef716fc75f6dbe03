"""/skipgram_steps through gradio_client, as the issue's API: the pairs in corpus order, word2vec's start
(first loss ln |V|), the same numbers for the same call, and bilingual messages for what a student can fix."""

import math

import numpy as np
import pytest
from gradio_client.exceptions import AppError

from models.word2vec import tokenize_corpus


def test_pairs_run_in_corpus_order_from_word2vecs_start(client):
    corpus = "猫が庭で遊ぶ。\n犬が公園を走る。"
    found = client.predict(corpus, dim=3, window=1, learning_rate=0.05, steps=7, seed=4, api_name="/skipgram_steps")
    words = [word for sentence in tokenize_corpus(corpus) for word in sentence]
    expected = []
    for sentence in tokenize_corpus(corpus):  # every centre word in turn, its contexts left to right
        for i, centre in enumerate(sentence):
            expected += [[centre, sentence[j]] for j in (i - 1, i + 1) if 0 <= j < len(sentence)]
    assert found["vocabulary"] == list(dict.fromkeys(words))
    assert found["pairs"] == expected[:7] and len(found["losses"]) == 7
    assert found["losses"][0] == pytest.approx(math.log(len(found["vocabulary"])))
    assert np.asarray(found["X"]).shape == np.asarray(found["U"]).shape == (len(found["vocabulary"]), 3)
    assert found == client.predict(corpus, dim=3, window=1, learning_rate=0.05, steps=7, seed=4,
                                   api_name="/skipgram_steps")


def test_the_builtin_corpus_learns_with_either_method(client):
    for method in ("softmax", "negative_sampling"):
        found = client.predict("", dim=10, steps=3000, method=method, api_name="/skipgram_steps")
        losses = np.asarray(found["losses"])
        assert losses[-300:].mean() < 0.8 * losses[:300].mean(), method
        assert found["settings"]["steps"] == 3000 and found["settings"]["method"] == method


def test_numbers_out_of_bounds_are_brought_within_them(client):
    found = client.predict("", dim=500, window=0, steps=10**9, api_name="/skipgram_steps")
    assert found["settings"]["dim"] == 20 and found["settings"]["window"] == 1 and found["settings"]["steps"] == 20_000


@pytest.mark.parametrize("corpus, method, japanese, english", [
    ("猫" * 6000, "softmax", "長すぎます", "too long"),
    ("猫。", "softmax", "少なすぎて", "Too few words"),
    ("", "cbow", "方式は", "Choose the method"),
])
def test_what_a_student_can_fix_gets_a_bilingual_message(client, corpus, method, japanese, english):
    with pytest.raises(AppError) as error:
        client.predict(corpus, method=method, api_name="/skipgram_steps")
    message = str(error.value)
    assert japanese in message and english in message and "Traceback" not in message
