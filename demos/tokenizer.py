"""トークナイザ / Tokenizer: MeCab morphemes beside the subword tokens of each model family (book §1.2).

Only tokenizer files are loaded here, never weights. Token text is model
output and user text: everything is escaped before it goes into HTML.
"""

from __future__ import annotations

import html
import logging
import re
from dataclasses import dataclass, fields

import gradio as gr

from demos import i18n, texts
from demos.common import COMMON, clickable_examples, clip, explanation, friendly_errors, markdown_literal, require_text
from models.loader import ModelLoadError, using_tokenizer
from models.morphology import Morpheme, morphemes
from models.text_alignment import MARKER, align_tokens, is_marker

logger = logging.getLogger(__name__)

WORDS = i18n.register("tokenizer", {
    "title": ("トークナイザ", "Tokenizer"),
    "text": ("テキスト", "Text"),
    "show_special": ("特殊トークンを表示", "Show special tokens"),
    "show_ids": ("IDを表示", "Show ids"),
    "tokenize": ("分割する", "Tokenize"),
    "morphemes": ("MeCab 形態素 (unidic-lite)", "MeCab morphemes (unidic-lite)"),
    "placeholder": ("<p style='color:#6b7280'>「分割する」を押すか、例をクリックしてください。</p>",
                    "<p style='color:#6b7280'>Press Tokenize or click an example.</p>"),
    "tokens_and_ids": ("トークンとID", "Tokens and ids"),
    "heading_bert": ("## BERT（MeCab + WordPiece）", "## BERT (MeCab + WordPiece)"),
    "heading_t5": ("## T5（SentencePiece）", "## T5 (SentencePiece)"),
    "heading_gpt2": ("## GPT-2（SentencePiece）", "## GPT-2 (SentencePiece)"),
    "json": ("JSON（/tokenize の結果）", "JSON (what /tokenize returns)"),
    # Below the three columns: what the chips that are not characters of the text mean.
    "legend": (f"`{MARKER}` = 単語の始まりの印（文字なし）・灰色 = 特殊トークン・赤枠 = 未知のトークン"
               "（[UNK] など）。色のついたチップ1つが1トークンで、チップの文字をつなぐと入力の文になります。",
               f"`{MARKER}` marks the start of a word (no character) · grey: special tokens · red outline: "
               "unknown tokens ([UNK] …). Each coloured chip is one token; read together, the chips spell the input."),
})
TITLE = WORDS("title")
# Token chips and tables for more text than this would be megabytes no one reads and
# seconds of waiting; the rest of a longer text is left out, and the tab says so.
MAX_TOKENIZE_CHARS = 10_000


@dataclass(frozen=True)
class Family:
    slug: str
    name: str
    key: str  # whose tokenizer (registry key)


FAMILIES = (
    Family("bert", "BERT（MeCab + WordPiece）", "SENTIMENT"),
    Family("t5", "T5（SentencePiece）", "SUMMARIZATION"),
    Family("gpt2", "GPT-2（SentencePiece）", "GENERATION"),
)

# Written for this app: the book's kind of everyday sentence, and one that shows
# full-width letters, an emoji and a rare kanji.
EXAMPLES = [
    ["今日は天気が良いので、公園まで歩いて行きます。"],
    ["ＧＰＴとＢＥＲＴの違いを調べた😀 鬱蒼とした森の中で。"],
]

_BYTE_FALLBACK = re.compile(r"^<0x[0-9A-Fa-f]{2}>$")
_PALETTE = ("#fde68a", "#bfdbfe", "#bbf7d0", "#fbcfe8", "#ddd6fe", "#fed7aa")


@dataclass(frozen=True)
class Token:
    text: str  # the tokenizer's own token string
    id: int
    start: int | None  # span in the original text; None for special tokens
    end: int | None
    special: bool
    unknown: bool  # [UNK] or a byte-fallback piece

    @property
    def marker(self) -> bool:
        """A SentencePiece word-start mark ("▁") that stands for no character: its span is empty."""
        return not self.special and self.start == self.end and is_marker(self.text)


@dataclass(frozen=True)
class Tokenization:
    family: Family
    model_id: str
    tokens: list[Token]
    error: str | None = None


