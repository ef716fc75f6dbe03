"""固有表現認識 / NER: entities highlighted on the user's original text, plus a table (book §1.1).

The book's tokenizer gives the pipeline no character offsets, so the pipeline
alone returns entities with start/end None, as space-joined tokens of
NFKC-normalised text. Here every token is aligned to the original text first
(models.text_alignment) and the offsets are handed to the pipeline, which then
reports exact spans of what the user typed. Long texts are cut into pieces
that fit the model, at sentence ends where possible, because the pipeline
would otherwise drop everything past its limit without a word.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import gradio as gr

from demos import i18n, texts
from demos.common import COMMON, clickable_examples, explanation, markdown_literal
from demos.tasks import Answer, Input, Task
from models.loader import LoadedModel
from models.stages import Stages, recorded_passes
from models.text_alignment import TokenSpan, align_tokens

MODEL_KEY = "NER"

# Entities are looked for in this many characters at most: longer texts would take
# many model calls and hold the tab for minutes. The rest is shown, unanalysed.
MAX_NER_CHARS = 5_000

WORDS = i18n.register("ner", {
    "title": ("固有表現認識", "NER"),
    "text": (f"テキスト（解析は先頭 {MAX_NER_CHARS:,} 文字まで）", f"Text (the first {MAX_NER_CHARS:,} characters are analysed)"),
    "find": ("固有表現を探す", "Find entities"),
    "placeholder": ("例：佐藤健太さんは京都大学で言語の研究をしている。",
                    "e.g. 佐藤健太さんは京都大学で言語の研究をしている。 (a Japanese text with names in it)"),
    "entities": ("固有表現", "Entities"),
    "table": ("一覧", "Table"),
})
TITLE = WORDS("title")

# The eight entity types of the book's model (Stockmark's Wikipedia NER dataset), with a colour each
# and an English gloss. The types stay as the model names them (the API's values, the table's cells);
# the English reader gets the gloss beside them in the legend and the summary.
COLORS = {  # Tailwind's 700 shades: white labels on them and text on their tint pass WCAG AA (4.5:1)
    "人名": "#b45309",
    "法人名": "#1d4ed8",
    "政治的組織名": "#6d28d9",
    "その他の組織名": "#4338ca",
    "地名": "#047857",
    "施設名": "#0f766e",
    "製品名": "#be185d",
    "イベント名": "#b91c1c",
}
GLOSSES = {
    "人名": "person",
    "法人名": "company",
    "政治的組織名": "political organisation",
    "その他の組織名": "other organisation",
    "地名": "place",
    "施設名": "facility",
    "製品名": "product",
    "イベント名": "event",
}


def glossed(label: str) -> str:
    """An entity type with its English gloss ("地名 (place)"); a type the book's model lacks, as it is."""
    gloss = GLOSSES.get(label)
    return f"{label} ({gloss})" if gloss else label


def _legend(english: bool) -> str:
    """The colour key of the highlighted text: a swatch and each type's name (glossed in English).

    Gradio's own legend shows the types as the model names them, in Japanese only, and cannot be
    translated (it is part of the value): this one is a registered text, in the reader's language.
    """
    items = "".join(
        f"<span style='white-space:nowrap;margin-right:1em'><span aria-hidden='true' style='display:inline-block;"
        f"width:0.8em;height:0.8em;border-radius:2px;vertical-align:-0.05em;background:{colour}'></span> "
        f"{glossed(label) if english else label}</span> "
        for label, colour in COLORS.items())
    caption = "Entity types:" if english else "固有表現の種類："
    return f"<p style='margin:0;font-size:var(--text-sm)'>{caption} {items.strip()}</p>"


i18n.register("ner", {"legend": (_legend(english=False), _legend(english=True))})


# Column headers of the entity table: server-made (Gradio does not translate a table's headers), so in
# both languages, like every other table of the app.
TABLE_HEADERS = ["固有表現 / entity", "種類 / type", "スコア / score", "開始 / start", "終了 / end"]

# Written for this app: persons, organisations and places in one or two sentences.
EXAMPLES = [
    ["鈴木一郎さんはソニーの社員として、大阪の本社で働いている。"],
    ["田中美咲は日本銀行の会議に出席するため、名古屋から東京へ向かった。"],
]

