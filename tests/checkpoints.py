"""Tiny but real checkpoints, built offline, for tests.

Each builder writes a folder that ``from_pretrained`` (and so the app's own
loader) reads exactly like a Hub model: a real config, a real tokenizer
(BertJapaneseTokenizer with MeCab + WordPiece, or a SentencePiece T5
tokenizer trained here) and weights that are random or set by hand where a
test needs a known output.
"""

from __future__ import annotations

import itertools
import json
import math
from pathlib import Path

import fugashi
import torch

# Label sets of the real llm-book models, in their config order.
SENTIMENT_LABELS = ["positive", "negative"]
NLI_LABELS = ["entailment", "contradiction", "neutral"]
NER_TYPES = ["人名", "法人名", "政治的組織名", "その他の組織名", "地名", "施設名", "製品名", "イベント名"]
NER_LABELS = ["O"] + [f"{prefix}-{kind}" for kind in NER_TYPES for prefix in ("B", "I")]

# Words the hand-made NER model tags, by the MeCab token that carries the tag.
NER_LEXICON = {
    "山田": "B-人名",
    "太郎": "I-人名",
    "佐藤": "B-人名",
    "花子": "I-人名",
    "東京": "B-地名",
    "大阪": "B-地名",
    "京都": "B-地名",
    "ABC": "B-法人名",
    "トヨタ": "B-法人名",
    "国会": "B-政治的組織名",
    "オリンピック": "B-イベント名",
}

_SUBJECTS = ["山田", "太郎", "佐藤", "花子", "私", "友達", "先生", "学生", "母", "ABC", "トヨタ", "国会"]
_PLACES = ["東京", "大阪", "京都", "公園", "駅", "学校", "会社", "図書館", "海", "山"]
_THINGS = ["映画", "本", "料理", "音楽", "天気", "景色", "試合", "ニュース", "記事", "商品", "オリンピック"]
_JUDGEMENTS = ["とても面白かった", "つまらなかった", "良い", "悪い", "最高だった", "残念だった", "美しい", "新しい"]
_VERBS = ["行きます", "働いています", "読みました", "見ました", "食べました", "話しました", "走りました"]


def generated_lines() -> list[str]:
    """Japanese sentences made from small word lists (no text copied from anywhere)."""
    lines = []
    for subject, place, thing, judgement, verb in itertools.islice(
        zip(
            itertools.cycle(_SUBJECTS),
            itertools.cycle(_PLACES),
            itertools.cycle(_THINGS),
            itertools.cycle(_JUDGEMENTS),
            itertools.cycle(_VERBS),
        ),
        400,
    ):
        lines.append(f"{subject}さんは{place}で{verb}。")
        lines.append(f"この{thing}は{judgement}。")
        lines.append(f"今日は{place}の{thing}が{judgement}ので、{subject}と{verb}。")
    lines.append("今日は天気が良いので散歩に行きます。")
    return lines


def build_bert_tokenizer(folder: Path, lines: list[str] | None = None):
    """A BertJapaneseTokenizer (MeCab/unidic_lite + WordPiece) with a vocab built from MeCab words."""
    from transformers import BertJapaneseTokenizer

    folder.mkdir(parents=True, exist_ok=True)
    tagger = fugashi.Tagger()
    words: dict[str, None] = {}
    chars: dict[str, None] = {}
    for line in lines or generated_lines():
        for node in tagger(line):
            words[node.surface] = None
            chars.update(dict.fromkeys(node.surface))
    vocab = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
    vocab += [w for w in words if w not in vocab]
    vocab += [c for c in chars if c not in words]
    vocab += ["##" + c for c in chars]
    (folder / "vocab.txt").write_text("\n".join(vocab) + "\n", encoding="utf-8")
    tokenizer = BertJapaneseTokenizer(
        str(folder / "vocab.txt"),
        word_tokenizer_type="mecab",
        subword_tokenizer_type="wordpiece",
        mecab_kwargs={"mecab_dic": "unidic_lite"},
    )
    tokenizer.save_pretrained(folder)
    return tokenizer


def _bert_config(vocab_size: int, **overrides):
    from transformers import BertConfig

    settings = dict(
        vocab_size=vocab_size,
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=64,
        max_position_embeddings=64,
    )
    settings.update(overrides)
    return BertConfig(**settings)


