"""The BERT models' plain forward pass, GPT-2's generation steps and T5's encoder and decoder steps on ONNX
Runtime, the field's engine for CPU inference (GPT-2's export and dispatcher: models/engine_causal.py; T5's:
models/engine_seq2seq.py).

A click on an encoder tab (sentiment, NLI, STS, SimCSE, NER, contextual, fill-mask) first answers on
torch. Once its model is cached, a background thread finds its exported model on disk, or has one built
(``python -m models.engine``, a child process at a low priority: the export runs the model under torch's
tracer, which must not see the server's requests, and its memory is freed when it ends), opens an ONNX
Runtime session on it and puts a dispatcher in front of the torch model's ``forward``. From then on a
plain call (no gradients, no hidden states or attentions asked for, no hook inside the model) runs on
ONNX Runtime (the masked LM's export also gives every layer's hidden states, which the contextual tab
reads through the model's base_model); every other call runs on torch as before, so the look-inside views (attentions, hidden
states, gradients for saliency, Captum's layer hooks) keep working on the same model. The forward hooks
on the model itself still see each output (models/stages.py records it).

The exported model is ``torch.onnx.export`` (opset 17, the TorchScript exporter) of the model with eager
attention, then ONNX Runtime's BERT fusions (attention, layer norm, GELU), and with ``JNLP_QUANTIZE=int8``
ONNX Runtime's dynamic int8 quantiser. It is kept under ``$HF_HOME/jnlp-engines`` (beside the Hugging Face
cache), in a folder named by a hash of what decides it: the model's revision (the Hub snapshot's commit, or
a hash of a local folder's config and weight files), its task, the quantisation, and the versions of torch,
transformers, onnx and onnxruntime. ``python -m models.prefetch`` builds them ahead of a class.

Nothing here may break a tab: an engine that cannot be built or opened, or that fails on a call, leaves
the model on torch, with one line in the log. ``JNLP_ENGINE=torch`` turns it off.
"""

from __future__ import annotations

import argparse
import functools
import hashlib
import importlib
import json
import logging
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

from models import settings

log = logging.getLogger(__name__)

ENGINE_ENV = "JNLP_ENGINE"
ONNXRUNTIME, TORCH = "onnxruntime", "torch"
# The pipelines whose models read a whole input at once: the BERT encoders.
ENCODER_TASKS = ("text-classification", "token-classification", "feature-extraction", "fill-mask")
# The pipelines whose models go on the engine: the encoders, GPT-2's generation steps (models/engine_causal.py)
# and T5's encoder and decoder steps under generate() (models/engine_seq2seq.py).
ENGINE_TASKS = (*ENCODER_TASKS, "text-generation", "summarization")
FORMAT = 1  # what this module writes: bumped when the export or its files change
OPSET = 17
MODEL_FILE, META_FILE = "model.onnx", "engine.json"
# The inputs a pipeline gives a BERT model (the book's tokenizer gives no token_type_ids; others may).
INPUTS = ("input_ids", "attention_mask", "token_type_ids")
# The tasks whose export also gives every layer's hidden states (the contextual tab reads the masked LM's).
HIDDEN_STATE_TASKS = ("fill-mask",)
BUILD_TIMEOUT_S = 1800.0

# Entry states, as the status views read them (entry.engine).
ON_TORCH, BUILDING, ON_ENGINE, FAILED = "torch", "building", "onnxruntime", "failed"


class EngineError(RuntimeError):
    """The engine cannot be built or opened for a model (the model stays on torch)."""


def wanted(task: str) -> bool:
    """Whether the settings put a model of this pipeline task on the engine once it is ready."""
    return task in ENGINE_TASKS and settings.current().engine == ONNXRUNTIME


def quantization(task: str) -> str:
    """JNLP_QUANTIZE as it applies to a task's export: int8 is for the encoders only."""
    return settings.current().quantize if task in ENCODER_TASKS else "off"


@functools.cache
def missing_library() -> str | None:
    """None when onnxruntime and onnx import; else what failed, in one line (checked once per process)."""
    try:
        importlib.import_module("onnx")
        importlib.import_module("onnxruntime")
    except Exception as error:  # noqa: BLE001 - a broken install is as good as none
        return f"{type(error).__name__}: {error}"
    return None


