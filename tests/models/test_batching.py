"""Requests arriving together share one model call; results and errors stay each request's own."""

import dataclasses
import itertools
import random
import threading
import time

import pytest

from demos import nli, sentiment, similarity
from demos.common import classify, classify_many
from models import batching

TEXTS = ["良い。", "この映画はとても面白かったので、友達にも勧めたいと思います。", "残念だった", "東京" * 40]


def _together(count: int, call) -> list:
    """Run call(i) in `count` threads released at the same moment; results in order."""
    results: list = [None] * count
    gate = threading.Barrier(count)

    def one(i: int) -> None:
        gate.wait()
        try:
            results[i] = call(i)
        except Exception as exc:  # kept: the test looks at it
            results[i] = exc

    threads = [threading.Thread(target=one, args=(i,), daemon=True) for i in range(count)]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + 30
    for thread in threads:
        thread.join(timeout=max(0.0, deadline - time.monotonic()))
    assert not any(thread.is_alive() for thread in threads), "a caller was left waiting"
    return results


def test_concurrent_requests_are_batched_and_each_gets_its_own_result(load_model, monkeypatch):
    monkeypatch.setenv(batching.BATCH_SIZE_ENV, "8")
    load_model("SENTIMENT")
    sizes = []

    def slow_echo(model, items):
        sizes.append(len(items))
        time.sleep(0.2)  # the first call is still running while the others queue up
        return [f"{item}!" for item in items]

    results = _together(12, lambda i: batching.run("SENTIMENT", slow_echo, i))
    assert results == [f"{i}!" for i in range(12)]
    assert sum(sizes) == 12 and max(sizes) > 1 and max(sizes) <= 8


def test_a_lone_request_runs_in_its_callers_thread(load_model, monkeypatch):
    monkeypatch.setenv(batching.BATCH_SIZE_ENV, "16")
    load_model("SENTIMENT")
    seen = []

    def where(model, items):
        seen.append(threading.get_ident())
        return items

    assert batching.run("SENTIMENT", where, "x") == "x"
    assert seen == [threading.get_ident()]  # no hand-over to another thread for a request alone


def test_each_batch_runs_in_the_thread_of_one_of_its_own_callers(load_model, monkeypatch):
    """A caller never runs other callers' later batches: its wait is its queue time plus one batch."""
    monkeypatch.setenv(batching.BATCH_SIZE_ENV, "3")
    load_model("SENTIMENT")
    callers: dict[int, int] = {}  # item -> the thread that asked for it
    batches: list[tuple[int, list[int]]] = []

    def record(model, items):
        batches.append((threading.get_ident(), list(items)))
        time.sleep(0.1)
        return items

    def call(i):
        callers[i] = threading.get_ident()
        return batching.run("SENTIMENT", record, i)

    assert _together(10, call) == list(range(10))
    assert sorted(item for _, items in batches for item in items) == list(range(10))
    assert len(batches) < 10 and max(len(items) for _, items in batches) <= 3
    for thread, items in batches:
        assert thread in {callers[item] for item in items}


class _Interrupt(BaseException):
    """Stands for KeyboardInterrupt/SystemExit: not an Exception, so not retried item by item."""


def test_an_interrupted_batch_leaves_no_caller_waiting(load_model, monkeypatch):
    monkeypatch.setenv(batching.BATCH_SIZE_ENV, "4")
    load_model("SENTIMENT")
    calls = []

    def interrupted_once(model, items):
        calls.append(list(items))
        time.sleep(0.1)
        if len(calls) == 1:
            raise _Interrupt()
        return items

    def call(i):
        try:
            return batching.run("SENTIMENT", interrupted_once, i)
        except _Interrupt as exc:
            return exc

    results = _together(8, call)  # every thread returns: none is left waiting for a result
    first = set(calls[0])
    for i, result in enumerate(results):
        if i in first:
            assert isinstance(result, (_Interrupt, RuntimeError))
        else:
            assert result == i
    assert batching.run("SENTIMENT", interrupted_once, "after") == "after"


def test_a_bad_item_fails_only_its_own_request(load_model, monkeypatch):
    monkeypatch.setenv(batching.BATCH_SIZE_ENV, "16")
    load_model("SENTIMENT")

    def picky(model, items):
        time.sleep(0.1)
        if "bad" in items:
            raise ValueError("bad item")
        return [item.upper() for item in items]

    items = ["a", "b", "bad", "c", "d", "e"]
    results = _together(len(items), lambda i: batching.run("SENTIMENT", picky, items[i]))
    assert isinstance(results[2], ValueError)
    assert [r for i, r in enumerate(results) if i != 2] == ["A", "B", "C", "D", "E"]


def test_a_batch_size_of_one_turns_batching_off(load_model, monkeypatch):
    monkeypatch.setenv(batching.BATCH_SIZE_ENV, "1")
    load_model("SENTIMENT")
    sizes = []

    def record(model, items):
        sizes.append(len(items))
        time.sleep(0.05)
        return items

    assert _together(6, lambda i: batching.run("SENTIMENT", record, i)) == list(range(6))
    assert sizes == [1] * 6


@pytest.mark.parametrize("raw, expected", [("", 16), ("1", 1), ("8", 8), (" 64 ", 64)])
def test_batch_size_setting(monkeypatch, raw, expected):
    monkeypatch.setenv(batching.BATCH_SIZE_ENV, raw)
    assert batching.batch_size() == expected