def tokenize_with(tokenizer, text: str) -> list[Token]:
    """The ids the tokenizer gives for ``text`` (special tokens included), each with its span.

    The tokens of the text itself sit as one run inside the full encoding;
    what the tokenizer adds around them ([CLS], [SEP], </s>) is special. A
    slow (MeCab) tokenizer tokenizes the text once, the slow part: its full
    encoding is the aligned tokens' ids with its special tokens put around them.
    """
    spans = align_tokens(tokenizer, text)
    content = [int(i) for i in tokenizer.convert_tokens_to_ids([s.token for s in spans])]
    if getattr(tokenizer, "is_fast", False):
        ids = [int(i) for i in tokenizer(text)["input_ids"]]  # Rust: a second pass costs little
    else:
        ids = [int(i) for i in tokenizer.build_inputs_with_special_tokens(content)]
    first = next((k for k in range(len(ids) - len(content) + 1) if ids[k : k + len(content)] == content), None)
    names = tokenizer.convert_ids_to_tokens(ids)
    unknown_id = tokenizer.unk_token_id  # read once: attribute access on a tokenizer is slow
    tokens = []
    for position, (token_id, name) in enumerate(zip(ids, names)):
        inside = first is not None and first <= position < first + len(content)
        span = spans[position - first] if inside else None
        unknown = inside and (token_id == unknown_id or bool(_BYTE_FALLBACK.match(name)))
        tokens.append(Token(name, token_id, span and span.start, span and span.end, not inside, unknown))
    return tokens


def tokenize_all(text: str) -> tuple[list[Morpheme], list[Tokenization]]:
    """MeCab's morphemes and every family's tokens. A tokenizer that fails (to load, or on this
    text) reports its error in its own column: the others and MeCab's table still show."""
    text = clip(require_text(text))
    results = []
    for family in FAMILIES:
        model_id = family.key
        try:
            with using_tokenizer(family.key) as entry:
                model_id = entry.model_id
                results.append(Tokenization(family, model_id, tokenize_with(entry.tokenizer, text)))
        except ModelLoadError as exc:
            results.append(Tokenization(family, exc.model_id, [], exc.message()))
        except Exception as exc:  # noqa: BLE001 - one family's failure must not blank the other columns
            logger.exception("the %s tokenizer failed on a text of %d characters", family.slug, len(text))
            results.append(Tokenization(family, model_id, [], (
                f"このトークナイザ（{model_id}）はこの文を分割できませんでした（{type(exc).__name__}）。"
                f" / This tokenizer ({model_id}) could not split this text ({type(exc).__name__}).")))
    return morphemes(text), results


def chip_segments(text: str, tokens: list[Token]) -> list[tuple[str, int | None]]:
    """The text cut into (piece, token index) in order; None marks text between tokens (spaces).

    Joining the pieces gives back ``text`` exactly. Special tokens, "▁" markers and
    a token whose characters an earlier token already covered (the second and
    third token of ㈱, which NFKC makes (株)) get an empty piece, where they stand.
    """
    segments: list[tuple[str, int | None]] = []
    cursor = 0
    for index, token in enumerate(tokens):
        if token.start is None or token.end is None:
            segments.append(("", index))
            continue
        start = max(token.start, cursor)
        if start > cursor:
            segments.append((text[cursor:start], None))
        segments.append((text[start : max(start, token.end)], index))
        cursor = max(cursor, token.end)
    if cursor < len(text):
        segments.append((text[cursor:], None))
    return segments


# The chips' look, sent once with each column's chips rather than repeated in every chip: 10,000
# characters are about 10,000 chips a column, and inline styles made the three columns 8 MB. The
# rules are scoped to .jnlp-chips so that the HTML also shows right when an API user saves it.
# Gradio colours every element of an HTML output with the theme's text colour (".prose *", two
# classes): each chip rule names a class or an attribute besides its span to win over it, or in dark
# mode the chips' text would be near-white on their pale backgrounds.
_CHIP_STYLE = "".join((
    "<style>",
    ".jnlp-chips{line-height:2.4;white-space:pre-wrap;word-break:break-all}",
    # A thin edge on every chip: where one token ends shows without telling the colours apart (WCAG 1.4.1).
    ".jnlp-chips span[title]{color:#111827;border-radius:4px;padding:2px 1px;margin:0 1px;"
    "box-shadow:inset 0 0 0 1px rgba(17,24,39,0.35)}",
    *(f".jnlp-chips span.c{i}{{background:{colour}}}" for i, colour in enumerate(_PALETTE)),
    ".jnlp-chips span.special{background:#e5e7eb;color:#374151;font-family:monospace;font-size:0.8em}",
    ".jnlp-chips span.unknown{background:#fecaca;outline:2px solid #dc2626}",
    # A word-start mark is no character of the text: an outlined, dashed chip, not a coloured one.
    ".jnlp-chips span.marker{background:#f9fafb;color:#374151;outline:1px dashed #4b5563;font-size:0.9em}",
    ".jnlp-chips span[title] sub{font-size:0.65em;color:#4b5563;margin-left:1px}",
    "</style>",
))


