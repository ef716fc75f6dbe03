"""The speed tunings, listed in one place (TUNINGS): switchable hooks the loader runs at a few fixed points.

Each tuning names the setting that switches it (models/settings.py), the ``python -m bench --only``
sections that measure it (figures in docs/benchmarks.md) and the phases it runs in. ``run(phase, entry)``
runs a phase's hooks: each gets the LoadedModel, or nothing, and never reaches into the loader's state.
A hook that raises never breaks a load or a call (a private torch operator that a torch upgrade removed,
say): one line is logged, its tuning is off until the process ends, and the model answers without it.
"""

from __future__ import annotations

import gc
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from models import allocator, cpu_kernels, engine, openmp, settings

log = logging.getLogger(__name__)

# The phases, in the order a model meets them; what each hook gets in brackets.
LAUNCH = "launch"  # python app.py serves the page, off ZeroGPU (nothing)
IMPORTED = "imported"  # the warm-up imported torch and transformers (nothing)
BUILT = "built"  # a model or a tokenizer alone is built, not yet cached, still under the build lock (its entry)
CACHED = "cached"  # the entry is cached: requests may use it from now on (its entry)
CALL_ENDED = "call ended"  # a model call, or one step of a stream, ended (its entry; None if the load failed)
EVICTED = "evicted"  # the loader let go of models: evicted for the memory cap, or all unloaded (nothing)


@dataclass(frozen=True)
class Tuning:
    name: str
    setting: str  # the variable that switches it (models/settings.py)
    on: Callable[[settings.Settings], bool]  # whether the settings in force turn it on
    hooks: dict[str, Callable[[Any], None]]  # phase -> hook(entry or None), run in TUNINGS order within a phase
    bench: tuple[str, ...]  # the `python -m bench --only` sections that measure it; () where none does


_off: set[str] = set()  # tunings whose hook failed: off for the rest of the process


def run(phase: str, entry: Any = None) -> None:
    """Run the hooks of `phase` of every tuning the settings turn on; a failing one is turned off."""
    current = settings.current()
    for tuning in TUNINGS:
        hook = tuning.hooks.get(phase)
        if hook is None or tuning.name in _off or not tuning.on(current):
            continue
        try:
            hook(entry)
        except Exception as error:  # noqa: BLE001 - a tuning is never worth a failed load or call
            turn_off(tuning.name, error)


def turn_off(name: str, error: BaseException) -> None:
    """Turn a tuning off for the rest of the process, saying why in one line."""
    _off.add(name)
    log.warning("tuning %s failed and is off until restart: %s: %s", name, type(error).__name__, error)


def is_on(name: str) -> bool:
    """Whether the settings in force turn a tuning on and none of its hooks has failed."""
    return name not in _off and next(t for t in TUNINGS if t.name == name).on(settings.current())


def _on_cpu(entry: Any) -> bool:
    return str(getattr(entry.runner, "device", "")) == "cpu"  # a tokenizer alone has no device


WARM_UP_DELAY_S = 2.0  # after launch: the server answers its first page before the imports compete for the cores


IMPORTED_MESSAGE = "torch and transformers are imported: the first request will only load its model"


def _warm_up(_: None) -> None:
    """Import torch and transformers in a background thread, once the page is served: a student still
    reading the page finds them in at the first click, which only loads its model then. A click that
    comes sooner waits for the same imports it would otherwise make itself."""

    def imports() -> None:
        time.sleep(WARM_UP_DELAY_S)
        from models import loader  # imported here: the loader imports this module

        try:
            loader.import_libraries()
        except Exception as error:  # noqa: BLE001 - the first request imports them and reports any problem
            turn_off("warm_up", error)
            return
        run(IMPORTED)
        log.info(IMPORTED_MESSAGE)

    threading.Thread(target=imports, name="warm-up", daemon=True).start()


def _freeze(_: Any) -> None:
    """Take every object alive now (a model just loaded, Gradio's own) out of the collector's scans: the full
    collections a handler's many short-lived objects set off would walk them all. Refcounting still frees them."""
    gc.collect()  # garbage left over from loading is freed first, not frozen
    gc.freeze()


def _unfreeze(_: None) -> None:
    """Models were let go: a reference cycle in one is freed now; the next load freezes what is still alive."""
    gc.unfreeze()
    gc.collect()


def _quantize(entry: Any) -> None:
    """int8 on torch, where the engine will not run the model: the engine quantises its own copy instead,
    and the torch model the look-inside views use keeps its float32 weights (and its gradients)."""
    if _on_cpu(entry) and entry.spec.task in cpu_kernels.ENCODER_TASKS and not _engine_will_run(entry):
        cpu_kernels.quantize_linear_layers(entry.runner.model)


def _engine_will_run(entry: Any) -> bool:
    return is_on("engine") and engine.wanted(entry.spec.task) and engine.missing_library() is None


def _engine_in_background(entry: Any) -> None:
    """Put an encoder's plain calls on ONNX Runtime once its exported model is ready (models/engine.py); the
    click that loaded it answers on torch meanwhile."""
    if _on_cpu(entry) and engine.wanted(entry.spec.task):
        engine.prepare_in_background(entry)


# A model whose dense layers hold more than this (the large GPT-2) is packed in a background thread once
# it is cached, and answers on torch's layers until then: its first click need not wait for the packing.
PACK_IN_BACKGROUND_BYTES = 1_500_000_000


