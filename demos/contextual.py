"""文脈化埋め込み・穴埋め / Contextual embeddings & fill-mask: one word's BERT vectors across sentences,
and a masked language model's guesses for [MASK] (book §1.4)."""

from __future__ import annotations

import functools
import html
import re
import unicodedata
from dataclasses import dataclass

import gradio as gr

from demos import i18n, texts
from demos.common import (COMMON, InputError, blank, clickable_examples, clip, explanation, markdown_literal, PLOT_FONT,
                          TITLE_MARGIN, plotly_plot, plotly_text, require_text)
from demos.tasks import Answer, Input, Task
from models.loader import LoadedModel
from models.stages import Stages
from models.text_alignment import TokenSpan, align_tokens, normalize_with_map

MODEL_KEY = "CONTEXTUAL"

MAX_SENTENCES = 12
MAX_SENTENCE_CHARS = 200
MAX_WORD_CHARS = 50
MAX_LAYER = 24  # the slider's range; a model with fewer layers shows its last one (and says so)
DEFAULT_LAYER = 12  # the last layer of a BERT-base such as cl-tohoku/bert-base-japanese-v3
MAX_MASKS = 5
MAX_TOP_K = 20
EXCERPT_CHARS = 8
# The occurrences compared at most. A one-character word in twelve long sentences can occur over a
# thousand times, and every pair is a cell: 1,488 occurrences made 62 MB of table and figures, more
# than a browser can draw. Forty still fit a readable heatmap. Which forty: see spread_over_sentences.
MAX_OCCURRENCES = 40

WORDS = i18n.register("contextual", {
    "title": ("文脈化埋め込み・穴埋め", "Contextual embeddings & fill-mask"),
    "contextual_tab": ("文脈化埋め込み", "Contextual embeddings"),
    "sentences": (f"文（1行に1文、{MAX_SENTENCES} 文まで）", f"Sentences (one per line, up to {MAX_SENTENCES})"),
    "word": ("単語", "Word"),
    "layer": ("層", "Layer"),
    "layer_info": ("0 = 埋め込み層。モデルの層数を超えると最終層", "0 = embeddings; past the model's last layer, the last layer"),
    "cosine": ("コサイン類似度", "Cosine similarity"),
    "heatmap": ("ヒートマップ", "Heatmap"),
    "pca": ("PCA (2次元)", "PCA (2D)"),
    "examples": ("例（かける・はし）", "Examples (かける, はし)"),
    "fill_tab": ("穴埋め", "Fill-mask"),
    "masked_text": ("文（[MASK] か ＿ か ＊ の位置を当てます）", "Text ([MASK], ＿ or ＊ marks the hidden word)"),
    "top_k": ("候補数", "Top-k"),
    "predict": ("予測する", "Predict"),
    "first_mask": ("マスク1の候補", "Fillers of mask 1"),
    "completed": ("いちばん確率の高い語で埋めた文", "Completed with the best fillers"),
    "every_mask": ("すべてのマスクの候補", "Fillers of every mask"),
    "fill_examples": ("例（マスク1つ・2つ）", "Examples (one mask, two masks)"),
})
TITLE = WORDS("title")
# Marks a student can type for a masked word: the tokenizer's own mask token, or a full-width
# low line / asterisk (easy to type with a Japanese keyboard).
MASK_MARKS = ("\uff3f", "\uff0a")

# Written for this app: one spelling, different senses, so the vectors differ with the context.
EXAMPLES = [
    ["友達に電話をかける。\n眼鏡をかけると文字がよく見える。\n公園のベンチに腰をかける。\n母に電話をかけるのを忘れた。", "かける"],
    ["川にかかるはしを歩いて渡った。\nはしを使ってそばを食べる。\n机のはしに本を置いた。\n新しいはしが町にできた。", "はし"],
]
FILL_EXAMPLES = [
    ["図書館で[MASK]を借りて、家でゆっくり読みました。"],
    ["週末は＿へ行って、＊を食べました。"],
]


