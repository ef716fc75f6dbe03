"""The book's own corpora for the word2vec tab: livedoor news articles and Japanese Wikipedia sentences.

The generated default corpus (models/corpus.py) gives nearly the same vector to every word of a kind;
real text shows what word2vec learns from language. The book has two that suit this:
``llm-book/livedoor-news-corpus`` (its summarization data) and ``llm-book/jawiki-sentences`` (its SimCSE
data), read with ``datasets`` through the same Hugging Face cache and offline rules as the models
(models/hub.py). Each is read only up to a cap (sentences and characters), fetching only the data files
needed to reach it (one Parquet shard of Wikipedia, not the whole dump), and comes back one sentence per
line, the form ``models.word2vec.tokenize_corpus`` reads.

Where the data comes from (as found with datasets 5.2): both Hub repositories hold only a loading script
(``livedoor-news-corpus.py`` fetches the original tarball from rondhuit.com, ``jawiki-sentences.py`` a
1.3 GB gzip from GitHub releases), which ``datasets`` 4 and later refuse ("Dataset scripts are no longer
supported"); the authors keep the scripts so as not to redistribute the texts (ghmagazine/llm-book PR #58;
issue #61 plans Parquet). The Hub's dataset viewer once converted such repositories to Parquet on
``refs/convert/parquet`` (layout ``default/<split>/0000.parquet``), a branch not guaranteed to exist. So a
Hub id is read from the first of ``main`` (should the authors convert it) and that branch that holds data
files for the split; when neither does, the message asks the operator for a local copy.
``JNLP_DATASET_<KEY>`` points a corpus at another Hub id or a folder of Parquet, JSON Lines, CSV or text
files, or one written by ``save_to_disk`` (e.g. with datasets 3.6, which still runs the scripts); requests
from users never choose one.

Splits and fields, from the scripts: livedoor has train / validation / test (80/10/10, shuffled with
seed 42) with url, date, title, content and category; jawiki-sentences has train only, with text
(one sentence per row, an empty row between articles).
"""

from __future__ import annotations

import gc
import logging
import os
import re
import threading
import unicodedata
from collections.abc import Callable, Iterator, Mapping
from contextlib import closing
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from models import hub

log = logging.getLogger(__name__)

ENV_PREFIX = "JNLP_DATASET_"
PARQUET_EXPORT = "refs/convert/parquet"
# Where a Hub id's data files are looked for, in this order (see the module docstring).
REVISIONS = ("main", PARQUET_EXPORT)
# Seconds to wait for the Hub's file listing once models/hub.py has found the Hub reachable.
LISTING_TIMEOUT_S = 10.0
_BATCH_ROWS = 1000

# Called as progress(fraction from 0 to 1, description); a gr.Progress fits as it is.
Progress = Callable[[float, str], Any]


@dataclass(frozen=True)
class CorpusSpec:
    """One of the book's corpora: where it is, which split and fields make the text, and how much to read."""

    key: str
    hub_id: str
    split: str
    text_fields: tuple[str, ...]  # joined in this order; a source without them but with "text" uses that
    max_sentences: int
    max_chars: int
    label_ja: str
    label_en: str
    parquet_config: str = "default"  # the config folder on the Hub's Parquet export branch

    @property
    def env_var(self) -> str:
        return ENV_PREFIX + self.key

    @property
    def label(self) -> str:
        return f"{self.label_ja} / {self.label_en}"

    def resolve_source(self, environ: Mapping[str, str] | None = None) -> str:
        """The Hub id or local folder to read: the operator's override, else the book's dataset."""
        environ = os.environ if environ is None else environ
        return environ.get(self.env_var, "").strip() or self.hub_id


# The caps keep MeCab and training to a few seconds on two CPU cores (like the generated default
# corpus), with a vocabulary still large enough for neighbours that mean something.
CORPORA: Mapping[str, CorpusSpec] = MappingProxyType({
    spec.key: spec
    for spec in (
        CorpusSpec("LIVEDOOR", "llm-book/livedoor-news-corpus", "train", ("title", "content"),
                   max_sentences=15_000, max_chars=600_000,
                   label_ja="livedoor ニュースコーパス", label_en="livedoor news corpus"),
        CorpusSpec("JAWIKI", "llm-book/jawiki-sentences", "train", ("text",),
                   max_sentences=15_000, max_chars=600_000,
                   label_ja="日本語 Wikipedia の文", label_en="Japanese Wikipedia sentences"),
    )
})


