"""`python -m models.prefetch`: every model on disk and checked before a class goes offline."""

import os
import shutil
import subprocess
import sys

from models import prefetch
from models.registry import MODELS
from tests.conftest import REPO

TINY_KEYS = ["SENTIMENT", "NLI", "STS", "SIMCSE", "NER", "SUMMARIZATION", "GENERATION", "GENERATION_SMALL"]


def _run(env_overrides, *args):
    env = {k: v for k, v in os.environ.items() if not k.startswith("JNLP_MODEL_")}
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
