"""The benchmark's pure measuring helpers: paired timing and the overhead read from it."""

from __future__ import annotations

import pytest

from bench import measure
from tests.conftest import run_coroutine


def test_time_pair_runs_the_two_calls_side_by_side_in_alternating_order():
    order: list[str] = []
    first, second = measure.time_pair(lambda: order.append("A"), lambda: order.append("B"), repeats=4)
    assert len(first) == len(second) == 4
    assert order == ["A", "B", "A", "B", "B", "A", "A", "B", "B", "A"]  # warm-up, then AB BA AB BA


def test_time_pair_async_alternates_awaited_calls_the_same_way():
    order: list[str] = []

    async def call(name):
        order.append(name)

    first, second = run_coroutine(measure.time_pair_async(lambda: call("A"), lambda: call("B"), repeats=4))
    assert len(first) == len(second) == 4 and all(t >= 0 for t in first + second)
    assert order == ["A", "B", "B", "A", "A", "B", "B", "A"]  # no warm-up: AB BA AB BA


def test_paired_overhead_is_the_median_of_each_pairs_ratio():
    assert measure.paired_overhead([2.0, 4.0, 3.0], [1.0, 2.0, 3.0]) == pytest.approx(1.0)  # ratios 2, 2, 1
    assert measure.paired_overhead([1.1], [1.0]) == pytest.approx(0.1)


def test_a_slow_spell_that_hits_both_calls_of_a_pair_cancels():
    # The handler costs 2 % more than the bare call. The machine runs 30 % slower for a while: the
    # spell began between the two calls of the third pair, so it hits four handler runs and three
    # bare ones, and the ratio of the two medians reads it as the handler's cost.
    bare = [1.0, 1.0, 1.0, 1.3, 1.3, 1.3, 1.0]
    handler = [1.02, 1.02, 1.326, 1.326, 1.326, 1.326, 1.02]
    ratio_of_medians = sorted(handler)[3] / sorted(bare)[3] - 1
    assert ratio_of_medians == pytest.approx(0.326)
    assert measure.paired_overhead(handler, bare) == pytest.approx(0.02)


def test_paired_overhead_needs_two_lists_of_equal_length():
    with pytest.raises(ValueError):
        measure.paired_overhead([1.0, 2.0], [1.0])
    with pytest.raises(ValueError):
        measure.paired_overhead([], [])


def test_encoder_flops_counts_the_dense_layers_and_the_attention_products():
    from types import SimpleNamespace

    from bench.sections import encoder_flops

    tiny = SimpleNamespace(hidden_size=2, intermediate_size=4, num_hidden_layers=1)
    # 3 tokens: projections 4 x (2x2) and feed-forward 2 x (2x4) multiply-adds per token, 2 flops each
    # (2 * 3 * 32 = 192), and scores and weighted values 2 x (3x3x2) multiply-adds (72).
    assert encoder_flops(tiny, 3) == 192 + 72
    base = SimpleNamespace(hidden_size=768, intermediate_size=3072, num_hidden_layers=12)
    assert encoder_flops(base, 128) == 12 * (2 * 128 * 7_077_888 + 4 * 128 * 128 * 768)  # about 22.3 GFLOP
