"""The word2vec tab: training through the app vs gensim, and click to plot."""

from __future__ import annotations

import time

import numpy as np

from bench import measure
from bench.sections.common import Settings


def word2vec(settings: Settings) -> dict:
    from gensim.models import Word2Vec

    from demos import word2vec as tab
    from models import corpus
    from models import word2vec as w2v

    sentences = w2v.tokenize_corpus(corpus.default_corpus(), False, True)
    if settings.quick:
        sentences = sentences[:3000]
    params = w2v.checked_params()
    words = sum(len(s) for s in sentences) * params.epochs

    def through_app():
        w2v.train(sentences, params)

    def gensim_directly():
        model = Word2Vec(vector_size=params.vector_size, window=params.window, min_count=params.min_count,
                         sg=params.sg, negative=params.negative, seed=params.seed, workers=params.workers)
        model.build_vocab(sentences)
        model.train(sentences, total_examples=model.corpus_count, epochs=params.epochs)

    app_times, gensim_times = measure.time_pair(through_app, gensim_directly, 1 if settings.quick else 3, warmup=0)

    # Click to plot, cold: corpus generation, MeCab, training, neighbours and the 3D PCA figure.
    corpus.default_corpus.cache_clear()
    w2v._tokenized.cache_clear()
    w2v.CACHE.clear()
    started = time.perf_counter()
    rows, figure, _ = tab.explore("", "犬 東京")
    click_to_plot = time.perf_counter() - started
    assert rows and figure is not None
    return {"words_per_s_app": words / float(np.median(app_times)),
            "words_per_s_gensim": words / float(np.median(gensim_times)),
            "ratio": float(np.median(gensim_times)) / float(np.median(app_times)),
            "click_to_plot_s": click_to_plot}
