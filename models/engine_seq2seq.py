"""T5's encoder and decoder steps on ONNX Runtime, under transformers' own ``generate()`` (models/engine.py builds
and opens them).

The summary tab calls ``model.generate()``: greedy or beam search, length limits, suppressed tokens and the
stopping rules stay transformers' own. Only the two model calls inside it move to the engine: the encoder's
pass over the article, and each decoder step. The step reads and writes generate()'s own cache
(an EncoderDecoderCache of torch tensors): the cross-attention keys and values are computed once, on the
first step, and stored there as torch stores them; each step appends its new keys and values with the
cache's own ``update``. Beam search reorders that cache as usual, and a step that must run on torch (a hook,
gradients) finds the cache as torch would have left it.

As for GPT-2 (models/engine_causal.py), the export runs the model's own modules (embeddings, layer norms,
dense layers, feed-forward blocks, the first layer's relative-position table, the output layer) around an
attention written with tensor operations: key and query positions come from cumulative sums, never from a
shape read into Python, so one graph serves any article length, any number of beams and any step.

Graphs: ``encoder.onnx``: input_ids, attention_mask (batch, source) → last_hidden_state (batch, source, d_model);
``cross.onnx``: encoder hidden states → ``cross_key_i`` / ``cross_value_i`` (batch, heads, source, d_kv) for each
decoder layer; ``model.onnx`` (the step): decoder_input_ids (batch, q), encoder_attention_mask (batch, source),
the cross keys and values, ``past_key_i`` / ``past_value_i`` (batch, heads, past, d_kv) → logits (batch, q,
vocabulary) and ``new_key_i`` / ``new_value_i`` (batch, heads, q, d_kv), the keys and values of the q new
positions. The build checks all three against torch (two beams, one article padded, three steps) before
they are kept.
"""

from __future__ import annotations

import math
import warnings
from pathlib import Path
from typing import Any

from models.engine import Dispatcher, EngineError, uninstall

# The largest difference of a logit from torch's that the build accepts (float32 sums in another order
# differ by about 1e-5).
PARITY_TOLERANCE = 1e-3
ENCODER_FILE, CROSS_FILE = "encoder.onnx", "cross.onnx"


def check_supported(config: Any) -> None:
    """The T5 configurations the graphs reproduce; anything else stays on torch."""
    if getattr(config, "model_type", "") != "t5":
        raise EngineError(f"no engine export for a {getattr(config, 'model_type', '?')} sequence-to-sequence model")


def cache_names(layers: int) -> dict[str, list[str]]:
    def names(prefix: str) -> list[str]:
        return [f"{prefix}_{kind}_{index}" for index in range(layers) for kind in ("key", "value")]

    return {"cross": names("cross"), "past": names("past"), "new": names("new")}


def _bucket(relative: Any, bidirectional: bool, buckets: int, max_distance: int) -> Any:
    """T5's relative-position bucket of each (key − query) distance, as transformers' T5Attention computes it."""
    import torch

    bucket = torch.zeros_like(relative)
    if bidirectional:
        buckets //= 2
        bucket = bucket + (relative > 0).to(torch.long) * buckets
        relative = torch.abs(relative)
    else:
        relative = -torch.min(relative, torch.zeros_like(relative))
    exact = buckets // 2
    # clamp: log(0) is never taken (those distances are small, bucketed exactly), and so the graph has no -inf.
    large = exact + (torch.log(relative.clamp(min=1).float() / exact) / math.log(max_distance / exact)
                     * (buckets - exact)).to(torch.long)
    large = torch.min(large, torch.full_like(large, buckets - 1))
    return bucket + torch.where(relative < exact, relative, large)


def _positions(tokens: Any) -> Any:
    """(batch, n) → 0 … n − 1 per row, from a cumulative sum (no length frozen into the graph)."""
    import torch

    return torch.cumsum(torch.ones_like(tokens, dtype=torch.long), dim=-1) - 1