_FETCH_ADVICE = (
    "ネットワークにつないでもう一度試すか、ネットワークのある所で python -m models.prefetch を実行してから"
    " HF_HUB_OFFLINE=1 で起動してください（{env} にローカルのフォルダを指定することもできます）。",
    "Connect to the network and try again, or run python -m models.prefetch while online and start the app"
    " with HF_HUB_OFFLINE=1 (or set {env} to a local folder).",
)
NOT_DOWNLOADED = hub.LoadProblem(
    "Hugging Face Hub に接続できず、このコンピュータにもまだダウンロードされていません",
    "the Hugging Face Hub cannot be reached and it is not downloaded on this computer", *_FETCH_ADVICE)
OFFLINE_NOT_DOWNLOADED = hub.LoadProblem(
    "このコンピュータにまだダウンロードされていません（オフラインなので取りに行けません）",
    "it is not downloaded on this computer (and offline, it cannot be fetched)", *_FETCH_ADVICE)
DOWNLOAD_FAILED = hub.LoadProblem("ダウンロードが途中で失敗しました", "the download failed", *_FETCH_ADVICE)
NOT_ON_HUB = hub.LoadProblem(
    "Hugging Face Hub にこのデータセットがありません", "there is no such dataset on the Hugging Face Hub",
    "{env} に正しい Hub の ID かフォルダを指定してください。", "Set {env} to a correct Hub id or a folder.")
NO_DATA_FILES = hub.LoadProblem(
    "Hub のリポジトリには読み込みスクリプトしかなく（datasets 4 以降は使えません）、Parquet 版もありません",
    "the Hub repository holds only a loading script (refused since datasets 4) and no Parquet export",
    "{env} に、このデータセットのコピー（Parquet / JSON Lines / CSV / テキストのフォルダ）を指定してください。",
    "Set {env} to a folder holding a copy of it (Parquet, JSON Lines, CSV or text files).")
FOLDER_MISSING = hub.FOLDER_MISSING
UNREADABLE = hub.LoadProblem(
    "ファイルを読み込めませんでした（詳しくはサーバーのログ）", "its files could not be read (details in the server log)",
    "もう一度試すか、{env} の指すデータを確かめてください。", "Try again, or check the data {env} names.")
NO_SENTENCES = hub.LoadProblem(
    "文が一つもありません", "it holds no sentence",
    "{env} の指すデータを確かめてください。", "Check the data {env} names.")


class CorpusLoadError(hub.LoadError):
    """A corpus could not be read (hub.LoadError says how the message reads)."""

    title = "コーパスを読み込めません / Corpus unavailable"

    def __init__(self, spec: CorpusSpec, source: str, problem: hub.LoadProblem):
        self.source = source
        super().__init__(spec, problem)

    def named(self) -> tuple[str, str]:
        return f"コーパス「{self.spec.label_ja}」（{self.source}）", f"the corpus '{self.spec.label_en}' ({self.source})"


@dataclass(frozen=True)
class BookCorpusText:
    """A corpus read for word2vec: one sentence per line, and where it came from."""

    key: str
    label: str  # bilingual, "ja / en"
    source: str  # the Hub id or the folder, as configured
    revision: str | None  # the Hub revision read; None for a folder
    text: str
    sentences: int
    characters: int
    capped: bool  # reading stopped at the cap: the corpus holds more

    @property
    def description(self) -> str:
        """For the status line, as "Japanese / English" (the one " / " in it parts the two, as in the word2vec
        tab's other corpus sources)."""
        label_ja, _, label_en = self.label.partition(" / ")
        capped_ja, capped_en = ("・上限", ", capped") if self.capped else ("", "")
        return (f"{label_ja}（{self.sentences:,} 文{capped_ja}、{self.source}） / "
                f"{label_en} ({self.sentences:,} sentences{capped_en}, {self.source})")


# --- sentences -------------------------------------------------------------------------------------

# After NFKC, full-width ！？） are ASCII; a sentence ends at 。!? and takes closing brackets with it.
_SENTENCE = re.compile(r"[^。!?]+(?:[。!?]+[」』)]*)?")
_URL = re.compile(r"https?://|www\.", re.IGNORECASE)
_MIN_SENTENCE_CHARS = 2


def split_sentences(text: str) -> list[str]:
    """The sentences of a text, one per item; lines holding a URL are dropped. NFKC makes full-width letters
    and digits (ＰＣ, ２０１２) the same words as half-width ones, as the book's BERT tokenizer does; livedoor
    articles mix both."""
    sentences = []
    for line in unicodedata.normalize("NFKC", text).splitlines():
        if _URL.search(line):
            continue
        for piece in _SENTENCE.findall(line):
            sentence = piece.strip()
            if len(sentence) >= _MIN_SENTENCE_CHARS:
                sentences.append(sentence)
    return sentences


