import math

import pytest

from models import word2vec as w2v
from models.corpus import CATEGORIES, category_of, default_corpus
from models.morphology import morphemes
from models.recent import LeastRecentlyUsed


def test_skipgram_pairs_follow_the_definition():
    tokens = ["a", "b", "c", "d", "e"]
    pairs = w2v.skipgram_pairs(tokens, 2)
    expected = [(tokens[i], tokens[j]) for i in range(5) for j in range(5) if i != j and abs(i - j) <= 2]
    assert pairs == expected
    assert all(centre != context for centre, context in w2v.skipgram_pairs(["x", "y"], 5))
    assert w2v.skipgram_pairs(["solo"], 3) == []


def test_uploads_in_utf8_and_shift_jis_decode():
    text = "今日は天気が良い。\n犬が走る。"
    assert w2v.decode_upload(text.encode("utf-8")) == text
    assert w2v.decode_upload("\ufeff".encode("utf-8") + text.encode("utf-8")) == text
    assert w2v.decode_upload(text.encode("cp932")) == text


@pytest.mark.parametrize("data", [b"\x89PNG\r\n\x1a\n\x00\x00\x00", bytes(range(256)) * 4])
def test_binary_uploads_are_refused(data):
    with pytest.raises(w2v.CorpusError):
        w2v.decode_upload(data)


def test_oversized_upload_is_refused():
    with pytest.raises(w2v.CorpusError, match="MB"):
        w2v.decode_upload(b"a" * (w2v.MAX_UPLOAD_BYTES + 1))


def test_content_words_only_drops_particles_and_lemma_gives_base_forms():
    assert w2v.tokenize_corpus("犬が庭で走っていた。") == [["犬", "庭", "走っ", "い"]]
    assert w2v.tokenize_corpus("犬が庭で走っていた。", use_lemma=True) == [["犬", "庭", "走る", "いる"]]
    assert "が" in w2v.tokenize_corpus("犬が庭で走った。", content_only=False)[0]


def test_parameters_are_bounded():
    params = w2v.checked_params(vector_size=10**6, window=0, min_count=math.nan, epochs=-3, seed=None, negative=7)
    assert (params.vector_size, params.window, params.min_count, params.epochs, params.seed, params.negative) == (
        300, 1, 5, 1, 1, 7)
    assert w2v.checked_params(sg=False).sg == 0


def test_default_corpus_is_deterministic_and_its_words_are_single_tokens():
    assert default_corpus() == default_corpus.__wrapped__()
    assert sum(len(line) for line in default_corpus().splitlines()) > 300_000
    for words in CATEGORIES.values():
        for word in words:
            assert [m.surface for m in morphemes(word)] == [word]


@pytest.fixture(scope="module")
def default_model():
    sentences = w2v.tokenize_corpus(default_corpus())
    return w2v.train(sentences, w2v.checked_params())


def test_default_corpus_groups_words_of_a_kind(default_model):
    # Threshold: at least 4 of the 5 nearest neighbours of each probe share its kind.
    for kind, words in CATEGORIES.items():
        probe = words[0]
        nearest = [w for w, _ in default_model.vectors.most_similar(probe, topn=5)]
        assert sum(category_of(w) == kind for w in nearest) >= 4, (probe, nearest)


def test_loss_is_reported_per_epoch(default_model):
    assert len(default_model.losses) == default_model.params.epochs
    assert all(loss > 0 for loss in default_model.losses)
    assert default_model.losses[-1] < default_model.losses[0]


def test_seeded_single_worker_training_is_reproducible():
    sentences = w2v.tokenize_corpus(default_corpus(2_000))
    params = w2v.checked_params(epochs=2, min_count=2)
    first, second = w2v.train(sentences, params), w2v.train(sentences, params)
    assert (first.vectors.vectors == second.vectors.vectors).all()


def test_empty_and_rare_corpora_get_clear_messages():
    with pytest.raises(w2v.CorpusError, match="no words"):
        w2v.train([], w2v.checked_params())
    with pytest.raises(w2v.CorpusError, match="min|最小"):
        w2v.train([["犬", "猫"]], w2v.checked_params(min_count=5))


