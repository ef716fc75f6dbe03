"""Recent answers: a bounded least-recently-used store, and reuse of a recent answer for the same request."""

import pytest

from models import recent


def test_the_least_recently_used_goes_first():
    kept = recent.LeastRecentlyUsed(capacity=2)
    kept.put("a", 1)
    kept.put("b", 2)
    assert kept.get("a") == 1  # "a" is now the more recent
    kept.put("c", 3)
    assert len(kept) == 2 and kept.get("b") is None and kept.get("a") == 1 and kept.get("c") == 3
    kept.clear()
    assert len(kept) == 0 and kept.get("a") is None


def test_the_same_request_is_computed_once_and_another_request_again(monkeypatch):
    monkeypatch.delenv(recent.RESULT_CACHE_ENV, raising=False)
    calls = []

    def compute(value):
        calls.append(value)
        return f"answer {value}"

    assert recent.reused_or_computed(("tab", "model", "x"), lambda: compute("x")) == "answer x"
    assert recent.reused_or_computed(("tab", "model", "x"), lambda: compute("x")) == "answer x"
    assert recent.reused_or_computed(("tab", "other model", "x"), lambda: compute("x")) == "answer x"
    assert calls == ["x", "x"]


def test_a_failure_is_not_remembered(monkeypatch):
    monkeypatch.delenv(recent.RESULT_CACHE_ENV, raising=False)

    def fail():
        raise RuntimeError("the model could not load")

    with pytest.raises(RuntimeError):
        recent.reused_or_computed(("tab", "x"), fail)
    assert recent.reused_or_computed(("tab", "x"), lambda: "loaded now") == "loaded now"


@pytest.mark.parametrize("value, kept", [("0", False), ("1", True), ("", True), (" 0 ", False)])
def test_the_operator_can_turn_it_off(monkeypatch, value, kept):
    monkeypatch.setenv(recent.RESULT_CACHE_ENV, value)
    calls = []
    for _ in range(2):
        recent.reused_or_computed(("tab", "x"), lambda: calls.append(1) or "answer")
    assert recent.results_kept() is kept and len(calls) == (1 if kept else 2)


def test_a_key_holds_a_digest_of_a_text_not_the_text():
    article = "長い記事。" * 20_000
    assert recent.fingerprint(article) == recent.fingerprint("長い記事。" * 20_000)
    assert len(recent.fingerprint(article)) == 64 and recent.fingerprint(article) != recent.fingerprint(article + "!")
    assert recent.fingerprint("\ud800") != recent.fingerprint("")  # a lone surrogate from a client hashes too


def test_an_answer_key_names_the_model_the_key_resolves_to_and_holds_a_digest(monkeypatch, tmp_path):
    monkeypatch.delenv("JNLP_MODEL_SUMMARIZATION", raising=False)
    article = "記事の本文。" * 1_000
    key = recent.answer_key("summarize", "SUMMARIZATION", article, 64, 1)
    assert key == recent.answer_key("summarize", "SUMMARIZATION", article, 64, 1)
    assert article not in key and recent.fingerprint(article) in key
    assert key != recent.answer_key("summarize", "SUMMARIZATION", article, 64, 2)
    # The operator points the key at another model: its answers are not the old model's.
    monkeypatch.setenv("JNLP_MODEL_SUMMARIZATION", str(tmp_path))
    assert key != recent.answer_key("summarize", "SUMMARIZATION", article, 64, 1)


def test_nothing_is_recalled_or_kept_when_reuse_is_off(monkeypatch):
    monkeypatch.setenv(recent.RESULT_CACHE_ENV, "0")
    recent.keep(("generate", "x"), "text")
    assert recent.recall(("generate", "x")) is None
    monkeypatch.setenv(recent.RESULT_CACHE_ENV, "1")
    assert recent.recall(("generate", "x")) is None  # it was never kept
    recent.keep(("generate", "x"), "text")
    assert recent.recall(("generate", "x")) == "text"
