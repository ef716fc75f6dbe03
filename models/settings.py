"""Every setting an operator gives the app through the environment, read and checked in one place.

Each setting is declared once (SETTINGS: variable, default, meaning, allowed values), with the same
strictness for all: a value not understood raises SettingError, one line naming the variable, the value
and what is allowed. `python app.py` checks them all before it builds the page, stopping on the first
bad one; elsewhere (tests, notebooks, the bench) the first use raises the same error. The model and
corpus ids (JNLP_MODEL_<KEY>, JNLP_DATASET_<KEY>) are any Hub id or folder: models/registry.py and
models/book_corpora.py read them.
"""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any


class SettingError(ValueError):
    """A setting's value is not one the app understands."""


@dataclass(frozen=True)
class Setting:
    name: str  # the environment variable
    field: str  # its attribute on Settings
    default: str  # as the operator would write it
    allowed: str  # for the error message: what may be written
    meaning: str
    parse: Callable[[str], Any]  # the stripped text (never empty: empty means the default) -> value


_UNITS = {"": 1, "B": 1, "K": 10**3, "KB": 10**3, "M": 10**6, "MB": 10**6, "G": 10**9, "GB": 10**9,
          "KIB": 2**10, "MIB": 2**20, "GIB": 2**30}


def parse_memory(text: str) -> int | None:
    """Bytes from a size such as ``4GB``, ``800MB``, ``1.5GiB`` or ``123456``; ``0`` or ``none`` mean no cap (None)."""
    cleaned = text.strip().upper().replace(" ", "")
    if cleaned in ("", "0", "NONE", "OFF"):
        return None
    match = re.fullmatch(r"(\d+(?:\.\d+)?)([A-Z]*)", cleaned)
    if not match or match.group(2) not in _UNITS:
        raise ValueError(text)
    return int(float(match.group(1)) * _UNITS[match.group(2)])


def _one_of(*choices: str, meaning: Mapping[str, Any] | None = None) -> Callable[[str], Any]:
    def parse(text: str) -> Any:
        if text.lower() not in choices:
            raise ValueError(text)
        return text.lower() if meaning is None else meaning[text.lower()]

    return parse


_SWITCH = _one_of("0", "1", meaning={"0": False, "1": True})
MIN_BATCH_SIZE, MAX_BATCH_SIZE = 1, 64


def _port(text: str) -> int:
    if not text.isdigit() or not 1 <= int(text) <= 65535:
        raise ValueError(text)
    return int(text)


def _host(text: str) -> str:
    if not re.fullmatch(r"[A-Za-z0-9.:\-\[\]]+", text):
        raise ValueError(text)
    return text


def _batch_size(text: str) -> int:
    if not text.isdigit() or not MIN_BATCH_SIZE <= int(text) <= MAX_BATCH_SIZE:
        raise ValueError(text)
    return int(text)