def cache_root() -> Path:
    """Where exported models are kept: beside the Hugging Face cache ($HF_HOME/jnlp-engines)."""
    from huggingface_hub import constants

    return Path(constants.HF_HOME) / "jnlp-engines"


def versions() -> dict[str, str]:
    """The library versions an exported model depends on (a new one makes a new export)."""
    import onnx
    import onnxruntime
    import torch
    import transformers

    return {"torch": torch.__version__, "transformers": transformers.__version__, "onnx": onnx.__version__,
            "onnxruntime": onnxruntime.__version__}


# The files of a local folder that decide the exported model: its configuration and weights.
_DECIDING = (".json", ".safetensors", ".bin")


def revision(folder: str | os.PathLike) -> str:
    """What names a model's weights: the commit of a Hub snapshot folder (…/snapshots/<commit>), else a hash
    of the folder's configuration and weight files (a local checkpoint has no revision)."""
    path = Path(folder).expanduser().resolve()
    if path.parent.name == "snapshots":
        return f"hub:{path.name}"
    digest = hashlib.sha256()
    for name in sorted(os.listdir(path)):
        if name.endswith(_DECIDING) and (path / name).is_file():
            digest.update(name.encode() + b"\0")
            with open(path / name, "rb") as file:
                digest.update(hashlib.file_digest(file, "sha256").digest())
    return f"sha256:{digest.hexdigest()}"


def description(folder: str | os.PathLike, task: str, quantize: str,
                library_versions: dict[str, str] | None = None) -> dict[str, Any]:
    """Everything an exported model depends on (its folder is named by the hash of this)."""
    return {"revision": revision(folder), "task": task, "quantize": quantize, "format": FORMAT, "opset": OPSET,
            **(versions() if library_versions is None else library_versions)}


def engine_folder(described: dict[str, Any], root: Path | None = None) -> Path:
    """The folder of the exported model that ``described`` names."""
    key = hashlib.sha256(json.dumps(described, sort_keys=True).encode()).hexdigest()[:32]
    return (cache_root() if root is None else root) / key


def is_built(folder: Path) -> bool:
    return (folder / MODEL_FILE).is_file() and (folder / META_FILE).is_file()


# --- building (in the child process, or in python -m models.prefetch) ---

def _model_class(task: str) -> Any:
    import transformers

    return {"text-classification": transformers.AutoModelForSequenceClassification,
            "token-classification": transformers.AutoModelForTokenClassification,
            "feature-extraction": transformers.AutoModel,
            "fill-mask": transformers.AutoModelForMaskedLM,
            "text-generation": transformers.AutoModelForCausalLM,
            "summarization": transformers.AutoModelForSeq2SeqLM}[task]


