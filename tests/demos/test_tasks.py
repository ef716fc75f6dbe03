"""The Task contract (demos/tasks.py), checked the same way for every Task the app declares.

Each model-backed endpoint is a Task: its one declaration must reach the page (sliders), the API
(signature, defaults, docstring) and the checks; blank input never loads a model; answers are reused
only when allowed; a model that cannot load or that fails gives a readable message.
"""

from __future__ import annotations

import math

import gradio as gr
import pytest
from gradio.utils import get_function_description

from demos import prompting, tasks

assert prompting.PROMPT_CLASSIFY  # a Task with a JSON endpoint only (its view is to come): declared on import
from demos.common import InputError

# Every model-backed action of the app (issue #21): a new one must be a Task to be listed here.
EXPECTED = {"sentiment", "nli", "sts", "simcse", "ner", "summarize", "next_token", "generate", "contextual",
            "fill_mask", "prompt_classify"}
TASKS = [tasks.TASKS[name] for name in sorted(EXPECTED)]
IDS = [task.name for task in TASKS]


@pytest.fixture(scope="module")
def app_blocks():
    from app import demo

    return demo


@pytest.fixture
def tiny_models(model_env, monkeypatch):
    for name, value in model_env.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("JNLP_RESULT_CACHE", raising=False)


def _handler(blocks, name):
    found = [fn for fn in blocks.fns.values() if fn.api_name == name]
    assert len(found) == 1, name
    return found[0]


def _answer(handler, *args):
    """A handler's answer; a streamed one's last update."""
    answer = handler(*args)
    if hasattr(answer, "__next__"):
        *_, answer = answer
    return answer


def test_every_model_backed_endpoint_is_a_declared_task(app_blocks):

    assert set(tasks.TASKS) == EXPECTED
    for name in EXPECTED:
        assert getattr(_handler(app_blocks, name).fn, "task", None) is tasks.TASKS[name]


@pytest.mark.parametrize("task", TASKS, ids=IDS)
def test_one_declaration_feeds_the_page_the_signature_and_the_docstring(app_blocks, task):
    fn = _handler(app_blocks, task.name)
    components = [app_blocks.blocks[block._id] for block in fn.inputs]
    assert len(components) == len(task.inputs)
    description, parameters, returns = get_function_description(fn.fn)
    assert description == task.summary and len(returns) == len(task.returns)
    info = {p["parameter_name"]: p for p in app_blocks.get_api_info()["named_endpoints"][f"/{task.name}"]["parameters"]}
    for declared, component in zip(task.inputs, components, strict=True):
        assert declared.name in info and parameters[declared.name] == declared.described().split(": ", 1)[1]
        if declared.default is not tasks.REQUIRED:  # (a required text's default is its box's starting text)
            assert info[declared.name]["parameter_default"] == declared.default
        if component.get_block_name() == "api":  # a JSON endpoint (gr.api): its signature is its page
            assert info[declared.name]["python_type"]["type"] in ("str", "int", "float", "bool"), declared.name
        elif declared.choices:
            assert [value for _, value in component.choices] == list(declared.choices)
        elif declared.kind in (int, float):  # a slider or a number box with the declared bounds
            assert (component.minimum, component.maximum) == (declared.low, declared.high), declared.name
            assert component.value == declared.default, declared.name
            assert f"{declared.high:g}" in parameters[declared.name].replace(",", "") or declared.high > 10**6


@pytest.mark.parametrize("task", TASKS, ids=IDS)
def test_blank_text_is_refused_by_name_before_any_model_loads(task, monkeypatch):
    from models import loader

    monkeypatch.setattr(loader, "load", lambda key: pytest.fail(f"{task.name} loaded {key} for blank input"))
    texts = [position for position, declared in enumerate(task.inputs) if declared.kind is str and not declared.choices]
    assert texts, "every Task reads some text"
    for position in texts:
        declared = task.inputs[position]
        for blank in ("", " \u3000\n", "\u200b\ufeff", None):
            args = [blank if i == position else value for i, value in enumerate(task.example)]
            with pytest.raises(InputError, match=f"{declared.ja}.*{declared.en}"):
                (tasks.stream if task.streamed else tasks.run)(task, *args)
            with pytest.raises(gr.Error, match=declared.ja):
                _answer(_handler_of(task), *args)


@pytest.mark.parametrize("task", TASKS, ids=IDS)
def test_numbers_are_brought_within_their_bounds_and_nan_means_the_default(task):
    numbers = [declared for declared in task.inputs if declared.kind in (int, float) and not declared.choices]
    for declared in numbers:
        assert declared.check(declared.low - 1) == declared.low
        assert declared.check(declared.high + 10**9) == declared.high
        assert declared.check(math.nan) == declared.check(None) == declared.default
        assert isinstance(declared.check(declared.low + 0.6), declared.kind)
        with pytest.raises(InputError, match=f"{declared.ja}.*must be a number"):
            declared.check("many")
    for declared in task.inputs:
        if declared.choices:
            with pytest.raises(InputError, match="among"):
                declared.check("someone/else")