SETTINGS: tuple[Setting, ...] = (
    Setting("JNLP_MAX_MODEL_MEMORY", "max_model_memory", "none", "a size such as 4GB, 800MB or 1.5GiB, or none",
            "the most memory the loaded models may take together; the least recently used are unloaded",
            parse_memory),
    Setting("JNLP_BATCH_SIZE", "batch_size", "16", f"a whole number from {MIN_BATCH_SIZE} to {MAX_BATCH_SIZE}",
            "the largest batch of sentiment, NLI, JSTS and SimCSE requests run together (1: no batching)",
            _batch_size),
    Setting("JNLP_RESULT_CACHE", "result_cache", "1", "1 (reuse) or 0 (compute every request)",
            "reuse a recent identical answer (summaries, next tokens, generations)", _SWITCH),
    Setting("JNLP_QUANTIZE", "quantize", "off", "off or int8",
            "int8 runs the BERT models with int8 dense layers on a CPU (faster; scores move slightly)",
            _one_of("off", "int8")),
    Setting("JNLP_ENGINE", "engine", "onnxruntime", "onnxruntime or torch",
            "what the BERT models' plain calls run on, on a CPU: ONNX Runtime once their exported model is ready"
            " (the look-inside views stay on torch), or torch alone", _one_of("onnxruntime", "torch")),
    Setting("JNLP_ONEDNN", "onednn", "auto",
            "auto or 1 (oneDNN's packed layers for the models on torch, where this torch has them) "
            "or 0 (torch's default kernels)",
            "which CPU kernels the dense layers run on", _one_of("auto", "1", "0")),
    # The speed tunings that had no switch of their own (models/tunings.py lists them all): on by default.
    *(Setting(name, field, "1", "1 (on) or 0 (off)", meaning, _SWITCH) for name, field, meaning in (
        ("JNLP_KEEP_FREED_MEMORY", "keep_freed_memory", "glibc's malloc keeps freed activations for the next call"),
        ("JNLP_GC_FREEZE", "gc_freeze", "the garbage collector skips the objects alive after a model load"),
        ("JNLP_OPENMP_RELEASE", "openmp_release", "a thread lets its OpenMP helper threads go after a model call"),
        ("JNLP_SHARED_VOCABULARY", "shared_vocabulary", "BERT tokenizers with the same vocabulary share its tables"),
        ("JNLP_WARM_UP", "warm_up", "python app.py imports torch and transformers in the background after launch"),
    )),
    Setting("JNLP_MONITORING", "monitoring", "0", "1 to serve Gradio's monitoring dashboard, or 0",
            "Gradio's request dashboard at /monitoring", _SWITCH),
    Setting("JNLP_MCP", "mcp", "0", "1 to serve every tab as an MCP tool for AI agents, or 0",
            "every endpoint as an MCP tool at /gradio_api/mcp/", _SWITCH),
    Setting("JNLP_SHARE", "share", "0", "1 to ask Gradio for a public share link, or 0",
            "a public *.gradio.live link", _SWITCH),
    # Gradio reads these itself, at import: checked here first, so a typo stops the app in one line too.
    Setting("GRADIO_SERVER_NAME", "server_name", "127.0.0.1", "a host name or address, such as 0.0.0.0",
            "the address to listen on", _host),
    Setting("GRADIO_SERVER_PORT", "server_port", "7860", "a port number from 1 to 65535", "the port to listen on",
            _port),
)
BY_NAME = {setting.name: setting for setting in SETTINGS}


@dataclass(frozen=True)
class Settings:
    """The operator's settings, read and checked (see SETTINGS for each one's meaning)."""

    max_model_memory: int | None
    batch_size: int
    result_cache: bool
    quantize: str
    engine: str
    onednn: str
    keep_freed_memory: bool
    gc_freeze: bool
    openmp_release: bool
    shared_vocabulary: bool
    warm_up: bool
    monitoring: bool
    mcp: bool
    share: bool
    server_name: str
    server_port: int


def read(environ: Mapping[str, str]) -> Settings:
    """Every setting from ``environ``; raises SettingError for the first value not understood."""
    values = {}
    for setting in SETTINGS:
        raw = environ.get(setting.name, "").strip()
        try:
            values[setting.field] = setting.parse(raw or setting.default)
        except ValueError:
            raise SettingError(f"{setting.name}={environ[setting.name]!r}: use {setting.allowed}") from None
    return Settings(**values)


_current: tuple[tuple[str | None, ...], Settings] | None = None
_current_guard = threading.Lock()


def current() -> Settings:
    """The settings in force: read again only when one of their variables has changed (tests change them)."""
    global _current
    raw = tuple(os.environ.get(setting.name) for setting in SETTINGS)
    with _current_guard:
        if _current is not None and _current[0] == raw:
            return _current[1]
    settings = read(os.environ)
    with _current_guard:
        _current = (raw, settings)
    return settings
