"""The CPU kernels of the models' dense layers: oneDNN's packed layers where no engine runs them, and optional int8.

PyTorch's CPU build multiplies float32 matrices with MKL, repacking each weight on every call, and MKL picks
its code path by the processor's vendor (on AMD processors it stays on AVX2 even when the CPU has AVX-512).
oneDNN, also part of every PyTorch CPU build, picks by instruction set; its sums are the same float32
arithmetic in another order.

`use_faster_kernels(model)` swaps each dense layer (torch Linear, GPT-2's Conv1D) for a ``PackedLinear``:
its weight packed once into oneDNN's blocked layout, multiplied by oneDNN on ordinary tensors. It is for the
models on torch: every model once ONNX Runtime is turned off (``JNLP_ENGINE=torch``, models/engine.py).
``JNLP_ONEDNN``: ``auto`` (default) and ``1`` swap them wherever this torch has the kernels, on any CPU
(``python -m bench --only kernels`` measures the gain on the machine it runs on, docs/benchmarks.md);
``0`` never. Only CPU models are touched (on a GPU neither library runs). ``JNLP_QUANTIZE=int8`` instead
quantises the BERT models' Linear layers (on torch when the engine is off).
The onednn and int8 tunings (models/tunings.py) call these as a model loads.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Mapping
from typing import Any

from models import engine, settings

log = logging.getLogger(__name__)

ONEDNN_ENV = "JNLP_ONEDNN"
QUANTIZE_ENV = "JNLP_QUANTIZE"
# The pipelines whose models read a whole input at once (the BERT encoders; also the ones int8 quantises).
ENCODER_TASKS = engine.ENCODER_TASKS
# Every model of the app whose time goes into dense layers: the encoders, T5 and the GPT-2s (on torch).
KERNEL_TASKS = (*ENCODER_TASKS, "summarization", "text-generation")


def onednn_setting(environ: Mapping[str, str] | None = None) -> str:
    """The operator's choice (JNLP_ONEDNN): auto, 1 or 0."""
    return (settings.current() if environ is None else settings.read(environ)).onednn


def wanted(task: str) -> bool:
    """Whether a CPU model for this pipeline task should get oneDNN's layers (JNLP_ONEDNN, and this torch)."""
    if task not in KERNEL_TASKS or engine.wanted(task):  # the model runs on the engine instead
        return False
    return onednn_setting() != "0" and kernels_available()


def _shared_weights(model: Any) -> set[int]:
    """ids of parameters that more than one module uses (an output layer tied to the input embeddings)."""
    seen: dict[int, int] = {}
    for _, parameter in model.named_parameters(remove_duplicate=False):
        seen[id(parameter)] = seen.get(id(parameter), 0) + 1
    return {key for key, count in seen.items() if count > 1}


# The rows (tokens of all inputs together) a packed weight is laid out for: any number works with any
# packing; this one was among the fastest across batch sizes.
PACKING_ROWS = 128


def kernels_available() -> bool:
    """Whether this torch has oneDNN and the operators for packed dense layers."""
    import torch

    if not torch.backends.mkldnn.is_available():
        return False
    try:
        torch.ops.mkldnn._reorder_linear_weight, torch.ops.mkldnn._linear_pointwise  # noqa: B018 - looked up
    except (AttributeError, RuntimeError):
        return False
    return True


