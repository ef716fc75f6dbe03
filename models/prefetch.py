"""Download every model the app uses once, check it, and say what the app will load.

For a classroom without network: run this while online, then start the app
with HF_HUB_OFFLINE=1.

    python -m models.prefetch              # into the Hugging Face cache
    python -m models.prefetch --dir DIR    # into DIR/<key>, and print the JNLP_MODEL_* lines to use
    python -m models.prefetch --check      # download nothing: check what is already there

A key overridden with a local folder (JNLP_MODEL_<KEY>) is checked, never
downloaded. The check reads each model's config and tokenizer and looks for its
weight files; it loads no weights. The exit status is 0 only when every model
is ready.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from models import loader
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
             environ: Mapping[str, str] | None = None) -> Outcome:
    """Make one key's model available on disk (or just check it) and say where it is."""
    model_id = spec.resolve_id(environ)
    if loader.looks_like_folder(model_id):
        folder = os.path.expanduser(model_id)
        return Outcome(spec.key, model_id, folder, check_folder(folder))
    target = str(directory / spec.key.lower()) if directory else None
    try:
        folder = download(model_id, target, offline)
    except Exception as exc:
        why = "キャッシュにありません / not in the cache" if offline else "ダウンロードできません / download failed"
        return Outcome(spec.key, model_id, None, f"{why}: {type(exc).__name__}")
    return Outcome(spec.key, folder if directory else model_id, folder, check_folder(folder))


def report(outcomes: list[Outcome], directory: Path | None) -> str:
    lines = []
    for outcome in outcomes:
        mark = "OK " if outcome.ready else "NG "
        where = f" ({outcome.folder})" if outcome.folder else ""
        lines.append(f"{mark}{outcome.key:17} {outcome.model_id}{where}" + ("" if outcome.ready else f"  ← {outcome.problem}"))
    if directory:
        lines.append("")
        lines.append("# このフォルダを使うには / to use these folders:")
        lines += [f"export {MODELS[o.key].env_var}={o.folder}" for o in outcomes if o.ready and o.folder]
    ready = sum(o.ready for o in outcomes)
    lines.append("")
    lines.append(f"{ready}/{len(outcomes)} 準備完了 / ready." + ("" if ready < len(outcomes) or directory else
                                                              " Now run: HF_HUB_OFFLINE=1 python app.py"))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m models.prefetch", description=__doc__.splitlines()[0])
    parser.add_argument("--dir", type=Path, help="download into DIR/<key> instead of the Hugging Face cache")
    parser.add_argument("--check", action="store_true", help="download nothing; check what is on disk")
    parser.add_argument("--keys", nargs="+", choices=sorted(MODELS), help="only these model keys")
    args = parser.parse_args(argv)
    offline = args.check or os.environ.get("HF_HUB_OFFLINE", "") in ("1", "true", "True")
    outcomes = [prefetch(MODELS[key], args.dir, offline) for key in (args.keys or MODELS)]
    print(report(outcomes, args.dir))
    return 0 if all(o.ready for o in outcomes) else 1


if __name__ == "__main__":
    sys.exit(main())