# --- where the data files are ----------------------------------------------------------------------

_BUILDERS = {".parquet": "parquet", ".jsonl": "json", ".json": "json", ".csv": "csv", ".tsv": "csv",
             ".txt": "text", ".arrow": "arrow"}
_COMPRESSED = (".gz", ".bz2", ".xz", ".zst")


def _builder_for(path: str) -> str | None:
    """The datasets packaged builder that reads a data file, by its name; None for anything else."""
    name = path.lower()
    for suffix in _COMPRESSED:
        name = name.removesuffix(suffix)
    return next((builder for ext, builder in _BUILDERS.items() if name.endswith(ext)), None)


def _split_pattern(split: str) -> re.Pattern[str]:
    from datasets.data_files import NON_WORDS_CHARS, SPLIT_KEYWORDS

    keywords = next((words for name, words in SPLIT_KEYWORDS.items() if str(name) == split), [split])
    words = "|".join(re.escape(word) for word in keywords)
    # NON_WORDS_CHARS ("-._ 0-9") is written as a character class's contents.
    return re.compile(rf"(?:^|[{NON_WORDS_CHARS}])(?:{words})(?:$|[{NON_WORDS_CHARS}])")


def split_files(paths: list[str], spec: CorpusSpec, revision: str | None = None) -> list[str]:
    """The data files of the spec's split among a repository's files, sorted (the first shard first).

    A file belongs to a split whose name (or datasets' synonym: dev, valid…) stands in its folder or
    file name, as datasets decides; in a repository that names no split, every data file is train.
    On the Parquet export branch only one config's folder counts (the spec's, else the first).
    """
    data = sorted(p for p in paths if _builder_for(p) and not any(
        part.startswith((".", "__")) for part in p.split("/")))
    if revision == PARQUET_EXPORT and data:
        # One folder per config; older exports named it "<user>--<name>" instead of "default".
        configs = sorted({p.split("/")[0] for p in data if "/" in p})
        config = spec.parquet_config if spec.parquet_config in configs else (configs or [""])[0]
        data = [p for p in data if p.startswith(config + "/")]

    def names(path: str) -> list[str]:
        *folders, file = path.split("/")
        return [*folders, file.split(".")[0]]

    patterns = {split: _split_pattern(split) for split in ("train", "validation", "test", spec.split)}
    picked = [p for p in data if any(patterns[spec.split].search(n) for n in names(p))]
    if picked:
        return picked
    names_a_split = any(pattern.search(n) for p in data for pattern in patterns.values() for n in names(p))
    return data if spec.split == "train" and not names_a_split else []


looks_like_folder = hub.looks_like_folder


def offline_mode() -> bool:
    """Whether there is no network, as datasets 5 decides it: HF_DATASETS_OFFLINE when set, else HF_HUB_OFFLINE."""
    value = os.environ.get("HF_DATASETS_OFFLINE")
    if value is not None:
        return value.strip().upper() in ("1", "ON", "YES", "TRUE")
    return hub.offline_mode()


def _files_in(folder: str) -> list[str]:
    found = []
    for root, dirs, files in os.walk(folder):
        dirs[:] = [d for d in dirs if not d.startswith(".")]
        found += [os.path.relpath(os.path.join(root, f), folder).replace(os.sep, "/") for f in files]
    return found


def _hub_listing(repo_id: str, revision: str) -> list[str] | None:
    """The files of a Hub dataset at a revision; None when the revision does not exist."""
    from huggingface_hub import HfApi
    from huggingface_hub.errors import RevisionNotFoundError

    try:
        info = HfApi().dataset_info(repo_id, revision=revision, timeout=LISTING_TIMEOUT_S)
    except RevisionNotFoundError:
        return None
    return [sibling.rfilename for sibling in info.siblings or []]


def _hub_file(repo_id: str, name: str, revision: str, local_dir: str | None) -> str:
    from huggingface_hub import hf_hub_download

    return hf_hub_download(repo_id, name, repo_type="dataset", revision=revision, local_dir=local_dir)


@dataclass(frozen=True)
class _Located:
    """What to read: a local folder (datasets infers its files), or a Hub id's data files for the split."""

    revision: str | None
    folder: str | None = None
    files: tuple[Callable[[], str], ...] = ()  # each gives a local path, downloading it first if need be