def _graph_classes() -> tuple[Any, Any, Any]:
    import torch

    class Graph(torch.nn.Module):
        def __init__(self, model: Any):
            super().__init__()
            self.model = model
            config = model.config
            self.heads, self.size = config.num_heads, config.d_kv
            self.buckets = config.relative_attention_num_buckets
            self.max_distance = config.relative_attention_max_distance

        def split(self, x: Any) -> Any:  # (batch, n, heads × size) → (batch, heads, n, size)
            return x.reshape(x.shape[0], -1, self.heads, self.size).transpose(1, 2)

        def attend(self, attention: Any, query: Any, key: Any, value: Any, bias: Any) -> Any:
            # T5 does not scale the scores: its initialisation does.
            scores = torch.matmul(query, key.transpose(-1, -2)) + bias
            mixed = torch.matmul(torch.softmax(scores, dim=-1), value).transpose(1, 2)
            return attention.o(mixed.reshape(mixed.shape[0], -1, self.heads * self.size))

        def bias(self, attention: Any, relative: Any, bidirectional: bool) -> Any:
            table = attention.relative_attention_bias
            return table(_bucket(relative, bidirectional, self.buckets, self.max_distance)).permute(0, 3, 1, 2)

        @staticmethod
        def masked(mask: Any, like: Any) -> Any:  # 1 = read, 0 = padding → 0 or the lowest float, to add
            return (1.0 - mask[:, None, None, :].to(like.dtype)) * torch.finfo(like.dtype).min

    class Encoder(Graph):
        def forward(self, input_ids: Any, attention_mask: Any) -> Any:
            encoder = self.model.encoder
            hidden = encoder.embed_tokens(input_ids)
            positions = _positions(input_ids)
            relative = positions[:, None, :] - positions[:, :, None]
            bias = self.bias(encoder.block[0].layer[0].SelfAttention, relative, True)
            bias = bias + self.masked(attention_mask, hidden)
            for block in encoder.block:
                attention = block.layer[0].SelfAttention
                x = block.layer[0].layer_norm(hidden)
                hidden = hidden + self.attend(attention, self.split(attention.q(x)), self.split(attention.k(x)),
                                              self.split(attention.v(x)), bias)
                hidden = block.layer[-1](hidden)
            return encoder.final_layer_norm(hidden)

    class Cross(Graph):
        def forward(self, encoder_hidden_states: Any) -> tuple:
            produced = []
            for block in self.model.decoder.block:
                attention = block.layer[1].EncDecAttention
                produced += [self.split(attention.k(encoder_hidden_states)),
                             self.split(attention.v(encoder_hidden_states))]
            return tuple(produced)

    class Step(Graph):
        def forward(self, decoder_input_ids: Any, encoder_attention_mask: Any, *caches: Any) -> tuple:
            decoder, layers = self.model.decoder, len(self.model.decoder.block)
            cross, past = caches[:2 * layers], caches[2 * layers:]
            hidden = decoder.embed_tokens(decoder_input_ids)
            # Queries sit after the cached positions: keys 0 … past + q − 1, all counted, none read off a shape.
            cached = past[0][:, 0, :, 0]
            queries = _positions(decoder_input_ids) + torch.ones_like(cached, dtype=torch.long).sum(-1, keepdim=True)
            keys = torch.cat([_positions(cached), queries], dim=-1)
            relative = keys[:, None, :] - queries[:, :, None]
            bias = self.bias(decoder.block[0].layer[0].SelfAttention, relative, False)
            bias = bias.masked_fill((relative > 0)[:, None], torch.finfo(hidden.dtype).min)  # causal
            cross_bias = self.masked(encoder_attention_mask, hidden)
            new = []
            for index, block in enumerate(decoder.block):
                attention = block.layer[0].SelfAttention
                x = block.layer[0].layer_norm(hidden)
                key, value = self.split(attention.k(x)), self.split(attention.v(x))
                new += [key, value]
                key = torch.cat([past[2 * index], key], dim=2)
                value = torch.cat([past[2 * index + 1], value], dim=2)
                hidden = hidden + self.attend(attention, self.split(attention.q(x)), key, value, bias)
                attention = block.layer[1].EncDecAttention
                x = block.layer[1].layer_norm(hidden)
                hidden = hidden + self.attend(attention, self.split(attention.q(x)), cross[2 * index],
                                              cross[2 * index + 1], cross_bias)
                hidden = block.layer[-1](hidden)
            hidden = decoder.final_layer_norm(hidden)
            if getattr(self.model.config, "scale_decoder_outputs", False):
                hidden = hidden * (self.model.model_dim ** -0.5)
            return (self.model.lm_head(hidden), *new)

    return Encoder, Cross, Step


