"""状態 / About: which model each key will use, whether it is on disk for offline use, what is loaded, and the
environment (versions and the operator's settings).

For a teacher preparing an offline classroom or the operator of a Space. Nothing here loads a model or reaches
the network: the Hugging Face cache is only looked up on disk, and the loader's state is only read.
"""

from __future__ import annotations

import os
import platform
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

import gradio as gr

from demos import i18n, texts
from demos.common import explanation, friendly_errors
from models import batching, cpu_kernels, engine, hub, loader, prefetch, recent, tunings
from models.registry import MODELS, ModelSpec

WORDS = i18n.register("about", {
    "title": ("状態", "About"),
    "refresh": ("更新", "Refresh"),
    "models": ("モデル", "Models"),
    "environment": ("環境", "Environment"),
})
TITLE = WORDS("title")

MODEL_HEADERS = ["キー / Key", "モデル / Model", "出どころ / Source", "オフライン / Offline",
                 "読み込み / Loaded", "メモリ / Memory", "デバイス / Device"]
ENVIRONMENT_HEADERS = ["項目 / Item", "値 / Value"]

# Distribution names, as pip knows them, of what the app runs on (shown in this order).
PACKAGES = ("torch", "transformers", "gradio", "huggingface-hub", "fugashi", "unidic-lite", "gensim",
            "scikit-learn", "plotly", "sentencepiece")


# Where a model id comes from.
DEFAULT, OVERRIDDEN, LOCAL_FOLDER = "default", "overridden", "local folder"
# Whether the files are on disk, so that the model loads without network.
READY, NO_WEIGHTS, NO_CONFIG, NOT_CACHED, NO_FOLDER = "ready", "no weights", "no config", "not cached", "no folder"


@dataclass(frozen=True)
class ModelStatus:
    """What the app will do with one registry key, as seen from disk and the loader, without loading anything."""

    key: str
    model_id: str  # the override of JNLP_MODEL_<KEY>, else the default Hub id
    env_var: str
    source: str  # DEFAULT, OVERRIDDEN (another Hub id) or LOCAL_FOLDER
    offline: str  # READY, NO_WEIGHTS, NO_CONFIG, NOT_CACHED or NO_FOLDER
    model_loaded: bool  # the weights are in memory
    tokenizer_loaded: bool  # its tokenizer alone is in memory (the tokenizer tab)
    memory_bytes: int  # of the loaded weights; 0 when not loaded
    device: str | None  # where the loaded weights run; None when not loaded
    kernels: str | None = None  # what its dense layers run on (tunings.kernels); None when not loaded
    engine: str | None = None  # what its plain calls run on (models/engine.py: torch, building, onnxruntime, failed)

    @property
    def available_offline(self) -> bool:
        return self.offline == READY


@dataclass(frozen=True)
class EnvironmentStatus:
    """Versions and the operator's settings."""

    python: str
    versions: dict[str, str | None]  # distribution -> version; None when not installed
    torch_threads: int | None
    cuda: bool | None  # None when torch is not installed
    device: str | None  # where a model loaded now would run
    hf_offline: bool
    hf_cache: str
    memory_cap: int | None
    loaded_bytes: int
    batch_size: int
    quantize_int8: bool
    onednn_setting: str = "auto"  # JNLP_ONEDNN as read (auto, 1 or 0)
    onednn_in_use: bool = False  # whether new CPU models get oneDNN's packed layers
    results_kept: bool = True  # JNLP_RESULT_CACHE: whether a repeated request gets the recent answer


def folder_state(folder: str) -> str:
    """Whether a local folder holds a config.json and weight files."""
    path = Path(os.path.expanduser(folder))
    if not path.is_dir():
        return NO_FOLDER
    if not (path / "config.json").is_file():
        return NO_CONFIG
    return READY if prefetch.has_weights(path) else NO_WEIGHTS


def cache_state(repo_id: str, cache_dir: str | Path | None = None) -> str:
    """Whether a Hub model's config.json and weights are in the Hugging Face cache (a disk lookup only);
    ``cache_dir`` None means the cache huggingface_hub (and so transformers) uses in this process."""
    from huggingface_hub import try_to_load_from_cache

    try:
        config = try_to_load_from_cache(repo_id, "config.json", cache_dir=cache_dir)
    except (ValueError, OSError):  # an id the cache cannot name, or an unreadable cache: not usable offline
        return NOT_CACHED
    if not isinstance(config, str):  # None (never fetched) or a cached "does not exist" marker
        return NOT_CACHED
    # The config's snapshot folder holds the weights fetched at the same revision (links into the blobs).
    return READY if prefetch.has_weights(os.path.dirname(config)) else NO_WEIGHTS