# ---------------------------------------------------------------- contextual embeddings


@dataclass(frozen=True)
class Occurrence:
    sentence: int  # 1-based, as shown to the user
    start: int  # the match in the original sentence
    end: int
    token_indices: tuple[int, ...]  # the sentence's tokens (0-based, without [CLS]) that carry the word
    label: str


@dataclass(frozen=True)
class Contextual:
    labels: list[str]
    sentences: list[int]  # the sentence number of each occurrence
    matrix: list[list[float]]  # cosine similarities, square and symmetric
    points: list[tuple[float, float]]  # 2D PCA of the vectors
    layer: int
    layers: int  # the model's number of hidden layers
    word: str
    found: int  # occurrences in the sentences: more than len(labels) when only MAX_OCCURRENCES of them are compared


def split_sentences(text: str | None) -> list[str]:
    """Non-blank lines, each clipped; an InputError for blank input or too many lines."""
    text = require_text(text, "文", "sentences")
    sentences = [line.strip()[:MAX_SENTENCE_CHARS] for line in text.splitlines() if not blank(line)]
    if len(sentences) > MAX_SENTENCES:
        raise InputError(f"文が多すぎます（{len(sentences)} 文。上限は {MAX_SENTENCES} 文）。 / Too many sentences "
                         f"({len(sentences)}; at most {MAX_SENTENCES}, one per line).")
    return sentences


def _fold(text: str, lowercase: bool) -> str:
    return text.lower() if lowercase else text


def _excerpt(sentence: str, start: int, end: int) -> str:
    before = sentence[max(0, start - EXCERPT_CHARS):start]
    after = sentence[end:end + EXCERPT_CHARS]
    return (("…" if start > EXCERPT_CHARS else "") + before + "[" + sentence[start:end] + "]" + after
            + ("…" if end + EXCERPT_CHARS < len(sentence) else ""))


def find_occurrences(tokenizer, sentence: str, number: int, word: str, spans: list[TokenSpan]) -> list[Occurrence]:
    """Each match of ``word`` in ``sentence``, compared as the tokenizer sees text (NFKC, lower case if it
    lowercases), with the model's tokens (``spans``, from align_tokens) that overlap it. ``spans`` holds
    only the tokens the model reads: a match past them is dropped."""
    lowercase = bool(getattr(tokenizer, "do_lower_case", False))
    mapping = normalize_with_map(sentence)
    haystack = _fold(mapping.text, lowercase)
    needle = _fold(unicodedata.normalize("NFKC", word), lowercase)
    matches = [mapping.to_original(m.start(), m.end()) for m in re.finditer(re.escape(needle), haystack)]
    found = []
    for start, end in matches:
        indices = tuple(i for i, span in enumerate(spans) if span.start < end and span.end > start)
        if indices:
            found.append((start, end, indices))
    several = len(found) > 1
    return [Occurrence(number, start, end, indices,
                       f"{number}{f'-{k}' if several else ''}: {_excerpt(sentence, start, end)}")
            for k, (start, end, indices) in enumerate(found, start=1)]


def spread_over_sentences(found: list[list[Occurrence]], limit: int = MAX_OCCURRENCES) -> list[Occurrence]:
    """At most ``limit`` of the occurrences (``found``: each sentence's, in order), in reading order: the
    first of every sentence, then the second of every sentence, and so on, so that every sentence
    keeps as many as the others (its first ones) and none is left out for the sake of an earlier one.
    The point of the tab is to compare the contexts, which are the sentences.
    """
    chosen: list[Occurrence] = []
    depth = 0
    while len(chosen) < limit and any(len(occurrences) > depth for occurrences in found):
        for occurrences in found:
            if len(occurrences) > depth and len(chosen) < limit:
                chosen.append(occurrences[depth])
        depth += 1
    return sorted(chosen, key=lambda o: (o.sentence, o.start))


