"""Lazy, thread-safe loading of the registry's models: load, cache, cap the memory, evict, report.

A model is loaded on its first request, exactly once even when several requests arrive together
(one lock per key), and then reused. A failed load is not remembered, so the next request tries
again: the operator may have fixed the network or the folder in between. ``JNLP_MAX_MODEL_MEMORY``
(e.g. ``4GB``) caps the memory the loaded models take together: before a model loads, the least
recently used ones are unloaded until it fits (they load again on their next request), and again when a
loaded BERT model gains its ONNX Runtime copy (models/engine.py: both copies count); unset, nothing
is unloaded. Speed tunings are not loader code: their hooks run at a few fixed points (models/tunings.py).
"""

from __future__ import annotations

import logging
import os
import threading
from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from models import hub, settings, token_counts, tunings
from models.hub import FOLDER_MISSING, NOT_DOWNLOADED, UNREADABLE
from models.registry import ModelSpec, get_spec

log = logging.getLogger(__name__)
MEMORY_CAP_ENV = "JNLP_MAX_MODEL_MEMORY"


class ModelLoadError(hub.LoadError):
    """A model could not be loaded (hub.LoadError says how the message reads)."""

    title = "モデルを読み込めません / Model unavailable"

    def __init__(self, spec: ModelSpec, model_id: str, problem: hub.LoadProblem):
        self.model_id = model_id
        super().__init__(spec, problem)

    def named(self) -> tuple[str, str]:
        return f"モデル「{self.model_id}」({self.spec.key}) ", f"the model '{self.model_id}' ({self.spec.key})"


@dataclass
class Seq2SeqModel:
    """A tokenizer and a seq2seq model, called with generate() (no pipeline in transformers 5)."""

    tokenizer: Any
    model: Any
    device: Any


@dataclass
class TokenizerOnly:
    """Just a model's tokenizer: the tokenizer tab never loads weights."""

    tokenizer: Any


def _set_event() -> threading.Event:
    event = threading.Event()
    event.set()
    return event


@dataclass
class LoadedModel:
    """A loaded model and what the demos need to call it safely."""

    spec: ModelSpec
    model_id: str
    runner: Any  # a transformers Pipeline, a Seq2SeqModel or a TokenizerOnly
    max_length: int  # tokens the model accepts, special tokens included
    # Calls into one model are serialised: Gradio runs events in parallel threads, and MeCab is not thread-safe.
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    memory_bytes: int = 0  # weights and buffers; 0 for a tokenizer alone
    # Set once the model runs on its final layers (the onednn tuning packs a large model's in the background).
    layers_final: threading.Event = field(default_factory=_set_event, repr=False)
    onednn_layers: int = 0  # dense layers running on oneDNN's packed kernels (models/cpu_kernels.py)
    # What an encoder's plain calls run on (models/engine.py): torch, building, onnxruntime or failed; its
    # engine_ready is set once that is settled, and engine_bytes (in memory_bytes too) is the engine's copy.
    engine: str = "torch"
    engine_ready: threading.Event = field(default_factory=_set_event, repr=False)
    engine_bytes: int = 0
    unloaded: threading.Event = field(default_factory=threading.Event, repr=False)  # set when the loader drops it

    @property
    def tokenizer(self) -> Any:
        return self.runner.tokenizer


# Loaded entries, least recently used first; _order_guard guards order and eviction, per-key locks the loading.
_entries: OrderedDict[str, LoadedModel] = OrderedDict()
_order_guard = threading.Lock()
# One load at a time, whatever the key: transformers 5's from_pretrained swaps process-wide functions
# (PreTrainedModel.tie_weights, torch.linspace) for placeholders while it builds a model, and two loads at
# once can leave them in place for good (every later T5/GPT-2 then fails); the first
# `from transformers import pipeline` in two threads at once can fail too.
_build_guard = threading.Lock()
_key_locks: dict[str, threading.Lock] = {}
_key_locks_guard = threading.Lock()


