"""意味的類似度 / Similarity: a JSTS regression score beside a SimCSE cosine similarity (book §1.1)."""

from __future__ import annotations

from dataclasses import dataclass

import gradio as gr
import numpy as np

from demos import i18n, texts
from demos.common import COMMON, blank_until_answered, clickable_examples, clip, explanation, recorded_in_groups
from demos.tasks import Answer, Input, Task
from models import batching
from models.loader import LoadedModel
from models.token_counts import exceeds_limit
from models.stages import Stages

WORDS = i18n.register("similarity", {
    "title": ("意味的類似度", "Similarity"),
    "sentence1": ("文1", "Sentence 1"),
    "sentence2": ("文2", "Sentence 2"),
    "sentence1_placeholder": ("例：彼は毎朝コーヒーを飲む。", "e.g. 彼は毎朝コーヒーを飲む。 (a Japanese sentence)"),
    "sentence2_placeholder": ("例：朝になると彼はいつもコーヒーを淹れる。",
                              "e.g. 朝になると彼はいつもコーヒーを淹れる。 (how close in meaning?)"),
    "sts_score": ("JSTS スコア (0〜5)", "JSTS score (0–5)"),
    "simcse_cosine": ("SimCSE コサイン類似度 (−1〜1)", "SimCSE cosine (−1–1)"),
    "examples": ("例（似ている・似ていない）", "Examples (similar, unrelated)"),
})
TITLE = WORDS("title")

STS_KEY = "STS"
SIMCSE_KEY = "SIMCSE"

# Written for this app: a pair with the same meaning and an unrelated pair.
EXAMPLES = [
    ["川沿いの道を犬と一緒に走った。", "犬を連れて川のそばをジョギングした。"],
    ["新しいスマートフォンの電池は長持ちする。", "祖母は毎朝、庭の花に水をやる。"],
]


@dataclass(frozen=True)
class Similarity:
    value: float
    truncated: bool
    limit: int
    stages: tuple[Stages, ...] = ()  # the pair's pass (JSTS: its raw output), or each sentence's [CLS] vector


def _pair(text1: str, text2: str) -> tuple[str, str]:
    return clip(text1), clip(text2)


def sts_many(model: LoadedModel, pairs: list[tuple[str, str]]) -> list[Similarity]:
    """The JSTS model's raw regression output (0–5 scale) for each sentence pair, batched by length.

    function_to_apply="none" keeps the raw value: with one label and no
    problem_type in its config the pipeline would otherwise apply a sigmoid.
    """
    pairs = [_pair(text1, text2) for text1, text2 in pairs]
    results = recorded_in_groups(
        model, lambda group: model.runner(group, top_k=None, function_to_apply="none", truncation=True,
                                          max_length=model.max_length, batch_size=len(group)),
        [{"text": text1, "text_pair": text2} for text1, text2 in pairs],
        [batching.padded_length(model.max_length, text1, text2) for text1, text2 in pairs])
    return [Similarity(float(result[0]["score"]), exceeds_limit(model, text1, text2), model.max_length, (stages,))
            for (text1, text2), (result, stages) in zip(pairs, results, strict=True)]


def cls_vectors(model: LoadedModel, sentences: list[str]) -> list[Stages]:
    """Each sentence's pass, its outputs the [CLS] embedding (the first token of the last hidden layer)."""
    results = recorded_in_groups(
        model, lambda group: model.runner(group, tokenize_kwargs={"truncation": True, "max_length": model.max_length},
                                          batch_size=len(group)),
        sentences, [batching.padded_length(model.max_length, sentence) for sentence in sentences], first_token_only=True)
    return [stages for _, stages in results]


def cosine(a: np.ndarray, b: np.ndarray) -> float:
    """Cosine similarity; 0.0 for a zero vector rather than a division by zero."""
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    norm = float(np.linalg.norm(a) * np.linalg.norm(b))
    return float(np.dot(a, b) / norm) if norm else 0.0


