"""Whether the Hugging Face Hub can be reached, asked once and quickly, and where a model's files are.

Without a network the Hub's client retries each file with growing pauses, for tens of seconds per
click (docs/benchmarks.md, without a network). Here one short request decides instead: when the Hub
does not answer, a model already downloaded loads from the local cache at once, and one that is not
fails at once with a message that says what to do. The answer is remembered for a while, so that a
class on a flaky network sees later clicks fail fast too, and asked again after, for when it is back.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from dataclasses import dataclass
from typing import Any

log = logging.getLogger(__name__)

# The first question waits this long for the Hub: a reachable Hub answers a HEAD request in well
# under a second; a network that drops packets never answers.
PROBE_TIMEOUT_S = 2.0
# How long an answer is trusted before the Hub is asked again.
REACHABLE_KEPT_S = 300.0
UNREACHABLE_KEPT_S = 10.0
# A stale "unreachable" is asked again, but a click waits at most this long for the new answer
# (a network that is back answers within it; a dead one is still failing fast).
REFRESH_WAIT_S = 0.4


@dataclass(frozen=True)
class _Answer:
    reachable: bool
    at: float


_answer: _Answer | None = None
_probing: threading.Thread | None = None
_guard = threading.Lock()


def offline_mode() -> bool:
    """Whether the operator said there is no network (HF_HUB_OFFLINE=1, read when huggingface_hub is imported)."""
    from huggingface_hub import constants

    return bool(constants.HF_HUB_OFFLINE)


def _endpoint() -> str:
    from huggingface_hub import constants

    return constants.ENDPOINT


def probe() -> bool:
    """One HEAD request to the Hub, no retries: any HTTP answer at all means it can be reached."""
    import httpx

    try:
        httpx.head(_endpoint(), timeout=PROBE_TIMEOUT_S, follow_redirects=False)
    except httpx.HTTPError as error:
        log.info("the Hugging Face Hub (%s) cannot be reached: %s", _endpoint(), error)
        return False
    return True


def _ask() -> None:
    global _answer, _probing
    answer = _Answer(probe(), time.monotonic())
    with _guard:
        _answer, _probing = answer, None


def reachable() -> bool:
    """Whether the Hub answers, by a remembered answer when it is fresh enough. The first question waits
    for the probe; a stale answer is asked again in the background, awaited REFRESH_WAIT_S at most."""
    global _probing
    with _guard:
        answer, probing = _answer, _probing
        now = time.monotonic()
        fresh = answer is not None and now - answer.at < (
            REACHABLE_KEPT_S if answer.reachable else UNREACHABLE_KEPT_S)
        if not fresh and probing is None:
            probing = _probing = threading.Thread(target=_ask, name="hub-probe", daemon=True)
            probing.start()
    if fresh:
        return answer.reachable
    probing.join(PROBE_TIMEOUT_S + 1 if answer is None else REFRESH_WAIT_S)
    with _guard:
        latest = _answer
    return latest.reachable if latest is not None else False


def forget() -> None:
    """Drop the remembered answer (tests; an operator's network change)."""
    global _answer
    with _guard:
        _answer = None


@dataclass(frozen=True)
class LoadProblem:
    """Why a model or a corpus could not be loaded, in a few words a student understands, and what to
    do; ``{env}`` in the advice stands for the variable that points the app at another copy."""

    ja: str
    en: str
    advice_ja: str
    advice_en: str


# Why a model could not be loaded (models/loader.py; the book's corpora have their own in models/book_corpora.py).
NOT_DOWNLOADED = LoadProblem(
    "Hub に接続できず、まだダウンロードもされていません",
    "the Hub cannot be reached and it is not downloaded yet",
    "ネットワークにつないでもう一度押すか、オンラインのときに python -m models.prefetch を実行して"
    " HF_HUB_OFFLINE=1 で起動してください（{env} でフォルダも指定できます）。",
    "Connect and press again, or run python -m models.prefetch while online and start with HF_HUB_OFFLINE=1"
    " (or set {env} to a folder).",
)
FOLDER_MISSING = LoadProblem(
    "フォルダが見つかりません", "folder not found",
    "{env} に正しいフォルダを指定してください。", "Set {env} to an existing folder.",
)
UNREADABLE = LoadProblem(
    "ファイルを読み込めませんでした（詳しくはサーバーのログ）", "its files could not be read (details in the server log)",
    "もう一度押すか、{env} の指すモデルを確かめてください。", "Press again, or check the model {env} names.",
)


class LoadError(RuntimeError):
    """A model or a corpus could not be loaded; ``message()`` says which, why and what to do, in two
    short lines per language (what the library said goes to the server log, not to the student)."""

    title = "読み込めません / Unavailable"  # the error box's heading; each kind names itself

    def __init__(self, spec: Any, problem: LoadProblem):
        self.spec = spec  # its registry entry: what env_var points the app at another copy
        self.problem = problem
        super().__init__(self.message())

    @property
    def reason(self) -> str:
        return f"{self.problem.ja} / {self.problem.en}"

    def named(self) -> tuple[str, str]:
        """What could not be loaded, in Japanese and in English."""
        raise NotImplementedError

    def message(self) -> str:
        (named_ja, named_en), problem, env = self.named(), self.problem, self.spec.env_var
        return (f"{named_ja}を読み込めませんでした：{problem.ja}。\n{problem.advice_ja.format(env=env)}\n"
                f"Could not load {named_en}: {problem.en}.\n{problem.advice_en.format(env=env)}")


def cached_snapshot(repo_id: str, repo_type: str = "model", revision: str | None = None) -> str | None:
    """The local folder of a repository (at a revision) already downloaded to the Hugging Face cache, or None."""
    from huggingface_hub import snapshot_download

    try:
        return snapshot_download(repo_id, repo_type=repo_type, revision=revision, local_files_only=True)
    except Exception:  # noqa: BLE001 - not in the cache (at this revision), or not a Hub id at all
        return None


# Weight files transformers reads.
WEIGHT_SUFFIXES = (".safetensors", ".bin", ".pt", ".pth")


def looks_like_folder(model_id: str) -> bool:
    """Whether a model id names a local folder: an existing one, or one written as a path (then missing)."""
    return os.path.isdir(os.path.expanduser(model_id)) or os.path.isabs(model_id) or model_id.startswith(
        ("./", "../", "~", ".\\"))


def source(model_id: str, weights: bool) -> str | None:
    """Where to read a model from: its folder, or its Hub id, or its copy in the local cache when the Hub
    cannot be reached; None when it is neither reachable nor downloaded (with weights, if ``weights``):
    the loader then fails at once, where the Hub's client would retry for most of a minute."""
    if looks_like_folder(model_id) or (not offline_mode() and reachable()):
        return model_id
    folder = cached_snapshot(model_id)
    if folder is None or (weights and not any(name.endswith(WEIGHT_SUFFIXES) for name in os.listdir(folder))):
        return None
    return folder


def weight_bytes(model_id: str) -> int:
    """The size of a model's weight files when they are on disk (a folder, the local cache), else 0."""
    folder = os.path.expanduser(model_id)
    if not os.path.isdir(folder):
        folder = cached_snapshot(model_id)
        if folder is None:  # not in the local cache (or not a Hub id): unknown
            return 0
    names = os.listdir(folder)
    # transformers prefers safetensors when a repo has both formats: count what it will read.
    chosen = [n for n in names if n.endswith(".safetensors")] or [n for n in names if n.endswith(WEIGHT_SUFFIXES)]
    return sum(os.path.getsize(os.path.join(folder, name)) for name in chosen)
