"""A model that cannot be loaded affects only its own tab, and a later request retries."""

import shutil

import pytest
from gradio_client.exceptions import AppError

from tests.conftest import start_app, stop_app


@pytest.fixture(scope="module")
def broken_app(model_env, checkpoint_dir, tmp_path_factory):
    """The app with NLI pointed at a folder that does not exist yet and SIMCSE at broken files."""
    base = tmp_path_factory.mktemp("broken")
    broken = base / "simcse-broken"
    shutil.copytree(checkpoint_dir["SIMCSE"], broken)
    (broken / "model.safetensors").write_bytes(b"not a safetensors file")
    env = dict(model_env, JNLP_MODEL_NLI=str(base / "nli-later"), JNLP_MODEL_SIMCSE=str(broken))
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
