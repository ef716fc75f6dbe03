import dataclasses
import json
import shutil
import threading
import time
import types

import pytest

from models import loader, token_counts
from models.loader import ModelLoadError


@pytest.fixture(autouse=True)
def fresh_cache():
    loader.unload_all()
    yield
    loader.unload_all()


def test_nothing_is_loaded_until_asked(load_model):
    assert loader.loaded_keys() == []
    entry = load_model("SENTIMENT")
    assert loader.loaded_keys() == ["SENTIMENT"]
    assert load_model("SENTIMENT") is entry  # reused, not reloaded


def test_a_model_loads_once_when_requests_arrive_together(load_model, monkeypatch):
    builds = []
    real_build = loader._build

    def slow_build(spec, model_id):
        builds.append(model_id)
        time.sleep(0.3)  # widen the window in which a second build could start
        return real_build(spec, model_id)

    monkeypatch.setattr(loader, "_build", slow_build)
    results = []
    threads = [threading.Thread(target=lambda: results.append(load_model("NLI"))) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(builds) == 1
    assert len(results) == 6 and all(r is results[0] for r in results)


def test_pipelines_run_on_an_explicit_device(load_model):
    entry = load_model("SENTIMENT")
    assert str(entry.runner.device) == str(loader.pick_device())


def test_missing_folder_gives_a_readable_message_naming_the_override(monkeypatch, tmp_path):
    missing = tmp_path / "not-here"
    monkeypatch.setenv("JNLP_MODEL_NLI", str(missing))
    with pytest.raises(ModelLoadError) as error:
        loader.load("NLI")
    message = str(error.value)
    assert str(missing) in message
    assert "JNLP_MODEL_NLI" in message
    assert "folder not found" in message
    assert "読み込めません" in message
    assert loader.loaded_keys() == []


def test_broken_files_fail_cleanly_and_a_later_request_retries(monkeypatch, tmp_path, checkpoint_dir):
    folder = tmp_path / "sentiment"
    shutil.copytree(checkpoint_dir["SENTIMENT"], folder)
    config = (folder / "config.json").read_text()
    (folder / "config.json").write_text("{ this is not json")
    monkeypatch.setenv("JNLP_MODEL_SENTIMENT", str(folder))
    with pytest.raises(ModelLoadError) as error:
        loader.load("SENTIMENT")
    assert "Traceback" not in str(error.value)
    (folder / "config.json").write_text(config)  # the operator repairs the files
    entry = loader.load("SENTIMENT")
    assert entry.model_id == str(folder)


def test_changing_the_override_loads_the_new_model(load_model, monkeypatch, checkpoint_dir, tmp_path):
    first = load_model("STS")
    other = tmp_path / "sts-copy"
    shutil.copytree(checkpoint_dir["STS"], other)
    monkeypatch.setenv("JNLP_MODEL_STS", str(other))
    second = loader.load("STS")
    assert second is not first and second.model_id == str(other)


def test_input_limit_comes_from_the_config_when_the_tokenizer_does_not_know_it(load_model, checkpoint_dir):
    saved = json.loads((checkpoint_dir["SENTIMENT"] / "tokenizer_config.json").read_text())
    assert saved["model_max_length"] > 10**6  # the fixture, like some Hub configs, lacks a real limit
    entry = load_model("SENTIMENT")
    assert entry.max_length == 64 == entry.tokenizer.model_max_length


@pytest.mark.parametrize(
    "tokenizer_limit, positions, expected",
    [(512, 1024, 512), (512, 128, 128), (10**30, 256, 256), (None, None, 512)],
)
def test_input_limit_is_the_smallest_known_limit(tokenizer_limit, positions, expected):
    class Tokenizer:
        model_max_length = tokenizer_limit

    class Config:
        max_position_embeddings = positions

    tokenizer = Tokenizer()
    assert token_counts.input_limit(tokenizer, Config()) == expected
    assert tokenizer.model_max_length == expected  # the pipelines truncate to it too


def test_using_holds_the_models_lock(load_model):
    with loader.using("SENTIMENT") as entry:
        assert entry.lock.locked()
    assert not entry.lock.locked()


def test_models_loading_together_do_not_break_later_loads(load_model):
    """Two tabs' first clicks at once (e.g. /sts and /simcse from one button) must not corrupt transformers."""
    from transformers import PreTrainedModel

    tie_weights = PreTrainedModel.tie_weights
    errors = []

    def load(key):
        try:
            load_model(key)
        except Exception as exc:  # recorded: the assertion below names it
            errors.append(f"{key}: {exc}")

    threads = [threading.Thread(target=load, args=(key,)) for key in ("STS", "SIMCSE", "NLI", "SENTIMENT")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert PreTrainedModel.tie_weights is tie_weights
    # A model with tied weights loads and runs afterwards.
    entry = load_model("SUMMARIZATION")
    assert entry.runner.model.get_output_embeddings() is not None


@pytest.mark.parametrize("key", ["SENTIMENT", "SUMMARIZATION", "GENERATION"])
def test_a_long_input_is_judged_from_its_start(load_model, key):
    entry = load_model(key)
    head = token_counts.HEAD_CHARACTERS_PER_TOKEN_LIMIT * entry.max_length
    lengths_seen = []

    def recording_tokenizer(text, *pair):
        lengths_seen.append(len(text))
        return entry.tokenizer(text, *pair)

    watched = dataclasses.replace(entry, runner=types.SimpleNamespace(tokenizer=recording_tokenizer))
    article = "今日は良い天気です。" * head  # ten times the head, far over the limit
    assert token_counts.count_tokens(entry, article) > entry.max_length
    assert token_counts.exceeds_limit(watched, article) is True
    assert max(lengths_seen) <= head  # the whole article was never tokenized a second time
    assert token_counts.exceeds_limit(watched, article[:200], article) is True
    # Long in characters but few tokens: the start does not decide, the whole input is counted.
    sparse = "東京" + " " * (3 * head) + "大阪"
    assert token_counts.exceeds_limit(entry, sparse) == (token_counts.count_tokens(entry, sparse) > entry.max_length)


@pytest.mark.parametrize("key", ["SENTIMENT", "SUMMARIZATION", "GENERATION"])
def test_the_cheap_truncation_check_agrees_with_counting(load_model, key):
    entry = load_model(key)
    samples = ["東京", "㈱ｶﾞ" * 3, "ﷺ" * 2, "İİ", "😀👨‍👩‍👧" * 2, "a b c d e f g", "東京へ行く。" * 3, "x" * 29,
               "今日は良い天気です。" * 10, "ｱｲｳｴｵ" * 20]
    for text in samples:
        counted = token_counts.count_tokens(entry, text) > entry.max_length
        assert token_counts.exceeds_limit(entry, text) == counted, (text, token_counts.count_tokens(entry, text))
        paired = token_counts.count_tokens(entry, text, text) > entry.max_length if key == "SENTIMENT" else None
        if paired is not None:
            assert token_counts.exceeds_limit(entry, text, text) == paired
