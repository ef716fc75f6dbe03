"""Requests to one model that arrive together run through it as one batch.

A classroom clicks at once: sixteen requests, one forward pass each, would queue behind each other;
as one padded batch they take little longer than one. Requests for one (model key, batch function)
pair queue together; whoever finds the model idle runs everything queued (up to the batch size) as
one batch, in its own thread. A lone request never waits for company: a batch forms only while the
model is already busy. If a batch fails, its items run again one by one, so a bad input fails only
its own request. ``JNLP_BATCH_SIZE`` sets the largest batch (default 16); 1 turns batching off.
"""

from __future__ import annotations

import logging
import threading
from collections import deque
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from models import settings
from models.loader import LoadedModel, using

log = logging.getLogger(__name__)

BATCH_SIZE_ENV = "JNLP_BATCH_SIZE"

Item = TypeVar("Item")
Result = TypeVar("Result")
# A function that runs a list of inputs through a loaded model and returns one result per input, in order.
BatchFunction = Callable[[LoadedModel, list[Any]], list[Any]]


def batch_size() -> int:
    """The largest batch the operator allows (JNLP_BATCH_SIZE); 1 means no batching."""
    return settings.current().batch_size


# --- padded batches of similar lengths ---------------------------------------------------------------
#
# A padded batch costs as if every input were as long as its longest one, so one long review would
# slow a batch of short ones: a batch runs as groups of similar length, one padded call each. A call's
# own cost is worth about this many characters of padding (lengths are counted in characters, an upper
# bound of the WordPiece tokens; docs/benchmarks.md, figures behind JNLP_BATCH_SIZE).
CALL_COST_IN_CHARACTERS = 40
# Long inputs ran slower batched than alone, so an input longer than this (in characters) runs alone.
LONGEST_TO_BATCH = 192


def similar_length_groups(lengths: Sequence[int], call_cost: int = CALL_COST_IN_CHARACTERS,
                          longest_to_batch: int = LONGEST_TO_BATCH) -> list[list[int]]:
    """The indices of inputs of these lengths, split into groups to run as one padded batch each.

    Of all splits of the inputs, in length order, into runs of neighbours where no input longer than
    `longest_to_batch` shares a group, the one with the least total cost (per group, `call_cost` plus its
    size times its longest length): close lengths stay together, an outlier goes alone. Shortest first.
    """
    order = sorted(range(len(lengths)), key=lambda index: lengths[index])
    # cheapest[end]: least cost of the first `end` inputs in order; start[end]: where its last group begins
    cheapest = [0] + [float("inf")] * len(order)
    start = [0] * (len(order) + 1)
    for end in range(1, len(order) + 1):
        longest = lengths[order[end - 1]]
        first = 0 if longest <= longest_to_batch else end - 1  # a long input's group is itself alone
        for begin in range(first, end):
            cost = cheapest[begin] + call_cost + (end - begin) * longest
            if cost < cheapest[end]:
                cheapest[end], start[end] = cost, begin
    groups = []
    end = len(order)
    while end:
        groups.append(order[start[end]:end])
        end = start[end]
    return groups[::-1]


def run_in_length_groups(run: Callable[[list[Item]], list[Result]], inputs: list[Item],
                         lengths: Sequence[int]) -> list[Result]:
    """`run(inputs)`, one call per group of similar length (see similar_length_groups); results in input order."""
    results: list[Any] = [None] * len(inputs)
    for group in similar_length_groups(lengths):
        for index, result in zip(group, run([inputs[index] for index in group]), strict=True):
            results[index] = result
    return results


def padded_length(limit: int, *texts: str | None) -> int:
    """The length an input of these texts (a text, or a text pair) takes in a padded batch, for grouping:
    its characters (an upper bound of its WordPiece tokens), but no more than the model's limit."""
    return min(limit, sum(len(text) for text in texts if text))


class _Request:
    """One caller's input, and what it waits for: its result, or a turn to run batches itself."""

    __slots__ = ("item", "ready", "done", "result", "error", "leads")

    def __init__(self, item: Any):
        self.item = item
        self.ready = threading.Event()  # set when done, or when handed the turn to lead
        self.done = False
        self.result: Any = None
        self.error: BaseException | None = None
        self.leads = False

    def finish(self, result: Any = None, error: BaseException | None = None) -> None:
        self.result, self.error, self.done = result, error, True
        self.ready.set()


class _Batcher:
    """Runs the queued inputs of one (model key, batch function) pair as batches, in the callers' threads.

    No worker thread: a hand-over to one would cost time and a second OpenMP thread team for torch.
    When the running batch is done, its leader hands the turn to the first caller queued, whose batch
    takes everything queued (up to the batch size), its own input first. A caller's latency is thus
    its wait plus one batch, never other callers' later batches.
    """

    def __init__(self, key: str, run: BatchFunction):
        self.key = key
        self.run = run
        self.guard = threading.Lock()
        self.queued: deque[_Request] = deque()
        self.busy = False  # a caller is running a batch, or has been handed the turn to run the next

    def submit(self, item: Any) -> Any:
        request = _Request(item)
        with self.guard:
            self.queued.append(request)
            leads = not self.busy
            self.busy = True
        if not leads:
            request.ready.wait()
            leads = request.leads
        if leads:
            self._lead()
        if request.error is not None:
            raise request.error
        return request.result

    def _lead(self) -> None:
        """Run one batch (the caller's own input is its first item), then pass the turn on."""
        with self.guard:
            limit = batch_size()
            batch = [self.queued.popleft() for _ in range(min(limit, len(self.queued)))]
        try:
            self._run(batch)
        finally:
            for request in batch:  # only if _run was interrupted (KeyboardInterrupt, SystemExit)
                if not request.done:
                    request.finish(error=RuntimeError(f"the batch for {self.key} was interrupted"))
            with self.guard:
                if self.queued:
                    successor = self.queued[0]
                    successor.leads = True
                    successor.ready.set()
                else:
                    self.busy = False

    def _run(self, batch: list[_Request]) -> None:
        try:
            with using(self.key) as model:
                results = self.run(model, [request.item for request in batch])
        except Exception as exc:  # noqa: BLE001 - handed to the waiting requests
            if len(batch) == 1:
                batch[0].finish(error=exc)
                return
            log.info("a batch of %d for %s failed (%s): running its items one by one", len(batch), self.key,
                     type(exc).__name__)
            for request in batch:
                self._run([request])
            return
        for request, result in zip(batch, results, strict=True):
            request.finish(result)


_batchers: dict[tuple[str, BatchFunction], _Batcher] = {}
_batchers_guard = threading.Lock()


def run(key: str, function: Callable[[LoadedModel, list[Item]], list[Result]], item: Item) -> Result:
    """``function(model, [item])[0]`` for the model of ``key``, batched with concurrent requests.

    Not for ZeroGPU, where each request must run alone in its own thread (demos/tasks.py sends it there).
    """
    if batch_size() == 1:
        with using(key) as model:
            return function(model, [item])[0]
    with _batchers_guard:
        batcher = _batchers.get((key, function))
        if batcher is None:
            batcher = _batchers[(key, function)] = _Batcher(key, function)
    return batcher.submit(item)
