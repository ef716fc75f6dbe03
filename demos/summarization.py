"""要約生成 / Summarization: a T5 writes a headline for an article, called with generate() (book §1.1).

transformers 5 removed the summarization / text2text pipelines, so the
tokenizer and the seq2seq model are called directly.
"""

from __future__ import annotations

from dataclasses import dataclass

import gradio as gr

from demos import texts
from demos.components import Slider
from demos.common import clickable_examples, clip, explanation, friendly_errors, require_text, truncation_note
from models.loader import LoadedModel, count_tokens, using

TITLE = "要約生成 / Summarization"
MODEL_KEY = "SUMMARIZATION"

MAX_NEW_TOKENS = 256  # a headline needs far fewer; more only burns CPU time
DEFAULT_NEW_TOKENS = 64
MAX_BEAMS = 4

# Written for this app: a short news-style article (no text from a news site).
EXAMPLES = [
    [
        "市立図書館は来月から、平日の開館時間を午後九時まで延長すると発表した。仕事帰りの利用者から要望が多かったためで、"
        "夜間は自習室も開放する。図書館によると、延長にかかる費用は年間およそ八百万円で、市の予算でまかなう。"
        "担当者は「多くの市民に気軽に立ち寄ってほしい」と話している。"
    ],
    [
        "県内の高校生が開発した、通学路の危険な場所を地図で共有するアプリが、全国のコンテストで最優秀賞に選ばれた。"
        "生徒たちは半年かけて地域を歩き、見通しの悪い交差点など百か所以上を登録した。市は来年度から、"
        "このアプリを小学校の安全教育に取り入れる方針だ。"
    ],
]


@dataclass(frozen=True)
class Summary:
    text: str
    truncated: bool
    limit: int


def _bounded(value: float | int | None, low: int, high: int, default: int) -> int:
    """A whole number within [low, high]; NaN or nothing gives the default."""
    if value is None or value != value:  # NaN
        return default
    return max(low, min(high, int(value)))


def summarize_article(model: LoadedModel, article: str, max_new_tokens: int = DEFAULT_NEW_TOKENS,
                      num_beams: int = 1) -> Summary:
    """Generate a summary; the article is cut to the model's input limit first."""
    import torch

    article = clip(require_text(article, "記事", "article"))
    max_new_tokens = _bounded(max_new_tokens, 1, MAX_NEW_TOKENS, DEFAULT_NEW_TOKENS)
    num_beams = _bounded(num_beams, 1, MAX_BEAMS, 1)
    seq2seq = model.runner
    inputs = seq2seq.tokenizer(article, truncation=True, max_length=model.max_length, return_tensors="pt")
    inputs = inputs.to(seq2seq.device)
    with torch.inference_mode():
        output = seq2seq.model.generate(**inputs, max_new_tokens=max_new_tokens, num_beams=num_beams, do_sample=False)
    text = seq2seq.tokenizer.decode(output[0], skip_special_tokens=True).strip()
    # Fewer tokens than the limit after truncation means nothing was cut: count again only otherwise.
    truncated = inputs["input_ids"].shape[1] >= model.max_length and count_tokens(model, article) > model.max_length
    return Summary(text, truncated, model.max_length)


def empty_output_note(summary: Summary) -> str:
    if summary.text:
        return ""
    return "モデルは空の要約を出力しました。 / The model produced an empty summary."


@friendly_errors
def summarize(article: str, max_new_tokens: float = DEFAULT_NEW_TOKENS, num_beams: float = 1) -> tuple[str, str]:
    require_text(article, "記事", "article")
    with using(MODEL_KEY) as model:
        summary = summarize_article(model, article, max_new_tokens, num_beams)
    notes = [n for n in (truncation_note(summary.truncated, summary.limit), empty_output_note(summary)) if n]
    return summary.text, "\n\n".join(notes)


def build() -> None:
    explanation(texts.SUMMARIZATION_JA, texts.SUMMARIZATION_EN)
    with gr.Row():
        with gr.Column():
            article = gr.Textbox(label="記事 / Article", lines=8)
            with gr.Row():
                max_new_tokens = Slider(8, MAX_NEW_TOKENS, value=DEFAULT_NEW_TOKENS, step=1,
                                           label="最大トークン数 / Max new tokens")
                num_beams = Slider(1, MAX_BEAMS, value=1, step=1, label="ビーム数 / Beams")
            button = gr.Button("要約する / Summarize", variant="primary")
        with gr.Column():
            summary = gr.Textbox(label="要約 / Summary", lines=3, buttons=["copy"], interactive=False)
            note = gr.Markdown()
    run_inputs = [article, max_new_tokens, num_beams]
    button.click(summarize, inputs=run_inputs, outputs=[summary, note], api_name="summarize")
    clickable_examples(EXAMPLES, [article], "例 / Examples", [(summarize, run_inputs, [summary, note])])
