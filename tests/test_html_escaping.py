"""User and model text never becomes markup: every view that renders HTML, Markdown or plotly text escapes it.

Pure formatters only (no server, no model): each is fed markup-like payloads and its
output is rendered (Markdown through a CommonMark renderer, HTML through a parser)
to check that no tag, link or emphasis survives, and that the text itself still shows.
Where a component renders its value as plain text (gr.Label, gr.HighlightedText,
gr.Dropdown, gr.Dataframe with datatype "str"), the last tests pin that choice.
"""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser

import gradio as gr
import numpy as np
import pytest

from demos import DEMOS, generation, ner, saliency, summarization
from demos import tokenizer as tok
from demos import word2vec as w2v_tab
from demos.common import markdown_literal, truncation_note
from models import word2vec as w2v
from models.morphology import morphemes
from tests.plots import figure_of

PAYLOADS = [
    "<img src=x onerror=alert(1)>",
    '<a href="javascript:alert(1)">x</a>',
    "**bold** [x](javascript:alert(1))",
    "<script>alert(2)</script>",
    "# 見出し\n> 引用 `code` ![i](javascript:alert(3))",
    "$$\\href{javascript:alert(4)}{x}$$ &lt;b&gt; a\\b _em_ <https://example.com>",
]


class _Tags(HTMLParser):
    """Start tags and their attributes, in order."""

    def __init__(self, markup: str):
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []
        self.feed(markup)
        self.close()

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data):
        self.text.append(data)


def render_markdown(source: str) -> str:
    """HTML of a Markdown string, raw HTML allowed (as gr.Markdown's marked allows it before sanitising)."""
    markdown_it = pytest.importorskip("markdown_it")
    return markdown_it.MarkdownIt("commonmark", {"html": True}).render(source)


def assert_no_markup(rendered: str, allowed: set[str]) -> _Tags:
    """Only the formatter's own tags: no link, no event handler, no javascript: outside a title's plain text."""
    parsed = _Tags(rendered)
    for tag, attrs in parsed.tags:
        assert tag in allowed, f"unexpected <{tag}> in {rendered!r}"
        for name, value in attrs.items():
            assert not name.startswith("on") and name not in ("href", "src"), f"{name}= in {rendered!r}"
            if name != "title":  # a tooltip is shown as text, never followed
                assert "javascript:" not in (value or "").lower(), rendered
    return parsed


def _visible_text(rendered: str) -> str:
    return "".join(_Tags(rendered).text)


# ---- the Markdown helper every note uses -------------------------------------------------------------

@pytest.mark.parametrize("payload", PAYLOADS)
def test_markdown_literal_shows_the_text_itself(payload):
    rendered = render_markdown(markdown_literal(payload))
    assert_no_markup(rendered, allowed={"p"})
    # What the reader sees is the payload, character for character (line breaks as spaces).
    assert _visible_text(rendered).strip() == " ".join(payload.splitlines())


def test_markdown_literal_breaks_gradio_latex_delimiters():
    # gr.Markdown renders $$…$$ with KaTeX by default: a user's "$$" must not open a formula.
    assert "$$" not in markdown_literal("$$x^2$$")


# ---- word2vec: the note on unknown words (gr.Markdown) and its error (gr.Error, an HTML toast) ----------

def _vectors(words: list[str]):
    from gensim.models import KeyedVectors

    vectors = KeyedVectors(vector_size=4)
    vectors.add_vectors(words, np.random.default_rng(0).normal(size=(len(words), 4)).astype(np.float32))
    return vectors


@pytest.mark.parametrize("payload", PAYLOADS)
def test_word2vec_unknown_note_escapes_the_word_and_its_suggestions(payload):
    # The suggestions are corpus words (an upload can hold anything): make one share characters with the payload.
    vectors = _vectors(["犬", payload + "犬"])
    note = w2v_tab.unknown_message(vectors, [payload])
    rendered = render_markdown(note)
    assert_no_markup(rendered, allowed={"p"})
    seen = _visible_text(rendered)
    assert " ".join(payload.splitlines()) in seen and "not in the vocabulary" in seen


@pytest.mark.parametrize("payload", PAYLOADS)
def test_word2vec_unknown_error_is_html_escaped(payload):
    vectors = _vectors(["犬", payload + "犬"])
    message = w2v_tab.unknown_message(vectors, [payload], html.escape)
    assert_no_markup(message, allowed=set())
    assert html.escape(payload) in message
    assert html.unescape(message).count(payload) >= 2  # the word in both languages, read back exactly


