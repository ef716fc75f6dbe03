"""中身を見る / Look inside: what a tab's pipeline hides, from the very pass behind its answer (book §1.2, §1.4).

``steps`` lays one prediction out in order: the text, its NFKC form, the tokens with their ids and the
characters each one covers, the model's raw outputs and the probabilities computed from them. It reads
the Stages the Task's answer kept (models/stages.py): the same request is answered from the recent
answers, so nothing runs twice. ``anatomy`` counts a model's parameters by part: the pre-trained body
and the task head that fine-tuning added.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np

import gradio as gr

from demos import contextual, generation, i18n, ner, nli, sentiment, similarity, tasks
from demos.common import PLOT_FONT, TITLE_MARGIN, InputError, friendly_errors, markdown_literal, plotly_plot
from demos.tasks import Input
from models import loader
from models.morphology import morphemes
from models.registry import get_spec
from models.stages import softmax
from models.text_alignment import align_first_tokens, align_tokens

# The Tasks with a look inside, by the name the API takes.
TASKS = {task.name: task for task in (sentiment.SENTIMENT, nli.NLI, similarity.STS, similarity.SIMCSE, ner.NER,
                                      contextual.FILL_MASK, generation.NEXT_TOKEN)}
TASK_CHOICE = Input("task", "Which tab's model", default="sentiment", choices=tuple(TASKS), ja="タスク", en="task")
# Heads that come with pre-training (a language model's own); every other head is added by fine-tuning.
PRETRAINED_HEADS = ("fill-mask", "text-generation")


def special_ids(tokenizer: Any) -> set[int]:
    """The tokens a tokenizer adds around the text ([CLS], [SEP], </s> …); [UNK] and [MASK] stand for characters."""
    return {getattr(tokenizer, f"{name}_token_id", None) for name in ("cls", "sep", "pad", "bos", "eos")} - {None}


def token_spans(tokenizer: Any, ids: tuple[int, ...], texts: list[str]) -> list[list[int] | None]:
    """For each id, ``[start, end]`` of the characters it covers in the text it came from (the first text, then
    after a separator the second), or None for a special token. A prompt cut to its end keeps its last spans."""
    special = special_ids(tokenizer)
    content = [i for i, token_id in enumerate(ids) if token_id not in special]
    if ids and ids[0] in special:  # read from its start: align only the part of each text the model read
        segments = [align_first_tokens(tokenizer, text, count)
                    for text, count in zip(texts, _tokens_per_text(ids, special, len(texts)))]
    else:
        segments = [align_tokens(tokenizer, text) for text in texts]
    spans: list[list[int] | None] = [None] * len(ids)
    segment, used = 0, 0
    if len(texts) == 1 and len(segments[0]) > len(content) and ids and ids[0] not in special:
        used = len(segments[0]) - len(content)  # a prompt longer than the model reads: its end was kept
    for position, token_id in enumerate(ids):
        if token_id in special:
            if used and segment + 1 < len(segments):
                segment, used = segment + 1, 0
            continue
        if used < len(segments[segment]):
            span = segments[segment][used]
            spans[position] = [span.start, span.end]
            used += 1
    return spans


def _tokens_per_text(ids: tuple[int, ...], special: set[int], texts: int) -> list[int]:
    """How many of the pass's tokens come from each text: a special token after some of a text's tokens
    ends that text (token_spans reads the segments the same way)."""
    counts, segment = [0] * texts, 0
    for token_id in ids:
        if token_id in special:
            if counts[segment] and segment + 1 < texts:
                segment += 1
        else:
            counts[segment] += 1
    return counts


def _labelled(model: Any, logits: np.ndarray) -> dict[str, float]:
    names = model.runner.model.config.id2label
    return {names[i]: float(value) for i, value in enumerate(logits)}


@dataclass(frozen=True)
class Prediction:
    """A tab's answer for the inputs of a look inside: the Task, its answer, the texts it read, its model's key."""

    task: tasks.Task
    answer: tasks.Answer
    texts: list[str]
    model_key: str

    @property
    def first(self) -> Any:
        """The Stages of the (first) sequence the model read."""
        return passes(self.answer.result)[0]


def prediction(task_name: str, text: str, text_pair: str = "", model_key: str = "",
               among: dict[str, tasks.Task] | None = None) -> Prediction:
    """The tab's own answer (reused when it was just given): what every view here reads."""
    choices = TASKS if among is None else among
    if task_name not in choices:
        listed = ", ".join(choices)
        raise InputError(f"タスクは {listed} から選んでください。 / Choose the task among {listed}.")
    task = choices[task_name]
    pair = len([declared for declared in task.inputs if declared.kind is str and not declared.choices]) == 2
    if pair:
        args: tuple = (text, text_pair)
    elif task.model_key is None:  # the next token: the request's choice of GPT-2
        args = (text, model_key or generation.MODEL_KEYS[0])
    else:
        args = (text,)
    answer = tasks.run(task, *args)
    texts = list(answer.inputs.values())[:2 if pair else 1]
    return Prediction(task, answer, texts, task.model_for(answer.inputs))


