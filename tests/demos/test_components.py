"""Inputs refuse out-of-range values in both languages, and still draw as Gradio's own components."""

import math

import gradio as gr
import pytest

from demos.components import Number, Radio, Slider


def _message(error: pytest.ExceptionInfo) -> str:
    return str(error.value.message)


@pytest.mark.parametrize("value", [0, 201, -1e9, math.nan, math.inf, "10", True, [5]])
def test_a_slider_refuses_values_outside_its_range_in_both_languages(value):
    slider = Slider(1, 200, value=30, step=1, label="最大トークン数 / Max new tokens")
    with pytest.raises(gr.Error) as error:
        slider.preprocess(value)
    message = _message(error)
    assert message.startswith("「最大トークン数」") and "'Max new tokens'" in message and " / " in message


def test_a_slider_takes_its_bounds_and_everything_between():
    slider = Slider(1, 200, value=30, step=1, label="最大トークン数 / Max new tokens")
    assert [slider.preprocess(v) for v in (1, 57, 200)] == [1, 57, 200]
    error = pytest.raises(gr.Error, slider.preprocess, 201)
    assert "between 1 and 200 (got 201)" in _message(error) and "1 から 200" in _message(error)


def test_a_number_with_a_floor_only_and_an_empty_box():
    seed = Number(value=0, precision=0, minimum=0, label="シード / Seed")
    assert seed.preprocess(None) is None
    assert seed.preprocess(12345678901) == 12345678901
    assert "at least 0 (got -1)" in _message(pytest.raises(gr.Error, seed.preprocess, -1))


def test_a_radio_names_its_choices():
    radio = Radio([("大きい", "GENERATION"), ("小さい", "GENERATION_SMALL")], value="GENERATION",
                  label="モデル / Model")
    assert radio.preprocess("GENERATION_SMALL") == "GENERATION_SMALL"
    message = _message(pytest.raises(gr.Error, radio.preprocess, "rinna/japanese-gpt2-medium"))
    assert "「モデル」" in message and "must be one of GENERATION, GENERATION_SMALL" in message


def test_the_browser_draws_them_as_the_usual_components():
    assert Slider(0, 1).get_block_name() == "slider"
    assert Number().get_block_name() == "number"
    assert Radio(["a"]).get_block_name() == "radio"
