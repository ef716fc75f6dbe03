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

import gradio as gr

from demos import generation, i18n, tasks
from demos.common import InputError, friendly_errors, markdown_literal
from demos.tasks import Input, Task
from models.loader import LoadedModel
from models.registry import get_spec

ZERO_SHOT = "レビュー：{text}\n感情："
# Two reviews written for the app, one of each label (never one of the experiment's reviews).
FEW_SHOT = ("レビュー：説明が丁寧で、初めてでもすぐに使えました。\n感情：ポジティブ\n\n"
            "レビュー：届いた日に壊れて、返品にも応じてもらえませんでした。\n感情：ネガティブ\n\n" + ZERO_SHOT)
PRESETS = {"zero_shot": ZERO_SHOT, "few_shot": FEW_SHOT}
SLOT = "{text}"
DEFAULT_LABEL_WORDS = "ポジティブ,ネガティブ"
MOST_LABELS = 10
LONGEST_LABEL_WORD = 50
LONGEST_TEMPLATE = 4_000


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
    if len(words) > MOST_LABELS or max(map(len, words)) > LONGEST_LABEL_WORD:
        raise InputError(f"ラベルの語は {MOST_LABELS} 個まで、それぞれ {LONGEST_LABEL_WORD} 文字までです。 / At most"
                         f" {MOST_LABELS} label words, each at most {LONGEST_LABEL_WORD} characters.")
    return words


def template_of(text: Any) -> str:
    """The template (empty: the zero-shot preset); it must hold {text}, where the review goes."""
    template = str(text or "")
    if not template.strip():
        return ZERO_SHOT
    if len(template) > LONGEST_TEMPLATE:
        raise InputError(f"テンプレートが長すぎます（{LONGEST_TEMPLATE:,} 文字まで）。 / The template is too long (at most"
                         f" {LONGEST_TEMPLATE:,} characters).")
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
    """/prompt_classify for gradio_client and MCP (the view, in the sentiment tab, calls the same handler)."""
    gr.api(prompt_classify, api_name="prompt_classify")


# ---- the view: the same review both ways, and a small experiment ------------------------------------------

# Written for the app, balanced, none of them a few-shot example: (review, its label).
EXPERIMENT = [
    ("画面がきれいで動作も速く、毎日快適に使っています。", "positive"),
    ("店員さんの説明がわかりやすく、安心して買えました。", "positive"),
    ("味が濃すぎず、家族みんなでおいしく食べました。", "positive"),
    ("軽くて持ち運びやすいので、旅行にぴったりでした。", "positive"),
    ("期待以上の出来で、友人にも勧めたいと思います。", "positive"),
    ("組み立てが簡単で、子どもでもすぐに遊べました。", "positive"),
    ("一週間で電源が入らなくなり、とてもがっかりしました。", "negative"),
    ("写真と色がまったく違い、返品することにしました。", "negative"),
    ("音が大きすぎて、夜はとても使えません。", "negative"),
    ("説明書がわかりにくく、設定に何時間もかかりました。", "negative"),
    ("注文から二週間たっても届かず、連絡もありません。", "negative"),
    ("値段のわりに作りが雑で、すぐに壊れてしまいました。", "negative"),
]
LABELS = ("positive", "negative")  # the experiment's first label word stands for positive, the second for negative

