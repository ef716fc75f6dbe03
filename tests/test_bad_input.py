"""Any input gets a valid result or a clear bilingual message, never a stack trace, and the app keeps serving."""

import json
import re

import pytest
from gradio_client.exceptions import AppError

from demos import i18n
from demos.common import blank
from tests.conftest import call_raw

BAD_TEXTS = {
    "empty": "",
    "whitespace": " \u3000\n\t ",
    "invisible": "\u200b\ufeff \u2060\u200b",  # zero-width space, BOM, word joiner: nothing to read
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
    "/contextual": lambda t: (t, t),
    # A mask mark after any non-blank text, so the model runs (blank stays blank: "Please enter").
    "/fill_mask": lambda t: (t if blank(t) else t + "＿",),
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
        if blank(BAD_TEXTS[case]):
            assert "Please enter" in str(error)
    else:
        assert not blank(BAD_TEXTS[case]), f"{api_name} accepted blank input"
        assert result is not None


def _numeric_inputs() -> list[tuple[str, int, dict]]:
    """(endpoint, input position, component props) of every bounded number or slider of every public endpoint."""
    from app import demo

    config = demo.get_config_file()
    components = {c["id"]: c for c in config["components"]}
    found = []
    for dependency in config["dependencies"]:
        if dependency.get("api_visibility") != "public" or not dependency.get("api_name"):
            continue
        for position, component_id in enumerate(dependency["inputs"]):
            component = components[component_id]
            if component["type"] in ("slider", "number") and component["props"].get("maximum") is not None:
                found.append((dependency["api_name"], position, component["props"]))
    return found


def _defaults(api_name: str) -> list:
    """The endpoint's inputs at their initial values, with a small corpus for the word2vec endpoints."""
    from app import demo

    config = demo.get_config_file()
    components = {c["id"]: c for c in config["components"]}
    dependency = next(d for d in config["dependencies"] if d.get("api_name") == api_name)
    values = [components[i]["props"].get("value") for i in dependency["inputs"]]
    if i18n.pair(components[dependency["inputs"][0]]["props"].get("label") or "")[0].startswith("コーパス"):
        values[0] = "犬が公園で走る。\n猫が公園で寝る。\n犬と猫が公園で遊ぶ。"
    return values


NUMERIC_INPUTS = _numeric_inputs()


def test_every_bounded_parameter_is_found():
    names = {(api, i18n.pair(props["label"])) for api, _, props in NUMERIC_INPUTS}
    assert ("generate", ("温度", "Temperature")) in names and ("summarize", ("ビーム数", "Beams")) in names
    assert {api for api, _ in names} >= {"summarize", "next_token", "generate", "word2vec", "train_word2vec",
                                         "skipgram_pairs"}


@pytest.mark.parametrize("api_name, position, props", NUMERIC_INPUTS,
                         ids=[f"{api}-{i18n.pair(props['label'])[1]}" for api, _, props in NUMERIC_INPUTS])
def test_numbers_outside_their_bounds_are_refused_by_name_in_both_languages(client, running_app, api_name,
                                                                           position, props):
    low, high = props["minimum"], props["maximum"]
    name_ja, name_en = i18n.pair(props["label"])
    for wrong in (low - 1, high + 1e9):
        args = _defaults(api_name)
        args[position] = wrong
        with pytest.raises(AppError) as error:
            client.predict(*args, api_name=f"/{api_name}")
        message = str(error.value)
        assert f"「{name_ja.strip()}」" in message and f"'{(name_en or name_ja).strip()}'" in message, message
        assert "must be" in message and "Traceback" not in message
    for wrong in ("NaN", '"12"'):
        args = _defaults(api_name)
        placeholder = json.dumps(args[:position] + ["@@HERE@@"] + args[position + 1:], ensure_ascii=False)
        body = '{"data": ' + placeholder.replace('"@@HERE@@"', wrong) + "}"
        event, data = call_raw(running_app.url, api_name, body)
        assert event == "error", (wrong, data)
        assert f"「{name_ja.strip()}」" in str(data.get("error")), (wrong, data)


AT_BOUNDS = [
    ("summarize", ["今日は天気が良い。", 8, 1]), ("summarize", ["今日は天気が良い。", 256, 4]),
    ("next_token", ["今日は", "GENERATION", 1]), ("next_token", ["今日は", "GENERATION", 50]),
    ("generate", ["今日は", "GENERATION", 1, True, 0.05, 0.01, 0, 0]),
    ("generate", ["今日は", "GENERATION", 200, True, 2.0, 1.0, 500, 2**31 - 1]),
    ("skipgram_pairs", ["犬が庭で走る。", 1]), ("skipgram_pairs", ["犬が庭で走る。", 10]),
    ("contextual", ["ABCと東京\nABCで", "ABC", 0]), ("contextual", ["ABCと東京\nABCで", "ABC", 24]),
    ("fill_mask", ["今日は＿に行く。", 1]), ("fill_mask", ["今日は＿に行く。", 20]),
]


@pytest.mark.parametrize("api_name, args", AT_BOUNDS)
def test_numbers_at_their_bounds_are_accepted(client, api_name, args):
    assert client.predict(*args, api_name=f"/{api_name}") is not None


def test_the_app_still_serves_after_the_bad_inputs(client):
    label, _ = client.predict("良い商品でした。", api_name="/sentiment")
    assert label["label"] == "positive"
