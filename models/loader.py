"""Lazy, thread-safe loading of the registry's models.

A model is loaded on its first request, exactly once even when several requests
arrive together (one lock per key), and then reused. A failed load is not
remembered, so the next request tries again: the operator may have fixed the
network or the folder in between. The same code loads Hub ids for real users
and local folders for tests.

An operator on a small machine can cap the memory the loaded models take
together (``JNLP_MAX_MODEL_MEMORY``, e.g. ``4GB``): before a model loads, the
least recently used ones are unloaded until it fits, and they load again on
their next request. Unset, nothing is ever unloaded.
"""

from __future__ import annotations

import gc
import logging
import os
import threading
import time
from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from models import allocator, cpu_kernels, hub, openmp, settings
from models.registry import ModelSpec, get_spec

log = logging.getLogger(__name__)

# A tokenizer that does not know its limit reports a huge placeholder
# (transformers' VERY_LARGE_INTEGER); anything above this is treated as unknown.
_UNKNOWN_LIMIT = 1_000_000
_FALLBACK_LIMIT = 512

MEMORY_CAP_ENV = "JNLP_MAX_MODEL_MEMORY"
# Seconds between launch and importing torch and transformers in the background (warm_up_in_background).
WARM_UP_DELAY_S = 2.0
_WEIGHT_SUFFIXES = (".safetensors", ".bin", ".pt", ".pth")


NOT_DOWNLOADED = hub.LoadProblem(
    "Hub に接続できず、まだダウンロードもされていません",
    "the Hub cannot be reached and it is not downloaded yet",
    "ネットワークにつないでもう一度押すか、オンラインのときに python -m models.prefetch を実行して"
    " HF_HUB_OFFLINE=1 で起動してください（{env} でフォルダも指定できます）。",
    "Connect and press again, or run python -m models.prefetch while online and start with HF_HUB_OFFLINE=1"
    " (or set {env} to a folder).",
)
FOLDER_MISSING = hub.LoadProblem(
    "フォルダが見つかりません", "folder not found",
    "{env} に正しいフォルダを指定してください。", "Set {env} to an existing folder.",
)
UNREADABLE = hub.LoadProblem(
    "ファイルを読み込めませんでした（詳しくはサーバーのログ）", "its files could not be read (details in the server log)",
    "もう一度押すか、{env} の指すモデルを確かめてください。", "Press again, or check the model {env} names.",
)


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
    # Gradio runs different events in parallel threads; a tokenizer's MeCab
    # tagger is not thread-safe, so calls into one model are serialised.
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    memory_bytes: int = 0  # weights and buffers; 0 for a tokenizer alone
    # Set once the model runs on its final layers: at once, or when packing in the background ends
    # (left unset by _build for a model that _load is to pack in the background).
    layers_final: threading.Event = field(default_factory=_set_event, repr=False)
    onednn_layers: int = 0  # dense layers running on oneDNN's packed kernels (models/cpu_kernels.py)

    @property
    def tokenizer(self) -> Any:
        return self.runner.tokenizer


# Loaded entries in least-recently-used order (the oldest first); _order_guard
# protects the order and the eviction, the per-key locks protect the loading.
_entries: OrderedDict[str, LoadedModel] = OrderedDict()
_order_guard = threading.Lock()
# One load at a time, whatever the key: transformers 5's from_pretrained swaps
# process-wide functions (PreTrainedModel.tie_weights, torch.linspace) for
# placeholders while it builds a model, and two loads at once can leave the
# placeholders in place for good (every later T5/GPT-2 then fails); the first
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


def input_limit(tokenizer: Any, config: Any) -> int:
    """How many tokens the model accepts; also fixes a tokenizer that does not know it.

    Some tokenizer configs lack ``model_max_length`` (or state more than the
    model has positions for); the pipelines would then not truncate and a long
    text would overflow BERT's position embeddings. The smaller known limit wins.
    """
    known = [
        value
        for value in (
            getattr(tokenizer, "model_max_length", None),
            getattr(config, "max_position_embeddings", None),
            getattr(config, "n_positions", None),
        )
        if isinstance(value, int) and 0 < value <= _UNKNOWN_LIMIT
    ]
    limit = min(known) if known else _FALLBACK_LIMIT
    tokenizer.model_max_length = limit
    return limit


