"""Local checkpoints of the app's real architectures, with random weights, for benchmarks.

The benchmark measures what the app costs (load time, memory, latency), which
depends on the shapes of the models, not on what they learned; no machine here
reaches the Hub. So this module writes, for every registry key, a folder that
``from_pretrained`` (and so ``models.loader``, pointed at it with
``JNLP_MODEL_<KEY>``) reads like the real model:

* BERT (cl-tohoku/bert-base-japanese-v3 shape) with each tab's head, and the
  real BertJapaneseTokenizer (MeCab/unidic-lite + WordPiece) over a vocabulary
  of exactly 32,768 entries made here;
* T5 (retrieva-jp/t5-base-long shape, gated-gelu, untied head) with a
  SentencePiece tokenizer trained here, saved as the Hub repos ship it;
* GPT-2 in the shapes of abeja/gpt2-large-japanese and of a small Japanese
  GPT-2, with the same kind of SentencePiece tokenizer.

Vocabularies start from generated Japanese text (the app's default word2vec
corpus and the tests' generated lines). That text has only about 300
distinct characters, so each vocabulary is filled up to its real size with
characters a user may type (kana, ASCII, the JIS kanji, then the other CJK
ideographs) and kana bigrams: a benchmark on other text then sees per-character
pieces where a real model would see words, not a run of unknown tokens.

Weights are the config's normal initialisation under a fixed seed, saved in
float32 safetensors, with one exception that keeps generation benchmarks
steady: a random model may pick end-of-text at once, so the generators never
choose it (see ``_quiet_end_tokens``) and always run to ``max_new_tokens``.

Folders live under a cache (``$JNLP_BENCH_CACHE``, else ``~/.cache/jnlp-bench``),
in ``full/`` or ``quick/`` (tiny shapes for smoke runs). A folder is reused
when its marker file states the same spec; otherwise it is built in a
temporary folder and renamed into place, so an interrupted build is never reused.

    python -m bench.checkpoints [--quick] [--cache DIR] [--keys KEY ...]
"""

from __future__ import annotations

import argparse
import gc
import hashlib
import json
import math
import os
import re
import resource
import shutil
import signal
import sys
import time
import unicodedata
import uuid
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

# Bump when the same spec would build something different (a new tweak, another file layout).
FORMAT_VERSION = 2
MARKER = "bench-checkpoint.json"
CACHE_ENV = "JNLP_BENCH_CACHE"
ENV_PREFIX = "JNLP_MODEL_"  # models.registry.ENV_PREFIX; CONTEXTUAL is not in the registry yet

BERT_KEYS = ("SENTIMENT", "NLI", "STS", "SIMCSE", "NER", "CONTEXTUAL")
KEYS = (*BERT_KEYS, "SUMMARIZATION", "GENERATION", "GENERATION_SMALL")

# SentencePiece ids as in T5 (and the tests' tokenizers): no BOS.
_PAD, _EOS, _UNK = 0, 1, 2
_T5_EXTRA_IDS = 100  # <extra_id_0..99>, as T5 tokenizers add them
_T5_VOCAB_MULTIPLE = 128  # T5 pads its embedding matrix: 32,000 pieces + 100 extra ids -> 32,128 rows

SHAPES: Mapping[str, Mapping[str, Any]] = {
    "full": {
        "bert": {"num_hidden_layers": 12, "hidden_size": 768, "num_attention_heads": 12,
                 "intermediate_size": 3072, "max_position_embeddings": 512},
        "bert_vocab": 32768,
        "t5": {"d_model": 768, "d_ff": 2048, "d_kv": 64, "num_layers": 12, "num_decoder_layers": 12,
               "num_heads": 12},
        "gpt2": {"n_layer": 36, "n_embd": 1280, "n_head": 20, "n_positions": 1024},
        "gpt2_small": {"n_layer": 12, "n_embd": 768, "n_head": 12, "n_positions": 1024},
        "sentencepiece_vocab": 32000,
    },
    # Same architectures, tokenizer kinds and input limits; a few MB each.
    "quick": {
        "bert": {"num_hidden_layers": 2, "hidden_size": 64, "num_attention_heads": 2,
                 "intermediate_size": 256, "max_position_embeddings": 512},
        "bert_vocab": 4096,
        "t5": {"d_model": 64, "d_ff": 128, "d_kv": 32, "num_layers": 2, "num_decoder_layers": 2, "num_heads": 2},
        "gpt2": {"n_layer": 2, "n_embd": 64, "n_head": 2, "n_positions": 1024},
        "gpt2_small": {"n_layer": 2, "n_embd": 64, "n_head": 2, "n_positions": 1024},
        "sentencepiece_vocab": 3000,
    },
}

