"""The benchmark's light HTTP caller (bench.measure.call_api) gets what gradio_client gets, and fails loudly."""

from __future__ import annotations

import httpx
import pytest

from bench import measure
from demos import sentiment
from tests.conftest import run_coroutine


async def _call(url: str, api_name: str, data: list, session: str):
    async with httpx.AsyncClient(base_url=url, timeout=60) as http:
        return await measure.call_api(http, api_name, data, session=session)


def test_the_light_caller_gets_the_same_answer_as_gradio_client(running_app, client):
    text = sentiment.EXAMPLES[0][0]
    expected = client.predict(text, api_name="/sentiment")
    # Twice with one session, as a benchmark caller does: the session is reused, not rebuilt.
    for _ in range(2):
        label, *_ = run_coroutine(_call(running_app.url, "sentiment", [text], session="bench-test"))
        assert label["label"] == expected[0]["label"]
        assert {c["label"]: c["confidence"] for c in label["confidences"]} == pytest.approx(
            {c["label"]: c["confidence"] for c in expected[0]["confidences"]})


def test_an_error_answer_is_raised_not_counted(running_app):
    with pytest.raises(RuntimeError, match="/sentiment answered an error"):
        run_coroutine(_call(running_app.url, "sentiment", ["   "], session="bench-test-error"))


def test_answers_are_compared_number_by_number():
    from bench.sections import _largest_difference

    assert _largest_difference({"a": [0.5, "x"], "b": None}, {"a": [0.5000002, "x"], "b": None}) == pytest.approx(2e-7)
    assert _largest_difference([1, [2.0]], [1, [2.0]]) == 0
    assert _largest_difference({"a": "x"}, {"a": "y"}) == float("inf")  # a label differs
    assert _largest_difference([1, 2], [1, 2, 3]) == float("inf")  # the shape differs
    assert _largest_difference({"a": 1}, {"b": 1}) == float("inf")
    assert _largest_difference(True, 1) == float("inf")


def test_the_bench_reads_the_status_tab_to_know_what_is_still_being_packed():
    import dataclasses

    from demos import about
    from models import tunings

    packing = about.ModelStatus("GENERATION", "/ckpt/gpt2", "JNLP_MODEL_GENERATION", about.LOCAL_FOLDER, about.READY,
                                model_loaded=True, tokenizer_loaded=False, memory_bytes=3_000_000_000, device="cpu",
                                kernels=tunings.PACKING_FOR_ONEDNN)
    packed = dataclasses.replace(packing, key="SENTIMENT", kernels=tunings.ONEDNN_KERNELS)
    plain = dataclasses.replace(packing, key="NLI", kernels=tunings.TORCH_KERNELS)
    answer = {"headers": about.MODEL_HEADERS, "data": about.models_table([packing, packed, plain])}
    assert measure.still_preparing(answer) == ["GENERATION"]
    assert measure.still_preparing({**answer, "data": about.models_table([packed, plain])}) == []


def test_waiting_for_packed_layers_asks_the_running_apps_status_tab(running_app, client):
    client.predict(sentiment.EXAMPLES[0][0], api_name="/sentiment")  # a small model: packed while it loads, if at all
    assert run_coroutine(measure.wait_for_packed_layers(running_app.url, timeout_s=30, poll_s=0.1)) < 30