def build_classifier(folder: Path, labels: list[str], probabilities: list[float] | None = None,
                     regression_value: float | None = None, problem_type: str | None = None) -> Path:
    """A BertForSequenceClassification whose output does not depend on the input.

    With the classifier's weights at zero its logits equal its bias, so
    ``probabilities`` (softmax of log-probabilities) or ``regression_value``
    come out exactly, whatever the text.
    """
    from transformers import BertForSequenceClassification

    tokenizer = build_bert_tokenizer(folder)
    config = _bert_config(
        len(tokenizer.vocab),
        num_labels=len(labels),
        id2label=dict(enumerate(labels)),
        label2id={label: i for i, label in enumerate(labels)},
        problem_type=problem_type,
    )
    torch.manual_seed(0)
    model = BertForSequenceClassification(config).eval()
    with torch.no_grad():
        model.classifier.weight.zero_()
        if regression_value is not None:
            model.classifier.bias.fill_(regression_value)
        elif probabilities is not None:
            model.classifier.bias.copy_(torch.tensor([math.log(p) for p in probabilities]))
    model.save_pretrained(folder)
    return folder


def build_encoder(folder: Path) -> Path:
    """A BertModel with random weights, for the SimCSE feature-extraction tab."""
    from transformers import BertModel

    tokenizer = build_bert_tokenizer(folder)
    torch.manual_seed(1)
    # A wide initialisation so that different sentences get clearly different vectors.
    BertModel(_bert_config(len(tokenizer.vocab), initializer_range=0.5)).eval().save_pretrained(folder)
    return folder


def build_token_classifier(folder: Path, lexicon: dict[str, str] | None = None) -> Path:
    """A BertForTokenClassification that tags each token by a lexicon, by construction.

    With no encoder layer and no position signal, a token's hidden state is the
    layer-normalised embedding of the token alone. Each embedding is a spike
    on the dimension of the token's label, and the classifier reads that
    dimension: the predicted tag of a token is its lexicon entry, or "O".
    """
    from transformers import BertForTokenClassification

    lexicon = NER_LEXICON if lexicon is None else lexicon
    tokenizer = build_bert_tokenizer(folder)
    labels = NER_LABELS
    config = _bert_config(
        len(tokenizer.vocab),
        hidden_size=len(labels) + 1,  # one spare dimension keeps every vector non-constant
        num_hidden_layers=0,
        num_attention_heads=1,
        num_labels=len(labels),
        id2label=dict(enumerate(labels)),
        label2id={label: i for i, label in enumerate(labels)},
        max_position_embeddings=64,
    )
    model = BertForTokenClassification(config).eval()
    with torch.no_grad():
        embeddings = model.bert.embeddings
        embeddings.position_embeddings.weight.zero_()
        embeddings.token_type_embeddings.weight.zero_()
        embeddings.LayerNorm.weight.fill_(1.0)
        embeddings.LayerNorm.bias.zero_()
        table = torch.zeros_like(embeddings.word_embeddings.weight)
        for token, index in tokenizer.vocab.items():
            label = lexicon.get(token, "O")
            table[index, labels.index(label)] = 1.0
        embeddings.word_embeddings.weight.copy_(table)
        classifier = torch.zeros(len(labels), len(labels) + 1)
        classifier[:, : len(labels)] = torch.eye(len(labels)) * 4.0
        model.classifier.weight.copy_(classifier)
        model.classifier.bias.zero_()
    model.save_pretrained(folder)
    return folder


def _sentencepiece_tokenizer(folder: Path, lines: list[str] | None = None):
    """A SentencePiece model trained here, saved the way Hub repos of T5 and abeja's GPT-2 ship it:
    spiece.model and a T5Tokenizer config, converted by transformers on load as for the real ones."""
    import sentencepiece
    from transformers import AutoTokenizer

    folder.mkdir(parents=True, exist_ok=True)
    corpus = folder / "corpus.txt"
    corpus.write_text("\n".join(lines or generated_lines()) + "\n", encoding="utf-8")
    sentencepiece.SentencePieceTrainer.train(
        input=str(corpus),
        model_prefix=str(folder / "spiece"),
        vocab_size=400,
        model_type="unigram",
        max_sentencepiece_length=4,  # short pieces, so unseen sentences still tokenize
        hard_vocab_limit=False,
        character_coverage=1.0,
        pad_id=0,
        eos_id=1,
        unk_id=2,
        bos_id=-1,
        minloglevel=2,
    )
    corpus.unlink()
    (folder / "spiece.vocab").unlink()
    (folder / "tokenizer_config.json").write_text(
        json.dumps({"tokenizer_class": "T5Tokenizer", "extra_ids": 0, "model_max_length": 512,
                    "eos_token": "</s>", "unk_token": "<unk>", "pad_token": "<pad>"}),
        encoding="utf-8",
    )
    return AutoTokenizer.from_pretrained(folder)


