"""What a stranger on a public Space cannot make the app do."""

import re

import pytest
from gradio_client.exceptions import AppError

from tests.conftest import REPO

APP_SOURCES = [REPO / "app.py", *sorted((REPO / "demos").glob("*.py")), *sorted((REPO / "models").glob("*.py"))]


@pytest.mark.parametrize("pattern", [
    r"trust_remote_code\s*=\s*True",  # would run code shipped with a model
    r"\bpickle\b\.load", r"\btorch\.load\(", r"Word2Vec\.load\(", r"KeyedVectors\.load\(",  # unpickle
    r"allow_pickle\s*=\s*True", r"(?<![.\w])eval\(", r"(?<![.\w])exec\(",
])
def test_the_app_never_runs_or_unpickles_what_it_is_given(pattern):
    offenders = [f"{path.name}:{number}" for path in APP_SOURCES
                 for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
                 if re.search(pattern, line)]
    assert offenders == []


@pytest.mark.parametrize("model_key", ["rinna/japanese-gpt2-medium", "/etc", "../models", "SENTIMENT", "generation"])
@pytest.mark.parametrize("endpoint", ["/next_token", "/generate"])
def test_a_request_cannot_choose_a_model_outside_the_registry(client, running_app, endpoint, model_key):
    with pytest.raises(AppError) as error:
        client.predict("今日は", model_key, api_name=endpoint)
    message = str(error.value)
    assert "GENERATION_SMALL" in message and "「モデル」" in message and "must be one of" in message
    assert "Traceback" not in message
    # Nothing was even tried: the operator's log names no load of that id.
    assert f"from {model_key}" not in running_app.log.read_text()
