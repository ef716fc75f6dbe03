"""curl-style calls on /gradio_api/call/<api>: missing inputs get their defaults, as with gradio_client,
and a call missing a required input or sending too many gets a bilingual 422 instead of `{"error": null}`."""

import json

import httpx
import pytest

from bench import measure
from demos.api_inputs import complete_inputs
from tests.conftest import run_coroutine

PARAMETERS = [{"parameter_name": "prompt", "parameter_has_default": False},
              {"parameter_name": "model_key", "parameter_has_default": True, "parameter_default": "GENERATION"},
              {"parameter_name": "top_k", "parameter_has_default": True, "parameter_default": 10}]


def test_missing_inputs_with_defaults_are_filled_in_order():
    assert complete_inputs(["昔々"], PARAMETERS) == (["昔々", "GENERATION", 10], None)
    assert complete_inputs(["昔々", "GENERATION_SMALL"], PARAMETERS) == (["昔々", "GENERATION_SMALL", 10], None)
    assert complete_inputs(["昔々", "GENERATION_SMALL", 5], PARAMETERS) == (["昔々", "GENERATION_SMALL", 5], None)


@pytest.mark.parametrize("data, words", [([], ["prompt", "必須"]), (["a", "b", 3, 4], ["at most 3", "4"])])
def test_a_call_that_cannot_be_completed_says_why_in_both_languages(data, words):
    completed, problem = complete_inputs(data, PARAMETERS)
    assert completed is None and " / " in problem
    assert all(word in problem for word in words)


def _answer(url: str, api_name: str, data: list) -> list:
    """An accepted curl-style call's result, read from its event stream by the benchmark's own caller."""
    async def call() -> list:
        async with httpx.AsyncClient(base_url=url, timeout=120) as http:
            return await measure.call_api(http, api_name, data, session="api-inputs-test")

    return run_coroutine(call())


def _refused(url: str, api_name: str, body: bytes | str) -> tuple[int, dict]:
    """The status and JSON answer of a POST to the /call/ route that is not accepted."""
    posted = httpx.post(f"{url}gradio_api/call/{api_name}", content=body, timeout=60,
                        headers={"content-type": "application/json"})
    return posted.status_code, posted.json()


def test_a_curl_call_without_the_optional_inputs_answers_like_gradio_client(running_app, client):
    data = _answer(running_app.url, "fill_mask", ["東京は日本の[MASK]です。"])
    assert data == json.loads(json.dumps(client.predict("東京は日本の[MASK]です。", api_name="/fill_mask"),
                                         ensure_ascii=False))


def test_a_curl_call_without_a_required_input_gets_a_clear_422(running_app):
    status, answer = _refused(running_app.url, "nli", json.dumps({"data": ["彼は走った。"]}))
    assert status == 422
    assert "hypothesis" in answer["error"] and "必須の入力がありません" in answer["error"]


def test_a_curl_call_with_too_many_inputs_gets_a_clear_422(running_app):
    status, answer = _refused(running_app.url, "sentiment", json.dumps({"data": ["良い", "余分"]}))
    assert status == 422 and "at most 1" in answer["error"]


def test_a_complete_call_and_a_body_that_is_not_json_reach_gradio_unchanged(running_app):
    data = _answer(running_app.url, "sentiment", ["この映画は面白かった。"])
    assert "confidences" in data[0]
    status, answer = _refused(running_app.url, "sentiment", b"{not json")
    assert status == 422 and "detail" in answer  # FastAPI's own answer to a malformed body, not this guard's
