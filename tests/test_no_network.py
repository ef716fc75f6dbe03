"""The app on a machine with no network and no HF_HUB_OFFLINE flag: a classroom whose network is down.

Models already downloaded answer from the local cache; the others fail within seconds (not after the
Hub client's minute of retries) with two short lines per language; the tokenizer tab shows MeCab and
each tokenizer that is there, and a short note for each that is not.
"""

from __future__ import annotations

import json
import time

import pytest
from gradio_client.exceptions import AppError

from tests.conftest import start_app, stop_app
from tests.models.test_hub import closed_port, fake_hub_cache


@pytest.fixture(scope="module")
def offline_app(model_env, checkpoint_dir, tmp_path_factory):
    base = tmp_path_factory.mktemp("no-network")
    cache = fake_hub_cache(base, "book/sentiment", checkpoint_dir["SENTIMENT"])
    env = dict(model_env,
               HF_HUB_OFFLINE="0", HF_ENDPOINT=f"http://127.0.0.1:{closed_port()}", HF_HUB_CACHE=cache,
               JNLP_MODEL_SENTIMENT="book/sentiment", JNLP_MODEL_NLI="book/not-downloaded",
               JNLP_MODEL_SUMMARIZATION="book/t5-not-downloaded", JNLP_MODEL_GENERATION="book/gpt2-not-downloaded")
    app = start_app(env, base / "app.log")
    yield app
    stop_app(app)


def test_a_downloaded_model_answers_without_the_network(offline_app):
    label, _ = offline_app.client().predict("良い商品でした。", api_name="/sentiment")
    assert label["label"] == "positive"


def test_a_model_not_downloaded_fails_fast_every_time_with_a_short_message(offline_app):
    client = offline_app.client()
    for attempt in range(3):
        started = time.monotonic()
        with pytest.raises(AppError) as error:
            client.predict("前提です。", "仮説です。", api_name="/nli")
        # The Hub client's own retries took 23-50 s; a generous bound tells the two apart on a loaded CI.
        assert time.monotonic() - started < (10 if attempt == 0 else 5)
    message = str(error.value)
    assert "book/not-downloaded" in message and "python -m models.prefetch" in message
    assert "HF_HUB_OFFLINE=1" in message and "JNLP_MODEL_NLI" in message
    assert "Traceback" not in message and "OSError" not in message and len(message) < 700


def test_the_tokenizer_tab_shows_mecab_and_each_tokenizer_fails_on_its_own(offline_app):
    started = time.monotonic()
    result = offline_app.client().predict("今日は良い天気です。", api_name="/tokenize")
    assert time.monotonic() - started < 15
    data = result[0] if isinstance(result[0], dict) else json.loads(result[0])
    assert [m["surface"] for m in data["mecab"]][:2] == ["今日", "は"]
    tokenizers = data["tokenizers"]
    assert tokenizers["bert"]["tokens"] and not tokenizers["bert"]["error"]
    for failed in ("t5", "gpt2"):
        assert tokenizers[failed]["tokens"] == [] and "python -m models.prefetch" in tokenizers[failed]["error"]