def _hidden_states(model: LoadedModel, token_lists: list[list[str]], layer: int):
    """The chosen layer's hidden states of each sentence (one padded batch), as a float64 array."""
    import numpy as np
    import torch

    tokenizer = model.tokenizer
    ids = [[tokenizer.cls_token_id, *tokenizer.convert_tokens_to_ids(tokens), tokenizer.sep_token_id]
           for tokens in token_lists]
    width = max(len(row) for row in ids)
    pad = tokenizer.pad_token_id or 0
    encoder = model.runner.model
    device = encoder.device
    input_ids = torch.tensor([row + [pad] * (width - len(row)) for row in ids], device=device)
    mask = torch.tensor([[1] * len(row) + [0] * (width - len(row)) for row in ids], device=device)
    with torch.inference_mode():
        # The encoder alone (no prediction head over the whole vocabulary): embeddings + every layer.
        outputs = encoder.base_model(input_ids=input_ids, attention_mask=mask, output_hidden_states=True)
    return np.asarray(outputs.hidden_states[layer].float().cpu(), dtype=np.float64)


def contextual_vectors(model: LoadedModel, sentences_text: str, word: str, layer: int = DEFAULT_LAYER) -> Contextual:
    """Cosine similarities and a 2D PCA of the vectors of every occurrence of ``word`` in the sentences.

    An occurrence's vector is the mean of its tokens' hidden states at ``layer``
    (0 = the embedding layer; past the last layer = the last layer).
    """
    import numpy as np

    sentences = split_sentences(sentences_text)
    word = word.strip()
    config = model.runner.model.config
    layers = int(config.num_hidden_layers)
    layer = max(0, min(int(layer), layers))
    tokenizer = model.tokenizer
    usable = model.max_length - 2  # [CLS] and [SEP]
    occurrences, token_lists, missing = [], [], []
    for number, sentence in enumerate(sentences, start=1):
        spans = align_tokens(tokenizer, sentence)[:usable]
        found = find_occurrences(tokenizer, sentence, number, word, spans)
        if not found:
            missing.append(number)
        occurrences.append(found)
        token_lists.append([span.token for span in spans])
    if missing:
        listed = ", ".join(str(n) for n in missing)
        shown = html.escape(word)  # a gr.Error message is shown as HTML
        raise InputError(f"「{shown}」が見つからない文があります：{listed} 番目の文。単語を含む文だけにしてください。"
                         f" / '{shown}' does not occur in sentence{'s' if len(missing) > 1 else ''} {listed}."
                         " Use sentences that contain the word.")
    states = _hidden_states(model, token_lists, layer)
    flat = spread_over_sentences(occurrences)
    vectors = np.array([states[o.sentence - 1, [i + 1 for i in o.token_indices]].mean(axis=0) for o in flat])
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    unit = vectors / np.where(norms == 0, 1.0, norms)
    matrix = np.clip(unit @ unit.T, -1.0, 1.0)
    matrix = (matrix + matrix.T) / 2
    np.fill_diagonal(matrix, 1.0)
    return Contextual([o.label for o in flat], [o.sentence for o in flat], matrix.tolist(), _pca_2d(vectors),
                      layer, layers, word, sum(len(found) for found in occurrences))


def _pca_2d(vectors) -> list[tuple[float, float]]:
    """The vectors projected on their first two principal components, as scikit-learn's PCA gives them
    (each component's largest loading positive), with one SVD: scikit-learn's checks and set-up cost
    more than the rest of the formatting for these few vectors."""
    import numpy as np

    if len(vectors) < 2:
        return [(0.0, 0.0)] * len(vectors)
    centred = vectors - vectors.mean(axis=0)
    u, s, vt = np.linalg.svd(centred, full_matrices=False)
    components = min(2, len(s))
    signs = np.sign(vt[np.arange(components), np.abs(vt[:components]).argmax(axis=1)])
    signs[signs == 0] = 1.0
    points = u[:, :components] * s[:components] * signs
    # Identical vectors (layer 0, the same word at the same position) have no variance: all at the origin.
    points = np.pad(np.nan_to_num(points), ((0, 0), (0, 2 - components)))
    return [(float(x), float(y)) for x, y in points]


