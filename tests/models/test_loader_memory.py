"""The operator's cap on loaded-model memory: least recently used models make room, and reload on demand."""

import os
import subprocess
import sys

import pytest

from models import hub, loader, settings
from tests.conftest import REPO


@pytest.fixture(autouse=True)
def fresh_cache():
    loader.unload_all()
    yield
    loader.unload_all()


@pytest.mark.parametrize(
    "text, expected",
    [("", None), ("0", None), ("none", None), ("123456", 123456), ("800MB", 800 * 10**6), ("4gb", 4 * 10**9),
     ("1.5GiB", int(1.5 * 2**30)), (" 2 GB ", 2 * 10**9), ("512KiB", 512 * 1024)],
)
def test_memory_settings_parse(text, expected):
    assert settings.read({loader.MEMORY_CAP_ENV: text}).max_model_memory == expected


@pytest.mark.parametrize("text", ["lots", "4XB", "-1GB", "GB", "1e9"])
def test_a_bad_memory_setting_is_refused_with_an_example(text):
    with pytest.raises(settings.SettingError, match="4GB"):
        settings.read({loader.MEMORY_CAP_ENV: text})


def test_the_app_refuses_to_start_with_a_bad_setting():
    env = {**os.environ, loader.MEMORY_CAP_ENV: "four gigs", "GRADIO_SERVER_NAME": "127.0.0.1"}
    result = subprocess.run([sys.executable, "app.py"], cwd=REPO, capture_output=True, text=True, timeout=120, env=env)
    assert result.returncode != 0
    assert "JNLP_MAX_MODEL_MEMORY='four gigs'" in result.stderr


def test_loaded_models_report_their_weight_bytes(load_model):
    entry = load_model("SENTIMENT")
    expected = sum(p.numel() * p.element_size() for p in entry.runner.model.parameters())
    assert entry.memory_bytes >= expected > 0
    # The guess made before loading (the weight file) is close to what loading measured.
    guess = hub.weight_bytes(entry.model_id)
    assert 0.8 * entry.memory_bytes <= guess <= 1.3 * entry.memory_bytes


def test_without_a_cap_nothing_is_unloaded(load_model, monkeypatch):
    monkeypatch.delenv(loader.MEMORY_CAP_ENV, raising=False)
    for key in ("SENTIMENT", "NLI", "STS"):
        load_model(key)
    assert loader.loaded_keys() == ["NLI", "SENTIMENT", "STS"]


def test_the_least_recently_used_model_makes_room(load_model, monkeypatch):
    sentiment = load_model("SENTIMENT")
    nli = load_model("NLI")
    loader.unload_all()
    # Room for two of these classifiers (they are about the same size), not three.
    cap = sentiment.memory_bytes + nli.memory_bytes + sentiment.memory_bytes // 2
    monkeypatch.setenv(loader.MEMORY_CAP_ENV, str(cap))

    first_sentiment = load_model("SENTIMENT")
    load_model("NLI")
    assert load_model("SENTIMENT") is first_sentiment  # used again: NLI is now the oldest
    load_model("STS")
    assert loader.loaded_keys() == ["SENTIMENT", "STS"]
    assert sum(loader.loaded_memory().values()) <= cap

    # The unloaded model comes back on demand, as a fresh load, and answers.
    reloaded = load_model("NLI")
    assert loader.loaded_keys() == ["NLI", "STS"]
    assert reloaded is not nli
    scores = reloaded.runner("前提です。", text_pair="仮説です。", top_k=None)
    assert {s["label"] for s in scores} == {"entailment", "contradiction", "neutral"}


def test_an_unloaded_model_still_finishes_the_request_that_holds_it(load_model, monkeypatch):
    sentiment = load_model("SENTIMENT")
    monkeypatch.setenv(loader.MEMORY_CAP_ENV, str(sentiment.memory_bytes + 1))
    with loader.using("SENTIMENT") as held:
        load_model("NLI")  # evicts SENTIMENT while a request is running it
        assert "SENTIMENT" not in loader.loaded_keys()
        scores = held.runner("良い商品でした。", top_k=None)
    assert {s["label"] for s in scores} == {"positive", "negative"}


