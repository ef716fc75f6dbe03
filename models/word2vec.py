"""word2vec on a corpus: MeCab tokenisation, gensim training with per-epoch loss, a bounded cache.

Pure helpers (tokenising, skip-gram pairs, decoding uploads) come first; the training cache is the module's only state.
"""

from __future__ import annotations

import atexit
import codecs
import hashlib
import importlib
import itertools
import logging
import os
import queue
import shutil
import sys
import tempfile
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from models.morphology import tagger
from models.recent import LeastRecentlyUsed

log = logging.getLogger(__name__)

CONTENT_POS = ("名詞", "動詞", "形容詞")  # nouns, verbs, adjectives
MAX_UPLOAD_BYTES = 2_000_000


class CorpusError(ValueError):
    """A corpus or parameter a student can fix (bilingual message)."""


def tokenize_corpus(text: str, use_lemma: bool = False, content_only: bool = True) -> list[list[str]]:
    """One token list per non-empty line, from MeCab; particles and symbols dropped when content_only.

    Cached: exploring or retraining the same corpus does not run MeCab again.
    """
    return [list(s) for s in _tokenized(text, use_lemma, content_only)]


@lru_cache(maxsize=4)
def _tokenized(text: str, use_lemma: bool, content_only: bool) -> tuple[tuple[str, ...], ...]:
    parse = tagger()
    sentences = []
    for line in filter(str.strip, text.splitlines()):
        words = []
        for node in parse(line):
            feature = node.feature
            pos = getattr(feature, "pos1", None) or ""
            if content_only and pos not in CONTENT_POS:
                continue
            if pos in ("空白", "補助記号") and not content_only:
                continue
            base = getattr(feature, "orthBase", None)
            words.append(base if use_lemma and base and base != "*" else node.surface)
        if words:
            sentences.append(tuple(words))
    return tuple(sentences)


def skipgram_pairs(tokens: list, window: int) -> list[tuple]:
    """(centre, context) pairs skip-gram trains on: every position, each word within ``window`` on either side."""
    pairs = []
    for i, centre in enumerate(tokens):
        for j in range(max(0, i - window), min(len(tokens), i + window + 1)):
            if j != i:
                pairs.append((centre, tokens[j]))
    return pairs