def locate(spec: CorpusSpec, source: str, *, offline: bool | None = None, local_dir: str | None = None,
           report: Callable[[float, str], None] = lambda fraction, text: None) -> _Located:
    """Where the corpus's data is on disk, or how to fetch it; raises CorpusLoadError when it cannot be had.
    A Hub id already in the local cache is read from there, without a network; else the Hub is asked
    (failing at once when out of reach) and the split's files are fetched one by one as reading needs them,
    into ``local_dir`` if given instead of the cache."""
    offline = offline_mode() if offline is None else offline
    folder = os.path.expanduser(source) if looks_like_folder(source) else None
    if folder is None and local_dir is not None and offline:  # prefetch --check --dir: the folder it would fill
        folder = os.path.abspath(os.path.expanduser(local_dir))
    if folder is not None:
        if not os.path.isdir(folder):
            raise CorpusLoadError(spec, source, FOLDER_MISSING)
        return _Located(None, folder=folder)
    if local_dir is None:
        for revision in REVISIONS:
            snapshot = hub.cached_snapshot(source, "dataset", revision)
            cached = split_files(_files_in(snapshot), spec, revision) if snapshot else []
            if cached:
                return _Located(revision, files=tuple(
                    (lambda path=os.path.join(snapshot, name): path) for name in cached))
    if offline:
        raise CorpusLoadError(spec, source, OFFLINE_NOT_DOWNLOADED)
    if not hub.reachable():
        raise CorpusLoadError(spec, source, NOT_DOWNLOADED)
    from huggingface_hub.errors import RepositoryNotFoundError

    report(0.02, f"「{spec.label_ja}」を Hugging Face Hub で探しています / looking for the {spec.label_en} on the Hub")
    for revision in REVISIONS:
        try:
            listing = _hub_listing(source, revision)
        except RepositoryNotFoundError as exc:
            log.warning("no dataset %s on the Hub", source, exc_info=True)
            raise CorpusLoadError(spec, source, NOT_ON_HUB) from exc
        except Exception as exc:  # noqa: BLE001 - the network went away, or the Hub failed
            log.warning("could not list the files of %s@%s", source, revision, exc_info=True)
            raise CorpusLoadError(spec, source, NOT_DOWNLOADED) from exc
        names = split_files(listing or [], spec, revision)
        if names:
            log.info("reading %s@%s: %s", source, revision, ", ".join(names))
            return _Located(revision, files=tuple(
                _fetcher(spec, source, name, revision, local_dir, report, index, len(names))
                for index, name in enumerate(names)))
    raise CorpusLoadError(spec, source, NO_DATA_FILES)


def _fetcher(spec: CorpusSpec, source: str, name: str, revision: str, local_dir: str | None,
             report: Callable[[float, str], None], index: int, count: int) -> Callable[[], str]:
    def fetch() -> str:
        report(0.05, f"「{spec.label_ja}」をダウンロードしています（{index + 1}/{count}） / "
                     f"downloading the {spec.label_en} ({index + 1}/{count})")
        try:
            return _hub_file(source, name, revision, local_dir)
        except Exception as exc:  # noqa: BLE001 - the network, the disk, the Hub
            log.warning("could not download %s from %s@%s", name, source, revision, exc_info=True)
            raise CorpusLoadError(spec, source, DOWNLOAD_FAILED) from exc

    return fetch


# --- reading -----------------------------------------------------------------------------------------

def _datasets(spec: CorpusSpec, located: _Located) -> Iterator[Any]:
    """The datasets (iterable, not loaded whole) that hold the corpus, in reading order."""
    import datasets

    if located.folder is not None:
        folder = located.folder
        if any(os.path.exists(os.path.join(folder, name)) for name in ("dataset_dict.json", "state.json")):
            saved = datasets.load_from_disk(folder)  # memory-mapped: nothing is read until iterated
            yield saved[spec.split] if isinstance(saved, datasets.DatasetDict) else saved
        else:
            yield datasets.load_dataset(folder, split=spec.split, streaming=True)
        return
    for fetch in located.files:
        path = fetch()
        yield datasets.load_dataset(_builder_for(path), data_files={spec.split: [path]}, split=spec.split,
                                    streaming=True)


def _fields(spec: CorpusSpec, columns: list[str], source: str) -> list[str]:
    fields = [field for field in spec.text_fields if field in columns] or (["text"] if "text" in columns else [])
    if not fields:
        wanted, found = ", ".join((*spec.text_fields, "text")), ", ".join(columns) or "-"
        raise CorpusLoadError(spec, source, hub.LoadProblem(
            f"テキストの列（{wanted}）がありません（あるのは {found}）", f"no text column ({wanted}); it has {found}",
            "{env} の指すデータを確かめてください。", "Check the data {env} names."))
    return fields


