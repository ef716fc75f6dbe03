"""文書分類 / Sentiment: the probability of every label of a review classifier (book §1.1)."""

from __future__ import annotations

import gradio as gr

from demos import i18n, texts
from demos.common import classify_many, clickable_examples, explanation, label_and_note
from demos.tasks import Input, Task
from models import batching

WORDS = i18n.register("sentiment", {
    "title": ("文書分類", "Sentiment"),
    "review": ("レビュー", "Review"),
    "placeholder": ("例：この本はとても読みやすかった。", "e.g. この本はとても読みやすかった。 (a Japanese review)"),
    "classify": ("分類する", "Classify"),
    "probabilities": ("ラベルの確率", "Label probabilities"),
    "examples": ("例（肯定・否定）", "Examples (positive, negative)"),
})
TITLE = WORDS("title")

# Written for this app: one clearly positive and one clearly negative review.
EXAMPLES = [
    ["このイヤホンは音がクリアで、一日中つけていても耳が痛くなりません。買って本当によかったです。"],
    ["届いた炊飯器は三日で動かなくなり、問い合わせても返事がありません。二度と買いません。"],
]


SENTIMENT = Task(
    "sentiment", "Classify the sentiment of a Japanese review with BERT fine-tuned on MARC-ja (book section 1.1).",
    inputs=(Input("text", "The review to classify, in Japanese; up to 100,000 characters are read, and the model"
                  " itself sees only its first 512 tokens"),),
    returns=("A label: the most likely label and the probability of every label (positive, negative), summing to 1",
             "A Markdown note, empty unless the text was longer than the model reads"),
    forward=classify_many, batched=True, model_key="SENTIMENT", example=tuple(EXAMPLES[0]))

sentiment = SENTIMENT.endpoint(label_and_note)


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
    from demos import inside, prompting  # here: they read every tab's Task

    inside.section(["sentiment"], [text])
    prompting.section(text)
    return {"text": text}  # what a shared link may fill (demos/links.py)