def to_onnx(model: Any, folder: Path) -> dict[str, Any]:
    """Export the encoder, the cross-attention keys and values, and the decoder step into ``folder``; what
    engine.json keeps about them."""
    import torch

    check_supported(model.config)
    config = model.config
    layers, heads, size = len(model.decoder.block), config.num_heads, config.d_kv
    names = cache_names(layers)
    encoder, cross, step = (kind(model).eval() for kind in _graph_classes())
    # Odd example sizes (two rows, 7 source tokens of which the second row reads 5; 3 new tokens after 5):
    # a size frozen into a graph would show in the parity check.
    generator = torch.Generator().manual_seed(0)
    ids = torch.randint(3, config.vocab_size, (2, 7), generator=generator)
    mask = torch.ones_like(ids)
    mask[1, 5:] = 0
    hidden = torch.randn(2, 7, config.d_model, generator=generator)
    new_ids = torch.randint(3, config.vocab_size, (2, 3), generator=generator)
    cross_example = [torch.randn(2, heads, 7, size, generator=generator) for _ in names["cross"]]
    past_example = [torch.randn(2, heads, 5, size, generator=generator) for _ in names["past"]]
    rows = {0: "batch", 1: "source"}
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the tracer's notes on shapes: the parity check tests the graphs
        torch.onnx.export(encoder, (ids, mask), str(folder / ENCODER_FILE), input_names=["input_ids", "attention_mask"],
                          output_names=["last_hidden_state"], opset_version=17, dynamo=False,
                          dynamic_axes={"input_ids": rows, "attention_mask": rows, "last_hidden_state": rows})
        torch.onnx.export(cross, (hidden,), str(folder / CROSS_FILE), input_names=["encoder_hidden_states"],
                          output_names=names["cross"], opset_version=17, dynamo=False,
                          dynamic_axes={"encoder_hidden_states": rows,
                                        **{name: {0: "batch", 2: "source"} for name in names["cross"]}})
        torch.onnx.export(step, (new_ids, mask, *cross_example, *past_example), str(folder / "model.onnx"),
                          input_names=["decoder_input_ids", "encoder_attention_mask", *names["cross"], *names["past"]],
                          output_names=["logits", *names["new"]], opset_version=17, dynamo=False,
                          dynamic_axes={"decoder_input_ids": {0: "batch", 1: "tokens"}, "encoder_attention_mask": rows,
                                        "logits": {0: "batch", 1: "tokens"},
                                        **{name: {0: "batch", 2: "source"} for name in names["cross"]},
                                        **{name: {0: "batch", 2: "past"} for name in names["past"]},
                                        **{name: {0: "batch", 2: "tokens"} for name in names["new"]}})
    return {"kind": "seq2seq", "layers": layers, "heads": heads, "head_size": size,
            "inputs": ["decoder_input_ids", "encoder_attention_mask", *names["cross"], *names["past"]],
            "outputs": ["logits", *names["new"]],
            "encoder": {"file": ENCODER_FILE, "inputs": ["input_ids", "attention_mask"],
                        "outputs": ["last_hidden_state"],
                        "output_class": "transformers.modeling_outputs.BaseModelOutputWithPastAndCrossAttentions"},
            "cross": CROSS_FILE,
            "output_class": "transformers.modeling_outputs.Seq2SeqLMOutput"}