# The hover text of a marker chip. Made on the server (the chips are a handler's output), so bilingual.
_MARKER_NOTE = "単語の始まりの印（文字なし） / marks the start of a word (no character)"


def chips_html(text: str, result: Tokenization, show_special: bool = True, show_ids: bool = False) -> str:
    """Coloured chips over the original characters; hovering a chip shows its token and id."""
    if result.error:
        return f'<div style="color:#b91c1c;white-space:pre-wrap">⚠️ {html.escape(result.error)}</div>'
    parts = [_CHIP_STYLE, '<div class="jnlp-chips">']
    for piece, index in chip_segments(text, result.tokens):
        if index is None:
            parts.append(html.escape(piece))
            continue
        token = result.tokens[index]
        if token.special and not show_special:
            continue
        label = piece or token.text
        if token.special:
            kind = "special"
        elif token.marker:
            kind = "marker"
        else:
            kind = "unknown" if token.unknown else f"c{index % len(_PALETTE)}"
        # Chips that show a token's name rather than characters of the text
        # (special tokens, "▁" markers, a piece whose characters an earlier token covered)
        # are marked, so the text itself can always be read back from the page.
        extra = " jnlp-extra" if not piece else ""
        id_line = f"<sub>{token.id}</sub>" if show_ids else ""
        about = f" · {_MARKER_NOTE}" if token.marker else ""
        title = html.escape(f"{token.text} · id {token.id}{about}", quote=True)
        parts.append(f'<span class="{kind}{extra}" title="{title}">{html.escape(label)}{id_line}</span>')
    parts.append("</div>")
    return "".join(parts)


def cut_note(characters: int) -> str:
    """A line saying that only the start of a long text was tokenized (empty when all of it was)."""
    if characters <= MAX_TOKENIZE_CHARS:
        return ""
    return (f"⚠️ 長い文章なので、最初の {MAX_TOKENIZE_CHARS:,} 文字（全 {characters:,} 文字）だけを分割しました。"
            f" / The text is long: only its first {MAX_TOKENIZE_CHARS:,} of {characters:,} characters were "
            f"tokenized.\n\n")


def stats_markdown(text: str, result: Tokenization, note: str = "") -> str:
    if result.error:
        return note
    content = [t for t in result.tokens if not t.special]
    unknown = sum(t.unknown for t in content)
    per_token = len(text) / len(content) if content else 0.0
    # The id is the operator's (JNLP_MODEL_*), often a folder path: "__", "*" or "<"
    # in it must show as themselves, not as emphasis or markup.
    return note + (
        f"**{markdown_literal(result.model_id)}** ・ トークン {len(content)} / tokens ・ "
        f"文字 {len(text)} / characters ・ "
        f"文字/トークン {per_token:.2f} / chars per token ・ 未知 {unknown} / unknown"
    )


def token_rows(result: Tokenization) -> list[list[object]]:
    return [[i, t.text, t.id, t.start, t.end, t.special] for i, t in enumerate(result.tokens)]


def morpheme_rows(found: list[Morpheme]) -> list[list[object]]:
    return [[m.surface, m.pos, m.reading, m.lemma, m.start, m.end] for m in found]


_MORPHEME_FIELDS = [f.name for f in fields(Morpheme)]


def as_json(text: str, found: list[Morpheme], results: list[Tokenization], characters: int | None = None) -> dict:
    """The structured result of /tokenize: plain lists and numbers only.

    ``characters`` is the length of the text as given when only its start (``text``) was tokenized.
    """
    return {
        "characters": len(text) if characters is None else characters,
        "tokenized_characters": len(text),
        "mecab": [{name: getattr(m, name) for name in _MORPHEME_FIELDS} for m in found],
        "tokenizers": {
            r.family.slug: {
                "name": r.family.name,
                "model": r.model_id,
                "tokens": [t.text for t in r.tokens],
                "ids": [t.id for t in r.tokens],
                "spans": [None if t.start is None else [t.start, t.end] for t in r.tokens],
                "special": [t.special for t in r.tokens],
                "unknown": [t.unknown for t in r.tokens],
                "error": r.error,
            }
            for r in results
        },
    }


