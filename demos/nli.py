"""自然言語推論 / NLI: entailment, contradiction or neutral for a premise and a hypothesis (book §1.1)."""

from __future__ import annotations

import gradio as gr

from demos import i18n, texts
from demos.common import classify_many, clickable_examples, explanation, label_and_note
from demos.tasks import Input, Task
from models import batching

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

# Written for this app: one pair for each label (entailment, contradiction, neutral).
EXAMPLES = [
    ["公園で子どもたちがサッカーをしている。", "子どもたちが外で遊んでいる。"],
    ["駅前の本屋は日曜日も営業している。", "駅前の本屋は日曜日は休みだ。"],
    ["男性がキッチンで野菜を切っている。", "男性は料理人として働いている。"],
]


NLI = Task(
    "nli", "Natural language inference with BERT fine-tuned on JNLI: does the premise entail the hypothesis"
    " (book section 1.1)?",
    inputs=(Input("premise", "The premise sentence, in Japanese", ja="前提", en="premise"),
            Input("hypothesis", "The hypothesis sentence, in Japanese; the pair is read together, up to 512 tokens",
                  ja="仮説", en="hypothesis")),
    returns=("A label: the most likely label and the probability of each of entailment, contradiction and neutral,"
             " summing to 1",
             "A Markdown note, empty unless the pair was longer than the model reads"),
    forward=classify_many, batched=True, model_key="NLI", example=tuple(EXAMPLES[0]))

nli = NLI.endpoint(label_and_note)


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
    from demos import inside  # here: inside reads every tab's Task

    inside.section(["nli"], [premise, hypothesis])
    return {"premise": premise, "hypothesis": hypothesis}  # what a shared link may fill (demos/links.py)