def test_cache_reuses_and_stays_bounded():
    cache = LeastRecentlyUsed(capacity=2)  # the kind of store w2v.CACHE is
    sentences = [["犬", "猫", "犬", "猫"]] * 3
    params = w2v.checked_params(min_count=1, epochs=1)
    first, cached = w2v.train_cached(sentences, params)
    again, cached_again = w2v.train_cached(sentences, params)
    assert not cached and cached_again and again is first
    for i in range(3):
        cache.put((i,), first)
    assert len(cache) == 2 and cache.get((0,)) is None and cache.get((2,)) is first


def test_one_trained_model_is_exported_to_one_file_and_only_the_newest_files_are_kept():
    import os

    from gensim.models import KeyedVectors

    sentences = [["犬", "猫", "犬", "鳥", "猫"]] * 4
    models = [w2v.train(sentences, w2v.checked_params(min_count=1, epochs=1, vector_size=10, seed=seed))
              for seed in range(w2v.MAX_EXPORT_FILES + 1)]
    first = w2v.export_file(models[0])
    first_text = open(first, encoding="utf-8").read()
    assert w2v.export_file(models[0]) == first  # again: the same file, not another copy
    read = KeyedVectors.load_word2vec_format(first, binary=False)
    assert read.index_to_key == models[0].vectors.index_to_key
    assert abs(read.vectors - models[0].vectors.vectors).max() < 1e-5
    assert os.path.basename(first).startswith("word2vec-10d-") and first.endswith(".txt")
    later = [w2v.export_file(model) for model in models[1:]]
    assert len(set(later)) == len(later) and first not in later
    folder = os.path.dirname(first)
    # Only the newest MAX_EXPORT_FILES stay (no half-written file either): the first one went.
    assert sorted(os.listdir(folder)) == sorted(os.path.basename(path) for path in later)
    assert not os.path.exists(first)
    again = w2v.export_file(models[0])  # written anew, the same vectors
    assert again not in later and open(again, encoding="utf-8").read() == first_text
    assert len(os.listdir(folder)) == w2v.MAX_EXPORT_FILES


def test_utf16_with_a_byte_order_mark_is_read_and_without_one_refused():
    text = "犬が走る。\n猫が寝る。"
    assert w2v.decode_upload(text.encode("utf-16")) == text
    assert w2v.decode_upload(b"\xfe\xff" + text.encode("utf-16-be")) == text
    with pytest.raises(w2v.CorpusError):
        w2v.decode_upload(text.encode("utf-16-le"))  # no BOM: NUL bytes, refused as binary


def test_streamed_training_reports_every_epoch_then_the_model_and_caches_it():
    sentences = w2v.tokenize_corpus(default_corpus(), False, True)[:2000]
    params = w2v.checked_params(vector_size=20, epochs=4, seed=7)
    steps = list(w2v.train_streaming(sentences, params))
    assert [s.epoch for s in steps] == [1, 2, 3, 4, 4]
    assert all(s.trained is None for s in steps[:-1])
    final = steps[-1]
    assert final.trained is not None and not final.cached and final.trained.losses == steps[-2].losses
    again = list(w2v.train_streaming(sentences, params))
    assert len(again) == 1 and again[0].cached and again[0].trained is final.trained


def test_closing_a_streamed_training_stops_it_between_epochs(caplog):
    import logging
    import threading
    import time

    sentences = w2v.tokenize_corpus(default_corpus(), False, True)
    params = w2v.checked_params(vector_size=50, epochs=30, seed=8)
    stream = w2v.train_streaming(sentences, params)
    with caplog.at_level(logging.INFO, logger="models.word2vec"):
        first = next(stream)
        assert first.epoch == 1 and first.trained is None
        stream.close()
        deadline = time.monotonic() + 60
        while any(t.name == "word2vec-training" for t in threading.enumerate()) and time.monotonic() < deadline:
            time.sleep(0.05)
    assert not any(t.name == "word2vec-training" for t in threading.enumerate())
    stopped = [r.getMessage() for r in caplog.records if "stopped early" in r.getMessage()]
    assert stopped and "of 30" in stopped[0]
    assert int(stopped[0].split("after ")[1].split()[0]) < 30
    assert w2v.CACHE.get((w2v.fingerprint(sentences), params)) is None  # half a model is never served
