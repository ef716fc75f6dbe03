"""Whether the Hugging Face Hub can be reached, asked once and quickly, before anything is fetched from it.

Without a network the Hub's client retries each file with growing pauses: a click on a model tab
waited about 23 s (50 s for a model not yet downloaded) before its error, every time, and the
tokenizer tab, which loads three tokenizers, minutes. Here one short request decides instead:
when the Hub does not answer, a model already downloaded loads from the local cache at once, and
one that is not fails at once with a message that says what to do.

The answer is remembered for a while, so that a class on a flaky network sees every later click
fail fast too; it is asked again afterwards, so that a click after the network is back loads.
"""

from __future__ import annotations

import logging
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
    """Whether the Hub answers, by a remembered answer when it is fresh enough.

    The first question waits for the probe (at most PROBE_TIMEOUT_S). A stale answer is asked
    again in the background; the caller waits REFRESH_WAIT_S at most for it, then takes the
    answer it had.
    """
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


def explain(what_ja: str, what_en: str, problem: LoadProblem, env_var: str) -> str:
    """Two short lines per language: what could not be loaded and why, then what to do."""
    return (f"{what_ja}を読み込めませんでした：{problem.ja}。\n{problem.advice_ja.format(env=env_var)}\n"
            f"Could not load {what_en}: {problem.en}.\n{problem.advice_en.format(env=env_var)}")


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
        named_ja, named_en = self.named()
        return explain(named_ja, named_en, self.problem, self.spec.env_var)


def cached_snapshot(repo_id: str, repo_type: str = "model") -> str | None:
    """The local folder of a repository already downloaded to the Hugging Face cache, or None."""
    from huggingface_hub import snapshot_download

    try:
        return snapshot_download(repo_id, repo_type=repo_type, local_files_only=True)
    except Exception:  # noqa: BLE001 - not in the cache, or not a Hub id at all
        return None