def export(source: str, task: str, quantize: str, target: Path) -> None:
    """Export the model at ``source`` (a folder) for ``task`` into the folder ``target`` (written whole, or
    not at all): model.onnx and engine.json (its inputs, outputs and output class)."""
    import torch

    # Eager attention: ONNX Runtime's BERT fusion recognises its graph (sdpa's is left as separate nodes).
    model = _model_class(task).from_pretrained(source, attn_implementation="eager", dtype=torch.float32).eval()
    work = Path(tempfile.mkdtemp(prefix=".building-", dir=target.parent))
    try:
        if task == "summarization":
            _export_seq2seq(model, work, target)
            return
        if task not in ENCODER_TASKS:
            _export_causal(model, work, target)
            return
        plain = work / "plain.onnx"
        # The masked LM also gives every layer's hidden states: the contextual tab reads them (through the
        # model's base_model), from the same session.
        hidden = task in HIDDEN_STATE_TASKS
        inputs, outputs, produced = to_onnx(model, plain, tokenizer_inputs(source), hidden)
        base_class = None
        if hidden:
            import torch

            with torch.no_grad():
                base_output = model.base_model(**{name: torch.ones(1, 2, dtype=torch.long) for name in inputs})
            base_class = f"{type(base_output).__module__}.{type(base_output).__qualname__}"
        del model
        fused = _fused(plain, work / "fused.onnx", source)
        final = work / MODEL_FILE
        if quantize == "int8":
            import onnx
            from onnxruntime.quantization import QuantType, quantize_dynamic

            # The fused nodes (ONNX Runtime's own domain) have no types for onnx's shape inference: float.
            quantize_dynamic(str(fused), str(final), weight_type=QuantType.QInt8,
                             extra_options={"DefaultTensorType": onnx.TensorProto.FLOAT})
        else:
            os.replace(fused, final)
        for leftover in ("plain.onnx", "fused.onnx"):
            (work / leftover).unlink(missing_ok=True)
        meta = {"inputs": inputs, "outputs": outputs,
                "output_class": f"{type(produced).__module__}.{type(produced).__qualname__}",
                "base_output_class": base_class, "task": task, "quantize": quantize,
                "fused": fused.name == "fused.onnx"}
        (work / META_FILE).write_text(json.dumps(meta, indent=1), encoding="utf-8")
        _publish(work, target)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _export_causal(model: Any, work: Path, target: Path) -> None:
    """GPT-2's step with its cache (models/engine_causal.py), checked against torch before it is kept."""
    from models import engine_causal

    meta = engine_causal.to_onnx(model, work / MODEL_FILE)
    session, _ = open_session(work, meta)
    meta["largest_difference"] = engine_causal.check_parity(model, session, meta)
    del session
    (work / META_FILE).write_text(json.dumps({**meta, "task": "text-generation", "quantize": "off"}, indent=1),
                                  encoding="utf-8")
    _publish(work, target)


def _export_seq2seq(model: Any, work: Path, target: Path) -> None:
    """T5's encoder, cross-attention and decoder step (models/engine_seq2seq.py), checked against torch before
    they are kept."""
    from models import engine_seq2seq

    meta = engine_seq2seq.to_onnx(model, work)
    meta["largest_difference"] = engine_seq2seq.check_parity(model, work, meta)
    (work / META_FILE).write_text(json.dumps({**meta, "task": "summarization", "quantize": "off"}, indent=1),
                                  encoding="utf-8")
    _publish(work, target)


def _publish(work: Path, target: Path) -> None:
    try:
        os.replace(work, target)  # atomic: a reader sees the whole folder or none
    except OSError:
        if not is_built(target):  # another process built it meanwhile: theirs is as good
            raise


def tokenizer_inputs(source: str) -> tuple[str, ...]:
    """The inputs the model's tokenizer gives its model (the book's gives no token_type_ids)."""
    from transformers import AutoTokenizer

    return tuple(AutoTokenizer.from_pretrained(source)("テスト"))


def to_onnx(model: Any, path: Path, given: tuple[str, ...] = INPUTS,
            hidden_states: bool = False) -> tuple[list[str], list[str], Any]:
    """``torch.onnx.export`` of a transformers model (batch and length dynamic) into ``path``, taking the
    inputs of ``given`` that its forward takes: its input names, output names, and what it gave on the
    example the tracer ran. A call with another input runs on torch (Dispatcher.plain). With
    ``hidden_states`` every layer's hidden states are outputs too (``hidden_states.0`` …)."""
    import inspect

    import torch

    parameters = inspect.signature(model.forward).parameters
    inputs = [name for name in INPUTS if name in parameters and name in given]
    # Two rows, the second padded: the traced graph must read the mask, not assume every token is text.
    vocab = int(model.config.vocab_size)
    ids = torch.arange(1, 17, dtype=torch.long).remainder(vocab - 1).add(1).reshape(2, 8)
    mask = torch.ones_like(ids)
    mask[1, 5:] = 0
    example = {"input_ids": ids, "attention_mask": mask, "token_type_ids": torch.zeros_like(ids)}
    example = {name: example[name] for name in inputs}
    with torch.no_grad():
        produced = model(**example, **({"output_hidden_states": True} if hidden_states else {}))
    flat = _flat(produced)
    outputs = list(flat)
    axes = {name: {0: "batch", 1: "tokens"} for name in inputs}
    axes.update({name: {0: "batch", 1: "tokens"} if flat[name].dim() >= 3 else {0: "batch"} for name in outputs})
    with torch.no_grad(), warnings.catch_warnings():
        # The tracer's warnings about shapes taken as constants: the padded-batch test checks the graph.
        warnings.simplefilter("ignore")
        torch.onnx.export(_ByPosition(model, inputs, hidden_states), tuple(example.values()), str(path),
                          input_names=inputs, output_names=outputs, dynamic_axes=axes, opset_version=OPSET,
                          dynamo=False)
    return inputs, outputs, produced


