"""Prompting as a classifier (book §1.4): GPT-2 left as pre-trained, steered by a prompt, beside the
fine-tuned BERT of the sentiment tab.

The review goes into a template; each label word's probability as the continuation of the filled prompt
is the product of its tokens' conditional probabilities, P(w1 … wn | prompt) = Π P(wi | prompt w1 … wi−1),
read from one forward pass over "prompt + label word" per label (all labels in one padded batch). The
labels' probabilities are these, normalised over the label words.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import numpy as np

from demos import generation, tasks
from demos.common import InputError
from demos.tasks import Input, Task
from models.loader import LoadedModel

ZERO_SHOT = "レビュー：{text}\n感情："
# Two reviews written for the app, one of each label (never one of the experiment's reviews).
FEW_SHOT = ("レビュー：説明が丁寧で、初めてでもすぐに使えました。\n感情：ポジティブ\n\n"
            "レビュー：届いた日に壊れて、返品にも応じてもらえませんでした。\n感情：ネガティブ\n\n" + ZERO_SHOT)
PRESETS = {"zero_shot": ZERO_SHOT, "few_shot": FEW_SHOT}
SLOT = "{text}"
DEFAULT_LABEL_WORDS = "ポジティブ,ネガティブ"
MOST_LABELS = 10


@dataclass(frozen=True)
class LabelScore:
    word: str
    token_ids: tuple[int, ...]
    tokens: tuple[str, ...]
    logprob: float  # ln P(word | prompt), the sum of its tokens' log-probabilities
    probability: float  # normalised over the label words


@dataclass(frozen=True)
class PromptScores:
    prompt: str  # the filled prompt, exactly as the model read it
    prompt_tokens: tuple[str, ...]
    labels: list[LabelScore]


def label_words_of(text: Any) -> list[str]:
    """The label words of a comma-separated list (、 and full-width commas too), blanks dropped."""
    words = [word.strip() for word in re.split(r"[,，、\n]", str(text or ""))]
    words = list(dict.fromkeys(word for word in words if word))
    if len(words) < 2:
        raise InputError("ラベルの語を 2 つ以上、カンマで区切って書いてください（例：ポジティブ,ネガティブ）。 / Give at least two"
                         " label words, separated by commas (for example ポジティブ,ネガティブ).")
    if len(words) > MOST_LABELS:
        raise InputError(f"ラベルの語は {MOST_LABELS} 個までです。 / At most {MOST_LABELS} label words.")
    return words


def template_of(text: Any) -> str:
    """The template (empty: the zero-shot preset); it must hold {text}, where the review goes."""
    template = str(text or "")
    if not template.strip():
        return ZERO_SHOT
    if SLOT not in template:
        raise InputError("テンプレートに {text} を入れてください（レビューが入る場所です）。 / Put {text} in the template:"
                         " that is where the review goes.")
    return template


def fill(template: str, review: str) -> str:
    """The template with the review in its slot (a plain replacement: other braces stay as they are)."""
    return template.replace(SLOT, review)


def continuation_ids(tokenizer: Any, prompt: str, word: str) -> tuple[list[int], list[int]]:
    """The prompt's ids (no special tokens) and the label word's ids as the tokenizer reads it right after
    the prompt: read together, when the prompt's ids come first unchanged; else read alone."""
    prompt_ids = tokenizer(prompt, add_special_tokens=False)["input_ids"]
    together = tokenizer(prompt + word, add_special_tokens=False)["input_ids"]
    if together[:len(prompt_ids)] == prompt_ids and len(together) > len(prompt_ids):
        return prompt_ids, together[len(prompt_ids):]
    return prompt_ids, tokenizer(word, add_special_tokens=False)["input_ids"]


