"""The "How it learns" view: one hand-written skip-gram step on |V| = 200, D = 10 (each method, one pair
and a mini-batch of 16), beside the same step's loss and gradients by torch autograd, and SGD steps per
second through the /skipgram_steps API on the longest corpus it takes (5,000 characters)."""

from __future__ import annotations

import time

import numpy as np

from bench import measure
from bench.sections.common import Settings


def _corpus_of(words: int, seed: int = 0):
    """A corpus of ``words`` words (the view's cap) in 300 random sentences of 8: the step's cost depends on
    |V| and D only, and the app's generated sentences hold fewer distinct words than that."""
    from models import skipgram as sg

    rng = np.random.default_rng(seed)
    return sg.Corpus([f"w{i}" for i in range(words)], [rng.integers(words, size=8).tolist() for _ in range(300)])


def skipgram(env: dict[str, str], settings: Settings) -> dict:
    import torch

    from models import skipgram as sg
    from models.word2vec import tokenize_corpus

    from demos.skipgram import LONGEST_CORPUS
    from models import corpus as generated

    corpus = _corpus_of(sg.MAX_VOCABULARY)
    pairs, noise = sg.pairs_of(corpus, 2), sg.noise_distribution(corpus)
    repeats = 50 if settings.quick else 500
    steps: dict[str, dict] = {}
    for method in sg.METHODS:
        for size in (1, 16):
            state = sg.initial_state(len(corpus.vocabulary), 10, 1)

            def ours():
                sg.step(state, sg.batch_at(pairs, state.steps, size), 0.05, method, noise, 5)

            def by_autograd():  # the same loss's gradients by torch, the way a course notebook would get them
                batch = sg.batch_at(pairs, state.steps, size)
                X = torch.tensor(state.X, requires_grad=True)
                U = torch.tensor(state.U, requires_grad=True)
                centres = torch.tensor([t for t, _ in batch])
                contexts = torch.tensor([c for _, c in batch])
                if method == sg.SOFTMAX:
                    loss = torch.nn.functional.cross_entropy(X[centres] @ U.T, contexts)
                else:
                    negatives = torch.from_numpy(state.rng.choice(len(noise), size=(size, 5), p=noise))
                    x = X[centres]
                    loss = -(torch.nn.functional.logsigmoid((x * U[contexts]).sum(-1))
                             + torch.nn.functional.logsigmoid(-(x[:, None] * U[negatives]).sum(-1)).sum(-1)).mean()
                loss.backward()

            ours_times, autograd_times = measure.time_pair(ours, by_autograd, repeats)
            steps[f"{method}, batch {size}"] = {"ours_ms": measure.summary(ours_times)["p50_ms"],
                                                "autograd_ms": measure.summary(autograd_times)["p50_ms"]}
    count = 2000 if settings.quick else 10_000
    server = measure.serve(measure.python("app.py"), env)
    try:
        from gradio_client import Client

        client = Client(server.url, verbose=False)
        text = generated.default_corpus(sentences=1000, seed=generated.SEED)[:LONGEST_CORPUS]
        client.predict(text, 10, 2, 0.05, 1, 1, "softmax", api_name="/skipgram_steps")  # MeCab once
        started = time.perf_counter()
        found = client.predict(text, 10, 2, 0.05, count, 2, "softmax", api_name="/skipgram_steps")
        api_s = time.perf_counter() - started
    finally:
        server.stop()
    assert len(found["losses"]) == count
    return {"words": len(corpus.vocabulary), "dim": 10, "steps": steps, "api_steps": count,
            "api_words": len(sg.corpus_of(tokenize_corpus(text)).vocabulary),
            "api_steps_per_s": count / api_s, "api_s": api_s}
