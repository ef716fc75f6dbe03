"""Shared fixtures: tiny checkpoints built once per session, models loaded through the app's own
loader, and the app served on 127.0.0.1 for gradio_client tests."""

from __future__ import annotations

import json
import os

# huggingface_hub reads this when imported: set it before anything imports transformers,
# so that no test can ever reach for the Hub.
os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["GRADIO_ANALYTICS_ENABLED"] = "False"
# The BERT models answer on torch alone (models/engine.py): an export in the background of every test that
# loads one would cost minutes and swap the model mid-test. tests/models/test_engine.py turns it on.
os.environ.setdefault("JNLP_ENGINE", "torch")
# Freezing the objects alive after each model load (models/tunings.py, gc_freeze) costs one full collection per
# load and another per unload: in a test process, which holds pytest's and Playwright's objects too and loads and
# unloads models in most tests, that took most of the loader tests' time. tests/models/test_loader_memory.py and
# test_tunings.py turn it on where they check it.
os.environ.setdefault("JNLP_GC_FREEZE", "0")

import re
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from fixtures import tiny
from fixtures.text import NLI_LABELS, SENTIMENT_LABELS

REPO = Path(__file__).resolve().parent.parent


def run_coroutine(coroutine):
    """Run ``coroutine`` to its end in a thread of its own and return its result.

    asyncio.run refuses to start in a thread whose event loop is running, and Playwright's
    sync API (the session's browser, once a browser test has run) keeps one running in the
    main thread.
    """
    import asyncio
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


def call_raw(url: str, api_name: str, body: str) -> tuple[str, dict]:
    """Call an endpoint as curl does, with a hand-written JSON body (gradio_client cannot send NaN,
    nor a file path the server no longer has): the last event's name and its data."""
    started = httpx.post(f"{url}gradio_api/call/{api_name}", content=body,
                         headers={"content-type": "application/json"}, timeout=30)
    started.raise_for_status()
    answer = httpx.get(f"{url}gradio_api/call/{api_name}/{started.json()['event_id']}", timeout=120).text
    events = re.findall(r"^event: (\w+)\ndata: (.*)$", answer, flags=re.MULTILINE)
    event, data = events[-1]
    return event, json.loads(data) if data.startswith(("{", "[")) else {"raw": data}


@pytest.fixture(scope="session")
def checkpoint_dir(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Folders of the tiny checkpoints, by registry key."""
    base = tmp_path_factory.mktemp("checkpoints")
    return {
        "SENTIMENT": tiny.build_classifier(base / "sentiment", SENTIMENT_LABELS, [0.75, 0.25]),
        "NLI": tiny.build_classifier(base / "nli", NLI_LABELS, [0.6, 0.3, 0.1]),
        # One label and no problem_type: the pipeline's default would apply a sigmoid.
        "STS": tiny.build_classifier(base / "sts", ["LABEL_0"], regression_value=3.7),
        "SIMCSE": tiny.build_encoder(base / "simcse"),
        "NER": tiny.build_token_classifier(base / "ner"),
        "SUMMARIZATION": tiny.build_t5(base / "t5"),
        "GENERATION": tiny.build_gpt2(base / "gpt2"),
        "CONTEXTUAL": tiny.build_masked_lm(base / "contextual"),
    }


@pytest.fixture(scope="session")
def model_env(checkpoint_dir: dict[str, Path]) -> dict[str, str]:
    """JNLP_MODEL_* variables pointing every key at its tiny checkpoint."""
    env = {f"JNLP_MODEL_{key}": str(path) for key, path in checkpoint_dir.items()}
    env["JNLP_MODEL_GENERATION_SMALL"] = str(checkpoint_dir["GENERATION"])
    return env


def pytest_collection_finish(session: pytest.Session) -> None:
    """With gc_freeze off (above), the objects alive once the tests are collected (pytest's, and the libraries'
    modules) are frozen here instead, once: the collector's full collections, which the tests' many objects set
    off, then walk only what the tests made."""
    import gc

    gc.collect()
    gc.freeze()


@pytest.fixture(autouse=True)
def forget_recent_results():
    """Each test starts without the answers an earlier test's calls left (models/recent.py)."""
    from models import recent

    recent.RESULTS.clear()


@pytest.fixture
def count_forward(monkeypatch: pytest.MonkeyPatch) -> Callable[[str], list]:
    """``count_forward(name)``: the list of the model calls the Task of that name (demos/tasks.py) makes
    from now on, in this test (its forward is swapped for a counting one, and put back after)."""
    import dataclasses

    from demos import tasks

    monkeypatch.setattr(tasks, "TASKS", dict(tasks.TASKS))

    def count(name: str) -> list:
        calls: list = []
        task = tasks.TASKS[name]
        original = task.forward

        if task.streamed:
            def counted(*args: object) -> Iterator[object]:
                calls.append(args[1:])  # not the model: the batcher keeps this function, and so the list
                yield from original(*args)
        else:
            def counted(*args: object) -> object:
                calls.append(args[1:])
                return original(*args)

        dataclasses.replace(task, forward=counted)  # registers itself in TASKS under the same name
        return calls

    return count


@pytest.fixture
def silent_server() -> Iterator[str]:
    """The address of a port that accepts connections and never answers: a network that drops the
    Hub's replies (the Hub client would wait; the app must not)."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(16)
    yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    sock.close()


@pytest.fixture
def load_model(monkeypatch: pytest.MonkeyPatch, model_env: dict[str, str]) -> Callable:
    """Load a registry key through the app's loader, pointed at the tiny checkpoints."""
    from models import loader

    for name, value in model_env.items():
        monkeypatch.setenv(name, value)
    return loader.load


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class RunningApp:
    def __init__(self, url: str, process: subprocess.Popen, log: Path):
        self.url = url
        self.process = process
        self.log = log

    def client(self):
        from gradio_client import Client

        return Client(self.url, verbose=False)


def start_app(env_overrides: dict[str, str], log: Path, timeout: float = 120) -> RunningApp:
    """Run `python app.py` as a user would, on a free loopback port, and wait until it answers."""
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("JNLP_MODEL_")}
    env.update(env_overrides, GRADIO_SERVER_NAME="127.0.0.1", GRADIO_SERVER_PORT=str(port))
    handle = log.open("w")
    process = subprocess.Popen([sys.executable, "app.py"], cwd=REPO, env=env, stdout=handle,
                               stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}/"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"app exited early:\n{log.read_text()}")
        try:
            if httpx.get(url + "gradio_api/info", timeout=2).status_code == 200:
                return RunningApp(url, process, log)
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    process.kill()
    raise RuntimeError(f"app did not answer within {timeout}s:\n{log.read_text()}")


def stop_app(app: RunningApp) -> None:
    app.process.terminate()
    try:
        app.process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        app.process.kill()


@pytest.fixture(scope="session")
def running_app(model_env: dict[str, str], tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningApp]:
    """The app served with every model pointed at a working tiny checkpoint."""
    app = start_app(model_env, tmp_path_factory.mktemp("logs") / "app.log")
    yield app
    stop_app(app)


@pytest.fixture(scope="session")
def client(running_app: RunningApp):
    return running_app.client()
