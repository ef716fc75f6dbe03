"""Results kept for a while, by what made them: a bounded, thread-safe least-recently-used store.

word2vec keeps its trained models in one (models/word2vec.py). The tabs whose answers take seconds
keep their last answers in another (``RESULTS``): thirty students clicking the same example at once
would otherwise wait, one endpoint request at a time, for identical summaries or generations. They are
exact repeats: the same model, input and settings give the same text (greedy and beam search pick the
most likely tokens; sampling draws from a generator seeded by the request). ``JNLP_RESULT_CACHE=0``
turns this off (the benchmarks do, to time the models).
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

from models import settings
from models.registry import get_spec

Value = TypeVar("Value")

RESULT_CACHE_ENV = "JNLP_RESULT_CACHE"
# Answers kept: summaries and generations are at most a few kilobytes of text each.
RECENT_RESULTS = 128


class LeastRecentlyUsed(Generic[Value]):
    """Up to ``capacity`` values by key; putting one more drops the one used longest ago."""

    def __init__(self, capacity: int):
        self.capacity = capacity
        self._items: OrderedDict[Hashable, Value] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable) -> Value | None:
        with self._lock:
            item = self._items.get(key)
            if item is not None:
                self._items.move_to_end(key)
            return item

    def put(self, key: Hashable, item: Value) -> None:
        with self._lock:
            self._items[key] = item
            self._items.move_to_end(key)
            while len(self._items) > self.capacity:
                self._items.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()

    def __len__(self) -> int:
        return len(self._items)


def results_kept() -> bool:
    """Whether recent answers are reused (JNLP_RESULT_CACHE; on unless set to 0)."""
    return settings.current().result_cache


RESULTS: LeastRecentlyUsed[object] = LeastRecentlyUsed(RECENT_RESULTS)


def fingerprint(text: str) -> str:
    """What a key holds of a text input: its SHA-256, so that 128 kept answers to 100,000-character
    articles do not keep the articles (a few hundred kilobytes each) alive as well."""
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def answer_key(endpoint: str, model_key: str, *inputs: Hashable) -> tuple:
    """What names an answer: the endpoint, the model id the registry key resolves to now (an operator
    who points the key elsewhere gets new answers), and every input that changes the answer, each
    text by its digest."""
    return (endpoint, get_spec(model_key).resolve_id(),
            *(fingerprint(value) if isinstance(value, str) else value for value in inputs))


def recall(key: Hashable) -> object | None:
    """The answer kept for ``key`` (see answer_key), or None: none kept, or reuse turned off."""
    return RESULTS.get(key) if results_kept() else None


def keep(key: Hashable, answer: object) -> None:
    """Keep ``answer`` for the next request with this key (nothing when reuse is turned off)."""
    if results_kept():
        RESULTS.put(key, answer)


def reused_or_computed(key: Hashable, compute: Callable[[], Value]) -> Value:
    """A recent answer for ``key`` (see answer_key), or ``compute()``'s, kept for the next such request."""
    found = recall(key)
    if found is not None:
        return found  # type: ignore[return-value]
    value = compute()
    keep(key, value)
    return value
