"""文書分類 / Sentiment: the probability of every label of a review classifier (book §1.1)."""

from __future__ import annotations

import gradio as gr

from demos import i18n, texts
from demos.common import Scores, classify, classify_many, clickable_examples, explanation, friendly_errors, require_text, truncation_note
from models import batching
from models.loader import LoadedModel

WORDS = i18n.register("sentiment", {
    "title": ("文書分類", "Sentiment"),
    "review": ("レビュー", "Review"),
    "placeholder": ("例：この本はとても読みやすかった。", "e.g. この本はとても読みやすかった。 (a Japanese review)"),
    "classify": ("分類する", "Classify"),
    "probabilities": ("ラベルの確率", "Label probabilities"),
    "examples": ("例（肯定・否定）", "Examples (positive, negative)"),
})
TITLE = WORDS("title")

MODEL_KEY = "SENTIMENT"

# Written for this app: one clearly positive and one clearly negative review.
EXAMPLES = [
    ["このイヤホンは音がクリアで、一日中つけていても耳が痛くなりません。買って本当によかったです。"],
    ["届いた炊飯器は三日で動かなくなり、問い合わせても返事がありません。二度と買いません。"],
]


def predict(model: LoadedModel, text: str) -> Scores:
    """Every label's probability for one text."""
    return classify(model, require_text(text))


def to_label(scores: Scores) -> dict[str, float]:
    """The value of a gr.Label: label -> probability."""
    return dict(scores.probabilities)


@friendly_errors
def sentiment(text: str) -> tuple[dict[str, float], str]:
    """Classify the sentiment of a Japanese review with BERT fine-tuned on MARC-ja (book section 1.1).

    Args:
        text: The review to classify, in Japanese (str, required, not blank). Up to 100,000 characters are read; the model itself sees only its first 512 tokens.

    Returns:
        A label: the most likely label and the probability of every label (positive, negative), summing to 1
        A Markdown note, empty unless the text was longer than the model reads
    """
    # Requests arriving together share one forward pass (models/batching.py).
    scores = batching.run(MODEL_KEY, classify_many, (require_text(text), None))
    return to_label(scores), truncation_note(scores.truncated, scores.limit)


def build() -> dict[str, gr.Component]:
    explanation(texts.EXPLAINED("sentiment"))
    with gr.Row():
        with gr.Column():
            text = gr.Textbox(label=WORDS("review"), lines=4, placeholder=WORDS("placeholder"))
            button = gr.Button(WORDS("classify"), variant="primary")
        with gr.Column():
            label = gr.Label(label=WORDS("probabilities"))
            note = gr.Markdown()
    # As many at once as one batch holds: they wait in the batcher, not in Gradio's queue.
    button.click(sentiment, inputs=[text], outputs=[label, note], api_name="sentiment",
                 concurrency_limit=batching.batch_size())
    clickable_examples(EXAMPLES, [text], WORDS("examples"),
                       [(sentiment, [text], [label, note])])
    return {"text": text}  # what a shared link may fill (demos/links.py)