def memory_cap() -> int | None:
    """The operator's cap on the loaded models' memory in bytes (JNLP_MAX_MODEL_MEMORY), or None for no cap."""
    return settings.current().max_model_memory


def _model_bytes(model: Any) -> int:
    tensors = [*model.parameters(), *model.buffers()]
    return sum(t.numel() * t.element_size() for t in tensors)


def _expected_bytes(model_id: str) -> int:
    """A guess at a model's size before loading it: its weight files, when they are on disk.

    A Hub id that is not downloaded yet gives 0; the cap is then enforced right after
    the load, with the measured size.
    """
    folder = os.path.expanduser(model_id)
    if not os.path.isdir(folder):
        folder = hub.cached_snapshot(model_id)
        if folder is None:  # not in the local cache (or not a Hub id): unknown
            return 0
    names = os.listdir(folder)
    # transformers prefers safetensors when a repo has both formats: count what it will read.
    chosen = [n for n in names if n.endswith(".safetensors")] or [n for n in names if n.endswith(_WEIGHT_SUFFIXES)]
    return sum(os.path.getsize(os.path.join(folder, name)) for name in chosen)


def _make_room(incoming_key: str, incoming_bytes: int) -> None:
    """Unload least recently used models until the incoming one fits under the cap.

    A model larger than the cap by itself still loads (alone): a slow tab beats a
    broken one. An unloaded model that a request is still running keeps working
    (the request holds it); its memory is freed when that request ends.
    """
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
            held -= _entries.pop(oldest).memory_bytes
            evicted.append(oldest)
    if evicted:
        log.info("unloaded %s to stay under %s=%d bytes", ", ".join(evicted), MEMORY_CAP_ENV, cap)
        _unsettle()


# The vocabulary tables of the WordPiece tokenizers loaded so far, by content (see _share_vocabulary):
# one pair per distinct vocabulary, kept for the server's life (an unloaded model's tokenizer may return).
_vocabularies: dict[int, tuple[dict, dict]] = {}
_vocabularies_guard = threading.Lock()


def _share_vocabulary(tokenizer: Any) -> None:
    """Point a WordPiece tokenizer at the tables of an earlier one that has the very same vocabulary.

    The chapter's task models, SimCSE and the contextual model are all fine-tuned from one base
    model and read the same 32,768-token vocabulary, yet each tokenizer builds its own token → id
    and id → token tables: about 9 MB each, some 60 MB with every tab loaded (the tokenizer tab
    loads its own). Tokenizers only read these tables, so any number of threads can share them;
    what is not thread-safe, the MeCab tagger, stays one per tokenizer. Only tables equal entry
    for entry are shared, so every token gets the id it had.
    """
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


def warm_up_in_background(delay_s: float = WARM_UP_DELAY_S) -> threading.Thread:
    """Import torch and transformers in a background thread, `delay_s` seconds from now.

    The page comes up without them (their imports take about 3 s on 2 cores), and without this
    the first click on any model tab would pay for them. Started as the server launches, they are
    in while a student is still reading the page, and that first click only loads its model. A
    click that comes sooner waits for the import it would otherwise make itself, not longer. The
    delay lets the server answer its first page before the imports compete for the cores.
    """

    def warm_up() -> None:
        time.sleep(delay_s)
        try:
            with _build_guard:  # two threads importing transformers' pipelines at once can fail (see above)
                import torch  # noqa: F401
                from transformers import AutoModelForSeq2SeqLM, AutoTokenizer, pipeline  # noqa: F401
        except Exception:  # noqa: BLE001 - the first request imports them and reports any problem
            log.warning("could not import torch and transformers ahead of the first request", exc_info=True)
            return
        _settle()
        log.info("torch and transformers are imported: the first request will only load its model")

    thread = threading.Thread(target=warm_up, name="warm-up", daemon=True)
    thread.start()
    return thread