def test_a_model_larger_than_the_cap_still_loads_alone(load_model, monkeypatch):
    monkeypatch.setenv(loader.MEMORY_CAP_ENV, "1KB")
    load_model("SENTIMENT")
    load_model("NLI")
    assert loader.loaded_keys() == ["NLI"]


def test_tokenizers_alone_are_never_unloaded_for_weights(load_model, monkeypatch):
    monkeypatch.setenv(loader.MEMORY_CAP_ENV, "1KB")
    tokenizer_entry = loader.load_tokenizer("SENTIMENT")
    load_model("NLI")
    assert loader.loaded_keys() == ["NLI", "SENTIMENT:tokenizer"]
    assert loader.load_tokenizer("SENTIMENT") is tokenizer_entry


def test_loaded_models_are_kept_out_of_the_garbage_collectors_scans(load_model, monkeypatch):
    import gc

    monkeypatch.setenv("JNLP_GC_FREEZE", "1")  # the app's default (tests/conftest.py turns it off)
    model = load_model("SENTIMENT").runner.model
    # Frozen: the collector no longer walks the model's objects on each full collection.
    assert gc.get_freeze_count() > 0
    assert not any(tracked is model for tracked in gc.get_objects())


def test_an_unloaded_model_in_a_reference_cycle_is_still_freed(load_model, monkeypatch):
    import gc
    import weakref

    monkeypatch.setenv("JNLP_GC_FREEZE", "1")  # the app's default: the model is frozen, and unloading unfreezes it
    sentiment = load_model("SENTIMENT")
    assert gc.get_freeze_count() > 0
    model = weakref.ref(sentiment.runner.model)
    sentiment.runner.model.__dict__["points_to_itself"] = sentiment.runner.model  # a cycle: only gc frees it
    monkeypatch.setenv(loader.MEMORY_CAP_ENV, str(sentiment.memory_bytes + 1))
    del sentiment
    load_model("NLI")  # unloads SENTIMENT
    assert loader.loaded_keys() == ["NLI"]
    gc.collect()
    assert model() is None  # frozen objects would never be collected: unloading unfreezes them


# Words in and out of the tiny vocabulary, half-width and full-width forms, an unknown character.
TOKENIZE_SAMPLES = ["今日は良い天気です。", "ﾃｽﾄと㈱のＡＢＣ", "東京へ向かった🙂"]


def test_bert_tokenizers_with_one_vocabulary_share_its_tables_and_tokenize_as_before(load_model, model_env):
    from transformers import AutoTokenizer

    first, second = load_model("SENTIMENT").tokenizer, load_model("NLI").tokenizer
    alone = loader.load_tokenizer("NER").tokenizer  # the tokenizer tab's kind of entry shares too
    assert first.vocab is second.vocab is alone.vocab
    assert first.ids_to_tokens is second.ids_to_tokens is alone.ids_to_tokens
    assert second.subword_tokenizer.vocab is first.vocab
    # The part that is not thread-safe stays one per tokenizer.
    assert first.word_tokenizer is not second.word_tokenizer
    for key, shared in (("NLI", second), ("NER", alone)):
        unshared = AutoTokenizer.from_pretrained(model_env[f"JNLP_MODEL_{key}"])
        for text in TOKENIZE_SAMPLES:
            assert shared(text)["input_ids"] == unshared(text)["input_ids"]
            assert shared.tokenize(text) == unshared.tokenize(text)


def test_a_different_vocabulary_is_never_shared(load_model, model_env, monkeypatch, tmp_path):
    import shutil

    first = load_model("SENTIMENT").tokenizer
    # The same tokens with two ids swapped: equal as a set, not as a table.
    folder = tmp_path / "nli-swapped"
    shutil.copytree(model_env["JNLP_MODEL_NLI"], folder)
    lines = (folder / "vocab.txt").read_text(encoding="utf-8").splitlines()
    lines[-1], lines[-2] = lines[-2], lines[-1]
    (folder / "vocab.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
    monkeypatch.setenv("JNLP_MODEL_NLI", str(folder))
    swapped = loader.load("NLI").tokenizer
    assert swapped.vocab is not first.vocab
    assert swapped.vocab[lines[-1]] == len(lines) - 1 != first.vocab[lines[-1]]