@pytest.mark.parametrize("task", TASKS, ids=IDS)
def test_an_identical_request_is_answered_again_only_while_reuse_is_on(task, tiny_models, count_forward,
                                                                       monkeypatch):
    assert task.reuse
    calls = count_forward(task.name)
    handler = _handler_of(task)
    first = _answer(handler, *task.example)
    again = _answer(handler, *task.example)
    assert len(calls) == 1 and repr(again) == repr(first)
    monkeypatch.setenv("JNLP_RESULT_CACHE", "0")
    assert repr(_answer(handler, *task.example)) == repr(first) and len(calls) == 2


@pytest.mark.parametrize("task", TASKS, ids=IDS)
def test_a_model_that_cannot_load_is_named_in_a_readable_message(task, tiny_models, monkeypatch, tmp_path):
    key = task.model_key or task.example[task.inputs.index(task.input("model_key"))]
    monkeypatch.setenv(f"JNLP_MODEL_{key}", str(tmp_path / "missing"))
    with pytest.raises(gr.Error) as raised:
        _answer(_handler_of(task), *task.example)
    assert raised.value.title == "モデルを読み込めません / Model unavailable" and key in raised.value.message


@pytest.mark.parametrize("task", TASKS, ids=IDS)
def test_a_model_that_fails_gives_a_short_message_and_the_next_request_is_answered(task, tiny_models,
                                                                                  count_forward, monkeypatch):
    import dataclasses

    def broken(*args):
        raise RuntimeError("CUDA error: device-side assert triggered")

    original = tasks.TASKS[task.name]
    dataclasses.replace(original, forward=broken)
    with pytest.raises(gr.Error) as raised:
        _answer(_handler_of(task), *task.example)
    assert "Something went wrong" in raised.value.message and "CUDA" not in raised.value.message
    tasks.TASKS[task.name] = original
    assert _answer(_handler_of(task), *task.example) is not None


def _handler_of(task):
    from app import demo

    return _handler(demo, task.name).fn


def _softmax(logits):
    import numpy as np

    exp = np.exp(logits - np.max(logits, axis=-1, keepdims=True))
    return exp / exp.sum(axis=-1, keepdims=True)


def test_each_answer_carries_the_forward_pass_it_came_from(load_model):
    """The stages (models/stages.py) are the ids the model read and its raw outputs, from the pass of the answer."""
    from demos import contextual, ner, nli, sentiment, similarity

    model = load_model("SENTIMENT")
    scores = sentiment.SENTIMENT.compute(model, "この本はとても読みやすかった。")
    assert scores.stages.ids == tuple(model.tokenizer("この本はとても読みやすかった。")["input_ids"])
    assert _softmax(scores.stages.outputs).tolist() == pytest.approx(list(scores.probabilities.values()), abs=1e-6)

    model = load_model("NLI")
    scores = nli.NLI.compute(model, "公園で遊ぶ。", "外にいる。")
    assert scores.stages.ids == tuple(model.tokenizer("公園で遊ぶ。", "外にいる。")["input_ids"])
    assert scores.stages.outputs.shape == (3,)

    result = similarity.STS.compute(load_model("STS"), "今日は", "明日は")
    (stages,) = result.stages
    assert float(stages.outputs[0]) == pytest.approx(result.value, abs=1e-6)  # raw: no softmax, no sigmoid

    result = similarity.SIMCSE.compute(load_model("SIMCSE"), "山田さんは東京で働いています。", "映画はつまらなかった。")
    first, second = result.stages
    assert similarity.cosine(first.outputs, second.outputs) == pytest.approx(result.value, abs=1e-9)
    assert first.outputs.ndim == 1  # the [CLS] vector alone

    model = load_model("NER")
    found = ner.NER.compute(model, "田中さんは東京で働いている。")
    (piece,) = found.pieces
    assert len(piece.stages.ids) == len(piece.spans) + 2  # [CLS], the tokens, [SEP]
    assert piece.stages.outputs.shape == (len(piece.stages.ids), len(model.runner.model.config.id2label))

    model = load_model("CONTEXTUAL")
    filled = contextual.FILL_MASK.compute(model, "今日は[MASK]に行きます。", 3)
    (row,) = filled.stages.rows
    assert filled.stages.ids[row] == model.tokenizer.mask_token_id
    best_id = model.tokenizer.convert_tokens_to_ids(filled.fillers[0][0][0])
    assert _softmax(filled.stages.outputs[0])[best_id] == pytest.approx(filled.fillers[0][0][1], abs=1e-6)