@pytest.mark.parametrize("raw", ["0", "1000", "many", "8.5"])
def test_a_batch_size_outside_1_to_64_is_refused_not_bent(monkeypatch, raw):
    from models import settings

    monkeypatch.setenv(batching.BATCH_SIZE_ENV, raw)
    with pytest.raises(settings.SettingError, match=r"JNLP_BATCH_SIZE=.*a whole number from 1 to 64"):
        batching.batch_size()


def test_a_padded_batch_gives_each_text_its_own_scores(load_model):
    model = load_model("SENTIMENT")
    together = classify_many(model, [(text,) for text in TEXTS])
    for text, scores in zip(TEXTS, together):
        alone = classify(model, text)
        assert scores.probabilities == pytest.approx(alone.probabilities, abs=1e-5)
        assert scores.truncated == alone.truncated


def test_padded_pairs_match_single_pairs(load_model):
    pairs = [(TEXTS[i], TEXTS[-1 - i]) for i in range(len(TEXTS))]
    nli_model, sts_model, simcse_model = load_model("NLI"), load_model("STS"), load_model("SIMCSE")
    for (a, b), scores in zip(pairs, classify_many(nli_model, pairs)):
        assert scores.probabilities == pytest.approx(nli.NLI.compute(nli_model, a, b).probabilities, abs=1e-5)
    for (a, b), result in zip(pairs, similarity.sts_many(sts_model, pairs)):
        assert result.value == pytest.approx(similarity.STS.compute(sts_model, a, b).value, abs=1e-5)
    for (a, b), result in zip(pairs, similarity.simcse_many(simcse_model, pairs)):
        assert result.value == pytest.approx(similarity.SIMCSE.compute(simcse_model, a, b).value, abs=1e-5)


def test_the_sentiment_handler_answers_a_crowd(load_model, monkeypatch):
    monkeypatch.setenv(batching.BATCH_SIZE_ENV, "16")
    results = _together(16, lambda i: sentiment.sentiment(TEXTS[i % len(TEXTS)]))
    assert all(label["positive"] == pytest.approx(0.75, abs=1e-5) for label, _ in results)


# --- padded batches of similar lengths ---------------------------------------------------------------

def _cost(groups: list[list[int]], lengths: list[int], call_cost: int, longest_to_batch: int) -> float:
    """The cost of a split; infinite if a long input shares its group."""
    if any(len(group) > 1 and max(lengths[i] for i in group) > longest_to_batch for group in groups):
        return float("inf")
    return sum(call_cost + len(group) * max(lengths[i] for i in group) for group in groups)


def test_inputs_of_one_length_stay_one_batch():
    assert batching.similar_length_groups([42] * 16) == [list(range(16))]


def test_a_long_input_does_not_pad_the_short_ones():
    lengths = [20] * 7 + [512] + [25] * 8
    assert batching.similar_length_groups(lengths) == [[i for i in range(16) if i != 7], [7]]


def test_the_groups_are_the_cheapest_split_of_the_inputs_in_length_order():
    generator = random.Random(7)
    for _ in range(200):
        lengths = [generator.choice([5, 12, 30, 31, 60, 200, 512]) for _ in range(generator.randint(1, 7))]
        groups = batching.similar_length_groups(lengths, call_cost=40, longest_to_batch=100)
        assert sorted(i for group in groups for i in group) == list(range(len(lengths)))
        assert [lengths[i] for group in groups for i in group] == sorted(lengths)  # shortest first
        order = sorted(range(len(lengths)), key=lambda i: lengths[i])
        every_split = (  # all ways to cut the ordered inputs into runs of neighbours
            [order[a:b] for a, b in zip((0, *cuts), (*cuts, len(order)))]
            for size in range(len(order))
            for cuts in itertools.combinations(range(1, len(order)), size))
        assert _cost(groups, lengths, 40, 100) == min(_cost(split, lengths, 40, 100) for split in every_split)


def test_long_inputs_run_alone():
    """Batched, long inputs ran slower per sequence than one at a time (see LONGEST_TO_BATCH)."""
    limit = batching.LONGEST_TO_BATCH
    assert batching.similar_length_groups([limit + 1] * 3) == [[0], [1], [2]]
    assert batching.similar_length_groups([limit] * 3) == [[0, 1, 2]]
    assert batching.similar_length_groups([30, 512, 30, 512]) == [[0, 2], [1], [3]]


def test_results_come_back_in_input_order_one_call_per_group():
    calls = []

    def run(group):
        calls.append(list(group))
        return [text.upper() for text in group]

    texts = ["a" * 500, "b", "c" * 2, "d" * 480]
    results = batching.run_in_length_groups(run, texts, [len(text) for text in texts])
    assert results == [text.upper() for text in texts]
    assert calls == [["b", "cc"], ["d" * 480], ["a" * 500]]


class _CountingRunner:
    """The model's pipeline, counting the inputs of each call."""

    def __init__(self, pipeline):
        self.pipeline, self.calls = pipeline, []

    def __call__(self, inputs, **kwargs):
        self.calls.append(len(inputs))
        return self.pipeline(inputs, **kwargs)

    def __getattr__(self, name):
        return getattr(self.pipeline, name)


def test_a_long_review_runs_apart_from_short_ones_with_the_same_scores(load_model):
    model = load_model("SENTIMENT")
    counting = dataclasses.replace(model, runner=_CountingRunner(model.runner))
    texts = ["良い。", "残念だった", "東京" * 200, "面白い映画でした。"]
    together = classify_many(counting, [(text,) for text in texts])
    assert sorted(counting.runner.calls) == [1, 3]
    for text, scores in zip(texts, together):
        assert scores.probabilities == pytest.approx(classify(model, text).probabilities, abs=1e-5)