def check_parity(model: Any, folder: Path, meta: dict[str, Any]) -> float:
    """The largest difference from torch, over the encoder's hidden states and three decoder steps' logits, of
    two rows (the second padded) called as generate() calls them; raises EngineError past
    PARITY_TOLERANCE. The engine runs through the dispatchers the server installs."""
    import numpy as np
    import torch
    from transformers import DynamicCache, EncoderDecoderCache

    generator = torch.Generator().manual_seed(1)
    ids = torch.randint(3, model.config.vocab_size, (2, 9), generator=generator)
    mask = torch.ones_like(ids)
    mask[1, 6:] = 0
    # Three tokens first (generate() gives one; the causal mask must hold for a call that gives more), then two steps.
    steps = [torch.randint(3, model.config.vocab_size, (2, length), generator=generator) for length in (3, 1, 1)]
    results = []
    for on_engine in (False, True):
        if on_engine:
            install(model, meta, folder, lambda error: None)
        try:
            with torch.inference_mode():
                encoded = model.get_encoder()(input_ids=ids, attention_mask=mask, return_dict=True)
                cache = EncoderDecoderCache(DynamicCache(config=model.config), DynamicCache(config=model.config))
                logits = [model(decoder_input_ids=step, cache=cache, attention_mask=mask, encoder_outputs=encoded,
                                use_cache=True, return_dict=True).logits for step in steps]
            results.append([encoded.last_hidden_state, *logits])
        finally:
            uninstall(model)
    worst = max(float(np.abs(a.numpy() - b.numpy()).max()) for a, b in zip(*results))
    if not worst <= PARITY_TOLERANCE:
        raise EngineError(f"the exported T5's outputs differ from torch's by {worst:.2g}")
    return worst