def classify_by_prompt(model: LoadedModel, review: str, template: str, label_words: str) -> PromptScores:
    """Each label word's log-probability after the filled prompt, and the labels' probabilities."""
    import torch

    tokenizer, network = model.tokenizer, model.runner.model
    prompt = fill(template_of(template), review)
    words = label_words_of(label_words)
    pieces = [continuation_ids(tokenizer, prompt, word) for word in words]
    prompt_ids = pieces[0][0]
    longest = max(len(prompt_ids) + len(word_ids) for _, word_ids in pieces)
    if longest > model.max_length:
        keep = model.max_length - max(len(word_ids) for _, word_ids in pieces)
        prompt_ids = prompt_ids[-keep:]  # a prompt past the model's positions keeps its end, as generation does
    rows = [prompt_ids + word_ids for _, word_ids in pieces]
    width = max(map(len, rows))
    pad = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else 0
    device = network.device
    ids = torch.tensor([row + [pad] * (width - len(row)) for row in rows], device=device)
    mask = torch.tensor([[1] * len(row) + [0] * (width - len(row)) for row in rows], device=device)
    with torch.inference_mode():
        logprobs = torch.log_softmax(network(input_ids=ids, attention_mask=mask).logits.double(), dim=-1)
    totals = []
    for row, (_, word_ids) in enumerate(pieces):
        start = len(prompt_ids)
        # the token at position p is predicted by the logits at position p − 1
        totals.append(sum(float(logprobs[row, start + i - 1, token]) for i, token in enumerate(word_ids)))
    shares = np.exp(np.asarray(totals) - max(totals))
    shares /= shares.sum()
    return PromptScores(prompt, tuple(tokenizer.convert_ids_to_tokens(prompt_ids)),
                        [LabelScore(word, tuple(word_ids), tuple(tokenizer.convert_ids_to_tokens(word_ids)), total,
                                    float(share))
                         for word, (_, word_ids), total, share in zip(words, pieces, totals, shares)])


def as_json(scores: PromptScores) -> dict[str, Any]:
    return {"prompt": scores.prompt, "prompt_tokens": list(scores.prompt_tokens),
            "labels": [{"word": label.word, "tokens": list(label.tokens), "token_ids": list(label.token_ids),
                        "logprob": label.logprob, "probability": label.probability} for label in scores.labels]}


PROMPT_MODEL = Input("model_key", f"Which GPT-2: {generation.MODEL_KEYS[1]} (default) is rinna/japanese-gpt2-small,"
                     f" quick on a CPU; {generation.MODEL_KEYS[0]} is abeja/gpt2-large-japanese, the book's model",
                     default=generation.MODEL_KEYS[1], choices=generation.MODEL_KEYS, ja="モデル", en="model")
PROMPT_CLASSIFY = Task(
    "prompt_classify", "Classify a review by prompting a GPT-2 left as pre-trained (book section 1.4): each label"
    " word's probability as the continuation of the filled prompt, normalised over the label words.",
    inputs=(Input("text", "The review, in Japanese", ja="レビュー", en="review", longest=2_000),
            Input("template", "The prompt, with {text} where the review goes; empty for the zero-shot preset"
                  " 「レビュー：{text}\\n感情：」", kind=None, default=""),
            Input("label_words", "The label words, separated by commas; each is scored as the prompt's continuation",
                  kind=None, default=DEFAULT_LABEL_WORDS),
            PROMPT_MODEL),
    returns=("JSON: prompt (the filled prompt as the model read it), prompt_tokens, and labels: a list of {word, tokens,"
             " token_ids, logprob, probability} in the order given, the probabilities normalised over the label words",),
    forward=classify_by_prompt, example=("この本はとても読みやすかった。", "", DEFAULT_LABEL_WORDS,
                                         generation.MODEL_KEYS[1]))
prompt_classify = tasks.typed(PROMPT_CLASSIFY.endpoint(lambda answer: as_json(answer.result)), PROMPT_CLASSIFY.inputs)


def api() -> None:
    """/prompt_classify for gradio_client and MCP (the side-by-side view comes next)."""
    import gradio as gr

    gr.api(prompt_classify, api_name="prompt_classify")
