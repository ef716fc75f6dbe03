"""Example clicks: answers remembered lazily, per process (demos/common.remember_answers)."""

import pytest


def test_example_answers_are_remembered_lazily_and_failures_are_not(monkeypatch):
    from demos.common import remember_answers

    monkeypatch.delenv("JNLP_RESULT_CACHE", raising=False)

    calls = []

    def handler(text, number):
        calls.append(text)
        if text == "fail":
            raise RuntimeError("model not ready")
        return {"value": [text, number]}

    remembered = remember_answers(handler, kept=2)
    assert calls == []  # nothing runs before a click
    first = remembered("例", 1)
    first["value"].append("changed by Gradio")  # Gradio takes update dicts apart
    assert remembered("例", 1) == {"value": ["例", 1]} and calls == ["例"]
    assert remembered("例", 2) == {"value": ["例", 2]} and calls == ["例", "例"]  # other settings, other answer
    for _ in range(2):
        with pytest.raises(RuntimeError):
            remembered("fail", 1)
    assert calls.count("fail") == 2
    remembered("三つ目", 1)  # only the latest two are kept
    remembered("例", 1)
    assert calls[-1] == "例"


def test_with_recent_answers_off_every_click_runs(monkeypatch):
    from demos.common import remember_answers

    monkeypatch.setenv("JNLP_RESULT_CACHE", "0")
    calls = []
    remembered = remember_answers(lambda text: calls.append(text) or text.upper(), kept=2)
    assert remembered("a") == remembered("a") == "A" and calls == ["a", "a"]


def test_every_example_click_runs_through_a_handler_that_reuses_answers():
    """A Task's handler reuses its answers itself (demos/tasks.py); any other is wrapped to remember them."""
    from app import demo

    private = [fn for fn in demo.fns.values() if fn.api_visibility == "private" and fn.fn is not None]
    remembered = {fn.fn.__name__ for fn in private if hasattr(fn.fn, "answers")}
    reusing = {fn.fn.__name__ for fn in private if getattr(fn.fn, "task", None) is not None and fn.fn.task.reuse}
    assert remembered >= {"tokenize"}
    assert reusing >= {"sentiment", "nli", "sts", "simcse", "ner", "summarize", "next_token", "contextual", "fill_mask"}
    assert all(fn.api_visibility == "private" for fn in demo.fns.values() if hasattr(fn.fn, "answers"))
