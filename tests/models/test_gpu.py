"""ZeroGPU support (models/gpu.py): nothing changes off ZeroGPU; on ZeroGPU every model call of
every tab goes through spaces.GPU, with its model loaded before the call.

ZeroGPU cannot run here: tests/models/fake_spaces.py stands in for the `spaces` package. It
runs the GPU task in-process but pickles what would cross to ZeroGPU's worker process and
records, for each call, the models already loaded when it starts.
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
import threading
from pathlib import Path

import gradio as gr
import pytest

from demos.common import InputError
from models import gpu, loader
from models.registry import MODELS
from tests.conftest import REPO, start_app, stop_app
from tests.models import fake_spaces

# A `spaces` module that is the fake, for an app run in another process. Like the real package it
# refuses to be imported by gradio while gradio itself is importing (gradio tries, for Spaces' auto-wrap).
SHIM = """import sys
if "gradio" in sys.modules and not hasattr(sys.modules["gradio"], "Blocks"):
    raise ImportError("spaces is not imported by gradio itself")
from tests.models.fake_spaces import CALLS, DECORATED, GPU  # noqa: F401
"""


@pytest.fixture
def off_zero_gpu(monkeypatch):
    monkeypatch.delenv(gpu.ZERO_GPU_ENV, raising=False)


def test_the_zero_gpu_variable_is_read_as_the_spaces_package_reads_it():
    for value in ("true", "True", "TRUE", "1", "t"):
        assert gpu.on_zero_gpu({gpu.ZERO_GPU_ENV: value}), value
    for value in ("", "0", "false", "no", "yes"):
        assert not gpu.on_zero_gpu({gpu.ZERO_GPU_ENV: value}), value
    assert not gpu.on_zero_gpu({})


def test_off_zero_gpu_the_decorator_is_the_identity_and_never_imports_spaces(off_zero_gpu, monkeypatch):
    monkeypatch.setitem(sys.modules, "spaces", None)  # any `import spaces` would now raise ImportError

    def forward(x):
        return x + 1

    def tokens(n):
        yield from range(n)

    assert gpu.gpu_task(duration=5)(forward) is forward
    assert gpu.gpu_task()(tokens) is tokens


@pytest.fixture
def zero_gpu(monkeypatch, load_model):
    """This process as if on ZeroGPU, with the fake `spaces`; no model loaded at the start."""
    monkeypatch.setenv(gpu.ZERO_GPU_ENV, "true")
    monkeypatch.setitem(sys.modules, "spaces", fake_spaces)
    # models/gpu.py decorates its two GPU entry points at import, off ZeroGPU here (the identity):
    # decorate them again as the import on ZeroGPU would have.
    monkeypatch.setattr(gpu, "_call_on_gpu", gpu.gpu_task(duration=gpu._requested)(gpu._call_on_gpu))
    monkeypatch.setattr(gpu, "_stream_on_gpu", gpu.gpu_task(duration=gpu._requested)(gpu._stream_on_gpu))
    loader.unload_all()
    fake_spaces.CALLS.clear()
    yield fake_spaces.CALLS
    loader.unload_all()


def _sentiment():
    from demos import sentiment

    label, _ = sentiment.sentiment("このイヤホンは音がクリアで、買ってよかったです。")
    assert set(label) == {"positive", "negative"}


def _nli():
    from demos import nli

    label, _ = nli.nli("公園で子どもたちが遊んでいる。", "子どもたちが外にいる。")
    assert set(label) == {"entailment", "contradiction", "neutral"}


def _sts():
    from demos import similarity

    assert similarity.sts("猫が寝ている。", "猫が眠っている。")[0] == pytest.approx(3.7, abs=1e-3)


def _simcse():
    from demos import similarity

    assert -1.0 <= similarity.simcse("猫が寝ている。", "犬が走っている。")[0] <= 1.0


def _ner():
    from demos import ner

    text = "田中さんは東京で働いている。"
    pieces, _, _ = ner.ner(text)
    assert "".join(piece for piece, _ in pieces) == text


def _summarize():
    from demos import summarization

    headline, _ = summarization.summarize("市立図書館は来月から開館時間を延長すると発表した。", 8, 1)
    assert isinstance(headline, str)


def _next_token():
    from demos import generation

    label, _ = generation.next_token("今日は", "GENERATION", 5)
    assert len(label) == 5


def _generate():
    from demos import generation

    texts = list(generation.generate("今日は", "GENERATION_SMALL", 3))
    assert texts[0] == "今日は" and len(texts) >= 2 and texts[-1].startswith("今日は")


def _contextual():
    from demos import contextual

    table, _, _, _ = contextual.contextual("ABCと東京\nABCで", "ABC")
    assert len(table["data"]) == 2


def _fill_mask():
    from demos import contextual

    label, _, completed = contextual.fill_mask("今日は＿に行きます。", 2)
    assert completed == "今日は東京に行きます。" and len(label) == 2


# Every model call of every tab: (the handler call, its model key, the GPU seconds it asks for).
CASES = [
    (_sentiment, "SENTIMENT", gpu.QUICK_SECONDS),
    (_nli, "NLI", gpu.QUICK_SECONDS),
    (_sts, "STS", gpu.QUICK_SECONDS),
    (_simcse, "SIMCSE", gpu.QUICK_SECONDS),
    (_ner, "NER", gpu.QUICK_SECONDS),
    (_summarize, "SUMMARIZATION", gpu.LONG_SECONDS),
    (_next_token, "GENERATION", gpu.QUICK_SECONDS),
    (_generate, "GENERATION_SMALL", gpu.LONG_SECONDS),
    (_contextual, "CONTEXTUAL", gpu.QUICK_SECONDS),
    (_fill_mask, "CONTEXTUAL", gpu.QUICK_SECONDS),
]


@pytest.mark.parametrize("call, key, seconds", CASES, ids=[case[0].__name__.lstrip("_") for case in CASES])
def test_on_zero_gpu_each_model_call_runs_in_a_gpu_task_with_its_model_already_loaded(zero_gpu, call, key,
                                                                                     seconds):
    call()
    assert len(zero_gpu) == 1, zero_gpu
    entry = zero_gpu[0]
    # Nothing was loaded before the handler ran: the handler loaded its model, outside the GPU call.
    assert entry["loaded"] == [key]
    assert entry["duration"] == seconds
    # In the request's own thread: a batch worker thread would carry no user for ZeroGPU's quota.
    assert entry["thread"] == threading.current_thread().name


def test_a_bilingual_input_error_raised_inside_the_gpu_task_reaches_the_user(zero_gpu):
    from demos import contextual

    with pytest.raises(gr.Error, match="does not occur in sentence 2") as raised:
        contextual.contextual("ABCと東京\n東京で", "ABC")
    assert "見つからない" in raised.value.message
    assert len(zero_gpu) == 1  # the error came from inside the GPU call, not from a check before it


def test_exceptions_cross_back_from_the_gpu_worker_with_their_type(zero_gpu):
    def refuse(text):
        raise InputError(f"だめ / no: {text}")

    def stream(n):
        yield 1
        raise InputError("途中で / halfway")

    class Odd(Exception):
        def __init__(self, a, b):
            super().__init__(f"{a}-{b}")

    def odd():
        raise Odd(1, 2)

    with pytest.raises(InputError, match="no: x"):
        gpu.gpu_task()(refuse)("x")
    items = gpu.gpu_task()(stream)(2)
    assert next(items) == 1
    with pytest.raises(InputError, match="halfway"):
        next(items)
    # An exception that cannot be pickled (as ZeroGPU's worker must) comes back as a RuntimeError naming it.
    with pytest.raises(RuntimeError, match="Odd: 1-2"):
        gpu.gpu_task()(odd)()


def _import_app(tmp_path: Path, zero_gpu: bool) -> dict:
    """`import app` in a fresh Python, as Spaces does: on ZeroGPU with the fake `spaces`, else the real one."""
    env = {k: v for k, v in os.environ.items() if k != gpu.ZERO_GPU_ENV and not k.startswith("JNLP_MODEL_")}
    if zero_gpu:
        (tmp_path / "spaces.py").write_text(SHIM)
        env["PYTHONPATH"] = str(tmp_path)
        env[gpu.ZERO_GPU_ENV] = "true"
    script = ("import json, sys\nimport app\nfrom models import loader\n"
              "spaces = sys.modules.get('spaces')\n"
              "print(json.dumps({'spaces': spaces is not None, 'decorated': getattr(spaces, 'DECORATED', []),"
              " 'loaded': loader.loaded_keys()}))\n")
    done = subprocess.run([sys.executable, "-c", script], cwd=REPO, env=env, capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_off_zero_gpu_the_app_never_imports_spaces(tmp_path):
    assert importlib.util.find_spec("spaces") is not None  # installed (requirements.txt), yet not imported
    seen = _import_app(tmp_path, zero_gpu=False)
    assert seen["spaces"] is False
    assert seen["loaded"] == []


def test_on_zero_gpu_the_app_registers_its_gpu_functions_at_import_without_loading_a_model(tmp_path):
    seen = _import_app(tmp_path, zero_gpu=True)
    assert seen["spaces"] is True
    # ZeroGPU wants its GPU functions registered before launch: the one-result and the streaming entry points.
    assert sorted(seen["decorated"]) == ["_call_on_gpu", "_stream_on_gpu"]
    assert seen["loaded"] == []  # `from app import demo` loads no model, on ZeroGPU too


def test_served_on_zero_gpu_every_model_is_loaded_before_launch(model_env, tmp_path):
    (tmp_path / "spaces.py").write_text(SHIM)
    calls = tmp_path / "gpu-calls.jsonl"
    env = {**model_env, gpu.ZERO_GPU_ENV: "true", "PYTHONPATH": str(tmp_path), "FAKE_SPACES_LOG": str(calls)}
    app = start_app(env, tmp_path / "app.log")
    try:
        client = app.client()
        label, _ = client.predict("とても良い商品でした。", api_name="/sentiment")
        assert {c["label"] for c in label["confidences"]} == {"positive", "negative"}
        text = client.predict("今日は", "GENERATION_SMALL", 3, api_name="/generate")
        assert text.startswith("今日は")
    finally:
        stop_app(app)
    records = [json.loads(line) for line in calls.read_text().splitlines()]
    assert [r["task"] for r in records] == ["_call_on_gpu", "_stream_on_gpu"]
    # ZeroGPU emulates CUDA only in the main thread: every model was loaded there, before launch.
    assert records[0]["loaded"] == sorted(MODELS)
    assert "preloaded for ZeroGPU" in (tmp_path / "app.log").read_text()