def _settle() -> None:
    """Take every object alive now (a model just loaded, Gradio's own) out of the collector's scans.

    Loaded models and tokenizers live as long as the server, hundreds of thousands of Python
    objects, and Python's cyclic garbage collector walks all of them on each full collection. A
    handler that makes many short-lived objects (the tokenizer tab's table of 30,000 tokens) sets
    off several full collections: they were half of that handler's time (370 → 190 ms on 10,000
    characters). gc.freeze() moves the objects alive now to a generation the collector skips;
    reference counting still frees them as usual, and an unload unfreezes (see _make_room).
    """
    gc.collect()  # garbage left over from loading is freed first, not frozen
    gc.freeze()


def _unsettle() -> None:
    """After models are let go: what _settle froze is collectable again, so a reference cycle in an
    unloaded model is freed now; the next load freezes what is still alive."""
    gc.unfreeze()
    gc.collect()


def _looks_like_path(model_id: str) -> bool:
    return os.path.isabs(model_id) or model_id.startswith(("./", "../", "~", ".\\"))


def looks_like_folder(model_id: str) -> bool:
    """Whether a model id names a local folder: an existing one, or one written as a path (then missing)."""
    return os.path.isdir(os.path.expanduser(model_id)) or _looks_like_path(model_id)


def _build_tokenizer(spec: ModelSpec, model_id: str) -> LoadedModel:
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(model_id)
    return LoadedModel(spec, model_id, TokenizerOnly(tokenizer), input_limit(tokenizer, None))


def _build(spec: ModelSpec, model_id: str) -> LoadedModel:
    device = pick_device()
    if device.type == "cpu":
        allocator.keep_freed_memory()  # before the first forward pass: see models/allocator.py
    if spec.task == "summarization":
        from transformers import AutoModelForSeq2SeqLM, AutoTokenizer

        tokenizer = AutoTokenizer.from_pretrained(model_id)
        model = AutoModelForSeq2SeqLM.from_pretrained(model_id).to(device).eval()
        runner: Any = Seq2SeqModel(tokenizer, model, device)
    else:
        from transformers import pipeline

        runner = pipeline(task=spec.task, model=model_id, device=device, **spec.pipeline_kwargs)
        model = runner.model
    memory = _model_bytes(model)  # measured before quantisation: a safe overestimate for the cap
    if quantize_int8() and device.type == "cpu" and spec.task in QUANTIZABLE_TASKS:
        _quantize_linear_layers(model)
    pending, swapped = False, 0
    if device.type == "cpu" and cpu_kernels.wanted(spec.task):
        if cpu_kernels.dense_bytes(model) > PACK_IN_BACKGROUND_BYTES:
            pending = True  # packed once the model is ready (_load): its first click need not wait
        else:
            swapped = cpu_kernels.use_faster_kernels(model)  # after quantisation: quantised layers stay
            log.info("%s: %d dense layers on oneDNN's kernels (%s)", spec.key, swapped, cpu_kernels.ONEDNN_ENV)
    entry = LoadedModel(spec, model_id, runner, input_limit(runner.tokenizer, model.config), memory_bytes=memory,
                        onednn_layers=swapped)
    if pending:
        entry.layers_final.clear()
    return entry


# A model whose dense layers hold more than this is packed for oneDNN (models/cpu_kernels.py) in a
# background thread after it loads, and runs on torch's layers until then. Packing the large GPT-2's
# 3 GB took 3-7 s here, which its first click would otherwise wait; a BERT model or T5 packs in
# under 0.5 s, at once.
PACK_IN_BACKGROUND_BYTES = 1_500_000_000


