"""文書分類 / Sentiment: the probability of every label of a review classifier (book §1.1)."""

from __future__ import annotations

import gradio as gr

from demos import texts
from demos.common import Scores, classify, classify_many, clickable_examples, explanation, friendly_errors, require_text, truncation_note
from models import batching
from models.loader import LoadedModel

TITLE = "文書分類 / Sentiment"
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
    # Requests arriving together share one forward pass (models/batching.py).
    scores = batching.run(MODEL_KEY, classify_many, (require_text(text), None))
    return to_label(scores), truncation_note(scores.truncated, scores.limit)


def build() -> None:
    explanation(texts.SENTIMENT_JA, texts.SENTIMENT_EN)
    with gr.Row():
        with gr.Column():
            text = gr.Textbox(label="レビュー / Review", lines=4, placeholder="例：この本はとても読みやすかった。")
            button = gr.Button("分類する / Classify", variant="primary")
        with gr.Column():
            label = gr.Label(label="ラベルの確率 / Label probabilities")
            note = gr.Markdown()
    # As many at once as one batch holds: they wait in the batcher, not in Gradio's queue.
    button.click(sentiment, inputs=[text], outputs=[label, note], api_name="sentiment",
                 concurrency_limit=batching.batch_size())
    clickable_examples(EXAMPLES, [text], "例（肯定・否定） / Examples (positive, negative)",
                       [(sentiment, [text], [label, note])])