def _by_position_class() -> Any:
    import torch

    class ByPosition(torch.nn.Module):
        """The model called with its inputs by name, its outputs a tuple: what the tracer takes (keyword
        inputs bind to the wrong parameters of some forward signatures)."""

        def __init__(self, model: Any, inputs: list[str], hidden_states: bool):
            super().__init__()
            self.model, self.inputs, self.hidden_states = model, inputs, hidden_states

        def forward(self, *tensors: Any) -> tuple:
            more = {"output_hidden_states": True} if self.hidden_states else {}
            return tuple(_flat(self.model(**dict(zip(self.inputs, tensors)), **more)).values())

    return ByPosition


def _ByPosition(model: Any, inputs: list[str], hidden_states: bool) -> Any:
    return _by_position_class()(model, inputs, hidden_states)


def _flat(produced: Any) -> dict[str, Any]:
    """A model output's tensors by name, a tuple of them (hidden states) as ``name.0``, ``name.1`` …"""
    import torch

    flat = {}
    for name, value in produced.items():
        if isinstance(value, torch.Tensor):
            flat[name] = value
        elif isinstance(value, tuple) and value and all(isinstance(item, torch.Tensor) for item in value):
            flat.update({f"{name}.{index}": item for index, item in enumerate(value)})
    return flat


def _fused(plain: Path, fused: Path, source: str) -> Path:
    """The graph with ONNX Runtime's BERT fusions where they apply; the plain graph where they fail."""
    from transformers import AutoConfig

    config = AutoConfig.from_pretrained(source)
    heads, hidden = getattr(config, "num_attention_heads", 0), getattr(config, "hidden_size", 0)
    if getattr(config, "model_type", "") != "bert" or not heads or not hidden:
        return plain
    try:
        from onnxruntime.transformers.optimizer import optimize_model

        optimized = optimize_model(str(plain), model_type="bert", num_heads=heads, hidden_size=hidden, opt_level=0)
        optimized.save_model_to_file(str(fused))
    except Exception:  # noqa: BLE001 - unfused is still the engine, just slower
        log.warning("ONNX Runtime's BERT fusions failed for %s: kept the plain graph", source, exc_info=True)
        return plain
    return fused


def ensure_built(source: str, task: str, quantize: str, root: Path | None = None,
                 build: Callable[[str, str, str, Path], None] | None = None) -> Path:
    """The folder of the exported model for ``source`` (a folder), built first if it is not on disk;
    ``build(source, task, quantize, target)`` builds (default: a child process)."""
    target = engine_folder(description(source, task, quantize), root)
    if not is_built(target):
        target.parent.mkdir(parents=True, exist_ok=True)
        (build or build_in_child)(source, task, quantize, target)
        if not is_built(target):
            raise EngineError(f"the build left no model in {target}")
    return target


def build_in_child(source: str, task: str, quantize: str, target: Path) -> None:
    """Run the export in ``python -m models.engine`` at a low priority: the server's requests keep their
    cores and the tracer never sees them; its memory goes back when it ends."""
    root = Path(__file__).resolve().parent.parent
    command = [sys.executable, "-m", "models.engine", "--source", source, "--task", task, "--quantize", quantize,
               "--out", str(target)]
    lowered = (lambda: os.nice(10)) if hasattr(os, "nice") else None
    done = subprocess.run(command, cwd=root, capture_output=True, text=True, timeout=BUILD_TIMEOUT_S,
                          preexec_fn=lowered, check=False)
    if done.returncode != 0:
        last = (done.stderr or done.stdout).strip().splitlines()[-1:] or [f"exit status {done.returncode}"]
        raise EngineError(f"python -m models.engine failed: {last[0]}")


