"""Download every model and corpus the app uses once, check it, and say what the app will load.

For a classroom without network: run this while online, then start the app with HF_HUB_OFFLINE=1.

    python -m models.prefetch              # into the Hugging Face cache
    python -m models.prefetch --dir DIR    # into DIR/<key>, and print the JNLP_MODEL_* / JNLP_DATASET_* lines to use
    python -m models.prefetch --check      # download and build nothing: check what is already there

A key overridden with a local folder (JNLP_MODEL_<KEY>, JNLP_DATASET_<KEY>) is checked, never downloaded.
The check reads each model's config and tokenizer and looks for its weight files, loading no weights. The
word2vec tab's corpora (models/book_corpora.py) are fetched as far as the app reads them, and checked by
reading them. Each model's export for ONNX Runtime (models/engine.py: the BERT models, T5 and the GPT-2s) is
built too, unless it is on disk already or JNLP_ENGINE=torch, so that a class's first clicks run on it at
once. The exit status is 0 when every model is ready: a corpus is an extra (the word2vec tab can train on
its generated corpus), so one that cannot be fetched is reported ("--") without failing.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from models import book_corpora, engine, hub
from models.book_corpora import CORPORA, CorpusLoadError, CorpusSpec
from models.registry import MODELS, ModelSpec

_WEIGHTS = (".safetensors", ".bin")
# What the app reads from a repository: configs, tokenizers (vocab.txt, *.model) and weights.
_ALLOW = ["*.json", "*.txt", "*.model", "*.safetensors", "*.bin"]


@dataclass(frozen=True)
class Outcome:
    key: str
    model_id: str  # what the app will load: the Hub id, or a folder
    folder: str | None  # where the files are on disk
    problem: str | None  # None when ready
    env_var: str = ""  # what points the app at the folder; the model key's JNLP_MODEL_* when empty
    detail: str = ""  # said after a ready line (a corpus's sentence count)
    dataset: bool = False

    @property
    def ready(self) -> bool:
        return self.problem is None


def has_weights(folder: str | Path) -> bool:
    """Whether a folder holds a weight file transformers loads (False when it cannot be read)."""
    try:
        return any(name.endswith(_WEIGHTS) for name in os.listdir(folder))
    except OSError:
        return False


def check_folder(folder: str) -> str | None:
    """None if the folder holds a loadable config, tokenizer and weights; else what is wrong."""
    from transformers import AutoConfig, AutoTokenizer

    path = Path(folder)
    if not path.is_dir():
        return "フォルダがありません / no such folder"
    if not has_weights(path):
        return "重みファイルがありません / no weight file (.safetensors or .bin)"
    try:
        AutoConfig.from_pretrained(folder)
        AutoTokenizer.from_pretrained(folder)
    except Exception as exc:  # reported, not raised: the other models are still checked
        return f"読み込めません / cannot read it: {type(exc).__name__}: {' '.join(str(exc).split())[:200]}"
    return None


def _download(model_id: str, target: str | None, offline: bool) -> str:
    from huggingface_hub import HfApi, snapshot_download

    patterns = list(_ALLOW)
    if not offline and any(name.endswith(".safetensors") for name in HfApi().list_repo_files(model_id)):
        patterns.remove("*.bin")  # transformers reads the safetensors: do not fetch the same weights twice
    return snapshot_download(model_id, allow_patterns=patterns, local_dir=target, local_files_only=offline)


def prefetch(spec: ModelSpec, directory: Path | None, offline: bool,
             download: Callable[[str, str | None, bool], str] = _download,
             environ: Mapping[str, str] | None = None, build_engine: bool = True) -> Outcome:
    """Make one key's model available on disk (or just check it) and say where it is; with ``build_engine``
    a BERT model's export for ONNX Runtime is built too, where it is not on disk."""
    model_id = spec.resolve_id(environ)
    if hub.looks_like_folder(model_id):
        folder = os.path.expanduser(model_id)
        return _with_engine(spec, Outcome(spec.key, model_id, folder, check_folder(folder)), build_engine)
    target = str(directory / spec.key.lower()) if directory else None
    try:
        folder = download(model_id, target, offline)
    except Exception as exc:
        why = "キャッシュにありません / not in the cache" if offline else "ダウンロードできません / download failed"
        return Outcome(spec.key, model_id, None, f"{why}: {type(exc).__name__}")
    return _with_engine(spec, Outcome(spec.key, folder if directory else model_id, folder, check_folder(folder)),
                        build_engine)