def _lock_for(key: str) -> threading.Lock:
    with _key_locks_guard:
        return _key_locks.setdefault(key, threading.Lock())


def pick_device() -> Any:
    """The first GPU when there is one, else the CPU (always passed explicitly to transformers)."""
    import torch

    return torch.device("cuda:0") if torch.cuda.is_available() else torch.device("cpu")


def memory_cap() -> int | None:
    """The operator's cap on the loaded models' memory in bytes (JNLP_MAX_MODEL_MEMORY), or None for no cap."""
    return settings.current().max_model_memory


def make_room_for(entry: LoadedModel) -> None:
    """An entry grew after it was cached (its engine's copy of the weights, models/engine.py): unload least
    recently used models until the models fit under the cap again."""
    _make_room(entry.spec.key, entry.memory_bytes)


def _forget(key: str) -> LoadedModel:
    """Drop a cached entry (the caller holds _order_guard) and tell it so."""
    entry = _entries.pop(key)
    entry.unloaded.set()
    return entry


def _make_room(incoming_key: str, incoming_bytes: int) -> None:
    """Unload least recently used models until the incoming one fits under the cap. A model larger than the
    cap still loads (alone): a slow tab beats a broken one. An unloaded model still running a request keeps
    working; its memory is freed when that request ends."""
    cap = memory_cap()
    if cap is None:
        return
    evicted = []
    with _order_guard:
        others = [key for key in _entries if key != incoming_key and _entries[key].memory_bytes > 0]
        held = sum(_entries[key].memory_bytes for key in others)
        for oldest in others:  # least recently used first
            if held + incoming_bytes <= cap:
                break
            held -= _forget(oldest).memory_bytes
            evicted.append(oldest)
    if evicted:
        log.info("unloaded %s to stay under %s=%d bytes", ", ".join(evicted), MEMORY_CAP_ENV, cap)
        tunings.run(tunings.EVICTED)


@contextmanager
def one_import_at_a_time() -> Iterator[None]:
    """While another thread imports torch (the warm-up) or loads a model: wait for it. A library that looks
    at torch while importing (scipy, under gensim) failed on a torch half imported in the other thread."""
    with _build_guard:
        yield


def import_libraries() -> None:
    """Import torch and transformers' loading functions, one import or load at a time (see _build_guard)."""
    with _build_guard:
        import torch
        import transformers

        torch.nn, transformers.pipeline, transformers.AutoTokenizer, transformers.AutoModelForSeq2SeqLM  # noqa: B018


def _build_tokenizer(spec: ModelSpec, model_id: str) -> LoadedModel:
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(model_id)
    return LoadedModel(spec, model_id, TokenizerOnly(tokenizer), token_counts.input_limit(tokenizer, None))


def _build(spec: ModelSpec, model_id: str) -> LoadedModel:
    device = pick_device()
    if spec.task == "summarization":
        from transformers import AutoModelForSeq2SeqLM, AutoTokenizer

        tokenizer = AutoTokenizer.from_pretrained(model_id)
        model = AutoModelForSeq2SeqLM.from_pretrained(model_id).to(device).eval()
        runner: Any = Seq2SeqModel(tokenizer, model, device)
    else:
        from transformers import pipeline

        runner = pipeline(task=spec.task, model=model_id, device=device, **spec.pipeline_kwargs)
        model = runner.model
    # Measured before any tuning changes the layers (int8 makes them smaller): a safe overestimate for the cap.
    memory = sum(t.numel() * t.element_size() for t in [*model.parameters(), *model.buffers()])
    limit = token_counts.input_limit(runner.tokenizer, model.config)
    return LoadedModel(spec, model_id, runner, limit, memory_bytes=memory)