def decode_upload(data: bytes) -> str:
    """Text of an uploaded file: UTF-8 (with or without BOM), UTF-16 with a BOM (Windows Notepad's
    "Unicode") or Shift_JIS/CP932; anything else is refused."""
    if len(data) > MAX_UPLOAD_BYTES:
        raise CorpusError(
            f"ファイルが大きすぎます（上限 {MAX_UPLOAD_BYTES // 1_000_000} MB）。"
            f" / The file is too large (limit {MAX_UPLOAD_BYTES // 1_000_000} MB)."
        )
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        # UTF-16 is full of NUL bytes, so it must be recognised before the binary check below.
        try:
            text = data.decode("utf-16")
        except UnicodeDecodeError:
            text = "\x00"
        if "\x00" not in text:
            return text
    if b"\x00" in data:
        raise CorpusError("テキストファイルではないようです。 / This does not look like a text file.")
    for encoding in ("utf-8-sig", "cp932"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise CorpusError(
        "文字コードを判別できません。UTF-8 か Shift_JIS で保存してください。"
        " / Unknown encoding: save the file as UTF-8 or Shift_JIS."
    )


@dataclass(frozen=True)
class Params:
    vector_size: int = 100
    window: int = 5
    min_count: int = 5
    negative: int = 5
    epochs: int = 5
    seed: int = 1
    sg: int = 1  # 1: skip-gram (the book), 0: CBOW
    workers: int = 1  # 1 is bit-reproducible with a seed; more is faster but not


# What each setting is held to (checked_params); the tab's sliders and API docs are made from it (demos/word2vec.py).
BOUNDS = {"vector_size": (10, 300), "window": (1, 10), "min_count": (1, 50), "negative": (1, 20), "epochs": (1, 30),
          "seed": (0, 2**31 - 1)}


def checked_params(**values) -> Params:
    """Params within BOUNDS; NaN or a missing value takes the default."""
    settled = {name: getattr(Params(), name) if values.get(name) is None or values[name] != values[name]
               else int(min(high, max(low, int(values[name])))) for name, (low, high) in BOUNDS.items()}
    workers = 1 if values.get("reproducible", True) else max(1, min(4, os.cpu_count() or 1))
    return Params(sg=1 if values.get("sg", 1) else 0, workers=workers, **settled)


@dataclass
class Trained:
    vectors: object  # gensim KeyedVectors
    losses: list[float]  # per epoch
    words: int  # tokens in the corpus
    params: Params
    exported: str | None = field(default=None, compare=False, repr=False)  # its file from export_file, once made


def fingerprint(sentences: list[list[str]]) -> str:
    digest = hashlib.sha256()
    for sentence in sentences:
        digest.update("\x1f".join(sentence).encode("utf-8"))
        digest.update(b"\x1e")
    return digest.hexdigest()


def gensim_models() -> Any:
    """gensim.models, imported the first time under the loader's import guard (loader.one_import_at_a_time)."""
    if "gensim.models" not in sys.modules:
        from models import loader  # here: the loader needs transformers' settings only when it loads

        with loader.one_import_at_a_time():
            return importlib.import_module("gensim.models")
    return sys.modules["gensim.models"]


def train(sentences: list[list[str]], params: Params, on_epoch: Callable[[int, float], None] | None = None) -> Trained:
    """Train gensim Word2Vec and collect the loss of each epoch (gensim reports a running total)."""
    Word2Vec = gensim_models().Word2Vec
    from gensim.models.callbacks import CallbackAny2Vec

    words = sum(len(s) for s in sentences)
    if not words:
        raise CorpusError("コーパスに単語がありません。 / The corpus has no words.")

    class EpochLoss(CallbackAny2Vec):
        def __init__(self) -> None:
            self.total = 0.0
            self.losses: list[float] = []

        def on_epoch_end(self, model) -> None:
            running = model.get_latest_training_loss()
            self.losses.append(running - self.total)
            self.total = running
            if on_epoch:
                on_epoch(len(self.losses), self.losses[-1])

    counter = EpochLoss()
    model = Word2Vec(
        vector_size=params.vector_size, window=params.window, min_count=params.min_count, sg=params.sg,
        negative=params.negative, seed=params.seed, workers=params.workers, compute_loss=True,
    )
    model.build_vocab(sentences)
    if not model.wv.index_to_key:
        raise CorpusError(
            f"出現回数が {params.min_count} 回以上の単語がありません。最小出現回数を下げるか、文章を増やしてください。"
            f" / No word occurs {params.min_count} time{'s' if params.min_count != 1 else ''} or more:"
            " lower the minimum count or add text."
        )
    model.train(sentences, total_examples=model.corpus_count, epochs=params.epochs, callbacks=[counter],
                compute_loss=True)
    return Trained(model.wv, counter.losses, words, params)


# Trained models by (corpus fingerprint, parameters), the least recently used dropped first.
TRAINED_MODELS_KEPT = 6
CACHE: LeastRecentlyUsed[Trained] = LeastRecentlyUsed(TRAINED_MODELS_KEPT)


def train_cached(sentences: list[list[str]], params: Params) -> tuple[Trained, bool]:
    """A trained model for this corpus and these parameters, and whether it came from the cache."""
    *_, last = train_streaming(sentences, params)
    return last.trained, last.cached


def already_trained(sentences: list[list[str]], params: Params) -> Trained | None:
    """The cached model for this corpus and these parameters, or None; never trains."""
    return CACHE.get(_cache_key(sentences, params))


def _cache_key(sentences: list[list[str]], params: Params) -> tuple:
    """What CACHE files a trained model under: the corpus's fingerprint and the parameters."""
    return fingerprint(sentences), params


class TrainingStopped(Exception):
    """Raised from an epoch callback to end a training early (its client went away or pressed Stop)."""


@dataclass(frozen=True)
class Progress:
    """One step of a streamed training: the epochs done so far, and the model once it is finished."""

    epoch: int
    losses: list[float]
    trained: Trained | None = None  # set on the last step only
    cached: bool = False


def train_streaming(sentences: list[list[str]], params: Params) -> Iterator[Progress]:
    """Train (or take from the cache), yielding after every epoch; the last step carries the model.

    The training runs in a worker thread so that its caller can report each epoch while it happens. Closing this
    iterator (Gradio does so on Stop or a closed page) stops the training at the end of the current epoch, freeing
    the CPU for others; a stopped training is not cached.
    """
    key = _cache_key(sentences, params)
    found = CACHE.get(key)
    if found is not None:
        yield Progress(len(found.losses), found.losses, found, cached=True)
        return
    events: queue.Queue = queue.Queue()
    stop = threading.Event()

    def on_epoch(epoch: int, loss: float) -> None:
        if stop.is_set():
            raise TrainingStopped(epoch)
        events.put(("epoch", epoch, loss))

    def work() -> None:
        try:
            events.put(("done", train(sentences, params, on_epoch)))
        except TrainingStopped as stopped:
            log.info("word2vec training stopped early (after %d epochs of %d)", stopped.args[0], params.epochs)
            events.put(("stopped",))
        except BaseException as exc:  # handed to the caller's thread, which reports it
            events.put(("error", exc))

    threading.Thread(target=work, name="word2vec-training", daemon=True).start()
    losses: list[float] = []
    try:
        while True:
            event = events.get()
            if event[0] == "epoch":
                losses.append(event[2])
                yield Progress(event[1], list(losses))
            elif event[0] == "done":
                CACHE.put(key, event[1])
                yield Progress(len(event[1].losses), event[1].losses, event[1])
                return
            elif event[0] == "error":
                raise event[1]
            else:
                return
    finally:
        stop.set()


# --- exported vectors -----------------------------------------------------------------------------------
#
# Gradio copies a returned file into its cache under the file's name: a fresh name per export left one more copy
# per click. So a trained model is written once, under one name, and exporting it again returns that file. The
# folder is this process's own, keeps as many of the newest files as the training cache keeps models, and goes
# when the process ends.
MAX_EXPORT_FILES = CACHE.capacity
_export_lock = threading.Lock()
_export_numbers = itertools.count(1)
_export_folder: Path | None = None


def _folder_for_exports() -> Path:
    global _export_folder
    if _export_folder is None or not _export_folder.is_dir():
        _export_folder = Path(tempfile.mkdtemp(prefix="jnlp-word2vec-exports-"))
        atexit.register(shutil.rmtree, _export_folder, True)
    return _export_folder


def export_file(trained: Trained) -> str:
    """The path of a file holding the trained vectors in the plain word2vec text format (no pickle:
    safe to share, and gensim's KeyedVectors.load_word2vec_format or any word2vec tool reads it).

    Written on the first call for this trained model; later calls return the same file while it is
    among the newest MAX_EXPORT_FILES.
    """
    with _export_lock:
        if trained.exported and os.path.exists(trained.exported):
            os.utime(trained.exported)  # newest again: the last to be pruned
            return trained.exported
        folder = _folder_for_exports()
        dimensions = trained.vectors.vector_size
        path = folder / f"word2vec-{dimensions}d-{next(_export_numbers)}.txt"
        # Written under another name and renamed: Gradio never copies half a file.
        partial = path.with_name("." + path.name + ".partial")
        trained.vectors.save_word2vec_format(str(partial), binary=False)
        os.replace(partial, path)
        trained.exported = str(path)
        kept = sorted(folder.glob("word2vec-*.txt"), key=lambda f: f.stat().st_mtime, reverse=True)
        for old in kept[MAX_EXPORT_FILES:]:
            old.unlink(missing_ok=True)
        return trained.exported
