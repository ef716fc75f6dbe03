"""Faults affect only their own request: a model that cannot be loaded (and a later retry), a model
that raises during inference, and a client that disconnects in the middle of a stream."""

import json
import shutil
import time

import httpx
import pytest
from gradio_client.exceptions import AppError

from tests.conftest import start_app, stop_app

# A word the faulty sentiment model's tokenizer knows but its embedding matrix has no row for.
FAULT_WORD = "爆発"


@pytest.fixture(scope="module")
def broken_app(model_env, checkpoint_dir, tmp_path_factory):
    """The app with NLI pointed at a folder that does not exist yet, SIMCSE at broken files,
    and a SENTIMENT model that loads but raises (IndexError in the embedding) on FAULT_WORD."""
    base = tmp_path_factory.mktemp("broken")
    broken = base / "simcse-broken"
    shutil.copytree(checkpoint_dir["SIMCSE"], broken)
    (broken / "model.safetensors").write_bytes(b"not a safetensors file")
    faulty = base / "sentiment-faulty"
    shutil.copytree(checkpoint_dir["SENTIMENT"], faulty)
    with (faulty / "vocab.txt").open("a", encoding="utf-8") as vocab:
        vocab.write(FAULT_WORD + "\n")
    env = dict(model_env, JNLP_MODEL_NLI=str(base / "nli-later"), JNLP_MODEL_SIMCSE=str(broken),
               JNLP_MODEL_SENTIMENT=str(faulty))
    app = start_app(env, base / "app.log")
    yield app, base
    stop_app(app)


def test_missing_model_gives_a_clear_message_and_a_later_request_retries(broken_app, checkpoint_dir):
    app, base = broken_app
    client = app.client()
    with pytest.raises(AppError) as error:
        client.predict("前提です。", "仮説です。", api_name="/nli")
    message = str(error.value)
    assert "nli-later" in message and "JNLP_MODEL_NLI" in message
    assert "読み込めませんでした" in message and "Could not load" in message
    assert "Traceback" not in message

    # Other tabs keep working meanwhile.
    label, _ = client.predict("良い商品でした。", api_name="/sentiment")
    assert label["label"] == "positive"

    # The operator puts the model in place; the next request loads it without a restart.
    shutil.copytree(checkpoint_dir["NLI"], base / "nli-later")
    label, _ = client.predict("前提です。", "仮説です。", api_name="/nli")
    assert {c["label"] for c in label["confidences"]} == {"entailment", "contradiction", "neutral"}


def test_broken_files_fail_only_their_own_endpoint(broken_app):
    app, _ = broken_app
    client = app.client()
    with pytest.raises(AppError) as error:
        client.predict("今日は", "明日は", api_name="/simcse")
    assert "JNLP_MODEL_SIMCSE" in str(error.value)
    # The STS half of the same tab answers.
    score, _ = client.predict("今日は", "明日は", api_name="/sts")
    assert score == pytest.approx(3.7, abs=1e-5)
    highlights, _, _ = client.predict("東京へ", api_name="/ner")
    assert highlights[0] == {"token": "東京", "class_or_confidence": "地名"}
    # The server is still up and answering after the failures.
    assert app.process.poll() is None


def test_a_model_raising_during_inference_fails_only_that_request(broken_app):
    app, _ = broken_app
    client = app.client()
    with pytest.raises(AppError) as error:
        client.predict(f"工場で{FAULT_WORD}が起きた。", api_name="/sentiment")
    message = str(error.value)
    assert "予期しないエラー" in message and "Something went wrong" in message
    assert "IndexError" not in message and "Traceback" not in message
    # The details went to the operator's log instead.
    assert "IndexError" in app.log.read_text()
    # The same model, the same endpoint, the next request: fine.
    label, _ = client.predict("良い商品でした。", api_name="/sentiment")
    assert label["label"] == "positive"
    score, _ = client.predict("今日は", "明日は", api_name="/sts")
    assert score == pytest.approx(3.7, abs=1e-5)


def _stream_then_hang_up(url: str, api_name: str, data: list, chunks: int) -> list[str]:
    """Join the queue as the browser does, read a few streamed chunks, then close the connection."""
    config = httpx.get(url + "config").json()
    fn_index = next(d["id"] for d in config["dependencies"] if d.get("api_name") == api_name)
    session = f"hangup{time.monotonic_ns()}"
    joined = httpx.post(url + "gradio_api/queue/join",
                        json={"data": data, "fn_index": fn_index, "session_hash": session})
    joined.raise_for_status()
    seen: list[str] = []
    with httpx.stream("GET", url + "gradio_api/queue/data", params={"session_hash": session}, timeout=60) as stream:
        for line in stream.iter_lines():
            if not line.startswith("data:"):
                continue
            message = json.loads(line[5:])
            if message.get("msg") == "process_generating":
                seen.append(json.dumps(message["output"]["data"], ensure_ascii=False))
                if len(seen) >= chunks:
                    break  # leaving the block closes the connection mid-stream
    return seen


def test_a_client_hanging_up_mid_stream_affects_only_itself(broken_app):
    app, _ = broken_app
    seen = _stream_then_hang_up(app.url, "generate", ["今日は", "GENERATION", 200, False, 1.0, 0.95, 50, 0], 3)
    assert len(seen) == 3 and "今日は" in seen[0]
    # Everyone else, on the same model and on the same (one-at-a-time) event, is served in full.
    client = app.client()
    label, _ = client.predict("今日は", api_name="/next_token")
    assert len(label["confidences"]) > 0
    text = client.predict("今日は", "GENERATION", 5, api_name="/generate")
    assert text.startswith("今日は") and len(text) > len("今日は")
    assert app.process.poll() is None


def test_a_client_hanging_up_during_word2vec_training_stops_the_training(broken_app):
    app, _ = broken_app
    # The default corpus, 30 epochs: a long training; hang up once the first epoch is reported.
    settings = [None, False, True, 60, 5, 5, 5, 30, 11, "skip-gram", True]
    seen = _stream_then_hang_up(app.url, "train_word2vec", ["", *settings, "generated"], 2)
    assert "epoch 1/30" in seen[-1]
    deadline = time.monotonic() + 60
    while "training stopped early" not in app.log.read_text() and time.monotonic() < deadline:
        time.sleep(0.2)
    assert "training stopped early" in app.log.read_text()
    # The one training slot is free again: a small training answers in full.
    status, _ = app.client().predict("犬が走る。\n猫が寝る。", *settings[:3], 10, 2, 1, 2, 1, 1, "skip-gram", True,
                                     api_name="/train_word2vec")
    assert "pasted text" in status