def steps(task_name: str, text: str, text_pair: str = "", model_key: str = "") -> dict[str, Any]:
    """The steps of one prediction as JSON (see the module docstring)."""
    found = prediction(task_name, text, text_pair, model_key)
    task, result, key, texts = found.task, found.answer.result, found.model_key, found.texts
    # The model's own tokenizer, under the model's lock (its MeCab tagger is not thread-safe): the answer's
    # model is loaded already, where a tokenizer-only entry would be a second copy.
    with loader.using(key) as model:
        tokenizer = model.tokenizer
        kept = passes(result)
        first = kept[0]
        steps: dict[str, Any] = {
            "task": task.name, "text": texts, "normalized": [unicodedata.normalize("NFKC", t) for t in texts],
            "tokens": tokenizer.convert_ids_to_tokens(list(first.ids)), "ids": list(first.ids),
            "spans": token_spans(tokenizer, first.ids, texts if task.name != "simcse" else texts[:1])}
    if task.name != "next_token":  # the BERT tokenizers cut the text into MeCab's words before WordPiece
        marks = (tokenizer.mask_token, *contextual.MASK_MARKS) if task.name == "fill_mask" else ()
        # Only what the model read: a pasted article's words past its last token would be work for nothing.
        read = _read_up_to(first.ids, steps["spans"], tokenizer.sep_token_id, len(texts))
        steps["words"] = [mecab_words(t[:end or SHOWN_CHARS], marks) for t, end in zip(texts, read)]
    steps["model"] = model_shapes(model.runner.model, len(first.ids))
    if task.name in ("sentiment", "nli"):
        steps["logits"] = _labelled(model, first.outputs)
        steps["probabilities"] = dict(zip(steps["logits"], softmax(first.outputs).tolist()))
    elif task.name == "sts":
        steps["score"] = float(first.outputs[0])  # the raw regression value: no softmax, no sigmoid
    elif task.name == "simcse":
        second = kept[1]
        steps["second"] = {"tokens": tokenizer.convert_ids_to_tokens(list(second.ids)), "ids": list(second.ids)}
        steps["cosine"] = similarity.cosine(first.outputs, second.outputs)
        steps["vector_size"] = int(np.asarray(first.outputs).shape[-1])
    elif task.name == "ner":
        names = model.runner.model.config.id2label
        steps["tags"] = [names[int(i)] for i in np.argmax(first.outputs, axis=-1)]
    elif task.name == "fill_mask":
        steps["masks"] = [{"position": row, "top": _top(tokenizer, logits)}
                          for row, logits in zip(first.rows, first.outputs)]
    elif task.name == "next_token":
        steps["top"] = _top(tokenizer, first.outputs)
    return steps


def _read_up_to(ids: tuple[int, ...], spans: list, separator: int, texts: int) -> list[int]:
    """For each text, where the last character the model read ends (0 where no token of it is in this pass)."""
    ends, segment = [0] * texts, 0
    for token_id, span in zip(ids, spans):
        if span is None:
            segment = min(segment + (token_id == separator and ends[segment] > 0), texts - 1)
        else:
            ends[segment] = max(ends[segment], span[1])
    return ends