_SEEDS = {key: 6000 + i for i, key in enumerate(KEYS)}


def default_cache_dir() -> Path:
    """``$JNLP_BENCH_CACHE``, else ``~/.cache/jnlp-bench``."""
    return Path(os.environ.get(CACHE_ENV, "").strip() or Path.home() / ".cache" / "jnlp-bench").expanduser()


def model_env(paths: Mapping[str, Path | str]) -> dict[str, str]:
    """The ``JNLP_MODEL_<KEY>`` variables that point the app at these folders."""
    return {ENV_PREFIX + key: str(Path(folder).resolve()) for key, folder in paths.items()}


# ---------------------------------------------------------------------------
# Text and vocabularies


def training_lines() -> list[str]:
    """Generated Japanese text (nothing copied): the default corpus and the tests' lines, deduplicated."""
    from models.corpus import default_corpus
    from tests.checkpoints import generated_lines

    return list(dict.fromkeys(default_corpus().splitlines() + generated_lines()))


def _text_digest(lines: list[str]) -> str:
    return hashlib.sha256("\n".join(lines).encode("utf-8")).hexdigest()[:16]


# Hiragana roughly by frequency, so the first kana bigrams of the padding are the likely ones.
_COMMON_KANA = "のにはてをがでとしたいるかなれもらっうくすこまあおりけよつだやさえきせんわみめそどほろひふへ"
_SYMBOLS = "。、・「」『』()!?ー〜…:;-/%.,~*+=&#@"


def _stable(chars: Iterable[str]) -> Iterator[str]:
    """Characters that NFKC leaves alone: the only ones a normalising tokenizer can meet."""
    return (c for c in chars if unicodedata.normalize("NFKC", c) == c and not c.isspace())


def _kana() -> list[str]:
    hiragana = [chr(c) for c in range(0x3041, 0x3097)]
    katakana = [chr(c) for c in range(0x30A1, 0x30FB)]
    return list(dict.fromkeys(_stable([*_COMMON_KANA, *hiragana, *katakana, "ー"])))


def coverage_chars() -> list[str]:
    """Characters a user may type, the likely first: ASCII, symbols, kana, JIS X 0208 kanji, other CJK."""
    ascii_chars = [chr(c) for c in range(0x21, 0x7F)]
    cjk = [chr(c) for c in range(0x4E00, 0xA000)]
    jis = [c for c in cjk if _encodes(c, "shift_jis")]
    return list(dict.fromkeys(_stable([*ascii_chars, *_SYMBOLS, *_kana(), *jis, *cjk])))


def _encodes(char: str, codec: str) -> bool:
    try:
        char.encode(codec)
    except UnicodeEncodeError:
        return False
    return True


def kana_bigrams() -> Iterator[str]:
    """Pairs of kana, the pairs of more frequent kana first."""
    kana = _kana()
    for n, second in enumerate(kana):
        for first in kana[: n + 1]:
            yield first + second
            if first != second:
                yield second + first


def _fill(base: Iterable[str], padding: Iterable[str], size: int, what: str) -> list[str]:
    """The distinct entries of ``base`` then ``padding``, exactly ``size`` of them."""
    entries: dict[str, None] = {}
    for entry in _chain(base, padding):
        if len(entries) == size:
            break
        entries.setdefault(entry)
    if len(entries) < size:
        raise RuntimeError(f"{what}: only {len(entries)} distinct entries for a vocabulary of {size}")
    return list(entries)