def model_row(spec: ModelSpec, environ: Mapping[str, str], cache_dir: str | Path | None,
              memory: Mapping[str, int], devices: Mapping[str, str | None],
              kernels: Mapping[str, str] | None = None, engines: Mapping[str, str] | None = None) -> ModelStatus:
    """One key's status from the environment, the disk and a snapshot of the loader's entries."""
    model_id = spec.resolve_id(environ)
    if hub.looks_like_folder(model_id):
        source, offline = LOCAL_FOLDER, folder_state(model_id)
    else:
        source = DEFAULT if model_id == spec.hub_id else OVERRIDDEN
        offline = cache_state(model_id, cache_dir)
    loaded = spec.key in memory
    return ModelStatus(spec.key, model_id, spec.env_var, source, offline, loaded,
                       loader.tokenizer_cache_key(spec.key) in memory, memory.get(spec.key, 0),
                       devices.get(spec.key) if loaded else None, (kernels or {}).get(spec.key) if loaded else None,
                       (engines or {}).get(spec.key) if loaded else None)


def model_rows(environ: Mapping[str, str] | None = None, cache_dir: str | Path | None = None) -> list[ModelStatus]:
    """Every registry key's status, in registry order. Loads nothing and reaches no network."""
    environ = os.environ if environ is None else environ
    memory, devices = loader.loaded_memory(), loader.loaded_devices()
    entries = loader.loaded_entries()
    kernels = {key: tunings.kernels(entry) for key, entry in entries.items()}
    engines = {key: entry.engine for key, entry in entries.items()}
    return [model_row(spec, environ, cache_dir, memory, devices, kernels, engines) for spec in MODELS.values()]


def package_version(distribution: str) -> str | None:
    try:
        return metadata.version(distribution)
    except metadata.PackageNotFoundError:
        return None


def environment_rows() -> EnvironmentStatus:
    """Versions and settings. Imports torch (for its threads and CUDA) but loads no model."""
    from huggingface_hub import constants

    versions = {name: package_version(name) for name in PACKAGES}
    threads = cuda = device = None
    onednn_in_use = False
    if versions["torch"] is not None:
        import torch

        threads, cuda, device = torch.get_num_threads(), torch.cuda.is_available(), str(loader.pick_device())
        # Any task of the list answers for all: the setting and the CPU decide, not the task.
        onednn_in_use = device == "cpu" and cpu_kernels.wanted("summarization") and tunings.is_on("onednn")
    return EnvironmentStatus(
        python=platform.python_version(), versions=versions, torch_threads=threads, cuda=cuda, device=device,
        # As huggingface_hub read it at import: what this process actually does, whatever the variable says now.
        hf_offline=bool(constants.HF_HUB_OFFLINE), hf_cache=str(constants.HF_HUB_CACHE),
        memory_cap=loader.memory_cap(), loaded_bytes=sum(loader.loaded_memory().values()),
        batch_size=batching.batch_size(), quantize_int8=tunings.is_on("int8"),
        onednn_setting=cpu_kernels.onednn_setting(), onednn_in_use=onednn_in_use, results_kept=recent.results_kept(),
    )


# --- formatting ------------------------------------------------------------------------------------------------

def human_bytes(size: int) -> str:
    """``418 MB``, ``1.2 GB``: decimal units, as JNLP_MAX_MODEL_MEMORY reads them."""
    for unit, scale, decimals in (("GB", 10**9, 1), ("MB", 10**6, 0), ("kB", 10**3, 0)):
        if size >= scale:
            return f"{size / scale:.{decimals}f} {unit}"
    return f"{size} B"


_SOURCE = {
    DEFAULT: "既定 / default",
    # The variable is JNLP_MODEL_<KEY>, the key being the row's first cell (the explanation says so).
    OVERRIDDEN: "上書き（Hub ID） / overridden (Hub id)",
    LOCAL_FOLDER: "上書き（フォルダ） / overridden (local folder)",
}
_OFFLINE = {
    READY: "✅ 使えます / available",
    NO_WEIGHTS: "⚠️ 重みファイルがありません / no weight file",
    NO_CONFIG: "❌ config.json がありません / no config.json",
    NOT_CACHED: "❌ キャッシュにありません / not in the cache",
    NO_FOLDER: "❌ フォルダがありません / no such folder",
}
_NOT_LOADED = "— 未読み込み / not loaded"
# Beside the device of a loaded model whose dense layers run on oneDNN's packed kernels, or soon will
# (a large model is packed in the background after it loads: it answers meanwhile, a little slower).
ON_ONEDNN = "（oneDNN）"
PREPARING_ONEDNN = "（oneDNN を準備中 / preparing oneDNN）"


def _loaded_cell(row: ModelStatus) -> str:
    if row.model_loaded:
        return "✅ 読み込み済み / loaded"
    if row.tokenizer_loaded:
        return "トークナイザのみ / tokenizer only"
    return _NOT_LOADED


# Beside the device of a model whose plain calls run on ONNX Runtime (models/engine.py), or soon will.
ENGINE_NOTES = {
    engine.ON_ENGINE: "（ONNX Runtime）",
    engine.BUILDING: "（ONNX Runtime を準備中 / preparing ONNX Runtime）",
    engine.FAILED: "（ONNX Runtime なし：torch で実行 / ONNX Runtime failed: on torch）",
}