def mecab_words(text: str, kept: tuple[str, ...] = ()) -> list[str]:
    """MeCab's words of ``text``, with each of ``kept`` (a mask mark) as one word, as the tokenizer keeps it."""
    pieces = re.split("(" + "|".join(map(re.escape, kept)) + ")", text) if kept else [text]
    return [word for piece in pieces for word in ([piece] if piece in kept else
                                                  [m.surface for m in morphemes(piece)])]


def model_shapes(model: Any, tokens: int) -> dict[str, Any]:
    """The model's class and size, and the shape of what each stage passes on for one input of ``tokens`` tokens."""
    config = model.config
    hidden = config.hidden_size  # GPT-2's config answers these names too (n_embd, n_layer)
    layers = config.num_hidden_layers
    outputs = {"ForSequenceClassification": [1, config.num_labels], "ForTokenClassification": [1, tokens,
               config.num_labels], "ForMaskedLM": [1, tokens, config.vocab_size],
               "LMHeadModel": [1, tokens, config.vocab_size]}
    name = type(model).__name__
    last = next((shape for suffix, shape in outputs.items() if name.endswith(suffix)), [1, tokens, hidden])
    return {"class": name, "layers": layers, "hidden_size": hidden,
            "shapes": [["ids", [1, tokens]], ["embeddings", [1, tokens, hidden]],
                       *[[f"layer {i}", [1, tokens, hidden]] for i in range(1, layers + 1)], ["output", last]]}


def passes(result: Any) -> list[Any]:
    """The Stages a Task's result kept, in order."""
    if hasattr(result, "pieces"):
        return [piece.stages for piece in result.pieces]
    stages = result.stages
    return list(stages) if isinstance(stages, tuple) else [stages]


def _top(tokenizer: Any, logits: np.ndarray, k: int = 5) -> list[dict[str, Any]]:
    probabilities = softmax(logits)
    best = np.argsort(-np.asarray(logits))[:k]
    return [{"token": tokenizer.convert_ids_to_tokens(int(i)), "logit": float(logits[i]),
             "probability": float(probabilities[i])} for i in best]


def anatomy(task_name: str, model_key: str = "") -> dict[str, Any]:
    """A model's parameters by part: embeddings, each layer, the rest of the body, and the head."""
    task = TASKS[TASK_CHOICE.check(task_name)]
    key = task.model_key or generation.MODEL_CHOICE.check(model_key or generation.MODEL_KEYS[0])
    with loader.using(key) as entry:
        return parts_of(entry.runner.model, get_spec(key).task in PRETRAINED_HEADS)


def _weights(model: Any) -> Iterator[tuple[str, Any]]:
    """The model's parameters, and the weights of its dense layers packed for oneDNN (models/cpu_kernels.py keeps
    those as buffers, under the same names)."""
    from models import cpu_kernels

    yield from model.named_parameters()
    if not cpu_kernels.kernels_available():  # then no layer is packed
        return
    packed = cpu_kernels.packed_linear_class()
    for module_name, module in model.named_modules():
        if isinstance(module, packed):
            yield from ((f"{module_name}.{name}", tensor) for name, tensor in module.named_buffers(recurse=False))


def parts_of(model: Any, head_pretrained: bool) -> dict[str, Any]:
    """``{total, bytes, parts: [{name, parameters, pretrained}]}``; each shared (tied) weight counted once."""
    body = model.base_model
    prefix = "" if body is model else model.base_model_prefix + "."
    counts: dict[str, int] = {}
    total_bytes = 0
    for name, parameter in _weights(model):
        total_bytes += parameter.numel() * parameter.element_size()
        part = "head"
        if name.startswith(prefix):
            inner = name[len(prefix):].split(".")
            if inner[0] in ("embeddings", "wte", "wpe"):
                part = "embeddings"
            elif inner[0] in ("encoder", "h"):
                part = f"layer {int(inner[2] if inner[0] == 'encoder' else inner[1]) + 1}"
            else:
                part = inner[0]  # the pooler, a final layer norm
        counts[part] = counts.get(part, 0) + parameter.numel()
    parts = [{"name": name, "parameters": count, "pretrained": name != "head" or head_pretrained}
             for name, count in counts.items()]
    output = model.get_output_embeddings() if hasattr(model, "get_output_embeddings") else None
    tied = output is not None and output.weight is model.get_input_embeddings().weight
    # tied: the head reuses the input embeddings' matrix (GPT-2, BERT's masked LM), counted once, in embeddings
    return {"total": sum(counts.values()), "bytes": total_bytes, "parts": parts, "tied_head": tied}


