"""What a forward pass read and gave, kept with the answer it gave (demos/tasks.py: a Task's stages).

The "look inside" views show a student the ids a model read and the raw numbers it gave, from the
very forward pass behind the answer on the page, never from a second run.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Stages:
    """One sequence's token ids (special tokens in, padding out) and the model's raw float32 outputs for
    them: logits per label, per token or over the vocabulary, a regression value, or vectors. ``rows``:
    the positions the outputs' rows are for, where not every token's (fill-mask's masks, the next token)."""

    ids: tuple[int, ...]
    outputs: Any = field(repr=False)  # a numpy array
    rows: tuple[int, ...] = ()


@contextmanager
def recorded_passes(model: Any, first_token_only: bool = False) -> Iterator[list[Stages]]:
    """The Stages of each sequence ``model`` runs while inside, in order (one per row of each batch), read
    by a forward hook from what a pipeline keeps to itself: nothing runs twice. ``first_token_only`` keeps
    a hidden state's [CLS] row alone (a sentence vector), not hundreds of kilobytes per sentence."""
    passes: list[Stages] = []

    def keep(module: Any, args: tuple, kwargs: dict, output: Any) -> None:
        ids = kwargs["input_ids"] if "input_ids" in kwargs else args[0]
        mask = kwargs.get("attention_mask")
        raw = output[0].detach().float().cpu().numpy()  # the logits, or the last hidden state
        for row in range(ids.shape[0]):
            length = int(mask[row].sum()) if mask is not None else ids.shape[1]
            numbers = raw[row] if raw.ndim == 2 else raw[row, 0] if first_token_only else raw[row, :length]
            passes.append(Stages(tuple(ids[row, :length].tolist()), numbers))

    handle = model.register_forward_hook(keep, with_kwargs=True)
    try:
        yield passes
    finally:
        handle.remove()


def softmax(logits: Any) -> Any:
    """softmax over the last axis, in float64: the probabilities a pass's logits stand for."""
    import numpy as np

    scaled = np.asarray(logits, dtype=np.float64)
    exp = np.exp(scaled - scaled.max(axis=-1, keepdims=True))
    return exp / exp.sum(axis=-1, keepdims=True)