# --- running (in the server) ---

def open_session(folder: Path, meta: dict[str, Any] | None = None) -> tuple[Any, dict[str, Any]]:
    """An ONNX Runtime session on the exported model in ``folder``, and its engine.json (or ``meta``)."""
    meta = json.loads((folder / META_FILE).read_text(encoding="utf-8")) if meta is None else meta
    return open_graph(folder / MODEL_FILE, spinning=meta.get("kind") != "seq2seq"), meta


def open_graph(path: Path, spinning: bool = True) -> Any:
    """An ONNX Runtime session on one exported graph, on the CPU. ``spinning``: ONNX Runtime's default, helper
    threads that spin a moment after each call, best for calls that follow one another (an encoder's: with
    sleeping ones a short input took 1.06-1.08x a default session's time on a quiet machine); steps with torch's
    work between them (generate()'s) are quicker with them asleep (docs/benchmarks.md, the engines section)."""
    import onnxruntime

    options = onnxruntime.SessionOptions()
    options.graph_optimization_level = onnxruntime.GraphOptimizationLevel.ORT_ENABLE_ALL
    if not spinning:
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    return onnxruntime.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])


def engine_bytes(folder: Path) -> int:
    """The size of an exported model's files: about what its session holds in memory."""
    return sum(path.stat().st_size for path in folder.iterdir() if path.is_file())


def _output_class(name: str) -> Any:
    module, _, qualname = name.rpartition(".")
    return getattr(importlib.import_module(module), qualname)


class Dispatcher:
    """Stands in for a torch model's ``forward``: a plain call runs on ONNX Runtime, any other on torch.

    Plain: gradients off (pipelines run under inference mode; saliency needs them on), only the exported
    inputs as tensors (others None or False), no attentions or hidden states asked for, the model in eval
    mode, and no hook on any module inside it (Captum reads a layer's output through one). A call that
    fails on the engine is answered by torch, and the engine is taken out for good (logged once).
    """

    def __init__(self, model: Any, session: Any, meta: dict[str, Any], on_failure: Callable[[BaseException], None],
                 base: bool = False):
        self.model = model
        self.torch_forward = model.forward
        self.session = session
        self.inputs = tuple(meta["inputs"])
        # base: this is the model's base_model (the encoder alone), whose output is the hidden states.
        self.base = base
        self.outputs = [] if base else [name for name in meta["outputs"] if "." not in name]
        self.hidden = [name for name in meta["outputs"] if name.startswith("hidden_states.")]
        self.output_class = _output_class(meta["base_output_class" if base else "output_class"])
        self.on_failure = on_failure
        # Every hook table inside the model, looked at on each call: most are empty, which any() sees at C speed.
        self.inner_hooks = [hooks for module in model.modules() if module is not model
                            for hooks in (module._forward_hooks, module._forward_pre_hooks)]
        self.engine_calls = 0
        functools.update_wrapper(self, self.torch_forward)  # the pipelines read forward's signature

    def __getattr__(self, name: str) -> Any:
        # What callers read off a bound forward (__code__, __func__, __self__): torch's forward's.
        if name == "torch_forward":
            raise AttributeError(name)
        return getattr(self.torch_forward, name)

    def ordinary(self, args: tuple) -> bool:
        """No positional inputs, gradients off, the model in eval mode, no attentions or hidden states asked for
        by its configuration."""
        import torch

        if args or torch.is_grad_enabled() or self.model.training:
            return False
        config = self.model.config
        return not (getattr(config, "output_attentions", False) or getattr(config, "output_hidden_states", False))

    def watched(self) -> bool:
        """Whether a hook other than transformers' own recorders watches the model (Captum's, for one)."""
        import torch

        hooks = torch.nn.modules.module
        if hooks._global_forward_hooks or hooks._global_forward_pre_hooks:
            return True
        return any(self.inner_hooks) and any(_foreign(table) for table in self.inner_hooks if table)

    def plain(self, args: tuple, kwargs: dict[str, Any]) -> bool:
        import torch

        if not self.ordinary(args):
            return False
        for name, value in kwargs.items():
            if name in self.inputs:
                if not (isinstance(value, torch.Tensor) and value.device.type == "cpu" and value.dim() == 2):
                    return False
            elif not (value is None or value is False or (name == "return_dict" and value is True)
                      or (name == "output_hidden_states" and value is True and self.hidden)):
                return False
        return isinstance(kwargs.get("input_ids"), torch.Tensor) and not self.watched()

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if self.session is not None and self.plain(args, kwargs):
            try:
                return self.run(kwargs)
            except Exception as error:  # noqa: BLE001 - torch answers; the engine is out for this model
                self.session = None
                self.on_failure(error)
        return self.on_torch(args, kwargs)

    def on_torch(self, args: tuple, kwargs: dict[str, Any]) -> Any:
        return self.torch_forward(*args, **kwargs)

    def run(self, kwargs: dict[str, Any]) -> Any:
        import numpy as np
        import torch

        ids = kwargs["input_ids"]
        feeds = {}
        for name in self.inputs:
            value = kwargs.get(name)
            if value is None:  # the model's own default: every token read, one segment
                value = torch.ones_like(ids) if name == "attention_mask" else torch.zeros_like(ids)
            feeds[name] = np.ascontiguousarray(value.numpy(), dtype=np.int64)
        hidden = self.hidden if self.base or kwargs.get("output_hidden_states") else []
        results = [torch.from_numpy(array) for array in self.session.run(self.outputs + hidden, feeds)]
        self.engine_calls += 1
        fields = dict(zip(self.outputs, results))
        if hidden:
            fields["hidden_states"] = tuple(results[len(self.outputs):])
        if self.base:
            fields["last_hidden_state"] = fields["hidden_states"][-1]
        return self.output_class(**fields)