WORDS = i18n.register("inside", {
    "look_inside": ("中身を見る", "Look inside"),
    "steps": ("## 予測の手順", "## Steps of the prediction"),
    "anatomy": ("## モデルの構成（パラメータ数）", "## Model anatomy (parameters)"),
    "show": ("表示する", "Show"),
    "which": ("どのモデル", "Which model"),
})


# A pasted article is shown by its beginning: the model reads only its first few hundred tokens anyway.
SHOWN_CHARS = 300


def _beginning(text: str) -> str:
    if len(text) <= SHOWN_CHARS:
        return markdown_literal(text)
    return f"{markdown_literal(text[:SHOWN_CHARS])}…（全 {len(text):,} 文字 / {len(text):,} characters in all）"


def steps_text(found: dict[str, Any]) -> str:
    """The steps as Markdown a student reads top to bottom: text, NFKC, tokens and ids, outputs, softmax."""
    lines = []
    for number, (typed, normalized) in enumerate(zip(found["text"], found["normalized"]), start=1):
        same = "（NFKC で変化なし / unchanged by NFKC）" if typed == normalized else ""
        lines += [f"**1. 文{number} / text {number}:** {_beginning(typed)} → NFKC: {_beginning(normalized)} {same}", ""]
    if "words" in found:
        words = " ｜ ".join(markdown_literal(word) for words in found["words"] for word in words)
        lines += [f"**MeCab の単語 / MeCab's words:** {words}", ""]
    lines += ["", "**2. トークンとID / tokens and ids**", "", "| # | トークン / token | ID | 文字 / characters |",
              "|---|---|---|---|"]
    texts, segment = found["text"], 0
    for i, (token, token_id, span) in enumerate(zip(found["tokens"], found["ids"], found["spans"])):
        if span is None and i and token in ("[SEP]", "</s>"):
            segment = min(segment + 1, len(texts) - 1)
        shown = "（特殊 / special）" if span is None else markdown_literal(texts[segment][span[0]:span[1]])
        tag = f" → {found['tags'][i]}" if "tags" in found else ""
        lines.append(f"| {i} | {markdown_literal(token)}{tag} | {token_id} | {shown} |")
    model = found["model"]
    every_layer = f"layer 1…{model['layers']}"  # each layer passes on the same shape: shown once
    shapes = " → ".join(f"{every_layer if stage == 'layer 1' else stage} {tuple(shape)}"
                        for stage, shape in model["shapes"] if not stage.startswith("layer ") or stage == "layer 1")
    lines += ["", f"**モデル / model:** {model['class']}（{model['layers']} 層 / layers, 隠れ次元 / hidden size "
                  f"{model['hidden_size']}）: {shapes}"]
    lines += ["", "**3. モデルの出力と確率 / outputs and probabilities**", ""]
    if "logits" in found:
        exps = {label: float(np.exp(value)) for label, value in found["logits"].items()}
        total = sum(exps.values())
        lines.append(f"softmax: p = exp(z) / Σ exp(z), Σ = {total:.4f}")
        lines += [f"- {markdown_literal(label)}: z = {z:.4f}, exp(z) = {exps[label]:.4f}, p = {exps[label]:.4f} / "
                  f"{total:.4f} = {found['probabilities'][label]:.1%}" for label, z in found["logits"].items()]
    elif "score" in found:
        lines.append(f"回帰の値そのまま（softmax なし） / the raw regression value, no softmax: {found['score']:.4f}")
    elif "cosine" in found:
        lines.append(f"2つの [CLS] ベクトル（{found['vector_size']} 次元）のコサイン / cosine of the two [CLS] vectors"
                     f" ({found['vector_size']} numbers each): {found['cosine']:.4f}")
    for top in [found["top"]] if "top" in found else [mask["top"] for mask in found.get("masks", [])]:
        lines += [f"- {markdown_literal(item['token'])}: z = {item['logit']:.4f}, p = {item['probability']:.2%}"
                  for item in top]
    if "tags" in found:
        lines.append("各トークンのタグ（B- 始まり・I- 続き・O 外）をつないで固有表現にします。 / Each token's tag"
                     " (B- begins, I- continues, O outside) is merged into the entities.")
    return "\n".join(lines)


