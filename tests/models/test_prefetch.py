"""`python -m models.prefetch`: every model on disk and checked before a class goes offline."""

import os
import shutil
import subprocess
import sys

from models import prefetch
from models.book_corpora import CORPORA, BookCorpusText
from models.registry import MODELS
from tests.conftest import REPO
from tests.models.test_book_corpora import jawiki_rows, livedoor_rows, parquet_export, write_jsonl

TINY_KEYS = ["SENTIMENT", "NLI", "STS", "SIMCSE", "NER", "SUMMARIZATION", "GENERATION", "GENERATION_SMALL"]


def _run(env_overrides, *args):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("JNLP_MODEL_", "JNLP_DATASET_"))}
    env.update(env_overrides, HF_HUB_OFFLINE="1")
    return subprocess.run([sys.executable, "-m", "models.prefetch", *args], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=300)


def test_local_folders_are_checked_and_reported_ready(model_env):
    result = _run(model_env, "--check", "--keys", *TINY_KEYS)
    assert result.returncode == 0, result.stdout + result.stderr
    for key in TINY_KEYS:
        assert f"OK {key}" in result.stdout
    assert f"{len(TINY_KEYS)}/{len(TINY_KEYS)}" in result.stdout


def test_a_folder_without_weights_is_named_and_fails_the_run(model_env, checkpoint_dir, tmp_path):
    broken = tmp_path / "nli-no-weights"
    shutil.copytree(checkpoint_dir["NLI"], broken)
    (broken / "model.safetensors").unlink()
    result = _run({**model_env, "JNLP_MODEL_NLI": str(broken)}, "--check", "--keys", "SENTIMENT", "NLI")
    assert result.returncode == 1
    assert "OK SENTIMENT" in result.stdout and "NG NLI" in result.stdout and "no weight file" in result.stdout


def test_a_hub_model_missing_from_the_cache_is_reported_offline(tmp_path):
    env = {"HF_HOME": str(tmp_path / "empty-cache")}
    result = _run(env, "--check", "--keys", "SENTIMENT")
    assert result.returncode == 1
    assert "NG SENTIMENT" in result.stdout and "llm-book/bert-base-japanese-v3-marc_ja" in result.stdout
    assert "not in the cache" in result.stdout


def test_downloading_into_a_folder_prints_the_settings_to_use(checkpoint_dir, tmp_path):
    fetched = []

    def fake_download(model_id, target, offline):  # stands in for the Hub: copies a tiny checkpoint
        fetched.append((model_id, target, offline))
        shutil.copytree(checkpoint_dir["SENTIMENT"], target)
        return target

    outcome = prefetch.prefetch(MODELS["SENTIMENT"], tmp_path / "models", offline=False, download=fake_download,
                                environ={})
    assert fetched == [("llm-book/bert-base-japanese-v3-marc_ja", str(tmp_path / "models" / "sentiment"), False)]
    assert outcome.ready and outcome.folder == str(tmp_path / "models" / "sentiment")
    text = prefetch.report([outcome], tmp_path / "models")
    assert f"export JNLP_MODEL_SENTIMENT={tmp_path / 'models' / 'sentiment'}" in text


def test_the_corpora_in_local_folders_are_read_and_reported_ready(tmp_path):
    env = {"JNLP_DATASET_LIVEDOOR": str(write_jsonl(tmp_path / "livedoor" / "train.jsonl", livedoor_rows(4)).parent),
           "JNLP_DATASET_JAWIKI": str(parquet_export(tmp_path / "jawiki", jawiki_rows(30)))}
    result = _run(env, "--check", "--keys", "LIVEDOOR", "JAWIKI")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "word2vec corpora (datasets)" in result.stdout
    assert f"OK LIVEDOOR          {tmp_path / 'livedoor'}" in result.stdout and "20 文 / sentences" in result.stdout
    assert "OK JAWIKI" in result.stdout and "30 文 / sentences" in result.stdout
    assert "2/2" in result.stdout


def test_a_corpus_missing_from_the_cache_is_reported_offline_beside_the_models(model_env, tmp_path):
    result = _run({**model_env, "HF_HOME": str(tmp_path / "empty-cache")}, "--check", "--keys", "SENTIMENT", "JAWIKI")
    # A corpus is an extra (the word2vec tab has its generated one): the models being ready is what counts.
    assert result.returncode == 0
    lines = result.stdout.splitlines()
    assert lines[0].startswith("OK SENTIMENT")
    jawiki = next(line for line in lines if line.startswith("-- JAWIKI"))
    assert "llm-book/jawiki-sentences" in jawiki and "it is not downloaded on this computer" in jawiki
    assert "1/2" in result.stdout


def test_downloading_a_corpus_into_a_folder_prints_the_setting_to_use(tmp_path):
    spec = CORPORA["LIVEDOOR"]
    asked = []

    def fake_read(spec, source, offline, local_dir):  # stands in for the Hub: what read_corpus would fetch
        asked.append((source, offline, local_dir))
        return BookCorpusText(spec.key, spec.label, source, "refs/convert/parquet", "文。", 1, 2, False)

    outcome = prefetch.prefetch_corpus(spec, tmp_path / "data", offline=False, read=fake_read, environ={})
    target = str((tmp_path / "data" / "livedoor").resolve())
    assert asked == [("llm-book/livedoor-news-corpus", False, target)]
    assert outcome.ready and outcome.folder == target and outcome.env_var == "JNLP_DATASET_LIVEDOOR"
    assert f"export JNLP_DATASET_LIVEDOOR={target}" in prefetch.report([outcome], tmp_path / "data")
    # Into the cache, the report names the Hub revision the data came from.
    cached = prefetch.prefetch_corpus(spec, None, offline=False, read=fake_read, environ={})
    assert cached.model_id == "llm-book/livedoor-news-corpus@refs/convert/parquet" and cached.folder is None