CORPUS = "\n".join(["犬と猫が庭で遊ぶ。", "猫と犬が部屋で眠る。", "東京と大阪へ行く。", "大阪と東京で働く。"] * 5)
SMALL = dict(upload=None, use_lemma=False, content_only=True, vector_size=10, window=2, min_count=2, negative=2,
             epochs=1, seed=1, architecture="skip-gram", reproducible=True, topn=3)


def test_word2vec_explore_escapes_the_query_in_its_note_and_its_error():
    words = "犬 <img src=x onerror=alert(1)> [x](javascript:alert(1))"
    _, _, note = w2v_tab.explore(CORPUS, words, **SMALL)
    rendered = render_markdown(note)
    assert_no_markup(rendered, allowed={"p"})
    assert "<img" in _visible_text(rendered) and "javascript:alert(1)" in _visible_text(rendered)
    with pytest.raises(gr.Error) as error:
        w2v_tab.explore(CORPUS, "<img src=x onerror=alert(1)>", **SMALL)
    assert "&lt;img" in error.value.message
    assert_no_markup(error.value.message, allowed=set())
    with pytest.raises(gr.Error) as error:
        w2v_tab.analogy(CORPUS, "犬", "<b>猫</b>", "東京", **{k: v for k, v in SMALL.items() if k != "topn"})
    assert "&lt;b&gt;" in error.value.message and "<b>" not in error.value.message


def test_word2vec_scatter_escapes_hover_text_and_legend_names():
    evil = ['<img src=x onerror=alert(1)>', '<a href="javascript:alert(1)">x</a>', "<b>太字</b> & 'q'"]
    vectors = _vectors(["犬", *evil])
    rows = [["犬", evil[0], 0.9], ["犬", evil[1], 0.5], [evil[2], "犬", 0.4]]
    traces = figure_of(w2v_tab.scatter(vectors, rows))["data"]
    hover = [h for trace in traces for h in trace["hovertext"]]
    names = [trace["name"] for trace in traces]
    assert names == ["犬", html.escape(evil[2], quote=False)]
    for shown in hover + names:
        assert "<" not in shown and ">" not in shown, shown
        # Plotly decodes &lt; &gt; &amp; and numeric entities but not &quot;: quotes stay as they are.
        assert "&quot;" not in shown
    assert any(h.startswith("&lt;a href=\"javascript:alert(1)\"&gt;x&lt;/a&gt;: cos ") for h in hover)
    # 2D labels are SVG text: escaped, apart from the bold that marks a query.
    labels = [t.removeprefix("<b>").removesuffix("</b>") for trace in traces for t in trace["text"] if t]
    assert labels and all("<" not in t and ">" not in t for t in labels)
    # The 3D marker text is drawn on the WebGL canvas (no DOM, no entity decoding): the plain word.
    solid = [t for trace in figure_of(w2v_tab.scatter(vectors, rows, "3D"))["data"] for t in trace["text"] if t]
    assert "犬" in solid and evil[2] in solid


# ---- tokenizer: the chips (gr.HTML) and the stats line (gr.Markdown) -----------------------------------

def _tokenization(text: str, model_id: str = "tiny/bert", error: str | None = None) -> tok.Tokenization:
    half = len(text) // 2
    tokens = [
        tok.Token("[CLS]", 2, None, None, True, False),
        tok.Token(text[:half], 10, 0, half, False, False),
        tok.Token(text[half:], 11, half, len(text), False, True),
        tok.Token('<a href="javascript:alert(5)">[SEP]</a>', 3, None, None, True, False),
    ]
    return tok.Tokenization(tok.FAMILIES[0], model_id, [] if error else tokens, error)


@pytest.mark.parametrize("payload", PAYLOADS)
@pytest.mark.parametrize("show_ids", [False, True])
def test_tokenizer_chips_escape_text_and_token_names(payload, show_ids):
    markup = tok.chips_html(payload, _tokenization(payload), show_special=True, show_ids=show_ids)
    # The chips' own stylesheet comes first, once; after it, no markup but the chips'.
    assert markup.startswith(tok._CHIP_STYLE)
    markup = markup.removeprefix(tok._CHIP_STYLE)
    parsed = assert_no_markup(markup, allowed={"div", "span", "sub"})
    # Every chip's title is the token's name, read back exactly (an attribute cannot be broken out of).
    titles = [attrs["title"] for tag, attrs in parsed.tags if tag == "span"]
    assert titles[-1] == '<a href="javascript:alert(5)">[SEP]</a> · id 3'
    # The chips read back as the text (ids, when shown, sit in <sub> after each chip).
    chips_only = _Tags(re.sub(r"<sub>\d+</sub>", "", markup)).text
    assert payload in "".join(chips_only)
    assert ("<sub" in markup) == show_ids