def anatomy_text(found: dict[str, Any]) -> str:
    total = found["total"]
    # Three columns: a phone's width broke a fourth one's heading letter by letter.
    lines = ["| 部分 / part | パラメータ数（割合） / parameters (share) | 事前学習 / pre-trained |", "|---|---|---|"]
    lines += [f"| {part['name']} | {part['parameters']:,}（{part['parameters'] / total:.2%}） | "
              f"{'はい / yes' if part['pretrained'] else 'いいえ、追加 / no, added'} |" for part in found["parts"]]
    lines.append("\n「追加」はファインチューニングで加えた部分です。図：青＝事前学習、橙の斜線＝追加 / \"added\": added by"
                 " fine-tuning. Chart: blue, pre-trained; hatched orange, added.")
    lines.append(f"\n合計 / total: {total:,} ({found['bytes'] / 1e6:.1f} MB)"
                 + ("・出力層は埋め込みの行列を共有 / the output layer shares the embeddings' matrix"
                    if found["tied_head"] else ""))
    return "\n".join(lines)


def anatomy_figure(found: dict[str, Any]) -> Any:
    """The parts as horizontal bars (a gr.Plot value), pre-trained in one colour and the fine-tuned head in
    another, each with its count: the head's bar is a sliver beside the body's, which is the point."""
    parts = found["parts"]
    colours = ["#2563eb" if part["pretrained"] else "#ea580c" for part in parts]
    trace = {"type": "bar", "orientation": "h", "y": [part["name"] for part in parts],
             "x": [part["parameters"] for part in parts],
             # The fine-tuned head is hatched as well as orange: colour is never the only mark.
             "marker": {"color": colours, "pattern": {"shape": ["" if part["pretrained"] else "/" for part in parts]}},
             "text": [f"{part['parameters']:,}" for part in parts], "textposition": "outside", "cliponaxis": False,
             "hovertemplate": "%{y}: %{x:,}<extra></extra>"}
    return plotly_plot([trace], {"font": PLOT_FONT, "height": max(240, 22 * len(parts) + 110),
                                 "margin": {"l": 10, "r": 70, "t": TITLE_MARGIN, "b": 10},
                                 "title": {"text": "パラメータ数 / parameters"},
                                 "yaxis": {"type": "category", "autorange": "reversed"},
                                 "xaxis": {"title": {"text": "parameters"}}})


@friendly_errors
def steps_api(task: str, text: str, text_pair: str = "", model_key: str = "") -> dict:
    """The steps of one prediction (book section 1.2): text, NFKC, tokens with ids and character spans, raw outputs, probabilities.

    Args:
        task: One of sentiment, nli, sts, simcse, ner, fill_mask, next_token.
        text: The text the tab reads (the premise or first sentence for pairs).
        text_pair: The hypothesis or second sentence, for nli, sts and simcse; empty otherwise.
        model_key: For next_token, GENERATION (default) or GENERATION_SMALL.

    Returns:
        JSON with tokens, ids, spans ([start, end] in the original text, null for special tokens) and the outputs: logits and probabilities (sentiment, nli), score (sts), cosine (simcse), tags (ner), masks (fill_mask), top (next_token)
    """
    return steps(task, text, text_pair, model_key)


@friendly_errors
def anatomy_api(task: str) -> dict:
    """A model's parameters by part (book section 1.4): embeddings, each layer, the rest of the body, and the task head.

    Args:
        task: One of sentiment, nli, sts, simcse, ner, fill_mask, next_token.

    Returns:
        JSON with total (the parameter count), bytes, tied_head, and parts: a list of {name, parameters, pretrained} adding up to total
    """
    return anatomy(task)