OCCURRENCE_HEADER = "出現 / occurrence"


def to_table(result: Contextual) -> dict:
    """The value of a gr.Dataframe: one row and one column per occurrence."""
    return {"headers": [OCCURRENCE_HEADER, *result.labels],
            "data": [[label, *(round(v, 4) for v in row)] for label, row in zip(result.labels, result.matrix)]}


# Up to this many occurrences a side, each cell of the heatmap also shows its cosine: BERT's cosines
# of one word often all lie between 0.6 and 1, shades a projected room cannot tell apart, and hover
# values are for the one holding the mouse. Beyond it the numbers would crowd out the colours.
MAX_SIDE_WITH_VALUES = 16


@functools.cache
def _red_blue() -> list[list]:
    """Plotly's RdBu colour scale (ColorBrewer's, red at -1) written out: plotly.js reads the name "RdBu" as
    its own scale, which runs the other way."""
    from plotly.colors import get_colorscale

    return [[round(position, 6), colour] for position, colour in get_colorscale("RdBu")]


def occurrence_id(label: str) -> str:
    """The short name of an occurrence ("2-1"): its label up to the colon, before the excerpt."""
    return label.split(":", 1)[0]


def plot_title(japanese: str, english: str, layer: int) -> str:
    """A figure's title with its layer, in both languages: a figure is made on the server, like an answer."""
    if layer == 0:
        return f"{japanese}・埋め込み層 / {english}, embedding layer"
    return f"{japanese}・第 {layer} 層 / {english}, layer {layer}"


def heatmap(result: Contextual):
    """The cosine matrix as a heatmap (a gr.Plot value; see common.plotly_plot).

    The axes name the occurrences by their short ids, as the PCA's points do: the excerpts as tick
    labels took a third of the figure's width and height, and on a phone left the cells a sliver.
    The excerpts are in the table above and in each cell's hover text.
    """
    labels = [plotly_text(label) for label in result.labels]
    ids = [occurrence_id(label) for label in labels]
    pairs = [[f"{row}<br>{column}" for column in labels] for row in labels]
    trace = {"type": "heatmap", "z": result.matrix, "x": ids, "y": ids, "zmin": -1, "zmax": 1,
             "colorscale": _red_blue(), "reversescale": True, "text": pairs,
             "hovertemplate": "%{text}<br>cos %{z:.3f}<extra></extra>"}
    if len(labels) <= MAX_SIDE_WITH_VALUES:
        trace["texttemplate"] = "%{z:.2f}"
    return plotly_plot([trace], {"font": PLOT_FONT, "height": 460,
                                 "margin": {"l": 10, "r": 10, "t": TITLE_MARGIN, "b": 10},
                                 "title": {"text": plot_title("コサイン類似度", "cosine similarity", result.layer)},
                                 # categories: Plotly would read ids such as "1" as numbers and "2-1" as a date
                                 "xaxis": {"type": "category"},
                                 "yaxis": {"type": "category", "autorange": "reversed"}})


SYMBOLS = ("circle", "square", "diamond", "triangle-up", "cross", "x", "star", "triangle-down")


def scatter(result: Contextual):
    """The occurrences' vectors in 2D (PCA), one colour per sentence (a gr.Plot value)."""
    traces = []
    for number in dict.fromkeys(result.sentences):
        members = [i for i, s in enumerate(result.sentences) if s == number]
        traces.append({
            "type": "scatter", "x": [result.points[i][0] for i in members], "y": [result.points[i][1] for i in members],
            "mode": "markers+text", "name": f"文 {number} / sentence {number}",
            # A shape per sentence besides its colour (WCAG 1.4.1), and the labels say the sentence's number.
            "marker": {"size": 12, "symbol": SYMBOLS[(number - 1) % len(SYMBOLS)]},
            "text": [plotly_text(occurrence_id(result.labels[i])) for i in members], "textposition": "top center",
            "hovertext": [plotly_text(result.labels[i]) for i in members], "hoverinfo": "text",
        })
    return plotly_plot(traces, {"font": PLOT_FONT, "height": 420,
                                "margin": {"l": 10, "r": 10, "t": TITLE_MARGIN, "b": 10},
                                "title": {"text": plot_title("PCA（2次元）", "PCA (2D)", result.layer)}})