def _pack_in_background(cache_key: str, entry: LoadedModel) -> threading.Thread:
    """Pack the entry's dense layers beside the requests it serves, then swap them in between two requests.

    Packing only reads the model; the swap waits for the model's lock, so no request (nor a
    streamed generation, which holds the lock to its end) runs while its layers change.
    """
    model = entry.runner.model

    def pack() -> None:
        try:
            replacements = cpu_kernels.packed_layers(model)
            with entry.lock:
                with _order_guard:
                    still_loaded = _entries.get(cache_key) is entry
                if still_loaded:  # an entry evicted meanwhile is not worth finishing
                    swapped = entry.onednn_layers = cpu_kernels.install(model, replacements)
                    log.info("%s: %d dense layers on oneDNN's kernels, packed in the background (%s)",
                             cache_key, swapped, cpu_kernels.ONEDNN_ENV)
        except Exception:  # noqa: BLE001 - the model keeps answering on torch's layers
            log.warning("could not pack %s's layers for oneDNN; it stays on torch's", cache_key, exc_info=True)
        finally:
            entry.layers_final.set()

    thread = threading.Thread(target=pack, name=f"pack-{cache_key}", daemon=True)
    thread.start()
    return thread


QUANTIZE_ENV = "JNLP_QUANTIZE"
# The BERT encoders: their time goes into Linear layers, and their outputs are a label or a vector.
QUANTIZABLE_TASKS = cpu_kernels.ENCODER_TASKS


def quantize_int8() -> bool:
    """Whether the operator asked for int8 dynamic quantisation on the CPU (JNLP_QUANTIZE=int8; off by default)."""
    return settings.current().quantize == "int8"


def _quantize_linear_layers(model: Any) -> None:
    """Replace the model's Linear layers by int8 dynamically quantised ones, in place.

    About twice as fast on a CPU; scores move slightly (the labels agree on the
    app's examples, see the tests), so it is the operator's choice, off by default.
    """
    import warnings

    import torch
    from torch.ao.quantization import quantize_dynamic

    with warnings.catch_warnings():
        # torch deprecates these quantised kernels in favour of torchao, which this app does not pin.
        warnings.simplefilter("ignore")
        quantize_dynamic(model, {torch.nn.Linear}, dtype=torch.qint8, inplace=True)


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
        if _looks_like_path(model_id) and not os.path.isdir(os.path.expanduser(model_id)):
            raise ModelLoadError(spec, model_id, FOLDER_MISSING)
        source = _source(spec, model_id, weights=build is not _build_tokenizer)
        if build is not _build_tokenizer:
            _make_room(cache_key, _expected_bytes(source))
        log.info("loading %s from %s", cache_key, model_id)
        try:
            with _build_guard:
                entry = build(spec, source)
        except Exception as exc:  # any failure becomes a readable message in its own tab
            log.warning("could not load %s from %s", cache_key, source, exc_info=True)
            raise ModelLoadError(spec, model_id, UNREADABLE) from exc
        entry.model_id = model_id  # what the registry names, even when it was read from the local cache
        _share_vocabulary(entry.tokenizer)
        # The guess may have been off (or 0 for a model not downloaded yet): check again, measured.
        _make_room(cache_key, entry.memory_bytes)
        with _order_guard:
            _entries[cache_key] = entry
        _settle()
        if not entry.layers_final.is_set():
            _pack_in_background(cache_key, entry)
        return entry


def _source(spec: ModelSpec, model_id: str, weights: bool) -> str:
    """Where to read a model from: its folder, or its Hub id, or its copy in the local cache when the
    Hub cannot be reached (models/hub.py). A Hub id neither reachable nor downloaded fails at once,
    where the Hub's client would retry for most of a minute."""
    if looks_like_folder(model_id) or (not hub.offline_mode() and hub.reachable()):
        return model_id
    folder = hub.cached_snapshot(model_id)
    if folder is None or (weights and not _has_weights(folder)):
        raise ModelLoadError(spec, model_id, NOT_DOWNLOADED)
    return folder


def _has_weights(folder: str) -> bool:
    return any(name.endswith(_WEIGHT_SUFFIXES) for name in os.listdir(folder))


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
    """Load a model if needed and hold its lock while the caller runs it.

    When the call ends, this thread's OpenMP helper threads are let go (models/openmp.py): Gradio
    may run the next request on another thread, and two threads keeping teams slow both down.
    """
    try:
        entry = load(key)
        with entry.lock:
            yield entry
    finally:
        openmp.release_thread_team()