@friendly_errors
def saliency_api(task: str, text: str, text_pair: str = "", target: str = "", method: str = "integrated_gradients",
                 steps: int = 32, model_key: str = "") -> dict:
    """Which tokens and words pushed the answer: attributions by Captum toward a label's probability (sentiment, nli), the raw score (sts) or a next token's probability.

    Args:
        task: One of sentiment, nli, sts, next_token.
        text: The text the tab reads (the premise or first sentence for pairs).
        text_pair: The hypothesis or second sentence, for nli and sts; empty otherwise.
        target: The label (sentiment, nli) or the one-token word (next_token) to explain; empty for the tab's answer.
        method: integrated_gradients (default) or gradient_x_input (one backward pass, quicker and rougher).
        steps: Integrated Gradients' steps, 4 to 128.
        model_key: For next_token, GENERATION (default) or GENERATION_SMALL.

    Returns:
        JSON with target, method, value, baseline_value, baseline_token, delta, tokens (list of {token, start, end, score, segment}; start and end index the original text of that segment, null for special tokens), words (the same summed per MeCab word) and faithfulness (the explained number after removing the top word and a word scored near zero)
    """
    from demos import saliency

    return saliency.saliency(task, text, text_pair, target, method, steps, model_key)


@friendly_errors
def attention_api(task: str, text: str, text_pair: str = "", layer: int = -1, head: int = -1,
                  model_key: str = "") -> dict:
    """One layer's attention weights over the tokens of the tab's input (not an explanation of the answer: where the layer looked).

    Args:
        task: One of sentiment, nli, sts, simcse, ner, fill_mask, next_token.
        text: The text the tab reads (the premise or first sentence for pairs; simcse shows the first sentence).
        text_pair: The hypothesis or second sentence, for nli and sts; empty otherwise.
        layer: The layer, from 1; -1 (default) is the last.
        head: The head, from 1; -1 (default) is the average of the layer's heads.
        model_key: For next_token, GENERATION (default) or GENERATION_SMALL.

    Returns:
        JSON with tokens, special (positions of special tokens), layer, head, layers, heads, causal, and weights: a square list of lists whose rows sum to 1 (row: the token reading, column: the token read)
    """
    from demos import attention_map

    return attention_map.attention(task, text, text_pair, layer, head, model_key)


def api() -> None:
    """The public /steps, /anatomy, /saliency and /attention endpoints (JSON), for gradio_client and MCP."""
    gr.api(steps_api, api_name="steps")
    gr.api(anatomy_api, api_name="anatomy")
    gr.api(saliency_api, api_name="saliency")
    gr.api(attention_api, api_name="attention")


