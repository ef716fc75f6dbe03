"""要約生成 / Summarization: a T5 writes a headline for an article, called with generate() (book §1.1).

transformers 5 removed the summarization / text2text pipelines, so the
tokenizer and the seq2seq model are called directly.
"""

from __future__ import annotations

from dataclasses import dataclass

import gradio as gr

from demos import i18n, texts
from demos.components import SIDE_BY_SIDE_MIN_WIDTH
from demos.common import COMMON, clickable_examples, clip, explanation
from demos.tasks import Answer, Input, Task
from models import gpu
from models.loader import LoadedModel
from models.token_counts import count_tokens

WORDS = i18n.register("summarization", {
    "title": ("要約生成", "Summarization"),
    "article": ("記事", "Article"),
    "placeholder": ("ニュース記事を貼り付けてください（下の例をクリックしても入ります）。",
                    "Paste a Japanese news article, or click an example below."),
    "beams": ("ビーム数", "Beams"),
    "summarize": ("要約する", "Summarize"),
    "summary": ("要約", "Summary"),
})
TITLE = WORDS("title")

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


def summarize_article(model: LoadedModel, article: str, max_new_tokens: int = DEFAULT_NEW_TOKENS,
                      num_beams: int = 1) -> Summary:
    """Generate a summary; the article is cut to the model's input limit first."""
    import torch

    article = clip(article)
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
    return "" if summary.text else "モデルは空の要約を出力しました。 / The model produced an empty summary."


def summary_and_notes(answer: Answer) -> tuple[str, str]:
    summary = answer.result
    notes = [n for n in (answer.note, empty_output_note(summary)) if n]
    return summary.text, "\n\n".join(notes)


SUMMARIZE = Task(
    "summarize", "Write a headline for a Japanese news-style article with T5 fine-tuned on the livedoor news corpus"
    " (book section 1.1).",
    inputs=(Input("article", "The article, in Japanese; the model reads its first 512 tokens", ja="記事", en="article"),
            Input("max_new_tokens", "The most tokens to generate; a headline needs about 10 to 30", int,
                  DEFAULT_NEW_TOKENS, 8, MAX_NEW_TOKENS, ja="最大トークン数", en="max new tokens"),
            Input("num_beams", "Beam search width (1 = greedy); more beams are slower and often more fluent", int,
                  1, 1, MAX_BEAMS, ja="ビーム数", en="number of beams")),
    returns=("The generated headline, a string in Japanese",
             "A Markdown note, empty unless the article was longer than the model reads or the output was empty"),
    forward=summarize_article, model_key=MODEL_KEY, gpu_seconds=gpu.LONG_SECONDS, example=tuple(EXAMPLES[0]))

# A classroom clicking the same example gets the first click's summary (Task.reuse).
summarize = SUMMARIZE.endpoint(summary_and_notes)


def build() -> dict[str, gr.Component]:
    explanation(texts.EXPLAINED("summarization"))
    with gr.Row():
        with gr.Column():
            article = gr.Textbox(label=WORDS("article"), lines=8, placeholder=WORDS("placeholder"))
            with gr.Row():
                max_new_tokens = SUMMARIZE.input("max_new_tokens").slider(COMMON("max_new_tokens"),
                                                                          min_width=SIDE_BY_SIDE_MIN_WIDTH)
                num_beams = SUMMARIZE.input("num_beams").slider(WORDS("beams"), min_width=SIDE_BY_SIDE_MIN_WIDTH)
            button = gr.Button(WORDS("summarize"), variant="primary")
        with gr.Column():
            summary = gr.Textbox(label=WORDS("summary"), lines=3, buttons=["copy"], interactive=False)
            note = gr.Markdown()
    run_inputs = [article, max_new_tokens, num_beams]
    button.click(summarize, inputs=run_inputs, outputs=[summary, note], api_name="summarize")
    clickable_examples(EXAMPLES, [article], COMMON("examples"), [(summarize, run_inputs, [summary, note])])
    return {"article": article}  # what a shared link may fill (demos/links.py)
