"""Requests to one model that arrive together run through it as one batch.

A classroom clicks at once: sixteen sentiment requests, one forward pass each,
queue behind each other. Run as one padded batch they take little longer than
one. Each (model key, batch function) pair has a worker thread; a request puts
its input on the worker's queue and waits. The worker takes whatever is queued
(up to the batch size) and runs it in one call, so a lone request never waits
for company, and a batch forms only while the model is already busy.

If a batch fails, its items run again one by one, so a bad input fails only its
own request. ``JNLP_BATCH_SIZE`` sets the largest batch (default 16); 1 turns
batching off (each request runs in its own thread, as without this module).
On ZeroGPU there is no batching either (see ``run``).
"""

from __future__ import annotations

import logging
import os
import queue
import threading
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any, TypeVar

from models import gpu
from models.loader import LoadedModel, using

log = logging.getLogger(__name__)

BATCH_SIZE_ENV = "JNLP_BATCH_SIZE"
DEFAULT_BATCH_SIZE = 16
MAX_BATCH_SIZE = 64

Item = TypeVar("Item")
Result = TypeVar("Result")
# A function that runs a list of inputs through a loaded model and returns one result per input, in order.
BatchFunction = Callable[[LoadedModel, list[Any]], list[Any]]


def batch_size() -> int:
    """The largest batch the operator allows (JNLP_BATCH_SIZE); 1 means no batching."""
    raw = os.environ.get(BATCH_SIZE_ENV, "").strip()
    try:
        value = int(raw) if raw else DEFAULT_BATCH_SIZE
    except ValueError:
        log.warning("ignoring %s=%r: not a whole number", BATCH_SIZE_ENV, raw)
        value = DEFAULT_BATCH_SIZE
    return max(1, min(MAX_BATCH_SIZE, value))


class _Worker:
    def __init__(self, key: str, run: BatchFunction):
        self.key = key
        self.run = run
        self.requests: queue.Queue[tuple[Any, Future]] = queue.Queue()
        self.thread = threading.Thread(target=self._serve, name=f"batch-{key}", daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        while True:
            batch = [self.requests.get()]
            limit = batch_size()
            while len(batch) < limit:
                try:
                    batch.append(self.requests.get_nowait())
                except queue.Empty:
                    break
            self._run(batch)

    def _run(self, batch: list[tuple[Any, Future]]) -> None:
        try:
            with using(self.key) as model:
                results = self.run(model, [item for item, _ in batch])
        except Exception as exc:  # noqa: BLE001 - handed to the waiting requests
            if len(batch) == 1:
                batch[0][1].set_exception(exc)
                return
            log.info("a batch of %d for %s failed (%s): running its items one by one", len(batch), self.key,
                     type(exc).__name__)
            for request in batch:
                self._run([request])
            return
        for (_, future), result in zip(batch, results, strict=True):
            future.set_result(result)


def _first(model: LoadedModel, function: BatchFunction, item: Any) -> Any:
    """One item through a batch function (module level: ZeroGPU pickles it by name)."""
    return function(model, [item])[0]


_workers: dict[tuple[str, BatchFunction], _Worker] = {}
_workers_guard = threading.Lock()


def run(key: str, function: Callable[[LoadedModel, list[Item]], list[Result]], item: Item) -> Result:
    """``function(model, [item])[0]`` for the model of ``key``, batched with concurrent requests."""
    if gpu.on_zero_gpu():
        # Each request runs alone, in its own thread, as one GPU call. ZeroGPU schedules a call and
        # charges its GPU time to the user whose request it finds in the calling thread's context:
        # the batch worker thread has no request (its batch would be charged to the Space as a whole,
        # against a far smaller quota), and one user's call would wait for other users' inputs.
        return gpu.run(key, _first, function, item)
    if batch_size() == 1:
        with using(key) as model:
            return _first(model, function, item)
    with _workers_guard:
        worker = _workers.get((key, function))
        if worker is None:
            worker = _workers[(key, function)] = _Worker(key, function)
    future: Future = Future()
    worker.requests.put((item, future))
    return future.result()