def section(task_names: list[str], inputs: list[Any], model_key: Any = None) -> None:
    """A closed "Look inside" section for a tab: computed only when opened or asked again. The steps, the
    anatomy and the attention come on opening; saliency (many passes) on its own button."""
    from demos import attention_map, saliency  # they build on this module

    explained = [name for name in task_names if name in saliency.TASKS]
    with gr.Accordion(WORDS("look_inside"), open=False) as box:
        choice = gr.Radio(task_names, value=task_names[0], label=WORDS("which"), visible=len(task_names) > 1)
        show = gr.Button(WORDS("show"), size="sm")
        with gr.Row():
            with gr.Column():
                gr.Markdown(WORDS("steps"))
                steps_out = gr.Markdown()
            with gr.Column():
                gr.Markdown(WORDS("anatomy"))
                anatomy_out = gr.Markdown()
                anatomy_plot = gr.Plot(show_label=False)
        gr.Markdown(attention_map.WORDS("title"))
        gr.Markdown(attention_map.WORDS("not_explanation"))
        with gr.Row():
            layer = gr.Dropdown([(LAST, -1)], value=-1, label=attention_map.WORDS("layer"))
            head = gr.Dropdown([(AVERAGE, -1)], value=-1, label=attention_map.WORDS("head"))
            hide = gr.Checkbox(label=attention_map.WORDS("hide"))
        causal = gr.Markdown(attention_map.WORDS("causal"), visible="next_token" in task_names[:1])
        attention_plot = gr.Plot(show_label=False)
        with gr.Column(visible=task_names[0] in saliency.TASKS) as salient:
            gr.Markdown(saliency.WORDS("title"))
            with gr.Row():
                method = saliency.METHOD.radio(saliency.METHOD_NAMES.get, label=saliency.WORDS("method"))
                steps_slider = saliency.STEPS.slider(saliency.WORDS("steps"), info=saliency.WORDS("steps_info"))
                target = gr.Textbox(label=saliency.WORDS("target"), max_length=100)
            compute = gr.Button(saliency.WORDS("compute"), size="sm")
            salient_text = gr.HTML(elem_classes=[saliency.VIEW_CLASS])
            salient_table = gr.Markdown()
    # The tab's own inputs only (a gr.State here made the server take seconds to stop and keep its files).
    values = [*inputs, *([model_key] if model_key else [])]
    private = {"api_visibility": "private"}
    opened = gr.on([box.expand, show.click], _shown, inputs=[choice, *values],
                   outputs=[steps_out, anatomy_out, anatomy_plot], **private)
    attention_io = {"fn": _attention, "inputs": [choice, layer, head, hide, *values],
                    "outputs": [attention_plot, layer, head], **private}
    opened.then(**attention_io)
    gr.on([layer.input, head.input, hide.input], **attention_io)
    if len(task_names) > 1:
        choice.change(lambda task: (gr.Column(visible=task in explained), gr.Markdown(visible=task == "next_token")),
                      inputs=[choice], outputs=[salient, causal], **private)
    if explained:
        compute.click(_saliency, inputs=[choice, method, steps_slider, target, *values],
                      outputs=[salient_text, salient_table],
                      **private)


# The choices of the attention's selectors before a model has said how many layers and heads it has.
LAST, AVERAGE = "最後 / last", "平均 / average"


def _read(task: str, values: tuple) -> tuple[str, str, str]:
    """The tab's values as (text, text_pair, model_key): its text, then its second text or its model choice."""
    text, second = values[0], values[1] if len(values) > 1 else ""
    return (text, second, "") if TASKS[task].model_key else (text, "", second)


@friendly_errors
def _shown(task: str, *values: str) -> tuple[str, str, Any]:
    """The section's steps and anatomy for the tab's inputs."""
    text, text_pair, model_key = _read(task, values)
    parts = anatomy(task, model_key)
    return steps_text(steps(task, text, text_pair, model_key)), anatomy_text(parts), anatomy_figure(parts)


@friendly_errors
def _attention(task: str, layer: int, head: int, hide: bool, *values: str) -> tuple[Any, Any, Any]:
    """The heatmap, and the selectors offering the model's own layers and heads."""
    from demos import attention_map

    text, text_pair, model_key = _read(task, values)
    found = attention_map.attention(task, text, text_pair, layer, head, model_key)  # None: the default (-1)
    layers = [(LAST, -1)] + [(str(i), i) for i in range(1, found["layers"] + 1)]
    heads = [(AVERAGE, -1)] + [(str(i), i) for i in range(1, found["heads"] + 1)]
    return (attention_map.heatmap(found, hide), gr.Dropdown(choices=layers), gr.Dropdown(choices=heads))


@friendly_errors
def _saliency(task: str, method: str, steps: int, target: str, *values: str) -> Iterator[tuple[str, str]]:
    """The coloured words and their table. Integrated Gradients takes seconds on a CPU (one forward and
    backward pass per step): gradient × input, one pass, is shown first, marked as a preview."""
    from demos import saliency

    text, text_pair, model_key = _read(task, values)
    if method == saliency.INTEGRATED_GRADIENTS:
        preview = saliency.saliency(task, text, text_pair, target, saliency.GRADIENT_X_INPUT, steps, model_key,
                                    check=False)
        yield saliency.coloured_text(preview), f"{saliency.PREVIEW}\n\n{saliency.saliency_text(preview)}"
    found = saliency.saliency(task, text, text_pair, target, method, steps, model_key)
    yield saliency.coloured_text(found), saliency.saliency_text(found)