_SENTENCE_END = re.compile(r"[。．.！!？?\n]\s*$")


@dataclass(frozen=True)
class Entity:
    text: str  # exactly original_text[start:end]
    label: str
    score: float
    start: int
    end: int


def _cut_points(piece: str, spans: list[TokenSpan], budget: int) -> list[int]:
    """Character positions where ``piece`` is cut so each part has at most ``budget`` tokens.

    Greedy: each part takes as many tokens as fit, ending after the last
    sentence end among them when there is one.
    """
    cuts = []
    first = 0
    while len(spans) - first > budget:
        last = first + budget  # index of the token that would start the next part
        best = last
        for j in range(last, first, -1):
            if _SENTENCE_END.search(piece[spans[j - 1].start : spans[j].start]):
                best = j
                break
        cuts.append(spans[best].start)
        first = best
    return cuts


def _segments(model: LoadedModel, text: str, start: int, end: int) -> list[tuple[int, int, list[TokenSpan]]]:
    """Parts of text[start:end] that fit the model, each with its tokens (spans relative to the part)."""
    budget = model.max_length - 2  # [CLS] and [SEP]
    piece = text[start:end]
    spans = align_tokens(model.tokenizer, piece)
    if len(spans) <= budget:
        return [(start, end, spans)]
    cuts = [c for c in _cut_points(piece, spans, budget) if 0 < c < len(piece)]
    if not cuts:  # cannot cut further (never seen): the pipeline truncates this part
        return [(start, end, spans)]
    bounds = [0, *cuts, len(piece)]
    segments = []
    for a, b in zip(bounds, bounds[1:]):
        # Re-tokenising a part alone can differ a little from the whole; recurse to stay within the limit.
        segments.extend(_segments(model, text, start + a, start + b))
    return segments


@dataclass(frozen=True)
class Piece:
    """A part of the text the model read in one pass: where it starts, its tokens' spans (relative to the
    part) and the pass (the ids, [CLS] and [SEP] included, and each token's logits per tag)."""

    offset: int
    spans: list[TokenSpan]
    stages: Stages


@dataclass(frozen=True)
class Recognized:
    entities: list[Entity]
    pieces: list[Piece]


def recognize(model: LoadedModel, text: str) -> Recognized:
    """Entities of ``text`` (its first MAX_NER_CHARS characters) with exact spans of the original string."""
    text = text[:MAX_NER_CHARS]
    entities: list[Entity] = []
    pieces: list[Piece] = []
    for offset, end, spans in _segments(model, text, 0, len(text)):
        if not spans:  # only whitespace
            continue
        piece = text[offset:end]
        offsets = [(0, 0)] + [(s.start, s.end) for s in spans] + [(0, 0)]
        with recorded_passes(model.runner.model) as passes:
            found_here = model.runner(piece, offset_mapping=offsets)
        pieces.extend(Piece(offset, spans, stages) for stages in passes)
        for found in found_here:
            start, end = offset + int(found["start"]), offset + int(found["end"])
            entities.append(Entity(text[start:end], found["entity_group"], float(found["score"]), start, end))
    return Recognized(entities, pieces)


def to_highlights(text: str, entities: list[Entity]) -> list[tuple[str, str | None]]:
    """gr.HighlightedText value: the original text cut into plain and entity pieces, in order.

    Joining the pieces gives back ``text`` character for character.
    """
    pieces: list[tuple[str, str | None]] = []
    position = 0
    for entity in sorted(entities, key=lambda e: e.start):
        if entity.start < position:  # overlaps the previous entity (cannot happen with "simple" grouping)
            continue
        if entity.start > position:
            pieces.append((text[position : entity.start], None))
        pieces.append((text[entity.start : entity.end], entity.label))
        position = entity.end
    if position < len(text):
        pieces.append((text[position:], None))
    return pieces


def to_table(entities: list[Entity]) -> list[list[object]]:
    """Rows for the entity table (entity, type, score, start, end)."""
    return [[e.text, e.label, round(e.score, 4), e.start, e.end] for e in entities]