@functools.cache  # made once: torch is imported late
def packed_linear_class() -> Any:
    """The module class of a dense layer on oneDNN's kernels, called on ordinary tensors (the operators
    torch.compile uses for its CPU dense layers); torch's ``MkldnnLinear`` converts each input and output
    to oneDNN's layout and back, which made it slower per layer."""
    import torch

    pack, multiply = torch.ops.mkldnn._reorder_linear_weight, torch.ops.mkldnn._linear_pointwise

    class PackedLinear(torch.nn.Module):
        """x @ weight.T + bias, with the weight packed by oneDNN: a float32 Linear's sums in oneDNN's order."""

        def __init__(self, weight: torch.Tensor, bias: torch.Tensor | None):
            super().__init__()  # weight: (out, in), any strides (a Conv1D's weight transposed is a view)
            self.out_features, self.in_features = weight.shape
            self.register_buffer("weight", pack(weight.detach(), PACKING_ROWS))
            self.register_buffer("bias", None if bias is None else bias.detach().clone())

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            if x.requires_grad and torch.is_grad_enabled():
                # oneDNN's operator has no backward: a gradient through the layer (the saliency views) takes
                # the plain weight, unpacked for this call.
                return torch.nn.functional.linear(x, self.weight.to_dense(), self.bias)
            return multiply(x, self.weight, self.bias, "none", [], "")

        def extra_repr(self) -> str:
            return f"in_features={self.in_features}, out_features={self.out_features}, packed for oneDNN"

    return PackedLinear


def _dense_weight(layer: Any) -> Any:
    """A dense layer's weight as (out, in), or None for any other module. GPT-2's Conv1D stores its weight
    (in, out): its transpose, a view, is packed directly (faster than packing a contiguous copy)."""
    import torch
    from transformers.pytorch_utils import Conv1D

    if type(layer) is torch.nn.Linear:
        return layer.weight
    if type(layer) is Conv1D:
        return layer.weight.t()
    return None


def packed_layers(model: Any) -> list[tuple[Any, str, Any]]:
    """(parent module, attribute name, PackedLinear) for each of the model's dense layers to swap.

    Reads the model and changes nothing, so it may run while the model answers requests (``install``
    swaps). Left out: a layer whose weight another module shares (an output layer tied to the input
    embeddings: swapping would copy the shared matrix), quantised layers, and layers that are not
    float32 on the CPU (a half-precision checkpoint's activations would not match a float32 weight).
    """
    import torch

    packed_linear = packed_linear_class()
    shared = _shared_weights(model)
    replacements = []
    with torch.no_grad():
        for parent in list(model.modules()):
            for name, child in list(parent.named_children()):
                weight = _dense_weight(child)
                if (weight is not None and id(child.weight) not in shared
                        and weight.dtype == torch.float32 and weight.device.type == "cpu"):
                    replacements.append((parent, name, packed_linear(weight, child.bias)))
    return replacements


def install(model: Any, replacements: list[tuple[Any, str, Any]]) -> int:
    """Put the packed layers in place; returns how many. The model must not be running meanwhile. Every other
    tensor is then copied too, so the checkpoint file transformers memory-maps is let go: its pages would
    otherwise stay resident beside the copies and count twice."""
    import torch

    for parent, name, layer in replacements:
        setattr(parent, name, layer)
    if replacements:
        with torch.no_grad():
            for tensor in [*model.parameters(), *model.buffers()]:
                if not tensor.is_mkldnn:  # the packed weights are copies already
                    tensor.data = tensor.data.clone()
    return len(replacements)


def use_faster_kernels(model: Any) -> int:
    """Swap the model's dense layers (torch Linear, GPT-2's Conv1D) for PackedLinear now; returns how many."""
    return install(model, packed_layers(model))


def dense_bytes(model: Any) -> int:
    """Bytes of the weights of the model's dense layers (what packing copies)."""
    weights = [weight for weight in map(_dense_weight, model.modules()) if weight is not None]
    return sum(weight.numel() * weight.element_size() for weight in weights)


def quantize_linear_layers(model: Any) -> None:
    """Replace the model's Linear layers by int8 dynamically quantised ones, in place: faster on a CPU, but
    scores move slightly (labels agree on the app's examples, see the tests), so it is off by default."""
    import warnings

    import torch
    from torch.ao.quantization import quantize_dynamic

    with warnings.catch_warnings():
        # torch deprecates these quantised kernels in favour of torchao, which this app does not pin.
        warnings.simplefilter("ignore")
        quantize_dynamic(model, {torch.nn.Linear}, dtype=torch.qint8, inplace=True)
