"""GPT-2's generation steps on ONNX Runtime, with their key/value cache (models/engine.py builds and opens it).

transformers' GPT-2 forward builds its causal mask and position ids from Python numbers read off the input's
shape; the tracer of ``torch.onnx.export`` freezes those at the example's lengths. ``CausalStep`` runs the
model's own modules (embeddings, layer norms, dense layers, MLPs, output layer) around an attention written
with tensor operations only: the position of each key comes from a cumulative sum, so one graph serves a
prompt of any length (with an empty cache) and every one-token step after it.

Graph: ``input_ids`` (1, q), ``position_ids`` (1, q), ``past_key_i`` / ``past_value_i`` (1, heads, past, head
size) for each layer → ``logits`` (1, q, vocabulary) and ``present_key_i`` / ``present_value_i`` (1, heads,
past + q, head size). The build checks it against torch on a prompt and two steps before it is kept.

``CausalDispatcher`` stands in front of the model's forward: a plain call (no gradients, batch 1, no mask or
positions of its own, a cache that is empty or the engine's own ``EngineCache``) runs here; any other call
runs on torch, an EngineCache handed to it first turned into transformers' DynamicCache.
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

from models.engine import Dispatcher, EngineError

# The largest difference of a logit from torch's that the build accepts (float32 sums in another order
# differ by about 1e-5).
PARITY_TOLERANCE = 1e-3


def check_supported(config: Any) -> None:
    """The GPT-2 configurations the step reproduces; anything else stays on torch."""
    if getattr(config, "model_type", "") != "gpt2":
        raise EngineError(f"no engine export for a {getattr(config, 'model_type', '?')} causal LM")
    if getattr(config, "add_cross_attention", False):
        raise EngineError("no engine export for a GPT-2 with cross-attention")


def _step_class() -> Any:
    import torch

    class CausalStep(torch.nn.Module):
        """One forward pass of a GPT-2 language model over ``input_ids`` placed at ``position_ids``, after
        the keys and values of the positions before (the same modules and weights as the model's own)."""

        def __init__(self, model: Any):
            super().__init__()
            self.model = model
            self.heads = model.config.n_head
            self.head_size = model.config.n_embd // self.heads

        def _split(self, x: Any) -> Any:  # (1, q, heads × size) → (1, heads, q, size)
            return x.reshape(x.shape[0], -1, self.heads, self.head_size).transpose(1, 2)

        def forward(self, input_ids: Any, position_ids: Any, *past: Any) -> tuple:
            body = self.model.transformer
            hidden = body.drop(body.wte(input_ids) + body.wpe(position_ids))
            presents, visible = [], None
            for index, block in enumerate(body.h):
                attention = block.attn
                query, key, value = attention.c_attn(block.ln_1(hidden)).split(attention.split_size, dim=2)
                key = torch.cat([past[2 * index], self._split(key)], dim=2)
                value = torch.cat([past[2 * index + 1], self._split(value)], dim=2)
                presents += [key, value]
                if visible is None:
                    # Key k is seen by the query at position p when k <= p: positions counted, not read off a shape.
                    key_positions = torch.cumsum(torch.ones_like(key[:, 0, :, 0], dtype=torch.long), dim=-1) - 1
                    visible = key_positions[:, None, None, :] <= position_ids[:, None, :, None]
                scores = torch.matmul(self._split(query), key.transpose(-1, -2)) * attention.scaling
                scores = scores.masked_fill(~visible, torch.finfo(scores.dtype).min)
                mixed = torch.matmul(torch.softmax(scores, dim=-1), value).transpose(1, 2)
                hidden = hidden + attention.resid_dropout(attention.c_proj(mixed.reshape(mixed.shape[0], -1,
                                                                                         self.heads * self.head_size)))
                hidden = hidden + block.mlp(block.ln_2(hidden))
            return (self.model.lm_head(body.ln_f(hidden)), *presents)

    return CausalStep


def cache_names(layers: int) -> tuple[list[str], list[str]]:
    past = [f"past_{kind}_{index}" for index in range(layers) for kind in ("key", "value")]
    present = [f"present_{kind}_{index}" for index in range(layers) for kind in ("key", "value")]
    return past, present


def to_onnx(model: Any, path: Path) -> dict[str, Any]:
    """Export the model's step into ``path``; what engine.json keeps about it."""
    import torch

    check_supported(model.config)
    config = model.config
    layers, heads = config.n_layer, config.n_head
    size = config.n_embd // heads
    past_names, present_names = cache_names(layers)
    # Odd example lengths (3 new tokens after 5): a length frozen into the graph would show in the check.
    generator = torch.Generator().manual_seed(0)
    ids = torch.randint(0, config.vocab_size, (1, 3), generator=generator)
    positions = torch.arange(5, 8).unsqueeze(0)
    past = [torch.randn(1, heads, 5, size, generator=generator) for _ in past_names]
    axes = {"input_ids": {1: "tokens"}, "position_ids": {1: "tokens"}, "logits": {1: "tokens"},
            **{name: {2: "past"} for name in past_names}, **{name: {2: "total"} for name in present_names}}
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the tracer's notes on shapes: the parity check tests the graph
        torch.onnx.export(_step_class()(model).eval(), (ids, positions, *past), str(path),
                          input_names=["input_ids", "position_ids", *past_names],
                          output_names=["logits", *present_names], dynamic_axes=axes, opset_version=17,
                          dynamo=False)
    with torch.no_grad():
        produced = model(input_ids=ids[:, :1], use_cache=True)
    return {"kind": "causal", "layers": layers, "heads": heads, "head_size": size,
            "inputs": ["input_ids", "position_ids", *past_names], "outputs": ["logits", *present_names],
            "output_class": f"{type(produced).__module__}.{type(produced).__qualname__}"}


def check_parity(model: Any, session: Any, meta: dict[str, Any]) -> float:
    """The largest logit difference between the session and torch on a 7-token prompt and two steps after
    it, as the app's loop calls them; raises EngineError past PARITY_TOLERANCE."""
    import numpy as np
    import torch

    generator = torch.Generator().manual_seed(1)
    steps = [torch.randint(0, model.config.vocab_size, (1, length), generator=generator) for length in (7, 1, 1)]
    cache, past, done, worst = None, None, 0, 0.0
    past_names, _ = cache_names(meta["layers"])
    for ids in steps:
        with torch.no_grad():
            expected = model(input_ids=ids, cache=cache, use_cache=True)
        cache = expected.cache
        past = past or [np.zeros((1, meta["heads"], 0, meta["head_size"]), np.float32)] * len(past_names)
        feeds = {"input_ids": ids.numpy(), "position_ids": np.arange(done, done + ids.shape[1])[None],
                 **dict(zip(past_names, past))}
        logits, *past = session.run(None, feeds)
        done += ids.shape[1]
        worst = max(worst, float(np.abs(logits - expected.logits.numpy()).max()))
    if not worst <= PARITY_TOLERANCE:
        raise EngineError(f"the exported step's logits differ from torch's by {worst:.2g}")
    return worst


class EngineCache:
    """The keys and values of the positions read so far, as the engine gives them back (numpy arrays)."""

    def __init__(self, arrays: list[Any], length: int):
        self.arrays, self.length = arrays, length

    def get_seq_length(self, layer_idx: int = 0) -> int:
        return self.length

    def to_torch(self, config: Any) -> Any:
        """The same keys and values as transformers' DynamicCache, for a call that runs on torch."""
        import torch
        from transformers import DynamicCache

        cache = DynamicCache(config=config)
        for index in range(0, len(self.arrays), 2):
            cache.update(torch.from_numpy(self.arrays[index]), torch.from_numpy(self.arrays[index + 1]), index // 2)
        return cache


class CausalDispatcher(Dispatcher):
    """A plain generation step on ONNX Runtime, any other call on torch (see the module's docstring)."""

    def __init__(self, model: Any, session: Any, meta: dict[str, Any], on_failure: Any):
        import numpy as np

        super().__init__(model, session, meta, on_failure)
        self.past_names, _ = cache_names(meta["layers"])
        # The cache of a prompt's step: every layer's keys and values for no position yet.
        self.empty = [np.zeros((1, meta["heads"], 0, meta["head_size"]), np.float32)] * len(self.past_names)

    def plain(self, args: tuple, kwargs: dict[str, Any]) -> bool:
        import torch

        if not self.ordinary(args):
            return False
        ids = kwargs.get("input_ids")
        if not (isinstance(ids, torch.Tensor) and ids.device.type == "cpu" and ids.dim() == 2 and ids.shape[0] == 1):
            return False
        for name, value in kwargs.items():
            if name in ("input_ids", "use_cache"):
                continue
            if name == "cache":
                if not (value is None or isinstance(value, EngineCache)):
                    return False
            elif name == "return_dict":
                if value is False:
                    return False
            elif name == "logits_to_keep":
                if value not in (0, None):
                    return False
            elif not (value is None or value is False):  # a mask, positions, labels...: torch's
                return False
        return not self.watched()

    def on_torch(self, args: tuple, kwargs: dict[str, Any]) -> Any:
        if isinstance(kwargs.get("cache"), EngineCache):  # a step that must run on torch after engine steps
            kwargs["cache"] = kwargs["cache"].to_torch(self.model.config)
        return self.torch_forward(*args, **kwargs)

    def run(self, kwargs: dict[str, Any]) -> Any:
        import numpy as np
        import torch

        ids = np.ascontiguousarray(kwargs["input_ids"].numpy(), dtype=np.int64)
        cache = kwargs.get("cache")
        past, done = (self.empty, 0) if cache is None else (cache.arrays, cache.length)
        feeds = {"input_ids": ids, "position_ids": np.arange(done, done + ids.shape[1], dtype=np.int64)[None],
                 **dict(zip(self.past_names, past))}
        logits, *present = self.session.run(None, feeds)
        self.engine_calls += 1
        use_cache = kwargs.get("use_cache")
        keep = use_cache if use_cache is not None else getattr(self.model.config, "use_cache", True)
        return self.output_class(logits=torch.from_numpy(logits),
                                 cache=EngineCache(present, done + ids.shape[1]) if keep else None)