# transformers 5 puts its own hooks on the layers the first time hidden states or attentions are asked for,
# and keeps them: they record nothing unless a call asks for those outputs (which runs on torch anyway).
_TRANSFORMERS_RECORDER = "transformers.utils.output_capturing"


def _foreign(hooks: dict) -> bool:
    """Whether any of a module's hooks is someone else's than transformers' own output recorder."""
    return any(getattr(hook, "__module__", None) != _TRANSFORMERS_RECORDER for hook in hooks.values())


def install(model: Any, session: Any, meta: dict[str, Any], on_failure: Callable[[BaseException], None],
            folder: Path | None = None) -> Dispatcher:
    """Put a Dispatcher in front of the model's forward (and T5's encoder's: its graphs are opened from
    ``folder``); the model must not be running meanwhile."""
    if meta.get("kind") == "seq2seq":
        from models import engine_seq2seq

        return engine_seq2seq.install(model, meta, folder, on_failure, session)
    if meta.get("kind") == "causal":
        from models.engine_causal import CausalDispatcher

        dispatcher = CausalDispatcher(model, session, meta, on_failure)
        model.forward = dispatcher
        return dispatcher
    dispatcher = Dispatcher(model, session, meta, on_failure)
    model.forward = dispatcher
    base = getattr(model, "base_model", model)
    if meta.get("base_output_class") and base is not model:  # the encoder alone: its hidden states
        base.forward = Dispatcher(base, session, meta, on_failure, base=True)
    return dispatcher


def uninstall(model: Any) -> None:
    """Take the dispatchers out: the model runs on torch alone again."""
    for module in model.modules():
        if isinstance(module.__dict__.get("forward"), Dispatcher):
            del module.__dict__["forward"]


def dispatcher_of(model: Any) -> Dispatcher | None:
    forward = model.__dict__.get("forward")
    return forward if isinstance(forward, Dispatcher) else None


# One build at a time in this process (two exports at once would fight for the same two cores).
_build_guard = threading.Lock()
# Exports that failed in this process, by folder: not tried again until restart (the log said why).
_failed: set[str] = set()