def _pack_now_or_later(entry: Any) -> None:
    """Pack a small model's layers now; leave a large one's layers_final unset, to pack once it is cached."""
    if not (_on_cpu(entry) and cpu_kernels.wanted(entry.spec.task)):
        return
    if cpu_kernels.dense_bytes(entry.runner.model) > PACK_IN_BACKGROUND_BYTES:
        entry.layers_final.clear()
    else:  # after quantisation: quantised layers stay as they are
        entry.onednn_layers = cpu_kernels.use_faster_kernels(entry.runner.model)
        log.info("%s: %d dense layers on oneDNN's kernels (%s)", entry.spec.key, entry.onednn_layers,
                 cpu_kernels.ONEDNN_ENV)


def _pack_in_background(entry: Any) -> None:
    """Pack the entry's layers beside the requests it serves, then swap them in between two requests.

    Packing only reads the model; the swap waits for the model's lock, so no request (nor a streamed
    generation, which holds the lock to its end) runs while its layers change.
    """
    if entry.layers_final.is_set():
        return
    model = entry.runner.model

    def pack() -> None:
        try:
            replacements = cpu_kernels.packed_layers(model)
            with entry.lock:
                if not entry.unloaded.is_set():  # an entry let go meanwhile is not worth finishing
                    entry.onednn_layers = cpu_kernels.install(model, replacements)
                    log.info("%s: %d dense layers on oneDNN's kernels, packed in the background (%s)",
                             entry.spec.key, entry.onednn_layers, cpu_kernels.ONEDNN_ENV)
        except Exception as error:  # noqa: BLE001 - the model keeps answering on torch's layers
            turn_off("onednn", error)
        finally:
            entry.layers_final.set()

    threading.Thread(target=pack, name=f"pack-{entry.spec.key}", daemon=True).start()


TORCH_KERNELS, ONEDNN_KERNELS, PACKING_FOR_ONEDNN = "torch", "oneDNN", "packing"


def kernels(entry: Any) -> str:
    """What a loaded model's dense layers run on: ONEDNN_KERNELS, PACKING_FOR_ONEDNN (on torch's until the
    background packing swaps them in) or TORCH_KERNELS. The status tab shows it, the benchmark waits on it."""
    if not entry.layers_final.is_set():
        return PACKING_FOR_ONEDNN
    return ONEDNN_KERNELS if entry.onednn_layers else TORCH_KERNELS


# One pair of tables per distinct vocabulary, kept for the server's life (an unloaded model's tokenizer may return).
_vocabularies: dict[int, tuple[dict, dict]] = {}
_vocabularies_guard = threading.Lock()


def _share_vocabulary(entry: Any) -> None:
    """Point a WordPiece tokenizer at the tables of an earlier one equal entry for entry, so every token keeps
    its id (the chapter's BERT models share one base model). Tokenizers only read these tables, so threads
    can share them; the MeCab tagger, not thread-safe, stays one per tokenizer."""
    tokenizer = entry.tokenizer
    vocab = getattr(tokenizer, "vocab", None)
    ids_to_tokens = getattr(tokenizer, "ids_to_tokens", None)
    wordpiece = getattr(tokenizer, "subword_tokenizer", None)
    if not (isinstance(vocab, dict) and isinstance(ids_to_tokens, dict) and getattr(wordpiece, "vocab", None) is vocab):
        return  # not laid out like BertJapaneseTokenizer (a fast or SentencePiece tokenizer): nothing to share
    fingerprint = hash(tuple(vocab.items()))
    with _vocabularies_guard:
        known = _vocabularies.setdefault(fingerprint, (vocab, ids_to_tokens))
    if known[0] is vocab or known[0] != vocab or known[1] != ids_to_tokens:
        return
    tokenizer.vocab = wordpiece.vocab = known[0]
    tokenizer.ids_to_tokens = known[1]


TUNINGS: tuple[Tuning, ...] = (
    Tuning("warm_up", "JNLP_WARM_UP", lambda s: s.warm_up, {LAUNCH: _warm_up}, ("cold_tabs",)),
    # Before the first forward pass, and before int8's and onednn's hooks copy the weights.
    Tuning("keep_freed_memory", "JNLP_KEEP_FREED_MEMORY", lambda s: s.keep_freed_memory,
           {BUILT: lambda entry: _on_cpu(entry) and allocator.keep_freed_memory()}, ()),
    Tuning("int8", cpu_kernels.QUANTIZE_ENV, lambda s: s.quantize == "int8", {BUILT: _quantize}, ("quantization",)),
    Tuning("gc_freeze", "JNLP_GC_FREEZE", lambda s: s.gc_freeze,
           {IMPORTED: _freeze, CACHED: _freeze, EVICTED: _unfreeze}, ("tokenizer",)),
    Tuning("engine", engine.ENGINE_ENV, lambda s: s.engine == engine.ONNXRUNTIME, {CACHED: _engine_in_background},
           ("engines",)),
    Tuning("onednn", cpu_kernels.ONEDNN_ENV, lambda s: s.onednn != "0",
           {BUILT: _pack_now_or_later, CACHED: _pack_in_background}, ("kernels", "cold_tabs")),
    Tuning("shared_vocabulary", "JNLP_SHARED_VOCABULARY", lambda s: s.shared_vocabulary,
           {BUILT: _share_vocabulary}, ()),
    Tuning("openmp_release", "JNLP_OPENMP_RELEASE", lambda s: s.openmp_release,
           {CALL_ENDED: lambda _: openmp.release_thread_team()}, ()),
)