def _with_engine(spec: ModelSpec, outcome: Outcome, build: bool) -> Outcome:
    """A ready model's exported model for ONNX Runtime, built now unless it is on disk (models/engine.py),
    so that the first click of a class finds it. A failure is reported, not fatal: the tab runs on torch."""
    if not outcome.ready or outcome.folder is None or not engine.wanted(spec.task):
        return outcome
    try:
        said = engine.prefetch(spec.task, outcome.folder, build)
    except Exception as exc:  # noqa: BLE001 - the model itself is ready
        said = (f"ONNX Runtime の準備に失敗 / ONNX Runtime export failed (the tab runs on torch): "
                f"{type(exc).__name__}")
    return dataclasses.replace(outcome, detail=said)


def prefetch_corpus(spec: CorpusSpec, directory: Path | None, offline: bool,
                    read: Callable[..., book_corpora.BookCorpusText] = book_corpora.read_corpus,
                    environ: Mapping[str, str] | None = None) -> Outcome:
    """Fetch one of the book's corpora as far as the app reads it (or just check it) by reading it."""
    source = spec.resolve_source(environ)
    folder = os.path.expanduser(source) if book_corpora.looks_like_folder(source) else None
    target = str((directory / spec.key.lower()).resolve()) if directory and folder is None else None
    try:
        corpus = read(spec, source, offline=offline, local_dir=target)
    except CorpusLoadError as exc:
        return Outcome(spec.key, source, folder or target, exc.reason, spec.env_var, dataset=True)
    where = source if corpus.revision in (None, "main") else f"{source}@{corpus.revision}"
    return Outcome(spec.key, target if directory and target else where, folder or target, None, spec.env_var,
                   f"{corpus.sentences:,} 文 / sentences", dataset=True)


def report(outcomes: list[Outcome], directory: Path | None) -> str:
    lines = []
    for index, outcome in enumerate(outcomes):
        if outcome.dataset and (index == 0 or not outcomes[index - 1].dataset):
            lines += [""] * bool(lines) + ["# word2vec のコーパス（データセット） / word2vec corpora (datasets)"]
        mark = "OK " if outcome.ready else "-- " if outcome.dataset else "NG "
        where = f" ({outcome.folder})" if outcome.folder else ""
        said = (f"  {outcome.detail}" if outcome.detail else "") if outcome.ready else f"  ← {outcome.problem}"
        lines.append(f"{mark}{outcome.key:17} {outcome.model_id}{where}{said}")
    if directory:
        lines.append("")
        lines.append("# このフォルダを使うには / to use these folders:")
        lines += [f"export {o.env_var or MODELS[o.key].env_var}={o.folder}" for o in outcomes if o.ready and o.folder]
    ready = sum(o.ready for o in outcomes)
    models_ready = all(o.ready for o in outcomes if not o.dataset)
    lines.append("")
    lines.append(f"{ready}/{len(outcomes)} 準備完了 / ready." + ("" if not models_ready or directory else
                                                              " Now run: HF_HUB_OFFLINE=1 python app.py"))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m models.prefetch", description=__doc__.splitlines()[0])
    parser.add_argument("--dir", type=Path, help="download into DIR/<key> instead of the Hugging Face cache")
    parser.add_argument("--check", action="store_true", help="download and build nothing; check what is on disk")
    parser.add_argument("--keys", nargs="+", choices=[*sorted(MODELS), *sorted(CORPORA)],
                        help="only these model and corpus keys")
    args = parser.parse_args(argv)
    offline = args.check or os.environ.get("HF_HUB_OFFLINE", "") in ("1", "true", "True")
    keys = args.keys or [*MODELS, *CORPORA]
    outcomes = [prefetch(MODELS[key], args.dir, offline, build_engine=not args.check) for key in MODELS if key in keys]
    outcomes += [prefetch_corpus(CORPORA[key], args.dir, offline or book_corpora.offline_mode())
                 for key in CORPORA if key in keys]
    print(report(outcomes, args.dir))
    return 0 if all(o.ready for o in outcomes if not o.dataset) else 1


if __name__ == "__main__":
    sys.exit(main())
