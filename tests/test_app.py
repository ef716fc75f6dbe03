"""The app shell: light to import, every tab and endpoint present."""

import subprocess
import sys

import pytest

from tests.conftest import REPO


def test_importing_the_app_loads_no_model_and_no_torch():
    code = (
        "import sys, app\n"
        "from models import loader\n"
        "assert loader.loaded_keys() == [], loader.loaded_keys()\n"
        "heavy = [m for m in ('torch', 'transformers') if m in sys.modules]\n"
        "assert not heavy, heavy\n"
        "print(type(app.demo).__name__)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "Blocks"


def test_every_tab_and_endpoint_is_there():
    from app import demo
    from demos import DEMOS, i18n

    config = demo.get_config_file()
    tab_keys = [i18n.key_of(c["props"].get("label")) for c in config["components"] if c.get("type") == "tabitem"]
    titles = [module.TITLE for module in DEMOS]
    title_keys = [i18n.key_of(title) for title in titles]
    assert [key for key in tab_keys if key in title_keys] == title_keys
    api_names = {d.get("api_name") for d in config["dependencies"]}
    assert {"sentiment", "nli", "sts", "simcse", "ner", "summarize", "tokenize", "next_token", "generate", "word2vec",
            "contextual", "fill_mask"} <= api_names
    for title in titles:
        japanese, english = i18n.pair(title)  # every tab has its title in both languages
        assert japanese != english


def test_no_public_share_link_unless_the_operator_asks():
    from app import launch_settings

    assert launch_settings({})["share"] is False
    with pytest.raises(ValueError, match="JNLP_SHARE='yes please'"):  # a typo is said, never taken as off
        launch_settings({"JNLP_SHARE": "yes please"})
    assert launch_settings({"JNLP_SHARE": "1"})["share"] is True


def test_uploads_are_capped_before_they_are_stored():
    from app import launch_settings

    assert launch_settings({})["max_file_size"] == "5mb"


def test_sessions_kept_in_memory_are_bounded():
    import tracemalloc

    from gradio.state_holder import SessionState

    from app import demo, launch_settings

    capacity = launch_settings({})["state_session_capacity"]
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        session = SessionState(demo)  # what Gradio builds for each new session
        session_bytes = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    assert session.config_values and session_bytes > 50_000
    # Gradio's default of 10,000 sessions this size would be gigabytes; the bound keeps it to a few hundred MB.
    assert capacity * session_bytes < 400 * 1024 * 1024 < 10_000 * session_bytes


@pytest.fixture(scope="module")
def own_server(model_env, tmp_path_factory):
    """A server of this module's own, fresh (no request yet), keeping Gradio's files in a folder of its own;
    the last test stops it. Its files folder, and the word2vec exports there were before it started."""
    import glob

    from tests.conftest import start_app, stop_app

    folder = tmp_path_factory.mktemp("own-server")
    before = set(glob.glob("/tmp/jnlp-word2vec-exports-*"))
    app = start_app({**model_env, "GRADIO_TEMP_DIR": str(folder / "gradio-cache")}, folder / "app.log")
    yield app, folder / "gradio-cache", before
    stop_app(app)


def test_torch_and_transformers_are_imported_in_the_background_before_any_request(own_server):
    import time
    from pathlib import Path

    app, _, _ = own_server
    maps = Path(f"/proc/{app.process.pid}/maps")  # the shared libraries the server has loaded
    deadline = time.monotonic() + 90
    while "libtorch" not in maps.read_text() and time.monotonic() < deadline:
        time.sleep(0.5)
    assert "libtorch" in maps.read_text()  # no request was made: the warm-up imported it
    while "torch and transformers are imported" not in app.log.read_text() and time.monotonic() < deadline:
        time.sleep(0.5)
    assert "torch and transformers are imported" in app.log.read_text()
    # And the app answers as before.
    label = app.client().predict("とても良い商品でした。", api_name="/sentiment")[0]
    assert {c["label"] for c in label["confidences"]} == {"positive", "negative"}


def test_a_stopped_server_deletes_the_files_it_kept(own_server, tmp_path):
    """SIGTERM (docker stop, a Space restarting) closes the server as Ctrl+C does: Gradio deletes the
    uploads and returned files it kept, and the word2vec exports go with the process."""
    import glob
    import os

    import httpx
    from gradio_client import handle_file

    from tests.conftest import stop_app

    app, cache, before = own_server
    try:
        corpus = tmp_path / "corpus.txt"
        corpus.write_text("犬と猫が庭で遊ぶ。\n" * 20, encoding="utf-8")
        exported = app.client().predict("", handle_file(str(corpus)), api_name="/export_vectors",
                                        vector_size=10, min_count=1, epochs=1)
        words, dimensions = open(exported, encoding="utf-8").readline().split()
        assert dimensions == "10" and int(words) >= 3  # 犬, 猫, 庭, 遊ぶ…
        uploaded = httpx.post(app.url + "gradio_api/upload",
                              files={"files": ("more.txt", "猫が鳴く。".encode(), "text/plain")}).json()[0]
        kept = [path for path in cache.rglob("*") if path.is_file() and path.stat().st_size > 0]
        assert {path.name for path in kept} >= {"corpus.txt", "more.txt", os.path.basename(exported)}
        assert os.path.exists(uploaded)
        exports = set(glob.glob("/tmp/jnlp-word2vec-exports-*")) - before
        assert len(exports) == 1
    finally:
        stop_app(app)
    assert app.process.returncode == 0, app.log.read_text()[-2000:]
    assert not [path for path in cache.rglob("*") if path.is_file() and path.stat().st_size > 0]
    assert not any(os.path.exists(folder) for folder in exports)