WORDS = i18n.register("prompting", {
    "title": ("ファインチューニングとプロンプト（同じレビューを 2 通りで）", "Fine-tuning vs prompting (one review, two ways)"),
    "intro": (
        "§1.4 の 2 つの解き方を並べます。左：事前学習済み BERT に小さな分類ヘッドを足し、ラベル付きレビューで全体を学習したモデル"
        "（ファインチューニング）。右：GPT-2 は事前学習のまま何も学習せず、プロンプトの続きとして各ラベル語が出る確率を比べます"
        "（ラベル語の確率はそのトークンの条件付き確率の積、ラベル語どうしで正規化）。",
        "The two ways of §1.4 side by side. Left: a pre-trained BERT with a small classification head added, all of it"
        " trained on labelled reviews (fine-tuning). Right: GPT-2 left as pre-trained, nothing trained; each label"
        " word's probability as the prompt's continuation (the product of its tokens' conditional probabilities,"
        " normalised over the label words)."),
    "preset": ("プロンプトの型", "Prompt preset"),
    "zero_shot": ("ゼロショット", "Zero-shot"),
    "few_shot": ("フューショット（例 2 つ）", "Few-shot (two examples)"),
    "template": ("テンプレート（{text} にレビューが入ります）", "Template ({text} is where the review goes)"),
    "label_words": ("ラベル語（カンマ区切り、1 つ目＝positive、2 つ目＝negative）",
                    "Label words (comma-separated; first = positive, second = negative)"),
    "model": ("GPT-2", "GPT-2"),
    "run": ("2 通りで分類する", "Classify both ways"),
    "fine_tuned": ("ファインチューニングした BERT", "Fine-tuned BERT"),
    "prompted": ("プロンプトで GPT-2", "GPT-2 with a prompt"),
    "experiment": ("例の 12 レビューで正解率を比べる", "Compare the accuracy on the 12 example reviews"),
    "fine_tuned_heading": ("## ファインチューニングした BERT", "## Fine-tuned BERT"),
    "prompted_heading": ("## プロンプトで GPT-2", "## GPT-2 with a prompt"),
})
TITLE = WORDS("title")


def trained_text(fine_tuned: dict[str, Any]) -> str:
    """What was trained in each case, from the fine-tuned model's own parameter count."""
    head = next(part["parameters"] for part in fine_tuned["parts"] if part["name"] == "head")
    return (f"**学習したもの / what was trained:** ファインチューニング：全 {fine_tuned['total']:,} パラメータ（うち追加した分類ヘッドは"
            f" {head:,}）をラベル付きレビューで / fine-tuning: every one of its {fine_tuned['total']:,} parameters (the added"
            f" head: {head:,}) on labelled reviews. プロンプト：なし（事前学習のまま） / prompting: nothing, the model is as"
            " pre-trained.")


def prompted_text(found: dict[str, Any]) -> str:
    """The filled prompt with its tokens, and each label word's tokens, log-probability and share."""
    tokens = " ｜ ".join(markdown_literal(token) for token in found["prompt_tokens"])
    lines = [f"**モデルが読んだプロンプト / the prompt as the model read it**（{len(found['prompt_tokens'])} トークン / tokens）:",
             "", "```", found["prompt"].replace("```", "ʼʼʼ"), "```", "", tokens, "",
             "| ラベル語 / label word | トークン / tokens | ln P(語 / word ∣ prompt) | 正規化後 / normalised |", "|---|---|---|---|"]
    lines += [f"| {markdown_literal(label['word'])} | {' ｜ '.join(markdown_literal(t) for t in label['tokens'])} | "
              f"{label['logprob']:.4f} | {label['probability']:.1%} |" for label in found["labels"]]
    return "\n".join(lines)


def experiment(template: str, label_words: str, model_key: str) -> dict[str, Any]:
    """Both ways over EXPERIMENT: each review's truth and two predictions, each way's accuracy and confusion."""
    from demos import sentiment

    words = label_words_of(label_words)[:2]
    rows = []
    for review, truth in EXPERIMENT:
        probabilities, _ = sentiment.sentiment(review)
        bert = max(probabilities, key=probabilities.get)
        found = prompt_classify(review, template, ",".join(words), model_key)
        best = max(found["labels"], key=lambda label: label["probability"])["word"]
        rows.append({"review": review, "truth": truth, "fine_tuned": bert, "prompted": LABELS[words.index(best)]})
    return {"rows": rows, **{way: _scores([row[way] for row in rows], [row["truth"] for row in rows])
                             for way in ("fine_tuned", "prompted")}}