def reading(result: Contextual) -> str:
    """A few sentences for a student: the closest and farthest occurrences, and what word2vec would give."""
    word = markdown_literal(result.word)
    n = len(result.labels)
    where = "埋め込み層 / the embedding layer" if result.layer == 0 else \
        f"第 {result.layer} 層（全 {result.layers} 層） / layer {result.layer} of {result.layers}"
    lines = [f"**{where}** ・ 「{word}」の出現 {n} 個 / {n} occurrence{'' if n == 1 else 's'} of '{word}'"]
    if result.found > n:
        lines.append(f"「{word}」は {result.found} 回出てくるので、{n} 回（どの文からもなるべく同じ数、前から順に）だけを"
                     f"比べています。 / '{word}' occurs {result.found} times: {n} of them are compared, as many from "
                     f"each sentence as can be, the first ones.")
    if n >= 2:
        pairs = [(result.matrix[i][j], i, j) for i in range(n) for j in range(i + 1, n)]
        high, low = max(pairs), min(pairs)

        def name(i: int) -> str:
            return markdown_literal(result.labels[i])

        lines.append(f"いちばん近い / closest: {name(high[1])} ↔ {name(high[2])} (cos {high[0]:.3f})")
        lines.append(f"いちばん遠い / farthest: {name(low[1])} ↔ {name(low[2])} (cos {low[0]:.3f})")
    else:
        lines.append("出現が1つだけなので比べる相手がありません。 / Only one occurrence: nothing to compare it with.")
    lines.append(f"word2vec なら「{word}」にはベクトルが1つしかなく、どの文でも同じです（類似度はすべて 1）。"
                 f"BERT では前後の文脈によってベクトルが変わります。 / word2vec would give '{word}' one single vector "
                 f"in every sentence (all similarities 1); BERT's vector changes with the context.")
    return "\n\n".join(lines)


def table_figures_reading(answer: Answer) -> tuple:
    result = answer.result
    return to_table(result), heatmap(result), scatter(result), reading(result)


CONTEXTUAL = Task(
    "contextual", "Compare one word's contextual BERT vectors across Japanese sentences: the same word gets a"
    " different vector in each context, unlike word2vec (book section 1.4).",
    inputs=(Input("sentences", f"Japanese sentences, one per line, 1 to {MAX_SENTENCES} non-blank lines; every sentence"
                  " must contain the word", ja="文", en="sentences"),
            Input("word", "The word to follow, in Japanese as written in the sentences, e.g. はし or かける", ja="単語",
                  en="word", longest=MAX_WORD_CHARS),
            Input("layer", "Which hidden layer's vectors to compare: 0 = the embedding layer, 12 = the last layer of the"
                  " default BERT-base; past the model's last layer means the last layer", int, DEFAULT_LAYER, 0,
                  MAX_LAYER, ja="層", en="layer")),
    returns=(f"The cosine similarity matrix as a table: one row and one column per occurrence of the word (at most"
             f" {MAX_OCCURRENCES}, spread over the sentences), labelled with the sentence number and its context",
             "A heatmap of that matrix (a Plotly figure)",
             "A 2D PCA scatter of the occurrences' vectors, coloured by sentence (a Plotly figure)",
             "A short Markdown reading: the closest and farthest occurrences, and what word2vec's single vector would"
             " give"),
    forward=contextual_vectors, model_key=MODEL_KEY, example=tuple(EXAMPLES[0]))

contextual = CONTEXTUAL.endpoint(table_figures_reading)