@friendly_errors
def tokenize(text: str, show_special: bool = True, show_ids: bool = False) -> tuple:
    """Split a Japanese text into MeCab morphemes and into the subword tokens of BERT, T5 and GPT-2, side by side (book section 1.2).

    Args:
        text: The text to tokenize, in Japanese or any language (str, required, not blank). The first 10,000 characters are tokenized.
        show_special: Whether the token chips show special tokens such as [CLS], [SEP] and </s> (bool, default True). The JSON result always lists them.
        show_ids: Whether the token chips show each token's vocabulary id (bool, default False). The JSON result always has the ids.

    Returns:
        A JSON object: characters, tokenized_characters, mecab (one object per morpheme: surface, pos, reading, lemma, start, end) and tokenizers (for bert, t5 and gpt2: name, model, tokens, ids, character spans, special and unknown flags, error)
        A table of the MeCab morphemes (surface, part of speech, reading, lemma, start, end)
        Then for each of BERT, T5 and GPT-2: the tokens as HTML chips over the text, a Markdown line of counts, and a table of its tokens (#, token, id, start, end, special)
    """
    text = clip(require_text(text))
    full_length = len(text)
    start = len(text) - len(text.lstrip())  # a long run of blanks first must not leave nothing to show
    text = text[start:start + MAX_TOKENIZE_CHARS]
    found, results = tokenize_all(text)
    note = cut_note(full_length)
    outputs: list[object] = [as_json(text, found, results, full_length), morpheme_rows(found)]
    for result in results:
        outputs += [chips_html(text, result, show_special, show_ids), stats_markdown(text, result, note),
                    token_rows(result)]
    return tuple(outputs)


# Both languages in each header: Gradio does not translate a table's headers (tests/demos/test_i18n.py).
MORPHEME_HEADERS = ["表層形 / surface", "品詞 / pos", "読み / reading", "原形 / lemma", "開始 / start", "終了 / end"]
TOKEN_HEADERS = ["#", "トークン / token", "番号 / id", "開始 / start", "終了 / end", "特殊 / special"]


def build() -> dict[str, gr.Component]:
    explanation(texts.EXPLAINED("tokenizer"))
    with gr.Row():
        with gr.Column(scale=3):
            text = gr.Textbox(label=WORDS("text"), lines=3, value=EXAMPLES[0][0])
        with gr.Column(scale=1):
            show_special = gr.Checkbox(value=True, label=WORDS("show_special"))
            show_ids = gr.Checkbox(value=False, label=WORDS("show_ids"))
            button = gr.Button(WORDS("tokenize"), variant="primary")
    morpheme_table = gr.Dataframe(headers=MORPHEME_HEADERS, label=WORDS("morphemes"),
                                  interactive=False, max_height=300)
    family_outputs: list[gr.Component] = []
    with gr.Row(equal_height=False):
        for family in FAMILIES:
            with gr.Column(min_width=280):
                gr.Markdown(WORDS(f"heading_{family.slug}"))
                chips = gr.HTML(WORDS("placeholder"))
                stats = gr.Markdown()
                with gr.Accordion(WORDS("tokens_and_ids"), open=False):
                    rows = gr.Dataframe(headers=TOKEN_HEADERS, interactive=False, max_height=300)
                family_outputs += [chips, stats, rows]
    gr.Markdown(WORDS("legend"))
    with gr.Accordion(WORDS("json"), open=False):
        structured = gr.JSON()
    inputs = [text, show_special, show_ids]
    outputs = [structured, morpheme_table, *family_outputs]
    button.click(tokenize, inputs=inputs, outputs=outputs, api_name="tokenize")
    for toggle in (show_special, show_ids):
        toggle.change(tokenize, inputs=inputs, outputs=outputs, api_visibility="private")
    clickable_examples(EXAMPLES, [text], COMMON("examples"), [(tokenize, inputs, outputs)])
    return {"text": text}  # what a shared link may fill (demos/links.py)
