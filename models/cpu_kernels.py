"""oneDNN's float32 kernels for the models' dense layers, on CPUs where they are faster.

PyTorch's CPU build multiplies float32 matrices with MKL, which picks its code path by the
processor's vendor: on AMD processors it stays on AVX2 even when the CPU has AVX-512. oneDNN,
also part of every PyTorch CPU build, picks by instruction set. On the benchmark machine (a
2-core AMD EPYC with AVX-512) a BERT-sized Linear layer ran at about 170-210 GFLOPS with MKL
and 350-410 with oneDNN; a sentiment click took 33 ms instead of 64. The arithmetic is the same
float32 arithmetic, only summed in another order: outputs agree to about 1e-6.

`use_faster_kernels(model)` swaps each torch Linear layer for ``torch.utils.mkldnn.MkldnnLinear``,
which holds its weight in oneDNN's memory. Only the BERT models get it (ENCODER_TASKS): they read
a whole input in one pass, a few large matrix products. Generation is hundreds of one-token
steps, each many small products that oneDNN splits over both cores: alone on the machine T5
summarised 1.5x faster, but any other work on the cores (the server's own event loop, a client)
holds up those short parallel steps, and through the server the gain was gone (1.40 s vs 1.43 s).
GPT-2's layers are Conv1D, not Linear, and converting the large one took 5-9 s. The copy into
oneDNN's layout is paid once, when a model loads: about 0.5 s per BERT model here.

Whether to swap is decided by ``JNLP_ONEDNN``:

- ``auto`` (default): swap on AMD processors with AVX-512, where MKL is not on its best path;
  elsewhere the models stay as they are (see ``onednn_is_faster``).
- ``1``: swap on any CPU; ``0``: never.

Only CPU models are touched: on a GPU neither library runs the layers.
"""

from __future__ import annotations

import logging
import os
import platform
from collections.abc import Mapping
from typing import Any

log = logging.getLogger(__name__)

ONEDNN_ENV = "JNLP_ONEDNN"
ONEDNN_CHOICES = ("auto", "1", "0")
# The pipelines whose models read a whole input at once (the BERT encoders): see the module docstring.
ENCODER_TASKS = ("text-classification", "token-classification", "feature-extraction", "fill-mask")


def onednn_setting(environ: Mapping[str, str] | None = None, strict: bool = False) -> str:
    """The operator's choice: auto, 1 or 0.

    Anything else raises ValueError when `strict` (app.py checks at start-up, so a typo stops the
    app with this message); otherwise it is logged and read as auto (tests, notebooks).
    """
    raw = (os.environ if environ is None else environ).get(ONEDNN_ENV, "").strip().lower() or "auto"
    if raw not in ONEDNN_CHOICES:
        message = (f"{ONEDNN_ENV}={raw!r}: use auto (the default: oneDNN's kernels on AMD processors with "
                   "AVX-512), 1 (oneDNN's kernels on any CPU) or 0 (torch's default kernels)")
        if strict:
            raise ValueError(message)
        log.warning("ignoring %s", message)
        return "auto"
    return raw


def cpu_vendor() -> str:
    """The processor's vendor string (GenuineIntel, AuthenticAMD, ...), or "" where it cannot be read."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("vendor_id"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor()  # Windows names the vendor here; elsewhere it is not needed


def onednn_is_faster(vendor: str | None = None, capability: str | None = None) -> bool:
    """Whether oneDNN's kernels beat MKL's on this CPU: an AMD processor with AVX-512.

    There MKL stays on its AVX2 path and oneDNN uses AVX-512: twice the work per instruction,
    measured 1.9x on a BERT layer here (`python -m bench --only kernels` shows it on any machine).
    On Intel processors MKL already uses the widest path, and without AVX-512 both libraries use
    AVX2: the default stays. Decided from the CPU, not timed: a timing taken while the server is
    busy flipped between the two.
    """
    import torch

    if not torch.backends.mkldnn.is_available():
        return False
    vendor = cpu_vendor() if vendor is None else vendor
    capability = torch.backends.cpu.get_cpu_capability() if capability is None else capability
    return "AMD" in vendor.upper() and capability.upper().startswith("AVX512")


def wanted(task: str) -> bool:
    """Whether a CPU model for this pipeline task should get oneDNN's layers (JNLP_ONEDNN; for auto, the CPU)."""
    if task not in ENCODER_TASKS:
        return False
    setting = onednn_setting()
    return setting == "1" or (setting == "auto" and onednn_is_faster())


def _shared_weights(model: Any) -> set[int]:
    """ids of parameters that more than one module uses (an output layer tied to the input embeddings)."""
    seen: dict[int, int] = {}
    for _, parameter in model.named_parameters(remove_duplicate=False):
        seen[id(parameter)] = seen.get(id(parameter), 0) + 1
    return {key for key, count in seen.items() if count > 1}


def use_faster_kernels(model: Any) -> int:
    """Swap the model's torch Linear layers for oneDNN ones, in place; returns how many were swapped.

    A layer whose weight another module shares (an output layer tied to the input embeddings)
    stays as it is: swapping it would copy the shared matrix. Quantised layers are not torch
    Linear layers and stay too, and so do layers that are not float32 on the CPU (a checkpoint
    saved in half precision loads as such; its activations would not match a float32 weight).

    After a swap every tensor the model keeps is its own copy, so the checkpoint file that
    transformers memory-maps is no longer held open: the pages of the swapped weights would
    otherwise stay resident beside their copies and count twice.
    """
    import torch
    from torch.utils.mkldnn import MkldnnLinear

    shared = _shared_weights(model)
    swapped = 0
    with torch.no_grad():
        for parent in list(model.modules()):
            for name, child in list(parent.named_children()):
                if (type(child) is torch.nn.Linear and id(child.weight) not in shared
                        and child.weight.dtype == torch.float32 and child.weight.device.type == "cpu"):
                    setattr(parent, name, MkldnnLinear(child, torch.float))
                    swapped += 1
        if swapped:
            for tensor in [*model.parameters(), *model.buffers()]:
                if not tensor.is_mkldnn:  # the swapped layers' weights are copies already
                    tensor.data = tensor.data.clone()
    return swapped