# ---------------------------------------------------------------- fill-mask


@dataclass(frozen=True)
class MaskFill:
    fillers: list[list[tuple[str, float]]]  # per mask: (token, probability), best first
    completed: str  # the original text with each mask mark replaced by its best filler
    stages: Stages  # the ids read, and the logits over the vocabulary at each mask (rows: the masks' positions)


def filler_text(token: str) -> str:
    """A WordPiece token as text to insert: without its continuation mark ``##``."""
    return token[2:] if token.startswith("##") and len(token) > 2 else token


def _marks(tokenizer) -> re.Pattern:
    return re.compile("|".join(re.escape(m) for m in (tokenizer.mask_token, *MASK_MARKS)))


def fill_masks(model: LoadedModel, text: str | None, top_k: int = 5) -> MaskFill:
    """The ``top_k`` most likely tokens (special tokens left out) for each mask mark in ``text``."""
    import torch

    text = clip(text)
    tokenizer = model.tokenizer
    marks = list(_marks(tokenizer).finditer(text))
    if not marks:
        raise InputError(f"マスクがありません。隠したい語の位置に {tokenizer.mask_token} か ＿ か ＊ を入れてください。"
                         f" / No mask: put {tokenizer.mask_token}, ＿ or ＊ where the hidden word goes.")
    if len(marks) > MAX_MASKS:
        raise InputError(f"マスクが多すぎます（{len(marks)} 個。上限は {MAX_MASKS} 個）。 / Too many masks "
                         f"({len(marks)}; at most {MAX_MASKS}).")
    model_text = _marks(tokenizer).sub(tokenizer.mask_token, text)
    encoded = tokenizer(model_text, truncation=True, max_length=model.max_length, return_tensors="pt")
    encoded = {name: value.to(model.runner.model.device) for name, value in encoded.items()}
    positions = (encoded["input_ids"][0] == tokenizer.mask_token_id).nonzero().flatten().tolist()
    if len(positions) < len(marks):
        raise InputError(f"文が長すぎて、モデルが読めるのは先頭の {model.max_length} トークンまでです。マスクを前に置くか、"
                         f"文を短くしてください。 / The text is too long: the model reads only its first "
                         f"{model.max_length} tokens. Move the mask earlier or shorten the text.")
    with torch.inference_mode():
        logits = model.runner.model(**encoded).logits[0, positions].float()
    stages = Stages(tuple(encoded["input_ids"][0].tolist()), logits.cpu().numpy(), rows=tuple(positions))
    probabilities = logits.softmax(dim=-1)
    # Probabilities over the whole vocabulary; special tokens ([PAD], [UNK] …) are not shown as fillers.
    probabilities[:, tokenizer.all_special_ids] = -1.0
    k = max(1, min(int(top_k), MAX_TOP_K))
    values, indices = probabilities.topk(k, dim=-1)
    fillers = [[(tokenizer.convert_ids_to_tokens(int(i)), float(v)) for v, i in zip(row_v, row_i)]
               for row_v, row_i in zip(values.tolist(), indices.tolist())]
    pieces, cursor = [], 0
    for match, best in zip(marks, fillers):
        pieces += [text[cursor:match.start()], filler_text(best[0][0])]
        cursor = match.end()
    pieces.append(text[cursor:])
    return MaskFill(fillers, "".join(pieces), stages)


def mask_name(index: int) -> str:
    return f"マスク{index + 1} / mask {index + 1}"


# Server-made like the rows (Gradio does not translate a table's headers): in both languages.
FILL_HEADERS = ["マスク / mask", "順位 / rank", "候補 / filler", "確率 / probability"]


def to_rows(result: MaskFill) -> list[list[object]]:
    """Every mask's fillers as table rows: mask, rank, filler, probability."""
    return [[mask_name(m), rank, token, round(p, 6)]
            for m, row in enumerate(result.fillers) for rank, (token, p) in enumerate(row, start=1)]