def _scores(predicted: list[str], truths: list[str]) -> dict[str, Any]:
    confusion = {truth: {guess: sum(1 for p, t in zip(predicted, truths) if t == truth and p == guess)
                         for guess in LABELS} for truth in LABELS}
    return {"accuracy": sum(p == t for p, t in zip(predicted, truths)) / len(truths), "confusion": confusion}


def experiment_text(found: dict[str, Any]) -> str:
    lines = [f"正解率 / accuracy: ファインチューニング / fine-tuned **{found['fine_tuned']['accuracy']:.0%}**, プロンプト / "
             f"prompted **{found['prompted']['accuracy']:.0%}**（{len(found['rows'])} 件 / reviews）", ""]
    for way, ja, en in (("fine_tuned", "ファインチューニング", "fine-tuned"), ("prompted", "プロンプト", "prompted")):
        confusion = found[way]["confusion"]
        lines += [f"**{ja} / {en}** — 混同行列 / confusion (行＝正解 / rows: truth)", "",
                  "| | → positive | → negative |", "|---|---|---|"]
        lines += [f"| {truth} | {confusion[truth]['positive']} | {confusion[truth]['negative']} |" for truth in LABELS]
        lines.append("")
    return "\n".join(lines)


def experiment_rows(found: dict[str, Any]) -> list[list[str]]:
    mark = lambda guess, truth: f"{guess} {'✓' if guess == truth else '✗'}"  # noqa: E731 - a sign, not only colour
    return [[row["review"], row["truth"], mark(row["fine_tuned"], row["truth"]), mark(row["prompted"], row["truth"])]
            for row in found["rows"]]


@friendly_errors
def both_ways(review: str, template: str, label_words: str, model_key: str) -> tuple:
    from demos import inside, sentiment

    label, _ = sentiment.sentiment(review)
    found = prompt_classify(review, template, label_words, model_key)
    prompted = {item["word"]: item["probability"] for item in found["labels"]}
    return label, trained_text(inside.anatomy("sentiment")), prompted, prompted_text(found)


@friendly_errors
def experiment_view(template: str, label_words: str, model_key: str) -> tuple[str, list[list[str]]]:
    found = experiment(template, label_words, model_key)
    return experiment_text(found), experiment_rows(found)


def section(review: gr.Textbox) -> None:
    """The view, in the sentiment tab under its own review box (closed until opened)."""
    with gr.Accordion(WORDS("title"), open=False):
        gr.Markdown(WORDS("intro"))
        with gr.Row():
            preset = gr.Radio([(WORDS(name), name) for name in PRESETS], value="zero_shot", label=WORDS("preset"))
            model = PROMPT_MODEL.radio(lambda key: get_spec(key).resolve_id(), WORDS("model"))
        with gr.Row():
            template = gr.Textbox(value=ZERO_SHOT, label=WORDS("template"), lines=3, max_length=LONGEST_TEMPLATE)
            label_words = gr.Textbox(value=DEFAULT_LABEL_WORDS, label=WORDS("label_words"), max_length=200)
        run = gr.Button(WORDS("run"), variant="primary")
        with gr.Row():
            with gr.Column():
                gr.Markdown(WORDS("fine_tuned_heading"))
                fine_tuned = gr.Label(label=WORDS("fine_tuned"))
                trained = gr.Markdown()
            with gr.Column():
                gr.Markdown(WORDS("prompted_heading"))
                prompted = gr.Label(label=WORDS("prompted"))
                details = gr.Markdown()
        compare = gr.Button(WORDS("experiment"), size="sm")
        summary = gr.Markdown()
        table = gr.Dataframe(headers=["レビュー / review", "正解 / truth", "ファインチューニング / fine-tuned",
                                      "プロンプト / prompted"], interactive=False)
    private = {"api_visibility": "private"}
    preset.input(lambda name: PRESETS[name], inputs=[preset], outputs=[template], **private)
    run.click(both_ways, inputs=[review, template, label_words, model], outputs=[fine_tuned, trained, prompted, details],
              **private)
    compare.click(experiment_view, inputs=[template, label_words, model], outputs=[summary, table], **private)