def simcse_many(model: LoadedModel, pairs: list[tuple[str, str]]) -> list[Similarity]:
    """Cosine similarity of the SimCSE [CLS] vectors of each sentence pair; all sentences batched by length."""
    pairs = [_pair(text1, text2) for text1, text2 in pairs]
    passes = cls_vectors(model, [sentence for pair in pairs for sentence in pair])
    return [Similarity(cosine(passes[2 * i].outputs, passes[2 * i + 1].outputs),
                       exceeds_limit(model, text1) or exceeds_limit(model, text2), model.max_length,
                       (passes[2 * i], passes[2 * i + 1]))
            for i, (text1, text2) in enumerate(pairs)]


# float32 models carry about 7 significant digits; 4 decimals show all that matters
# without float noise such as 3.700000047683716.
DISPLAY_DECIMALS = 4


def rounded_and_note(answer: Answer) -> tuple[float, str]:
    return round(answer.result.value, DISPLAY_DECIMALS), answer.note


def _sentences() -> tuple[Input, Input]:
    return (Input("text1", "The first sentence, in Japanese", ja="文1", en="sentence 1"),
            Input("text2", "The second sentence, in Japanese", ja="文2", en="sentence 2"))


STS = Task(
    "sts", "Semantic similarity of two Japanese sentences as a JSTS score, from BERT fine-tuned on JSTS"
    " (book section 1.1).",
    inputs=_sentences(),
    returns=("The raw regression score, a float on the JSTS scale from about 0 (unrelated) to 5 (same meaning),"
             " not clipped",
             "A Markdown note, empty unless the pair was longer than the model reads (512 tokens)"),
    forward=sts_many, batched=True, model_key=STS_KEY, example=tuple(EXAMPLES[0]))
SIMCSE = Task(
    "simcse", "Cosine similarity of the sentence vectors of two Japanese sentences, from unsupervised SimCSE"
    " (book section 1.1).",
    inputs=_sentences(),
    returns=("The cosine similarity of the two [CLS] vectors, a float from -1 to 1 (higher means closer in meaning)",
             "A Markdown note, empty unless a sentence was longer than the model reads (512 tokens)"),
    forward=simcse_many, batched=True, model_key=SIMCSE_KEY, example=tuple(EXAMPLES[0]))

sts = STS.endpoint(rounded_and_note)
simcse = SIMCSE.endpoint(rounded_and_note)


def build() -> dict[str, gr.Component]:
    explanation(texts.EXPLAINED("similarity"))
    with gr.Row():
        with gr.Column():
            text1 = gr.Textbox(label=WORDS("sentence1"), lines=2, placeholder=WORDS("sentence1_placeholder"))
            text2 = gr.Textbox(label=WORDS("sentence2"), lines=2, placeholder=WORDS("sentence2_placeholder"))
            button = gr.Button(COMMON("compare"), variant="primary")
        with gr.Column():
            score = gr.Number(label=WORDS("sts_score"))
            score_note = gr.Markdown()
        with gr.Column():
            similarity = gr.Number(label=WORDS("simcse_cosine"))
            similarity_note = gr.Markdown()
    # Two events on one click: each model answers on its own, so one that fails
    # to load leaves the other's result standing.
    # As many at once as one batch holds: they wait in the batcher, not in Gradio's queue.
    batch = batching.batch_size()
    button.click(sts, inputs=[text1, text2], outputs=[score, score_note], api_name="sts", concurrency_limit=batch)
    button.click(simcse, inputs=[text1, text2], outputs=[similarity, similarity_note], api_name="simcse",
                 concurrency_limit=batch)
    blank_until_answered(score, similarity)
    clickable_examples(EXAMPLES, [text1, text2], WORDS("examples"),
                       [(sts, [text1, text2], [score, score_note]),
                        (simcse, [text1, text2], [similarity, similarity_note])])
    from demos import inside  # here: inside reads every tab's Task

    inside.section(["sts", "simcse"], [text1, text2])
    return {"text1": text1, "text2": text2}  # what a shared link may fill (demos/links.py)
