"""Any input gets a valid result or a clear bilingual message, never a stack trace, and the app keeps serving."""

import re

import pytest
from gradio_client.exceptions import AppError

BAD_TEXTS = {
    "empty": "",
    "whitespace": " \u3000\n\t ",
    "one_char": "猫",
    "very_long": "今日は天気が良いので散歩に行きます。" * 5600,  # about 100,000 characters
    "control": "abc\x00\x01\x07\x1b[31m東京\x7f",
    "emoji_sequences": "👨‍👩‍👧‍👦🏳️‍🌈🇯🇵👍🏽",
    "right_to_left": "مرحبا بالعالم שלום",
    "html": "<img src=x onerror=alert(1)><script>alert(2)</script>",
    "markdown": "# 見出し\n**太字** [link](javascript:alert(1))",
    "numbers": "1234567890 3.14 -42",
    "latin": "The quick brown fox jumps over the lazy dog.",
    "many_lines": "行\n" * 5000,
}

ENDPOINTS = {
    "/sentiment": lambda t: (t,),
    "/nli": lambda t: (t, t),
    "/sts": lambda t: (t, "文です。"),
    "/simcse": lambda t: ("文です。", t),
    "/ner": lambda t: (t,),
    "/summarize": lambda t: (t, 8, 1),
    "/tokenize": lambda t: (t,),
    "/next_token": lambda t: (t,),
    "/generate": lambda t: (t, "GENERATION", 3),
}


def _clear(message: str) -> bool:
    japanese = re.search(r"[\u3040-\u30ff\u4e00-\u9fff]", message)
    return bool(japanese) and " / " in message and "Traceback" not in message and "File \"" not in message


@pytest.mark.parametrize("api_name", list(ENDPOINTS))
@pytest.mark.parametrize("case", list(BAD_TEXTS))
def test_every_endpoint_answers_or_explains(client, api_name, case):
    args = ENDPOINTS[api_name](BAD_TEXTS[case])
    try:
        result = client.predict(*args, api_name=api_name)
    except AppError as error:
        assert _clear(str(error)), f"{api_name} {case}: {error}"
        if case in ("empty", "whitespace"):
            assert "Please enter" in str(error)
    else:
        assert case not in ("empty", "whitespace"), f"{api_name} accepted blank input"
        assert result is not None


# NaN and lone surrogates cannot travel in the client's JSON; unit tests cover them
# (tests/demos: clamping of NaN; test_lone_surrogates_become_replacement_characters).
@pytest.mark.parametrize("value", [-1e9, 1e9, 0])
def test_numeric_parameters_out_of_bounds_are_clamped_or_explained(client, value):
    # Sliders refuse out-of-range values with Gradio's own (English) message; the handlers clamp the rest.
    for api_name, args in [
        ("/summarize", ("今日は天気が良い。", value, value)),
        ("/next_token", ("今日は", "GENERATION", value)),
        ("/generate", ("今日は", "GENERATION", value, True, value, value, value, value)),
    ]:
        try:
            client.predict(*args, api_name=api_name)
        except AppError as error:
            assert "Traceback" not in str(error)


def test_the_app_still_serves_after_the_bad_inputs(client):
    label, _ = client.predict("良い商品でした。", api_name="/sentiment")
    assert label["label"] == "positive"
