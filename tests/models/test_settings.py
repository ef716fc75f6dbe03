"""Every setting read and checked in one place, with one strictness: a value not understood stops the app
in one line naming the variable, the value and what is allowed; every setting is documented."""

import os
import re
import subprocess
import sys

import pytest

from models import settings
from tests.conftest import REPO

# For each setting: values it understands (with what they mean) and a typo it must refuse.
READINGS = {
    "JNLP_MAX_MODEL_MEMORY": ([("", None), ("4GB", 4 * 10**9), ("none", None)], "four gigs"),
    "JNLP_BATCH_SIZE": ([("", 16), ("1", 1), ("64", 64)], "65"),
    "JNLP_RESULT_CACHE": ([("", True), ("1", True), ("0", False)], "off"),
    "JNLP_QUANTIZE": ([("", "off"), ("off", "off"), ("INT8", "int8")], "int4"),
    "JNLP_ENGINE": ([("", "onnxruntime"), ("torch", "torch"), ("ONNXRuntime", "onnxruntime")], "onnx"),
    "JNLP_ONEDNN": ([("", "auto"), ("1", "1"), ("0", "0")], "yes"),
    "JNLP_KEEP_FREED_MEMORY": ([("", True), ("1", True), ("0", False)], "no"),
    "JNLP_GC_FREEZE": ([("", True), ("1", True), ("0", False)], "off"),
    "JNLP_OPENMP_RELEASE": ([("", True), ("1", True), ("0", False)], "true"),
    "JNLP_SHARED_VOCABULARY": ([("", True), ("1", True), ("0", False)], "yes"),
    "JNLP_WARM_UP": ([("", True), ("1", True), ("0", False)], "2"),
    "JNLP_MONITORING": ([("", False), ("0", False), ("1", True)], "true"),
    "JNLP_MCP": ([("", False), ("1", True)], "on"),
    "JNLP_SHARE": ([("", False), ("1", True)], "yes please"),
    "GRADIO_SERVER_NAME": ([("", "127.0.0.1"), ("0.0.0.0", "0.0.0.0"), ("localhost", "localhost")], "my laptop"),
    "GRADIO_SERVER_PORT": ([("", 7860), ("8080", 8080)], "80a"),
}


def test_every_setting_is_checked_here():
    assert set(READINGS) == set(settings.BY_NAME)


@pytest.mark.parametrize("name", sorted(READINGS))
def test_each_setting_reads_its_values_and_refuses_a_typo_naming_what_is_allowed(name):
    setting = settings.BY_NAME[name]
    understood, typo = READINGS[name]
    for raw, expected in understood:
        assert getattr(settings.read({name: raw}), setting.field) == expected, raw
    with pytest.raises(settings.SettingError) as error:
        settings.read({name: typo})
    assert str(error.value) == f"{name}={typo!r}: use {setting.allowed}"


def test_current_follows_a_changed_variable(monkeypatch):
    monkeypatch.setenv("JNLP_BATCH_SIZE", "4")
    assert settings.current().batch_size == 4
    monkeypatch.setenv("JNLP_BATCH_SIZE", "8")
    assert settings.current().batch_size == 8


@pytest.mark.parametrize("name", ["JNLP_BATCH_SIZE", "JNLP_QUANTIZE", "JNLP_RESULT_CACHE", "GRADIO_SERVER_PORT"])
def test_python_app_py_stops_on_a_bad_value_with_one_line(name):
    typo = READINGS[name][1]
    env = {**os.environ, "GRADIO_SERVER_NAME": "127.0.0.1", "GRADIO_SERVER_PORT": "1", name: typo}
    result = subprocess.run([sys.executable, "app.py"], cwd=REPO, env=env, capture_output=True, text=True,
                            timeout=120)
    assert result.returncode != 0
    assert result.stderr.strip() == f"{name}={typo!r}: use {settings.BY_NAME[name].allowed}"


def test_every_setting_is_documented_with_its_default_and_every_documented_one_exists():
    table = (REPO / "docs" / "configuration.md").read_text(encoding="utf-8")
    rows = {match.group(1): match.group(2) for match in re.finditer(r"^\| `((?:JNLP|GRADIO_SERVER)_[A-Z_]+)` \| ([^|]*) \|", table, re.M)}
    for setting in settings.SETTINGS:
        assert rows.get(setting.name, "").strip() == f"`{setting.default}`", setting.name
    model_and_corpus = {name for name in rows if name.startswith(("JNLP_MODEL_", "JNLP_DATASET_"))}
    test_and_bench = {"JNLP_BENCH_CACHE", "JNLP_SCREENSHOTS", "JNLP_LOAD_SECONDS"}
    assert set(rows) - model_and_corpus - test_and_bench == set(settings.BY_NAME)
