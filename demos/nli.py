"""自然言語推論 / NLI: entailment, contradiction or neutral for a premise and a hypothesis (book §1.1)."""

from __future__ import annotations

import gradio as gr

from demos import i18n, texts
from demos.common import Scores, classify, classify_many, clickable_examples, explanation, friendly_errors, require_text, truncation_note
from models import batching
from models.loader import LoadedModel

WORDS = i18n.register("nli", {
    "title": ("自然言語推論", "NLI"),
    "premise": ("前提", "Premise"),
    "hypothesis": ("仮説", "Hypothesis"),
    "premise_placeholder": ("例：駅前のカフェは朝七時に開く。", "e.g. 駅前のカフェは朝七時に開く。 (a Japanese sentence)"),
    "hypothesis_placeholder": ("例：そのカフェは朝から営業している。",
                               "e.g. そのカフェは朝から営業している。 (does it follow from the premise?)"),
    "infer": ("推論する", "Infer"),
    "probabilities": ("ラベルの確率", "Label probabilities"),
    "examples": ("例（含意・矛盾・中立の順）", "Examples (entailment, contradiction, neutral)"),
})
TITLE = WORDS("title")

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
    """Natural language inference with BERT fine-tuned on JNLI: does the premise entail the hypothesis (book section 1.1)?

    Args:
        premise: The premise sentence, in Japanese (str, required, not blank).
        hypothesis: The hypothesis sentence, in Japanese (str, required, not blank). The pair is read together, up to 512 tokens.

    Returns:
        A label: the most likely label and the probability of each of entailment, contradiction and neutral, summing to 1
        A Markdown note, empty unless the pair was longer than the model reads
    """
    pair = (require_text(premise, "前提", "premise"), require_text(hypothesis, "仮説", "hypothesis"))
    # Requests arriving together share one forward pass (models/batching.py).
    scores = batching.run(MODEL_KEY, classify_many, pair)
    return dict(scores.probabilities), truncation_note(scores.truncated, scores.limit)


def build() -> dict[str, gr.Component]:
    explanation(texts.EXPLAINED("nli"))
    with gr.Row():
        with gr.Column():
            premise = gr.Textbox(label=WORDS("premise"), lines=2, placeholder=WORDS("premise_placeholder"))
            hypothesis = gr.Textbox(label=WORDS("hypothesis"), lines=2,
                                    placeholder=WORDS("hypothesis_placeholder"))
            button = gr.Button(WORDS("infer"), variant="primary")
        with gr.Column():
            label = gr.Label(label=WORDS("probabilities"))
            note = gr.Markdown()
    button.click(nli, inputs=[premise, hypothesis], outputs=[label, note], api_name="nli",
                 concurrency_limit=batching.batch_size())
    clickable_examples(EXAMPLES, [premise, hypothesis],
                       WORDS("examples"),
                       [(nli, [premise, hypothesis], [label, note])])
    return {"premise": premise, "hypothesis": hypothesis}  # what a shared link may fill (demos/links.py)
