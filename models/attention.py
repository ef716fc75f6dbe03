"""Where each layer's heads looked: the attention weights of one forward pass (BertViz and exBERT's view).

Every row of a head's matrix is a softmax (it sums to 1): how much of each token the row's token mixes
in. GPT-2's rows never reach a later token (the causal mask). These weights are what the layer computed,
not a reason for the answer: that is what the attributions (models/attributions.py) try to measure.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from models.attributions import token_types


def attention_weights(model: Any, ids: list[int], separator: int | None = None) -> np.ndarray:
    """The weights of every layer and head for ``ids``: shape (layers, heads, tokens, tokens).

    The fast attention kernel (SDPA) never materialises them, so the pass runs on the plain ("eager")
    implementation and switches back afterwards. The caller holds the model's lock.
    """
    import torch

    device = next(model.parameters()).device
    inputs: dict[str, Any] = {"input_ids": torch.tensor([ids], device=device)}
    if "token_type_ids" in model.forward.__code__.co_varnames and separator is not None:
        inputs["token_type_ids"] = torch.tensor([token_types(ids, separator)], device=device)
    before = model.config._attn_implementation
    model.set_attn_implementation("eager")
    try:
        with torch.inference_mode():
            layers = model(**inputs, output_attentions=True).attentions
    finally:
        model.set_attn_implementation(before)
    if not layers:  # a model without attention layers (an embedding-only test model)
        return np.zeros((0, 0, len(ids), len(ids)), dtype=np.float32)
    return torch.stack([layer[0] for layer in layers]).float().cpu().numpy()


def one_view(weights: np.ndarray, layer: int, head: int) -> np.ndarray:
    """The matrix of ``layer`` (1-based; -1 the last) and ``head`` (1-based; -1 the average of the heads)."""
    chosen = weights[layer - 1 if layer > 0 else layer]
    return chosen.mean(axis=0) if head == -1 else chosen[head - 1]


def without(matrix: np.ndarray, hidden: list[int]) -> np.ndarray:
    """The matrix without the rows and columns ``hidden`` (BertViz's "hide [CLS]/[SEP]"), each row scaled
    to sum to 1 again: the share of the attention the row's token gave to the tokens still shown."""
    shown = [i for i in range(matrix.shape[0]) if i not in set(hidden)]
    kept = matrix[np.ix_(shown, shown)]
    totals = kept.sum(axis=1, keepdims=True)
    return np.divide(kept, totals, out=np.zeros_like(kept), where=totals > 0)


def grouped(matrix: np.ndarray, groups: list[list[int]]) -> np.ndarray:
    """The matrix between groups of consecutive tokens: a group's row is the mean of its tokens' rows, its
    column the sum of its tokens' columns, so each row still sums to 1 (a long text, readable)."""
    columns = np.stack([matrix[:, group].sum(axis=1) for group in groups], axis=1)
    return np.stack([columns[group].mean(axis=0) for group in groups])


def blocks(count: int, most: int) -> list[list[int]]:
    """``count`` positions in at most ``most`` runs of consecutive positions of (nearly) equal size."""
    size = -(-count // most)
    return [list(range(start, min(start + size, count))) for start in range(0, count, size)]
