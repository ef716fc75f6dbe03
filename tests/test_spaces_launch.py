"""A launch the way Hugging Face Spaces does it: `python app.py` with the variables a Space sets.

The page must come up without loading any model (a free CPU Space has 16 GB and every
model together would take minutes to load), with examples that run only when clicked.
"""

from __future__ import annotations

import httpx
import pytest

from tests.conftest import start_app, stop_app

# What a CPU Space sets in the container (the names Gradio and huggingface_hub read).
SPACE_ENV = {
    "SYSTEM": "spaces",
    "SPACE_ID": "reading-group/jnlp-playground",
    "SPACE_AUTHOR_NAME": "reading-group",
    "SPACE_REPO_NAME": "jnlp-playground",
    "SPACE_HOST": "reading-group-jnlp-playground.hf.space",
    "GRADIO_CACHE_EXAMPLES": "true",
}


@pytest.fixture(scope="module")
def space(model_env, tmp_path_factory):
    app = start_app({**model_env, **SPACE_ENV}, tmp_path_factory.mktemp("space") / "app.log")
    yield app
    stop_app(app)


def _loaded_keys(models: dict) -> list[str]:
    """The keys the About tab's models table (/status) reports loaded."""
    column = next(i for i, header in enumerate(models["headers"]) if "Loaded" in header)
    return [row[0] for row in models["data"] if "✅" in row[column]]


def test_the_page_comes_up_with_no_model_loaded(space):
    assert httpx.get(space.url, timeout=30).status_code == 200
    models, _ = space.client().predict(api_name="/status")
    assert len(models["data"]) >= 9 and _loaded_keys(models) == [], models["data"]


def test_an_example_click_then_loads_only_its_model(space):
    client = space.client()
    client.predict("良い商品でした。", api_name="/sentiment")
    models, _ = client.predict(api_name="/status")
    assert _loaded_keys(models) == ["SENTIMENT"], models["data"]


def test_importing_the_app_as_a_space_loads_no_model(model_env):
    import os
    import subprocess
    import sys

    from tests.conftest import REPO

    code = (
        "import sys, app\n"
        "from models import loader\n"
        "assert loader.loaded_keys() == [], loader.loaded_keys()\n"
        "assert 'torch' not in sys.modules and 'transformers' not in sys.modules\n"
        "print(type(app.demo).__name__, len(app.demo.fns))\n"
    )
    env = {**os.environ, **model_env, **SPACE_ENV}
    result = subprocess.run([sys.executable, "-c", code], cwd=REPO, env=env, capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stderr
    kind, events = result.stdout.split()
    assert kind == "Blocks" and int(events) > 20
