"""自然言語推論 / NLI: entailment, contradiction or neutral for a premise and a hypothesis (book §1.1)."""

from __future__ import annotations

import gradio as gr

from demos import texts
from demos.common import Scores, classify, classify_many, clickable_examples, explanation, friendly_errors, require_text, truncation_note
from models import batching
from models.loader import LoadedModel

TITLE = "自然言語推論 / NLI"
MODEL_KEY = "NLI"

# Written for this app: one pair for each label (entailment, contradiction, neutral).
EXAMPLES = [
    ["公園で子どもたちがサッカーをしている。", "子どもたちが外で遊んでいる。"],
    ["駅前の本屋は日曜日も営業している。", "駅前の本屋は日曜日は休みだ。"],
    ["男性がキッチンで野菜を切っている。", "男性は料理人として働いている。"],
]


def predict(model: LoadedModel, premise: str, hypothesis: str) -> Scores:
    """The three label probabilities for a premise and a hypothesis."""
    return classify(model, require_text(premise, "前提", "premise"), require_text(hypothesis, "仮説", "hypothesis"))


@friendly_errors
def nli(premise: str, hypothesis: str) -> tuple[dict[str, float], str]:
    pair = (require_text(premise, "前提", "premise"), require_text(hypothesis, "仮説", "hypothesis"))
    # Requests arriving together share one forward pass (models/batching.py).
    scores = batching.run(MODEL_KEY, classify_many, pair)
    return dict(scores.probabilities), truncation_note(scores.truncated, scores.limit)


def build() -> None:
    explanation(texts.NLI_JA, texts.NLI_EN)
    with gr.Row():
        with gr.Column():
            premise = gr.Textbox(label="前提 / Premise", lines=2)
            hypothesis = gr.Textbox(label="仮説 / Hypothesis", lines=2)
            button = gr.Button("推論する / Infer", variant="primary")
        with gr.Column():
            label = gr.Label(label="ラベルの確率 / Label probabilities")
            note = gr.Markdown()
    button.click(nli, inputs=[premise, hypothesis], outputs=[label, note], api_name="nli",
                 concurrency_limit=batching.batch_size())
    clickable_examples(EXAMPLES, [premise, hypothesis],
                       "例（含意・矛盾・中立の順） / Examples (entailment, contradiction, neutral)",
                       [(nli, [premise, hypothesis], [label, note])])