def _batches(dataset: Any) -> Iterator[dict[str, list]]:
    rows = dataset.iter(batch_size=_BATCH_ROWS)
    try:
        yield from rows
    finally:
        # Stopping a Parquet stream early leaves pyarrow decoding the next row group in its own
        # threads; if the interpreter exits before they let go of the Python file, the process
        # aborts (apache/arrow#45214; datasets works around it the same way for older pyarrow).
        rows.close()
        del rows
        gc.collect()


def _texts(spec: CorpusSpec, located: _Located, source: str) -> Iterator[list[str]]:
    """The corpus's texts a batch of rows at a time, each row's text fields in the spec's order."""
    fields: list[str] | None = None
    for dataset in _datasets(spec, located):
        with closing(_batches(dataset)) as batches:
            for batch in batches:
                fields = fields or _fields(spec, list(batch), source)
                yield [value or "" for row in zip(*(batch[field] for field in fields)) for value in row]


def read_corpus(spec: CorpusSpec, source: str | None = None, progress: Progress | None = None, *,
                offline: bool | None = None, local_dir: str | None = None) -> BookCorpusText:
    """Read a corpus up to its cap, fetching what is needed (not kept in memory: see load_corpus_text).
    ``offline`` overrides the environment's offline mode; ``local_dir`` fetches a Hub id's files into that
    folder instead of the cache (python -m models.prefetch --dir)."""
    source = spec.resolve_source() if source is None else source
    reached = [0.0]

    def report(fraction: float, text: str) -> None:
        # Never backwards: a shard fetched midway says "downloading" at the fraction already read.
        reached[0] = min(1.0, max(reached[0], fraction))
        if progress is not None:
            progress(reached[0], text)

    report(0.0, f"「{spec.label_ja}」を準備しています / preparing the {spec.label_en}")
    located = locate(spec, source, offline=offline, local_dir=local_dir, report=report)
    sentences: list[str] = []
    characters, capped = 0, False
    try:
        with closing(_texts(spec, located, source)) as batches:
            for texts in batches:
                for sentence in (sentence for text in texts for sentence in split_sentences(text)):
                    capped = len(sentences) >= spec.max_sentences or characters + len(sentence) > spec.max_chars
                    if capped:
                        break
                    sentences.append(sentence)
                    characters += len(sentence)
                done = max(len(sentences) / spec.max_sentences, characters / spec.max_chars)
                report(0.1 + 0.9 * done, f"「{spec.label_ja}」を読んでいます：{len(sentences):,} 文"
                                         f" / reading the {spec.label_en}: {len(sentences):,} sentences")
                if capped:
                    break
    except CorpusLoadError:
        raise
    except Exception as exc:  # noqa: BLE001 - any failure of the files becomes a readable message
        log.warning("could not read the corpus %s from %s", spec.key, source, exc_info=True)
        raise CorpusLoadError(spec, source, UNREADABLE) from exc
    if not sentences:
        raise CorpusLoadError(spec, source, NO_SENTENCES)
    corpus = BookCorpusText(spec.key, spec.label, source, located.revision, "\n".join(sentences), len(sentences),
                            characters, capped)
    report(1.0, corpus.description)
    return corpus


# --- the in-memory cache -----------------------------------------------------------------------------

# Corpora read in this process, by key; a failure is not remembered, so the next request tries again.
_loaded: dict[str, BookCorpusText] = {}
_loaded_guard = threading.Lock()
_key_locks: dict[str, threading.Lock] = {}


def load_corpus_text(key: str, progress: Progress | None = None) -> BookCorpusText:
    """The text of one of the book's corpora (CORPORA's keys), read once per process (once for requests that
    arrive together) and then reused. ``progress`` (a gr.Progress fits) hears how the reading goes, from this
    thread. Raises CorpusLoadError, whose ``message()`` is for the student."""
    try:
        spec = CORPORA[key]
    except KeyError:
        raise KeyError(f"unknown corpus key {key!r}; known keys: {', '.join(CORPORA)}") from None
    source = spec.resolve_source()
    with _loaded_guard:
        lock = _key_locks.setdefault(key, threading.Lock())
    with lock:
        with _loaded_guard:
            corpus = _loaded.get(key)
        if corpus is None or corpus.source != source:
            corpus = read_corpus(spec, source, progress)
            with _loaded_guard:
                _loaded[key] = corpus
        elif progress is not None:
            progress(1.0, corpus.description)
    return corpus


def forget() -> None:
    """Drop every corpus read so far (tests; an operator's change of data)."""
    with _loaded_guard:
        _loaded.clear()