def build_gpt2(folder: Path) -> Path:
    """A tiny GPT-2 with a SentencePiece tokenizer (the shape of abeja/gpt2-large-japanese)."""
    from transformers import GPT2Config, GPT2LMHeadModel

    tokenizer = _sentencepiece_tokenizer(folder)
    config = GPT2Config(vocab_size=len(tokenizer), n_positions=64, n_embd=32, n_layer=2, n_head=2,
                        bos_token_id=1, eos_token_id=1, pad_token_id=0)
    torch.manual_seed(3)
    GPT2LMHeadModel(config).eval().save_pretrained(folder)
    return folder


def build_t5(folder: Path, lines: list[str] | None = None) -> Path:
    """A tiny T5 (gated-gelu, like retrieva-jp/t5-base-long) with a SentencePiece tokenizer trained here."""
    from transformers import T5Config, T5ForConditionalGeneration

    tokenizer = _sentencepiece_tokenizer(folder, lines)
    config = T5Config(
        vocab_size=len(tokenizer),
        d_model=32,
        d_kv=16,
        d_ff=64,
        num_layers=2,
        num_decoder_layers=2,
        num_heads=2,
        feed_forward_proj="gated-gelu",
        tie_word_embeddings=False,
        decoder_start_token_id=0,
        pad_token_id=0,
        eos_token_id=1,
    )
    torch.manual_seed(2)
    model = T5ForConditionalGeneration(config).eval()
    # A random model tends to stop at once or emit nothing visible. Like a real
    # checkpoint's generation_config.json may, this one suppresses </s>, <pad>,
    # <unk> and the bare space piece, so it writes visible text until
    # max_new_tokens and a summary is never empty.
    model.generation_config.suppress_tokens = [
        config.eos_token_id, config.pad_token_id, tokenizer.unk_token_id, tokenizer.convert_tokens_to_ids("▁")]
    model.save_pretrained(folder)
    return folder


# The hand-set fill-mask head's fillers: whatever the text, every [MASK] gets these, with these probabilities.
MASK_FILLERS = {"東京": 0.5, "大阪": 0.3, "##ス": 0.2}
# Sentences whose characters join the tiny vocabulary as pieces only (MeCab words not in it), so that
# a word like テレビ is split by WordPiece into several subword tokens.
_PIECE_LINES = ["テスト", "レモン", "ビル"]


def build_masked_lm(folder: Path) -> Path:
    """A BertForMaskedLM with a random encoder and a fill-mask head set by hand.

    The encoder is random (a wide initialisation, so a word's vectors differ
    with its context). The head's decoder weight is zero, so its logits are
    its bias whatever the text: MASK_FILLERS come out with exactly their
    probabilities, every other token with about 0. The decoder is not tied to
    the word embeddings (tie_word_embeddings=False), or zeroing it would zero them.
    """
    from transformers import BertForMaskedLM

    lines = generated_lines() + [f"{word}" for word in _PIECE_LINES]
    tokenizer = build_bert_tokenizer(folder, lines)
    config = _bert_config(len(tokenizer.vocab), initializer_range=0.5, tie_word_embeddings=False)
    torch.manual_seed(4)
    model = BertForMaskedLM(config).eval()
    with torch.no_grad():
        bias = torch.full((config.vocab_size,), -1e4)
        for token, probability in MASK_FILLERS.items():
            bias[tokenizer.vocab[token]] = math.log(probability)
        model.cls.predictions.decoder.weight.zero_()
        model.cls.predictions.decoder.bias.copy_(bias)
        model.cls.predictions.bias.copy_(bias)
    model.save_pretrained(folder)
    return folder
