"""Which tokens pushed a model's answer: attributions by Captum, the maintained library for them.

Integrated Gradients (the default) walks from a baseline input, where every word is replaced by the
padding token, to the real input in ``steps`` steps and adds up the gradients on the way: each token's
share of the answer, and the shares add up to "answer on the input minus answer on the baseline"
(the convergence delta says how far from that the sum came out). Gradient × input is one backward pass:
quicker, rougher. Both work on the word embeddings, so a token's score is what its word vector did.

Attention weights are not used here: they say where a layer looked, not what changed the answer.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

INTEGRATED_GRADIENTS, GRADIENT_X_INPUT = "integrated_gradients", "gradient_x_input"
METHODS = (INTEGRATED_GRADIENTS, GRADIENT_X_INPUT)
# What is explained: a label's probability, a regression's raw value, or a next token's probability.
LABEL, VALUE, NEXT_TOKEN = "label", "value", "next_token"
# Interpolation steps in one batch: at most this many tokens, so a 512-token review keeps memory in check.
TOKENS_PER_BATCH = 2048


@dataclass(frozen=True)
class Attribution:
    scores: np.ndarray  # one per token of the input, special tokens included
    value: float  # the explained number on the input
    baseline_value: float | None  # …and on the baseline (Integrated Gradients only)
    delta: float | None  # sum of the scores minus (value - baseline_value): Integrated Gradients' error


def baseline_token(tokenizer: Any) -> int:
    """The token that stands for "no word" in the baseline: padding where the vocabulary has it."""
    for name in ("pad_token_id", "unk_token_id", "eos_token_id"):
        token_id = getattr(tokenizer, name, None)
        if token_id is not None:
            return int(token_id)
    return 0


def token_types(ids: list[int], separator: int | None) -> list[int]:
    """BERT's segment ids for a pass: 0 up to and including the first [SEP], 1 after it."""
    types, segment = [], 0
    for token_id in ids:
        types.append(segment)
        if token_id == separator:
            segment = 1
    return types


def attribute(model: Any, ids: list[int], kept: set[int], explained: str, target: int = 0,
              method: str = INTEGRATED_GRADIENTS, steps: int = 32, baseline_id: int = 0,
              separator: int | None = None) -> Attribution:
    """Each token's attribution toward ``explained`` (LABEL ``target``'s probability, the VALUE of a
    regression, or NEXT_TOKEN ``target``'s probability after the last token) for the input ``ids``.
    ``kept`` (the special tokens) stay as they are in the baseline; ``separator`` marks BERT's second segment."""
    import torch
    from captum.attr import InputXGradient, IntegratedGradients

    device = next(model.parameters()).device
    inputs = torch.tensor([ids], device=device)
    baseline = torch.tensor([[i if i in kept else baseline_id for i in ids]], device=device)
    types = None
    if "token_type_ids" in model.forward.__code__.co_varnames and separator is not None:
        types = torch.tensor([token_types(ids, separator)], device=device)

    def explained_value(word_vectors: Any) -> Any:
        more = {} if types is None else {"token_type_ids": types.expand(word_vectors.shape[0], -1)}
        logits = model(inputs_embeds=word_vectors, **more).logits.float()
        if explained == VALUE:
            return logits[:, 0]
        if explained == NEXT_TOKEN:
            return torch.softmax(logits[:, -1], dim=-1)[:, target]
        return torch.softmax(logits, dim=-1)[:, target]

    # The word vectors of the input and of the baseline, taken from the model's own embedding layer: the
    # model adds the positions (and BERT the segments) to them as it would to its own lookup. Captum then
    # walks between the two, so it needs no extra passes to find them.
    with torch.no_grad():
        word_vectors, baseline_vectors = model.get_input_embeddings()(torch.cat([inputs, baseline])).split(1)
    with torch.enable_grad():
        if method == GRADIENT_X_INPUT:
            scores = InputXGradient(explained_value).attribute(word_vectors.detach().requires_grad_())
        else:
            scores = IntegratedGradients(explained_value).attribute(
                word_vectors, baselines=baseline_vectors, n_steps=steps,
                internal_batch_size=max(1, TOKENS_PER_BATCH // len(ids)))
    per_token = scores[0].sum(-1).detach().float().cpu().numpy().astype(np.float64)
    with torch.no_grad():
        if method == GRADIENT_X_INPUT:
            return Attribution(per_token, float(explained_value(word_vectors)[0]), None, None)
        value, baseline_value = (float(v) for v in explained_value(torch.cat([word_vectors, baseline_vectors])))
    # Integrated Gradients' error: what the scores add up to, against the change they account for.
    return Attribution(per_token, value, baseline_value, float(per_token.sum()) - (value - baseline_value))
