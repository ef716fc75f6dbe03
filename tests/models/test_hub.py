"""Without a network the app fails fast: the Hub is asked once, briefly, and a model already downloaded
loads from the local cache (models/hub.py and the loader's use of it)."""

from __future__ import annotations

import shutil
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from models import hub, loader


@pytest.fixture(autouse=True)
def fresh_answer(monkeypatch):
    """Each test asks the Hub anew, as if the network were there (the test session runs offline)."""
    monkeypatch.setattr(hub, "offline_mode", lambda: False)
    hub.forget()
    yield
    hub.forget()
    loader.unload_all()


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]  # nothing listens there once the socket is closed


@pytest.fixture
def answering_server():
    class Hub(BaseHTTPRequestHandler):
        def do_HEAD(self):  # noqa: N802 - the http.server API
            self.send_response(404)  # any answer means the Hub is there
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Hub)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def point_at(monkeypatch, url: str) -> None:
    monkeypatch.setattr(hub, "_endpoint", lambda: url)


def test_a_refused_connection_is_unreachable_at_once(monkeypatch):
    point_at(monkeypatch, f"http://127.0.0.1:{closed_port()}")
    started = time.monotonic()
    assert hub.reachable() is False
    assert time.monotonic() - started < 1


def test_a_hub_that_never_answers_is_unreachable_after_the_probe_timeout(monkeypatch, silent_server):
    monkeypatch.setattr(hub, "PROBE_TIMEOUT_S", 0.5)
    point_at(monkeypatch, silent_server)
    started = time.monotonic()
    assert hub.reachable() is False
    assert time.monotonic() - started < 1.5


def test_any_http_answer_means_reachable(monkeypatch, answering_server):
    point_at(monkeypatch, answering_server)
    assert hub.reachable() is True


def test_an_unreachable_answer_is_remembered_then_asked_again(monkeypatch, silent_server, answering_server):
    monkeypatch.setattr(hub, "PROBE_TIMEOUT_S", 0.5)
    point_at(monkeypatch, silent_server)
    assert hub.reachable() is False
    # Later clicks do not wait for the network again while the answer is fresh.
    started = time.monotonic()
    assert hub.reachable() is False
    assert time.monotonic() - started < 0.1
    # The network comes back: once the answer is stale, the next question finds it.
    point_at(monkeypatch, answering_server)
    monkeypatch.setattr(hub, "UNREACHABLE_KEPT_S", 0.0)
    assert hub.reachable() is True


def test_a_stale_answer_on_a_dead_network_still_fails_fast(monkeypatch, silent_server):
    monkeypatch.setattr(hub, "PROBE_TIMEOUT_S", 1.0)
    point_at(monkeypatch, silent_server)
    assert hub.reachable() is False
    monkeypatch.setattr(hub, "UNREACHABLE_KEPT_S", 0.0)
    started = time.monotonic()
    assert hub.reachable() is False
    assert time.monotonic() - started < hub.REFRESH_WAIT_S + 0.3


def fake_hub_cache(tmp_path, repo_id: str, folder) -> str:
    """A Hugging Face cache holding one downloaded model, laid out as huggingface_hub lays it out."""
    cache = tmp_path / "hub-cache"
    repo = cache / ("models--" + repo_id.replace("/", "--"))
    shutil.copytree(folder, repo / "snapshots" / "0123abcd")
    (repo / "refs").mkdir()
    (repo / "refs" / "main").write_text("0123abcd")
    return str(cache)


@pytest.fixture
def no_network(monkeypatch, tmp_path, checkpoint_dir):
    """No Hub, and a local cache that holds SENTIMENT's model under a Hub id (NLI's is not downloaded)."""
    from huggingface_hub import constants

    point_at(monkeypatch, f"http://127.0.0.1:{closed_port()}")
    monkeypatch.setattr(constants, "HF_HUB_CACHE", fake_hub_cache(tmp_path, "book/cached", checkpoint_dir["SENTIMENT"]))
    monkeypatch.setenv("JNLP_MODEL_SENTIMENT", "book/cached")
    monkeypatch.setenv("JNLP_MODEL_NLI", "book/not-downloaded")


def test_a_downloaded_model_loads_from_the_cache_without_a_network(no_network):
    entry = loader.load("SENTIMENT")
    assert entry.model_id == "book/cached"  # the registry's name, not the cache folder
    assert entry.runner("良い商品でした。", top_k=None)


def test_a_model_not_downloaded_fails_at_once_with_what_to_do(no_network):
    for attempt in range(2):
        started = time.monotonic()
        with pytest.raises(loader.ModelLoadError) as error:
            loader.load("NLI")
        assert time.monotonic() - started < (3 if attempt == 0 else 0.5)
    message = error.value.message()
    lines = message.splitlines()
    assert len(lines) == 4  # which model and why, what to do; in Japanese, then in English
    assert "book/not-downloaded" in lines[0] and "book/not-downloaded" in lines[2]
    assert "python -m models.prefetch" in lines[1] and "HF_HUB_OFFLINE=1" in lines[1]
    assert "python -m models.prefetch" in lines[3] and "JNLP_MODEL_NLI" in lines[3]
    assert "Traceback" not in message and "huggingface.co" not in message


def test_only_a_tokenizer_in_the_cache_is_enough_for_the_tokenizer_but_not_the_model(monkeypatch, tmp_path,
                                                                                     checkpoint_dir):
    from huggingface_hub import constants

    tokenizer_files = tmp_path / "tokenizer-only"
    shutil.copytree(checkpoint_dir["SENTIMENT"], tokenizer_files,
                    ignore=shutil.ignore_patterns("*.safetensors", "*.bin"))
    point_at(monkeypatch, f"http://127.0.0.1:{closed_port()}")
    monkeypatch.setattr(constants, "HF_HUB_CACHE", fake_hub_cache(tmp_path, "book/tokenizer", tokenizer_files))
    monkeypatch.setenv("JNLP_MODEL_SENTIMENT", "book/tokenizer")
    assert loader.load_tokenizer("SENTIMENT").tokenizer.tokenize("良い")
    with pytest.raises(loader.ModelLoadError) as error:
        loader.load("SENTIMENT")
    assert error.value.problem is loader.NOT_DOWNLOADED