def _device_cell(row: ModelStatus) -> str:
    if row.device is None:
        return "— トークナイザのみ / tokenizer only" if row.tokenizer_loaded else "—"
    extra = {tunings.ONEDNN_KERNELS: ON_ONEDNN, tunings.PACKING_FOR_ONEDNN: PREPARING_ONEDNN}
    return row.device + ENGINE_NOTES.get(row.engine or "", "") + extra.get(row.kernels or "", "")


def models_table(rows: list[ModelStatus]) -> list[list[str]]:
    """The value of the models gr.Dataframe (columns as MODEL_HEADERS)."""
    return [[row.key, row.model_id, _SOURCE[row.source], _OFFLINE[row.offline], _loaded_cell(row),
             human_bytes(row.memory_bytes) if row.model_loaded else "—", _device_cell(row)] for row in rows]


def _on_off(value: bool) -> str:
    return "オン / on" if value else "オフ / off"


def environment_table(env: EnvironmentStatus) -> list[list[str]]:
    """The value of the environment gr.Dataframe (item, value)."""
    missing = "未インストール / not installed"
    rows = [["Python", env.python]]
    for name in PACKAGES:
        rows.append([name, env.versions.get(name) or missing])
        if name == "torch":
            rows.append(["torch スレッド数 / torch threads", "—" if env.torch_threads is None else str(env.torch_threads)])
            rows.append(["CUDA", "—" if env.cuda is None else ("使えます / available" if env.cuda
                                                                 else "使えません / not available")])
            rows.append(["新しいモデルのデバイス / device for new models", env.device or "—"])
    rows += [
        ["HF_HUB_OFFLINE", "オン（ダウンロードしません） / on (never downloads)" if env.hf_offline else _on_off(False)],
        ["Hugging Face キャッシュ / cache", env.hf_cache],
        [f"{loader.MEMORY_CAP_ENV}（メモリ上限 / memory cap）",
         "なし / none" if env.memory_cap is None else human_bytes(env.memory_cap)],
        ["読み込み済みモデルのメモリ / memory of loaded models", human_bytes(env.loaded_bytes)],
        [f"{batching.BATCH_SIZE_ENV}（バッチサイズ / batch size）",
         "1（バッチなし） / 1 (no batching)" if env.batch_size == 1 else str(env.batch_size)],
        [f"{cpu_kernels.QUANTIZE_ENV}（int8 量子化 / int8 quantisation）", _on_off(env.quantize_int8)],
        [f"{cpu_kernels.ONEDNN_ENV}（oneDNN の計算 / oneDNN kernels）", _onednn_cell(env)],
        [f"{recent.RESULT_CACHE_ENV}（同じリクエストに直近の答え / recent answers for repeated requests）",
         _on_off(env.results_kept)],
    ]
    return rows


def _onednn_cell(env: EnvironmentStatus) -> str:
    """The setting, and what it does here: auto is on wherever this torch has the kernels (models/cpu_kernels.py)."""
    effect = _on_off(env.onednn_in_use)
    if env.onednn_setting == "auto":
        return f"auto → {effect}（この CPU で / on this CPU）"
    return f"{env.onednn_setting} → {effect}"


@friendly_errors
def status() -> tuple[list[list[str]], list[list[str]]]:
    """The models table, then the environment table."""
    return models_table(model_rows()), environment_table(environment_rows())


def build() -> None:
    # The enclosing tab (app.py opens one per module): read it before this function opens any layout of its own.
    tab = gr.context.Context.block
    explanation(texts.EXPLAINED("about"))
    refresh = gr.Button(WORDS("refresh"), variant="primary")
    # Ids and folder paths are long: give them room, and wrap. Widths in pixels, not shares of the screen:
    # on a phone the table then scrolls sideways instead of squeezing each column to a few letters
    # (about 1,100 px in all: a 1280 px projector still shows every column).
    models = gr.Dataframe(headers=MODEL_HEADERS, label=WORDS("models"), interactive=False, wrap=True,
                          column_widths=["160px", "270px", "170px", "140px", "140px", "90px", "150px"], max_height=900,
                          # The key stays in view while a phone scrolls sideways (theme.CSS says it can).
                          pinned_columns=1, elem_classes=["jnlp-wide-table"])
    environment = gr.Dataframe(headers=ENVIRONMENT_HEADERS, label=WORDS("environment"), interactive=False,
                               wrap=True, max_height=900)
    # Computed when the tab is opened (importing torch for its thread count takes a while, once: not something
    # every visitor of the other tabs should pay at page load), and on Refresh. Built outside a tab (tests,
    # another layout), it is computed when the page loads instead.
    opened = tab.select if isinstance(tab, gr.Tab) else gr.context.Context.root_block.load
    gr.on([opened, refresh.click], status, outputs=[models, environment], api_name="status",
          show_progress="minimal")