def type_counts(entities: list[Entity]) -> list[tuple[str, int]]:
    """How many entities of each type, in the dataset's order of types (others after, as first met)."""
    counts: dict[str, int] = {label: 0 for label in COLORS}
    for entity in entities:
        counts[entity.label] = counts.get(entity.label, 0) + 1
    return [(label, n) for label, n in counts.items() if n]


def _in_summary(label: str, english: bool) -> str:
    """A type as the Markdown summary shows it: glossed in English; a type of a model of one's own
    (JNLP_MODEL_NER), which may be named anything, as text."""
    if label not in GLOSSES:
        return markdown_literal(label)
    return glossed(label) if english else label


def summary_line(entities: list[Entity], text_length: int) -> str:
    """How many entities were found, of which types, and whether only the beginning of the text was analysed."""
    if entities:
        n = len(entities)
        counts = type_counts(entities)
        japanese = "、".join(f"{_in_summary(label, english=False)} {count}" for label, count in counts)
        english = ", ".join(f"{_in_summary(label, english=True)} {count}" for label, count in counts)
        line = (f"{n} 個の固有表現が見つかりました（{japanese}）。"
                f" / Found {n} named {'entity' if n == 1 else 'entities'}: {english}.")
    else:
        line = "固有表現は見つかりませんでした。 / No named entities were found."
    if text_length > MAX_NER_CHARS:
        line += (
            f"\n\n⚠️ 長いため、最初の {MAX_NER_CHARS:,} 文字だけを解析しました（全体は {text_length:,} 文字）。"
            f" / The text is long: only its first {MAX_NER_CHARS:,} of {text_length:,} characters were analysed."
        )
    return line


def highlights_table_summary(answer: Answer) -> tuple[list[tuple[str, str | None]], list[list[object]], str]:
    text, entities = answer.inputs["text"], answer.result.entities  # the text shown back is the one analysed
    return to_highlights(text, entities), to_table(entities), summary_line(entities, len(text))


NER = Task(
    "ner", "Find the named entities of a Japanese text with BERT fine-tuned on the Stockmark Wikipedia NER dataset"
    " (book section 1.1).",
    inputs=(Input("text", f"The text to analyse, in Japanese; entities are looked for in its first {MAX_NER_CHARS:,}"
                  " characters, and a long text is cut into model-sized pieces at sentence ends"),),
    returns=("The text as pieces that join back into the exact input, each with its entity type (人名 person,"
             " 法人名 company, 政治的組織名 political organisation, その他の組織名 other organisation, 地名 place,"
             " 施設名 facility, 製品名 product, イベント名 event) or null outside entities",
             "A table with one row per entity, its columns headed in Japanese and English: entity, type (as in the"
             " first output), score (0-1), start and end character offsets in the input",
             "A Markdown summary: how many entities were found, of each type, and whether only the beginning of the"
             " text was analysed"),
    forward=recognize, model_key=MODEL_KEY, example=tuple(EXAMPLES[0]))

ner = NER.endpoint(highlights_table_summary)


def build() -> dict[str, gr.Component]:
    explanation(texts.EXPLAINED("ner"))
    with gr.Row():
        with gr.Column():
            text = gr.Textbox(label=WORDS("text"), lines=5, placeholder=WORDS("placeholder"))
            button = gr.Button(WORDS("find"), variant="primary")
        with gr.Column():
            # The colour key is WORDS("legend"), in the reader's language (Gradio's would show the types in
            # Japanese only). The type stays written beside each entity, as the model names it: colour
            # alone would leave a colour-blind student guessing.
            highlighted = gr.HighlightedText(label=WORDS("entities"), color_map=COLORS, show_legend=False)
            gr.HTML(WORDS("legend"))
            note = gr.Markdown()
    table = gr.Dataframe(headers=TABLE_HEADERS, label=WORDS("table"), interactive=False,
                         datatype=["str", "str", "number", "number", "number"])
    button.click(ner, inputs=[text], outputs=[highlighted, table, note], api_name="ner")
    clickable_examples(EXAMPLES, [text], COMMON("examples"), [(ner, [text], [highlighted, table, note])])
    from demos import inside  # here: inside reads every tab's Task

    inside.section(["ner"], [text])
    return {"text": text}  # what a shared link may fill (demos/links.py)