def _chain(*iterables: Iterable[str]) -> Iterator[str]:
    for iterable in iterables:
        yield from iterable


def bert_vocab(lines: list[str], size: int) -> list[str]:
    """WordPiece vocabulary: specials, MeCab words and characters of the text, then coverage.

    Words come from the tokenizer's own word splitter (NFKC + MeCab/unidic-lite),
    so every word of the text is one token.
    """
    from transformers.models.bert_japanese.tokenization_bert_japanese import (
        MecabTokenizer,
    )

    mecab = MecabTokenizer(do_lower_case=False, normalize_text=True, mecab_dic="unidic_lite")
    words: dict[str, None] = {}
    for line in lines:
        words.update(dict.fromkeys(mecab.tokenize(line)))
    chars = list(dict.fromkeys(c for word in words for c in word))
    cover = coverage_chars()
    base = _chain(["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"], words, chars, ("##" + c for c in chars))
    padding = _chain(cover, ("##" + c for c in cover), kana_bigrams(), ("##" + b for b in kana_bigrams()))
    return _fill(base, padding, size, "BERT vocabulary")


def build_bert_tokenizer(folder: Path, lines: list[str], size: int, max_length: int):
    """The real BertJapaneseTokenizer over a vocabulary of exactly ``size`` entries, written in ``folder``."""
    from transformers import BertJapaneseTokenizer

    vocab = bert_vocab(lines, size)
    (folder / "vocab.txt").write_text("\n".join(vocab) + "\n", encoding="utf-8")
    tokenizer = BertJapaneseTokenizer(
        str(folder / "vocab.txt"),
        word_tokenizer_type="mecab",
        subword_tokenizer_type="wordpiece",
        mecab_kwargs={"mecab_dic": "unidic_lite"},
        model_max_length=max_length,
    )
    if len(tokenizer.vocab) != size:
        raise RuntimeError(f"BERT vocabulary has {len(tokenizer.vocab)} entries, not {size}")
    return tokenizer


def train_sentencepiece(folder: Path, lines: list[str], size: int) -> Path:
    """A unigram SentencePiece model of exactly ``size`` pieces, as ``folder/spiece.model``.

    The generated text supports only about 1,200 pieces, so the trained model is
    extended with coverage characters and kana bigrams, scored below every
    learned piece: text like the training text splits as learned, other text
    into characters and kana pairs rather than unknown tokens.
    """
    import sentencepiece
    from sentencepiece import sentencepiece_model_pb2 as spm_pb2

    corpus = folder / "corpus.txt"
    corpus.write_text("\n".join(lines) + "\n", encoding="utf-8")
    sentencepiece.SentencePieceTrainer.train(
        input=str(corpus),
        model_prefix=str(folder / "spiece"),
        vocab_size=size,
        hard_vocab_limit=False,  # the text allows fewer pieces than asked; padded below
        model_type="unigram",
        max_sentencepiece_length=8,
        character_coverage=1.0,
        pad_id=_PAD,
        eos_id=_EOS,
        unk_id=_UNK,
        bos_id=-1,
        num_threads=1,  # the same model on every run
        minloglevel=2,
    )
    corpus.unlink()
    (folder / "spiece.vocab").unlink()
    path = folder / "spiece.model"
    proto = spm_pb2.ModelProto()
    proto.ParseFromString(path.read_bytes())
    normal = spm_pb2.ModelProto.SentencePiece.NORMAL
    learned = [p.piece for p in proto.pieces]
    lowest = min(p.score for p in proto.pieces if p.type == normal)
    pieces = _fill(learned, _chain(coverage_chars(), kana_bigrams()), size, "SentencePiece vocabulary")
    for piece in pieces[len(learned):]:
        # Characters just below the learned pieces, pairs below them (one pair beats two such characters).
        score = lowest - (1.0 if len(piece) == 1 else 1.5)
        proto.pieces.add(piece=piece, score=score, type=normal)
    proto.trainer_spec.vocab_size = size
    # The trainer records its temporary paths: drop them, so a rebuild gives the same bytes.
    proto.trainer_spec.ClearField("input")
    proto.trainer_spec.model_prefix = "spiece"
    path.write_bytes(proto.SerializeToString())
    return path


