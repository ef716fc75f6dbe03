"""Lazy, thread-safe loading of the registry's models.

A model is loaded on its first request, exactly once even when several requests
arrive together (one lock per key), and then reused. A failed load is not
remembered, so the next request tries again: the operator may have fixed the
network or the folder in between. The same code loads Hub ids for real users
and local folders for tests.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from models.registry import ModelSpec, get_spec

log = logging.getLogger(__name__)

# A tokenizer that does not know its limit reports a huge placeholder
# (transformers' VERY_LARGE_INTEGER); anything above this is treated as unknown.
_UNKNOWN_LIMIT = 1_000_000
_FALLBACK_LIMIT = 512


class ModelLoadError(RuntimeError):
    """A model could not be loaded; the message says which, why and what to do."""

    def __init__(self, spec: ModelSpec, model_id: str, reason: str):
        self.spec = spec
        self.model_id = model_id
        self.reason = reason
        super().__init__(self.message())

    def message(self) -> str:
        return (
            f"モデル「{self.model_id}」({self.spec.key}) を読み込めませんでした。理由: {self.reason}。"
            f" ネットワークに接続してもう一度試すか、環境変数 {self.spec.env_var} に"
            f"ローカルのコピー（フォルダ）を指定してください。"
            f" / Could not load the model '{self.model_id}' ({self.spec.key}). Reason: {self.reason}."
            f" Connect to the network and try again, or set {self.spec.env_var} to a local copy (a folder)."
        )


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

    @property
    def tokenizer(self) -> Any:
        return self.runner.tokenizer


_entries: dict[str, LoadedModel] = {}
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


def _looks_like_path(model_id: str) -> bool:
    return os.path.isabs(model_id) or model_id.startswith(("./", "../", "~", ".\\"))


def _reason(exc: BaseException) -> str:
    """A one-line reason fit for a student, without a stack trace."""
    text = " ".join(str(exc).split()) or type(exc).__name__
    if len(text) > 240:
        text = text[:237] + "..."
    return f"{type(exc).__name__}: {text}"


def _build_tokenizer(spec: ModelSpec, model_id: str) -> LoadedModel:
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(model_id)
    return LoadedModel(spec, model_id, TokenizerOnly(tokenizer), input_limit(tokenizer, None))


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
    return LoadedModel(spec, model_id, runner, input_limit(runner.tokenizer, model.config))


def _load(key: str, cache_key: str, build: Any) -> LoadedModel:
    spec = get_spec(key)
    model_id = spec.resolve_id()
    entry = _entries.get(cache_key)
    if entry is not None and entry.model_id == model_id:
        return entry
    with _lock_for(cache_key):
        entry = _entries.get(cache_key)
        if entry is not None and entry.model_id == model_id:
            return entry
        if _looks_like_path(model_id) and not os.path.isdir(os.path.expanduser(model_id)):
            raise ModelLoadError(spec, model_id, "フォルダが見つかりません / folder not found")
        log.info("loading %s from %s", cache_key, model_id)
        try:
            entry = build(spec, model_id)
        except Exception as exc:  # any failure becomes a readable message in its own tab
            log.warning("could not load %s from %s", cache_key, model_id, exc_info=True)
            raise ModelLoadError(spec, model_id, _reason(exc)) from exc
        _entries[cache_key] = entry
        return entry


def load(key: str) -> LoadedModel:
    """The loaded model for a registry key, loading it on first use."""
    return _load(key, key, lambda spec, model_id: _build(spec, model_id))


def load_tokenizer(key: str) -> LoadedModel:
    """Only the tokenizer of a registry key's model (no weights), loaded on first use."""
    return _load(key, f"{key}:tokenizer", _build_tokenizer)


@contextmanager
def using_tokenizer(key: str) -> Iterator[Any]:
    """A key's tokenizer, held under its own lock (MeCab taggers are not thread-safe)."""
    entry = load_tokenizer(key)
    with entry.lock:
        yield entry


@contextmanager
def using(key: str) -> Iterator[LoadedModel]:
    """Load a model if needed and hold its lock while the caller runs it."""
    entry = load(key)
    with entry.lock:
        yield entry


def loaded_keys() -> list[str]:
    """Keys whose models are in memory now."""
    return sorted(_entries)


def unload_all() -> None:
    """Forget every loaded model (they load again on the next request)."""
    _entries.clear()


def count_tokens(entry: LoadedModel, text: str, text_pair: str | None = None) -> int:
    """Tokens the model would see for this input (special tokens included), before truncation."""
    encoded = entry.tokenizer(text, text_pair) if text_pair is not None else entry.tokenizer(text)
    return len(encoded["input_ids"])