def model_folder(entry: Any) -> str | None:
    """The folder an entry's model was read from (a Hub id is looked up in the local cache)."""
    from models import hub

    source = str(entry.runner.model.name_or_path)
    if os.path.isdir(os.path.expanduser(source)):
        return os.path.expanduser(source)
    return hub.cached_snapshot(source)


def prepare(entry: Any, build: Callable[[str, str, str, Path], None] | None = None) -> None:
    """Find or build the entry's exported model, open it and put it in front of the model (in the calling
    thread: the tuning runs this in a background one). Sets entry.engine and entry.engine_ready."""
    from models import allocator, loader

    try:
        if missing_library() is not None:
            raise EngineError(f"onnxruntime cannot be imported ({missing_library()})")
        folder = model_folder(entry)
        if folder is None:
            raise EngineError(f"no local copy of {entry.model_id} to export")
        quantize = quantization(entry.spec.task)
        with _build_guard:
            marker = f"{folder}|{entry.spec.task}|{quantize}"
            if marker in _failed:
                raise EngineError("its export failed earlier in this process")
            try:
                started = time.perf_counter()
                built = ensure_built(folder, entry.spec.task, quantize, build=build)
            except Exception:
                _failed.add(marker)
                raise
        session, meta = open_session(built)
        allocator.release_freed_memory()  # the model file's copy, read while opening: not kept resident
        with entry.lock:
            if entry.unloaded.is_set():  # let go meanwhile: not worth finishing
                entry.engine = ON_TORCH
                return
            install(entry.runner.model, session, meta, lambda error: _failed_on_call(entry, error), built)
            entry.engine = ON_ENGINE
            entry.engine_bytes = engine_bytes(built)
            entry.memory_bytes += entry.engine_bytes  # both copies count towards JNLP_MAX_MODEL_MEMORY
        log.info("%s: on ONNX Runtime (%s, found or built in %.1f s)", entry.spec.key, built.name,
                 time.perf_counter() - started)
        loader.make_room_for(entry)
    except Exception as error:  # noqa: BLE001 - the model keeps answering on torch
        entry.engine = FAILED
        log.warning("%s stays on torch: %s: %s", entry.spec.key, type(error).__name__, error)
    finally:
        entry.engine_ready.set()


def _failed_on_call(entry: Any, error: BaseException) -> None:
    entry.engine = FAILED
    uninstall(entry.runner.model)
    log.warning("%s: ONNX Runtime failed on a call, back on torch: %s: %s", entry.spec.key,
                type(error).__name__, error)


def prepare_in_background(entry: Any) -> None:
    """Start ``prepare`` in a thread: the click that loaded the model has its answer on torch meanwhile."""
    entry.engine = BUILDING
    entry.engine_ready.clear()
    threading.Thread(target=prepare, args=(entry,), name=f"engine-{entry.spec.key}", daemon=True).start()


def prefetch(task: str, folder: str, build: bool = True, root: Path | None = None) -> str:
    """Build (unless ``build`` is False), in this process, or find the exported model of the model in
    ``folder``: a line for python -m models.prefetch's report."""
    if missing_library() is not None:
        return f"onnxruntime を読み込めません / onnxruntime cannot be imported ({missing_library()}): torch"
    target = engine_folder(description(folder, task, quantization(task)), root)
    if is_built(target):
        return f"ONNX Runtime: {target}"
    if not build:
        return "ONNX Runtime: 未作成（最初のクリックで作成） / not built yet (the first click builds it)"
    started = time.perf_counter()
    ensure_built(folder, task, quantization(task), root, build=export)
    return f"ONNX Runtime: {target} (built in {time.perf_counter() - started:.0f} s)"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m models.engine", description=__doc__.splitlines()[0])
    parser.add_argument("--source", required=True, help="the model's folder")
    parser.add_argument("--task", required=True, choices=ENGINE_TASKS)
    parser.add_argument("--quantize", default="off", choices=("off", "int8"))
    parser.add_argument("--out", required=True, type=Path, help="the folder to write (written whole or not at all)")
    args = parser.parse_args(argv)
    import torch

    torch.set_num_threads(1)  # the server keeps the other cores for its requests
    export(args.source, args.task, args.quantize, args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