def write_sentencepiece_tokenizer(folder: Path, spiece: Path, extra_ids: int, max_length: int) -> None:
    """spiece.model and a T5Tokenizer config, the way T5 and abeja's GPT-2 ship on the Hub."""
    shutil.copyfile(spiece, folder / "spiece.model")
    (folder / "tokenizer_config.json").write_text(
        json.dumps({"tokenizer_class": "T5Tokenizer", "extra_ids": extra_ids, "model_max_length": max_length,
                    "eos_token": "</s>", "unk_token": "<unk>", "pad_token": "<pad>"}, indent=2),
        encoding="utf-8",
    )


# ---------------------------------------------------------------------------
# What each key is


def _labels(labels: list[str]) -> dict[str, Any]:
    return {"num_labels": len(labels), "id2label": dict(enumerate(labels)),
            "label2id": {label: i for i, label in enumerate(labels)}}


def plan(key: str, mode: str, text_digest: str) -> dict[str, Any]:
    """The spec of one key's checkpoint: everything that decides what is built (JSON-ready)."""
    from tests.checkpoints import NER_LABELS, NLI_LABELS, SENTIMENT_LABELS

    shapes = SHAPES[mode]
    spm_size = shapes["sentencepiece_vocab"]
    if key in BERT_KEYS:
        heads: dict[str, tuple[str, dict[str, Any]]] = {
            "SENTIMENT": ("BertForSequenceClassification", _labels(SENTIMENT_LABELS)),
            "NLI": ("BertForSequenceClassification", _labels(NLI_LABELS)),
            "STS": ("BertForSequenceClassification", {"num_labels": 1, "problem_type": "regression"}),
            "SIMCSE": ("BertModel", {}),
            "NER": ("BertForTokenClassification", _labels(NER_LABELS)),
            "CONTEXTUAL": ("BertForMaskedLM", {}),
        }
        model_class, head = heads[key]
        config = dict(shapes["bert"], vocab_size=shapes["bert_vocab"], **head)
        tokenizer = {"kind": "bert-japanese-mecab-wordpiece", "vocab_size": shapes["bert_vocab"],
                     "model_max_length": shapes["bert"]["max_position_embeddings"]}
        config_class = "BertConfig"
    elif key == "SUMMARIZATION":
        model_class, config_class = "T5ForConditionalGeneration", "T5Config"
        vocab = math.ceil((spm_size + _T5_EXTRA_IDS) / _T5_VOCAB_MULTIPLE) * _T5_VOCAB_MULTIPLE
        config = dict(shapes["t5"], vocab_size=vocab, feed_forward_proj="gated-gelu", tie_word_embeddings=False,
                      decoder_start_token_id=_PAD, pad_token_id=_PAD, eos_token_id=_EOS)
        tokenizer = {"kind": "sentencepiece-unigram", "vocab_size": spm_size, "extra_ids": _T5_EXTRA_IDS,
                     "model_max_length": 512}
    elif key in ("GENERATION", "GENERATION_SMALL"):
        model_class, config_class = "GPT2LMHeadModel", "GPT2Config"
        shape = shapes["gpt2" if key == "GENERATION" else "gpt2_small"]
        config = dict(shape, vocab_size=spm_size, bos_token_id=_EOS, eos_token_id=_EOS, pad_token_id=_PAD)
        tokenizer = {"kind": "sentencepiece-unigram", "vocab_size": spm_size, "extra_ids": 0,
                     "model_max_length": shape["n_positions"]}
    else:
        raise ValueError(f"unknown key {key!r}; known keys: {', '.join(KEYS)}")
    spec = {"format": FORMAT_VERSION, "key": key, "mode": mode, "model_class": model_class,
            "config_class": config_class, "config": config, "tokenizer": {**tokenizer, "text": text_digest},
            "seed": _SEEDS[key], "dtype": "float32"}
    return json.loads(json.dumps(spec))  # as it reads back from the marker (int keys become strings)