def label_rows_completed(answer: Answer) -> tuple:
    result = answer.result
    return dict(result.fillers[0]), to_rows(result), result.completed


FILL_MASK = Task(
    "fill_mask", "Guess hidden words in a Japanese sentence with a pre-trained BERT masked language model"
    " (book section 1.4).",
    inputs=(Input("text", f"A Japanese sentence with 1 to {MAX_MASKS} masks, each written [MASK], ＿ or ＊ where a word"
                  " is hidden, e.g. 今日は＿がよく晴れている。"),
            Input("top_k", "How many candidates to return for each mask", int, 5, 1, MAX_TOP_K, ja="候補数", en="top-k")),
    returns=("A label: the fillers of the first mask with their probabilities, the best first",
             "A table of every mask's fillers with the columns mask (マスク1 / mask 1 …), rank, filler, probability,"
             " headed in Japanese and English (マスク / mask …)",
             "The text as typed with each mask replaced by its best filler (WordPiece's ## continuation mark removed)"),
    forward=fill_masks, model_key=MODEL_KEY, example=tuple(FILL_EXAMPLES[0]))

fill_mask = FILL_MASK.endpoint(label_rows_completed)


# ---------------------------------------------------------------- UI


def build() -> dict[str, gr.Component]:
    explanation(texts.EXPLAINED("contextual"))
    with gr.Tab(WORDS("contextual_tab")):
        with gr.Row():
            with gr.Column(scale=2):
                sentences = gr.Textbox(label=WORDS("sentences"), lines=5, value=EXAMPLES[0][0])
            with gr.Column(scale=1):
                word = gr.Textbox(label=WORDS("word"), value=EXAMPLES[0][1])
                layer = CONTEXTUAL.input("layer").slider(WORDS("layer"), info=WORDS("layer_info"))
                button = gr.Button(COMMON("compare"), variant="primary")
        # Before a comparison the table has no occurrences: one named column, not Gradio's "1 2 3".
        matrix = gr.Dataframe(headers=[OCCURRENCE_HEADER], label=WORDS("cosine"), interactive=False)
        note = gr.Markdown()
        with gr.Row():
            heat = gr.Plot(label=WORDS("heatmap"))
            points = gr.Plot(label=WORDS("pca"))
        outputs = [matrix, heat, points, note]
        # Enter in the word box compares, like the button (the sentences box takes Enter as a new line).
        gr.on([button.click, word.submit], contextual, inputs=[sentences, word, layer], outputs=outputs,
              api_name="contextual")
        # Dragging the layer redraws at once: the vectors drift apart as the layers get deeper.
        layer.release(contextual, inputs=[sentences, word, layer], outputs=outputs, api_visibility="private")
        clickable_examples(EXAMPLES, [sentences, word], WORDS("examples"),
                           [(contextual, [sentences, word, layer], outputs)])
    with gr.Tab(WORDS("fill_tab")):
        with gr.Row():
            with gr.Column():
                text = gr.Textbox(label=WORDS("masked_text"), lines=3, value=FILL_EXAMPLES[0][0])
                top_k = FILL_MASK.input("top_k").slider(WORDS("top_k"))
                fill_button = gr.Button(WORDS("predict"), variant="primary")
            with gr.Column():
                label = gr.Label(label=WORDS("first_mask"))
                completed = gr.Textbox(label=WORDS("completed"),
                                       interactive=False)
        table = gr.Dataframe(headers=FILL_HEADERS, interactive=False,
                             label=WORDS("every_mask"))
        fill_outputs = [label, table, completed]
        fill_button.click(fill_mask, inputs=[text, top_k], outputs=fill_outputs, api_name="fill_mask")
        clickable_examples(FILL_EXAMPLES, [text], WORDS("fill_examples"),
                           [(fill_mask, [text, top_k], fill_outputs)])
        from demos import inside  # here: inside reads every tab's Task

        inside.section(["fill_mask"], [text])
    return {"sentences": sentences, "word": word, "masked": text}  # what a shared link may fill (demos/links.py)