class Seq2SeqDispatcher(Dispatcher):
    """A plain decoder step of generate() on ONNX Runtime, any other call on torch (see the module's docstring)."""

    def __init__(self, model: Any, session: Any, cross_session: Any, meta: dict[str, Any], on_failure: Any):
        super().__init__(model, session, meta, on_failure)
        self.cross_session = cross_session
        self.names = cache_names(meta["layers"])
        self.layers, self.heads, self.size = meta["layers"], meta["heads"], meta["head_size"]

    def plain(self, args: tuple, kwargs: dict[str, Any]) -> bool:
        import torch

        if not self.ordinary(args):
            return False
        ids, cache, encoded = kwargs.get("decoder_input_ids"), kwargs.get("cache"), kwargs.get("encoder_outputs")
        if not (isinstance(ids, torch.Tensor) and ids.device.type == "cpu" and ids.dim() == 2):
            return False
        if not isinstance(getattr(encoded, "last_hidden_state", None), torch.Tensor):
            return False
        mask = kwargs.get("attention_mask")
        if mask is not None and not (isinstance(mask, torch.Tensor) and mask.shape == encoded.last_hidden_state.shape[:2]):
            return False
        for name, value in kwargs.items():
            if name in ("decoder_input_ids", "cache", "encoder_outputs", "attention_mask", "use_cache"):
                continue
            if name == "return_dict":
                if value is False:
                    return False
            elif not (value is None or value is False):  # a decoder mask, embeddings, labels...: torch's
                return False
        return self._cache_as_expected(cache, ids.shape[0]) and not self.watched()

    def _cache_as_expected(self, cache: Any, rows: int) -> bool:
        """generate()'s cache as generate() and this dispatcher leave it: growing caches of torch tensors, every
        layer's keys and values at one length for these rows, and the cross-attention ones computed for every
        layer or (before the first step) for none."""
        from transformers import DynamicCache, EncoderDecoderCache

        if not (isinstance(cache, EncoderDecoderCache) and isinstance(cache.self_attention_cache, DynamicCache)
                and isinstance(cache.cross_attention_cache, DynamicCache)):
            return False
        lengths = {cache.self_attention_cache.get_seq_length(index) for index in range(self.layers)}
        computed = {bool(cache.is_updated.get(index)) for index in range(self.layers)}
        if len(lengths) != 1 or len(computed) != 1:
            return False
        if computed == {False}:
            return lengths == {0}
        first = cache.cross_attention_cache.layers[0].keys
        return first is not None and first.shape[0] == rows

    def run(self, kwargs: dict[str, Any]) -> Any:
        import numpy as np
        import torch

        ids = np.ascontiguousarray(kwargs["decoder_input_ids"].numpy(), dtype=np.int64)
        cache, hidden = kwargs["cache"], kwargs["encoder_outputs"].last_hidden_state
        mask = kwargs.get("attention_mask")
        mask = np.ones(hidden.shape[:2], np.int64) if mask is None else np.ascontiguousarray(mask.numpy(), np.int64)
        layers = self.layers
        if not cache.is_updated.get(0):  # the first step: the cross-attention keys and values, once
            computed = self.cross_session.run(None, {"encoder_hidden_states": np.ascontiguousarray(hidden.numpy())})
            for index in range(layers):
                cache.cross_attention_cache.update(torch.from_numpy(computed[2 * index]),
                                                   torch.from_numpy(computed[2 * index + 1]), index)
                cache.is_updated[index] = True
        feeds = _arrays(cache.cross_attention_cache, self.names["cross"])
        if cache.self_attention_cache.get_seq_length() == 0:  # no position yet: keys and values of length 0
            empty = np.zeros((ids.shape[0], self.heads, 0, self.size), np.float32)
            feeds.update(dict.fromkeys(self.names["past"], empty))
        else:
            feeds.update(_arrays(cache.self_attention_cache, self.names["past"]))
        logits, *new = self.session.run(None, {"decoder_input_ids": ids, "encoder_attention_mask": mask, **feeds})
        for index in range(layers):
            cache.self_attention_cache.update(torch.from_numpy(new[2 * index]), torch.from_numpy(new[2 * index + 1]),
                                              index)
        self.engine_calls += 1
        return self.output_class(logits=torch.from_numpy(logits), cache=cache)


def _arrays(cache: Any, names: list[str]) -> dict[str, Any]:
    """A DynamicCache's keys and values, layer by layer, as the graph's inputs ``names`` (key, value, key, …): numpy
    views of torch's tensors, no copy."""
    import numpy as np

    arrays = {}
    for index, layer in enumerate(cache.layers[:len(names) // 2]):
        arrays[names[2 * index]] = np.ascontiguousarray(layer.keys.numpy())
        arrays[names[2 * index + 1]] = np.ascontiguousarray(layer.values.numpy())
    return arrays


def install(model: Any, meta: dict[str, Any], folder: Path, on_failure: Any, step_session: Any = None) -> Dispatcher:
    """Dispatchers in front of the encoder's forward and the model's: the sessions opened from ``folder``."""
    from models.engine import open_graph

    # Sessions whose helper threads sleep after each call: generate() does torch's work between the steps.
    encoder_meta = meta["encoder"]
    encoder = model.get_encoder()
    encoder.forward = Dispatcher(encoder, open_graph(folder / encoder_meta["file"], spinning=False), encoder_meta,
                                 on_failure)
    step = open_graph(folder / "model.onnx", spinning=False) if step_session is None else step_session
    dispatcher = Seq2SeqDispatcher(model, step, open_graph(folder / meta["cross"], spinning=False), meta, on_failure)
    model.forward = dispatcher
    return dispatcher