@pytest.mark.parametrize("payload", PAYLOADS)
def test_tokenizer_error_box_escapes_the_message(payload):
    markup = tok.chips_html("今日は", _tokenization("今日は", error=f"読めません {payload}"))
    parsed = assert_no_markup(markup, allowed={"div"})
    assert payload in "".join(parsed.text)


def test_tokenizer_stats_escape_the_model_id():
    model_id = "/models/__x__/<img src=x onerror=alert(1)>*b*"
    rendered = render_markdown(tok.stats_markdown("今日は", _tokenization("今日は", model_id=model_id)))
    parsed = assert_no_markup(rendered, allowed={"p", "strong"})
    assert [tag for tag, _ in parsed.tags].count("strong") == 1
    assert model_id in "".join(parsed.text)


# ---- notes that hold no user text, and the views Gradio shows as plain text -----------------------------

def test_notes_without_user_text_render_as_plain_text():
    trained = w2v.Trained(_vectors(["犬", "猫"]), [1.0], 12, w2v.Params())
    notes = [
        truncation_note(True, 512),  # sentiment, NLI, similarity, summarization
        ner.summary_line([], 6000),
        summarization.empty_output_note(summarization.Summary("", False, 512)),
        w2v_tab._status(trained, "アップロードしたファイル / uploaded file", w2v_tab.trained_how(False, 0.5)),
        w2v_tab._status(trained, "既定のコーパス / default corpus", w2v_tab.trained_how(True, 0.0)),
    ]
    for note in notes:
        assert note
        assert_no_markup(render_markdown(note), allowed={"p"})


@pytest.mark.parametrize("payload", PAYLOADS)
def test_next_token_candidates_stay_plain_data(payload):
    # gr.Label and gr.Dropdown show their values as text (Svelte escapes them): the token goes in verbatim.
    candidates = [generation.Candidate(1, payload, 0.6), generation.Candidate(2, payload, 0.4)]
    label = generation.to_label(candidates)
    assert list(label) == [generation._visible(payload), f"{generation._visible(payload)} (id 2)"]
    value = gr.Label().postprocess(label)
    assert value.confidences[0].label == generation._visible(payload)


@pytest.mark.parametrize("payload", PAYLOADS)
def test_saliency_words_escape_the_typed_text(payload):
    words = [{"word": m.surface, "start": m.start, "end": m.end, "score": (-1) ** i * i / 10, "segment": 0}
             for i, m in enumerate(morphemes(payload))]
    markup = saliency.coloured_text({"text": [payload], "words": words})
    assert_no_markup(markup, allowed={"p", "ruby", "rt", "small"})
    assert _visible_text(re.sub(r"<rt>[^<]*</rt>", "", markup)).startswith(payload)  # the text, scores aside
    assert markup.count("<rt>") == len(words)


def test_only_the_tokenizer_and_the_saliency_view_render_raw_html_and_tables_render_text():
    """A new gr.HTML, or a table cell rendered as Markdown or HTML, needs its own escaping test here."""
    html_owners, markdowns, tables = set(), [], []
    for module in DEMOS:
        with gr.Blocks() as blocks:
            module.build()
        answers = {id(component) for fn in blocks.fns.values() for component in fn.outputs}
        for block in blocks.blocks.values():
            if isinstance(block, gr.HTML) and id(block) in answers:  # fixed HTML (a colour key) holds no user text
                html_owners.add("demos.saliency" if saliency.VIEW_CLASS in block.elem_classes else module.__name__)
            elif isinstance(block, gr.Markdown):
                markdowns.append(block)
            elif isinstance(block, gr.Dataframe):
                tables.append(block)
    assert html_owners == {"demos.tokenizer", "demos.saliency"}
    assert markdowns and all(block.sanitize_html for block in markdowns)
    for table in tables:
        types = [table.datatype] if isinstance(table.datatype, str) else list(table.datatype)
        assert not {"html", "markdown"} & set(types), (table.label, types)