def _load(key: str, cache_key: str, build: Any) -> LoadedModel:
    spec = get_spec(key)
    model_id = spec.resolve_id()
    entry = _recently_used(cache_key, model_id)
    if entry is not None:
        return entry
    with _lock_for(cache_key):
        entry = _recently_used(cache_key, model_id)
        if entry is not None:
            return entry
        if hub.looks_like_folder(model_id) and not os.path.isdir(os.path.expanduser(model_id)):
            raise ModelLoadError(spec, model_id, FOLDER_MISSING)
        weights = build is not _build_tokenizer
        source = hub.source(model_id, weights)
        if source is None:
            raise ModelLoadError(spec, model_id, NOT_DOWNLOADED)
        if weights:
            _make_room(cache_key, hub.weight_bytes(source))
        log.info("loading %s from %s", cache_key, model_id)
        try:
            with _build_guard:
                entry = build(spec, source)
                tunings.run(tunings.BUILT, entry)
        except Exception as exc:  # any failure becomes a readable message in its own tab
            log.warning("could not load %s from %s", cache_key, source, exc_info=True)
            raise ModelLoadError(spec, model_id, UNREADABLE) from exc
        entry.model_id = model_id  # what the registry names, even when it was read from the local cache
        # The guess may have been off (or 0 for a model not downloaded yet): check again, measured.
        _make_room(cache_key, entry.memory_bytes)
        with _order_guard:
            if cache_key in _entries:  # another model id for this key: replaced
                _forget(cache_key)
            _entries[cache_key] = entry
        tunings.run(tunings.CACHED, entry)
        return entry


def _recently_used(cache_key: str, model_id: str) -> LoadedModel | None:
    """The loaded entry for this key and id, marked as the most recently used; None if not loaded."""
    with _order_guard:
        entry = _entries.get(cache_key)
        if entry is None or entry.model_id != model_id:
            return None
        _entries.move_to_end(cache_key)
        return entry


def load(key: str) -> LoadedModel:
    """The loaded model for a registry key, loading it on first use."""
    return _load(key, key, lambda spec, model_id: _build(spec, model_id))


def tokenizer_cache_key(key: str) -> str:
    """The entry a tokenizer loaded alone is kept under (beside the model's own entry, under ``key``)."""
    return f"{key}:tokenizer"


def load_tokenizer(key: str) -> LoadedModel:
    """Only the tokenizer of a registry key's model (no weights), loaded on first use."""
    return _load(key, tokenizer_cache_key(key), _build_tokenizer)


@contextmanager
def using_tokenizer(key: str) -> Iterator[Any]:
    """A key's tokenizer, held under its own lock (MeCab taggers are not thread-safe)."""
    entry = load_tokenizer(key)
    with entry.lock:
        yield entry


@contextmanager
def using(key: str) -> Iterator[LoadedModel]:
    """Load a model if needed and hold its lock while the caller runs it; CALL_ENDED's hooks run after it."""
    entry = None
    try:
        entry = load(key)
        with entry.lock:
            yield entry
    finally:
        tunings.run(tunings.CALL_ENDED, entry)


def loaded_entries() -> dict[str, LoadedModel]:
    """The loaded entries by cache key, least recently used first: a snapshot to read (it loads nothing)."""
    with _order_guard:
        return dict(_entries)


def loaded_keys() -> list[str]:
    """Keys whose models are in memory now."""
    return sorted(loaded_entries())


def loaded_memory() -> dict[str, int]:
    """Bytes of weights held by each loaded entry, least recently used first."""
    return {key: entry.memory_bytes for key, entry in loaded_entries().items()}


def loaded_devices() -> dict[str, str | None]:
    """The device each loaded entry runs on ("cpu", "cuda:0"), by cache key; None for a tokenizer alone."""
    devices = {key: getattr(entry.runner, "device", None) for key, entry in loaded_entries().items()}
    return {key: None if device is None else str(device) for key, device in devices.items()}


def unload_all() -> None:
    """Forget every loaded model (they load again on the next request)."""
    with _order_guard:
        for key in list(_entries):
            _forget(key)
    tunings.run(tunings.EVICTED)