def folder_for(cache_dir: Path, mode: str, key: str) -> Path:
    return Path(cache_dir).expanduser() / mode / key.lower()


def read_marker(folder: Path) -> dict[str, Any] | None:
    try:
        return json.loads((Path(folder) / MARKER).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def is_current(folder: Path, spec: Mapping[str, Any]) -> bool:
    """A complete folder built from this very spec (the marker is written last, before the rename)."""
    marker = read_marker(folder)
    return (marker is not None and marker.get("spec") == spec
            and any(Path(folder).glob("*.safetensors")) and (Path(folder) / "config.json").is_file())


# ---------------------------------------------------------------------------
# Building


class _Tokenizers:
    """The tokenizers of one build_all call, each made once, only if a model needs it."""

    def __init__(self, workdir: Path, lines: list[str], mode: str):
        self.workdir, self.lines, self.mode = workdir, lines, mode
        self._bert = None
        self._spiece: Path | None = None

    def bert(self):
        if self._bert is None:
            shapes = SHAPES[self.mode]
            folder = self.workdir / "bert"
            folder.mkdir()
            started = time.perf_counter()
            self._bert = build_bert_tokenizer(folder, self.lines, shapes["bert_vocab"],
                                              shapes["bert"]["max_position_embeddings"])
            _log(f"  BERT tokenizer: {len(self._bert.vocab)} entries in {time.perf_counter() - started:.1f} s")
        return self._bert

    def spiece(self) -> Path:
        if self._spiece is None:
            folder = self.workdir / "spm"
            folder.mkdir()
            started = time.perf_counter()
            self._spiece = train_sentencepiece(folder, self.lines, SHAPES[self.mode]["sentencepiece_vocab"])
            _log(f"  SentencePiece: {SHAPES[self.mode]['sentencepiece_vocab']} pieces in "
                 f"{time.perf_counter() - started:.1f} s")
        return self._spiece


def _quiet_end_tokens(model: Any, spec: Mapping[str, Any], tokenizer: Any) -> list[int]:
    """Keep a random generator from stopping at once or writing nothing visible.

    The app's GPT-2 loop takes the argmax itself and stops at </s>: the GPT-2's
    (tied) embedding rows of <pad>, </s> and <unk> are zeroed, so their logit
    is 0 while the best of 32,000 random logits is well above it. generate()
    (T5, and GPT-2 through its pipeline) also reads the suppressed tokens
    from generation_config, as a real checkpoint's may; for T5 they include
    the ids past the tokenizer (its 28 padding rows) and the extra ids.
    """
    import torch

    quiet = [_PAD, _EOS, _UNK]
    space = tokenizer.convert_tokens_to_ids("▁")
    if isinstance(space, int) and space != tokenizer.unk_token_id:
        quiet.append(space)  # a bare space piece writes nothing visible
    if spec["model_class"] == "GPT2LMHeadModel":
        with torch.no_grad():
            model.transformer.wte.weight[[_PAD, _EOS, _UNK]] = 0.0
    else:
        quiet += range(spec["tokenizer"]["vocab_size"], spec["config"]["vocab_size"])
    return sorted(set(quiet))


def _untie_output_embeddings(model: Any, config: Any) -> None:
    """Give the LM head its own matrix, as t5 v1.1-style checkpoints (retrieva-jp/t5-base-long) have.

    transformers 5 builds every T5 with its head tied to the input embeddings
    (T5Config forces ``tie_word_embeddings=True``) but, loading a checkpoint
    that holds two different matrices, keeps them apart: saving both makes the
    app load a model of the real size (248M parameters, not 223M).
    """
    import torch

    head = model.get_output_embeddings()
    if head.weight is not model.get_input_embeddings().weight:
        return
    # T5's own init of an untied head: normal with std initializer_factor.
    head.weight = torch.nn.Parameter(torch.randn_like(head.weight) * config.initializer_factor)


def _write_checkpoint(spec: Mapping[str, Any], folder: Path, tokenizers: _Tokenizers) -> dict[str, Any]:
    """Write config, float32 safetensors weights and tokenizer of one spec into ``folder``."""
    import torch
    import transformers

    config = getattr(transformers, spec["config_class"])(**spec["config"], dtype=spec["dtype"])
    torch.manual_seed(spec["seed"])
    model = getattr(transformers, spec["model_class"])(config).eval()
    untied = spec["config"].get("tie_word_embeddings") is False
    if untied:
        _untie_output_embeddings(model, config)
    if next(model.parameters()).dtype != torch.float32:
        raise RuntimeError(f"{spec['key']}: weights are {next(model.parameters()).dtype}, not float32")
    tokenizer_spec = spec["tokenizer"]
    if tokenizer_spec["kind"].startswith("bert"):
        tokenizer = tokenizers.bert()
        tokenizer.save_pretrained(folder)
    else:
        write_sentencepiece_tokenizer(folder, tokenizers.spiece(), tokenizer_spec["extra_ids"],
                                      tokenizer_spec["model_max_length"])
        tokenizer = transformers.AutoTokenizer.from_pretrained(folder)
        expected = tokenizer_spec["vocab_size"] + tokenizer_spec["extra_ids"]
        if len(tokenizer) != expected:
            raise RuntimeError(f"{spec['key']}: tokenizer has {len(tokenizer)} tokens, not {expected}")
        quiet = _quiet_end_tokens(model, spec, tokenizer)
        model.generation_config = transformers.GenerationConfig(
            bos_token_id=getattr(config, "bos_token_id", None),
            eos_token_id=config.eos_token_id,
            pad_token_id=config.pad_token_id,
            decoder_start_token_id=getattr(config, "decoder_start_token_id", None),
            suppress_tokens=quiet,
        )
    parameters = sum(p.numel() for p in model.parameters())
    model.save_pretrained(folder)
    if untied:
        # As the Hub's T5 v1.1 configs say (transformers 5 reads it as "do not scale the decoder output").
        config_path = folder / "config.json"
        saved = json.loads(config_path.read_text(encoding="utf-8"))
        saved["tie_word_embeddings"] = False
        saved.pop("scale_decoder_outputs", None)  # derived from the line above on load
        config_path.write_text(json.dumps(saved, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    tokenizer_size = len(tokenizer)
    del model, tokenizer
    return {"parameters": parameters, "tokenizer_size": tokenizer_size,
            "transformers": transformers.__version__, "torch": torch.__version__}


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


_WORK_NAME = re.compile(r"^\..+\.(tmp|old)-(\d+)-[0-9a-f]+$")


def _remove_abandoned(parent: Path) -> None:
    """Temporary folders left by a build that was killed (its process is gone)."""
    if not parent.is_dir():
        return
    for entry in parent.iterdir():
        match = _WORK_NAME.match(entry.name)
        if match and entry.is_dir() and not _pid_alive(int(match.group(2))):
            shutil.rmtree(entry, ignore_errors=True)


def _work_path(target: Path, kind: str) -> Path:
    return target.parent / f".{target.name}.{kind}-{os.getpid()}-{uuid.uuid4().hex[:8]}"


def _build_one(spec: Mapping[str, Any], target: Path, tokenizers: _Tokenizers) -> None:
    work = _work_path(target, "tmp")
    try:
        work.mkdir(parents=True)
        started = time.perf_counter()
        built = _write_checkpoint(spec, work, tokenizers)
        built["seconds"] = round(time.perf_counter() - started, 1)
        built["built_at"] = time.strftime("%Y-%m-%dT%H:%M:%S%z")
        _readable(work)
        (work / MARKER).write_text(json.dumps({"spec": spec, "built": built}, ensure_ascii=False, indent=2),
                                   encoding="utf-8")
        if is_current(target, spec):  # another process finished the same folder meanwhile
            return
        if target.exists():
            old = _work_path(target, "old")
            os.rename(target, old)
            os.rename(work, target)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.rename(work, target)
    finally:
        if work.exists():
            shutil.rmtree(work, ignore_errors=True)
        _free_memory()


def _readable(folder: Path) -> None:
    """safetensors files come out private (0600); give them the umask's usual mode, like the other files."""
    umask = os.umask(0)
    os.umask(umask)
    for path in folder.iterdir():
        if path.is_file():
            path.chmod(0o666 & ~umask)


def _free_memory() -> None:
    gc.collect()
    try:  # give freed heap pages back to the system, so the next build starts small
        import ctypes

        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):
        pass


def build_all(cache_dir: Path | str | None = None, quick: bool = False,
              keys: Iterable[str] | None = None) -> dict[str, Path]:
    """Build (or reuse) the checkpoints of ``keys`` (all by default): {registry key: folder}.

    ``cache_dir`` None means :func:`default_cache_dir`. One model is built at a
    time and freed before the next (the full GPT-2 large is about 3 GB).
    """
    mode = "quick" if quick else "full"
    cache_dir = default_cache_dir() if cache_dir is None else Path(cache_dir).expanduser()
    wanted = list(dict.fromkeys(KEYS if keys is None else (k.strip().upper() for k in keys)))
    unknown = [k for k in wanted if k not in KEYS]
    if unknown:
        raise ValueError(f"unknown keys {', '.join(unknown)}; known keys: {', '.join(KEYS)}")
    lines = training_lines()
    digest = _text_digest(lines)
    parent = cache_dir / mode
    parent.mkdir(parents=True, exist_ok=True)
    _remove_abandoned(parent)
    paths: dict[str, Path] = {}
    workdir = _work_path(parent / "tokenizers", "tmp")  # named so that a killed run's is removed later
    workdir.mkdir()
    try:
        tokenizers = _Tokenizers(workdir, lines, mode)
        for key in wanted:
            spec = plan(key, mode, digest)
            target = folder_for(cache_dir, mode, key)
            if is_current(target, spec):
                _log(f"{key}: reusing {target}")
            else:
                _log(f"{key}: building {target} ...")
                _build_one(spec, target, tokenizers)
                _log(f"{key}: built in {read_marker(target)['built']['seconds']} s, peak RSS {peak_rss_mb():.0f} MB")
            paths[key] = target
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    return paths


# ---------------------------------------------------------------------------
# Reporting and the command line


def disk_bytes(folder: Path) -> int:
    return sum(p.stat().st_size for p in Path(folder).rglob("*") if p.is_file())


def peak_rss_mb() -> float:
    """This process's peak resident memory so far (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.checkpoints", description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="tiny shapes for smoke runs")
    parser.add_argument("--cache", type=Path, default=None,
                        help=f"cache folder (default: ${CACHE_ENV} or ~/.cache/jnlp-bench): {default_cache_dir()}")
    parser.add_argument("--keys", nargs="+", metavar="KEY", help=f"only these keys: {' '.join(KEYS)}")
    args = parser.parse_args(argv)
    # A harness that times out sends SIGTERM: exit through the cleanup of the temporary folders.
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))
    os.environ.setdefault("HF_HUB_OFFLINE", "1")  # never reach for the Hub (read when huggingface_hub loads)
    from transformers.utils import logging as transformers_logging

    transformers_logging.disable_progress_bar()  # one shard per model: the bar only clutters the log
    started = time.perf_counter()
    paths = build_all(args.cache, quick=args.quick, keys=args.keys)
    for key, folder in paths.items():
        built = (read_marker(folder) or {}).get("built", {})
        print(f"{key:17} {folder!s:45} {built.get('parameters', 0) / 1e6:9.2f} M parameters  "
              f"{disk_bytes(folder) / 1e6:9.1f} MB  (built in {built.get('seconds', '?')} s)")
    print(f"total {time.perf_counter() - started:.1f} s, peak RSS {peak_rss_mb():.0f} MB")
    for name, value in model_env(paths).items():
        print(f"export {name}={value}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