def loaded_keys() -> list[str]:
    """Keys whose models are in memory now."""
    with _order_guard:
        return sorted(_entries)


def loaded_memory() -> dict[str, int]:
    """Bytes of weights held by each loaded entry, least recently used first."""
    with _order_guard:
        return {key: entry.memory_bytes for key, entry in _entries.items()}


def unload_all() -> None:
    """Forget every loaded model (they load again on the next request)."""
    with _order_guard:
        _entries.clear()
    _unsettle()


def count_tokens(entry: LoadedModel, text: str, text_pair: str | None = None) -> int:
    """Tokens the model would see for this input (special tokens included), before truncation."""
    encoded = entry.tokenizer(text, text_pair) if text_pair is not None else entry.tokenizer(text)
    return len(encoded["input_ids"])


# exceeds_limit reads this many characters per token of the limit before counting a whole long input.
HEAD_CHARACTERS_PER_TOKEN_LIMIT = 8


def exceeds_limit(entry: LoadedModel, text: str, text_pair: str | None = None) -> bool:
    """Whether the model would cut this input (more tokens than it accepts).

    Counting means tokenizing the text a second time (the pipeline already did
    once), so a cheap bound answers first: no tokenizer here makes more tokens
    than twice the UTF-8 bytes of the normalised, lower-cased text (WordPiece
    makes at most one per character, SentencePiece one per byte plus a word
    marker), plus a few special tokens. Only inputs near the limit are counted in full.
    """
    import unicodedata

    pieces = [text] if text_pair is None else [text, text_pair]
    bound = sum(2 * len(unicodedata.normalize("NFKC", piece).lower().encode("utf-8")) for piece in pieces) + 8
    if bound <= entry.max_length:
        return False
    # Far over the limit (a pasted article: 100,000 characters took 0.2 s to count), the start
    # decides: if the first few thousand characters already make twice the limit in tokens, the
    # whole input makes more than the limit (cutting inside a word changes the count only there).
    head = HEAD_CHARACTERS_PER_TOKEN_LIMIT * entry.max_length
    if any(len(piece) > head for piece in pieces):
        start = count_tokens(entry, text[:head], None if text_pair is None else text_pair[:head])
        if start > 2 * entry.max_length:
            return True
    return count_tokens(entry, text, text_pair) > entry.max_length


# What loaded_kernels says of a model's dense layers.
TORCH_KERNELS, ONEDNN_KERNELS, PACKING_FOR_ONEDNN = "torch", "oneDNN", "packing"


def loaded_kernels() -> dict[str, str]:
    """Which kernels each loaded model's dense layers run on, by cache key (tokenizers alone left out):
    ONEDNN_KERNELS, PACKING_FOR_ONEDNN (on torch's until the background packing swaps them), or TORCH_KERNELS.

    Read-only, like loaded_devices: the status tab shows it, and the benchmark waits on it.
    """
    with _order_guard:
        entries = {key: entry for key, entry in _entries.items() if not isinstance(entry.runner, TokenizerOnly)}
    return {key: PACKING_FOR_ONEDNN if not entry.layers_final.is_set()
            else ONEDNN_KERNELS if entry.onednn_layers else TORCH_KERNELS
            for key, entry in entries.items()}


def loaded_devices() -> dict[str, str | None]:
    """The device each loaded entry runs on ("cpu", "cuda:0"), by cache key; None for a tokenizer alone.

    Read-only (the status tab shows it): it loads nothing and waits for no load.
    """
    with _order_guard:
        runners = {key: entry.runner for key, entry in _entries.items()}
    devices: dict[str, str | None] = {}
    for key, runner in runners.items():
        device = None if isinstance(runner, TokenizerOnly) else getattr(runner, "device", None)
        devices[key] = None if device is None else str(device)
    return devices
