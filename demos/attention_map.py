"""Attention (注意): the weights of one layer's heads over the tokens of the tab's input, as a heatmap.

The ids are those of the pass behind the tab's answer; the weights come from one more pass that keeps
them (models/attention.py). Row = the token that reads, column = the token it reads from; each row sums
to 1. A long input is shown in blocks of consecutive tokens so the map stays readable.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from demos import i18n, inside
from demos.common import InputError, PLOT_FONT, TITLE_MARGIN, plotly_plot, plotly_text
from demos.tasks import Input
from models import loader
from models.attention import attention_weights, blocks, grouped, one_view, without

LAYER = Input("layer", "Which layer, from 1; -1 is the last", int, -1, -1, 64, ja="層", en="layer")
HEAD = Input("head", "Which head, from 1; -1 is the average of the layer's heads", int, -1, -1, 64,
             ja="ヘッド", en="head")
# Above this many tokens the heatmap shows blocks of consecutive tokens (the JSON keeps every token).
MOST_SHOWN = 64


def attention(task_name: str, text: str, text_pair: str = "", layer: int = -1, head: int = -1,
              model_key: str = "") -> dict[str, Any]:
    """One layer's attention over the tokens of the tab's input, as JSON (see the module docstring)."""
    layer, head = LAYER.check(layer), HEAD.check(head)
    found = inside.prediction(task_name, text, text_pair, model_key)
    ids = list(found.first.ids)
    with loader.using(found.model_key) as model:
        tokenizer, network = model.tokenizer, model.runner.model
        separator = tokenizer.sep_token_id if len(found.texts) == 2 and found.task.name != "simcse" else None
        weights = attention_weights(network, ids, separator)
        tokens = tokenizer.convert_ids_to_tokens(ids)
        special = inside.special_ids(tokenizer)
    layers, heads = weights.shape[:2]
    if not layers:
        raise InputError("このモデルには注意の層がありません。 / This model has no attention layers.")
    if layer == 0 or layer > layers:
        raise InputError(f"層は 1 から {layers} までです（-1 は最後の層）。 / The layers are 1 to {layers} (-1: the last).")
    if head == 0 or head > heads:
        raise InputError(f"ヘッドは 1 から {heads} までです（-1 は平均）。 / The heads are 1 to {heads} (-1: their average).")
    return {"task": found.task.name, "tokens": tokens, "special": [i for i, t in enumerate(ids) if t in special],
            "layer": layer if layer > 0 else layers, "head": head, "layers": int(layers), "heads": int(heads),
            "causal": found.task.name == "next_token",
            "weights": one_view(weights, layer, head).astype(float).round(6).tolist()}


def heatmap(found: dict[str, Any], hide_special: bool = False) -> Any:
    """The chosen matrix as a heatmap (a gr.Plot value), special tokens hidden on request, blocks past MOST_SHOWN."""
    matrix, labels = np.asarray(found["weights"]), list(found["tokens"])
    if hide_special and len(found["special"]) < len(labels):
        matrix = without(matrix, found["special"])
        labels = [label for i, label in enumerate(labels) if i not in set(found["special"])]
    if len(labels) > MOST_SHOWN:
        groups = blocks(len(labels), MOST_SHOWN)
        matrix = grouped(matrix, groups)
        labels = ["".join(labels[i].replace("##", "") for i in group)[:8] + "…" for group in groups]
    # Each tick names its position too: the same token twice would otherwise be one category.
    ticks = [f"{i}:{plotly_text(label)}" for i, label in enumerate(labels)]
    ja, en = ("平均", "average") if found["head"] == -1 else (found["head"], found["head"])
    trace = {"type": "heatmap", "z": matrix.tolist(), "x": ticks, "y": ticks, "zmin": 0, "zmax": 1,
             # From see-through to blue: no white cells on a dark page.
             "colorscale": [[0, "rgba(37, 99, 235, 0.04)"], [1, "rgba(37, 99, 235, 1)"]],
             "hovertemplate": "%{y} → %{x}<br>%{z:.3f}<extra></extra>"}
    side = max(320, min(720, 22 * len(labels) + 120))
    title = f"第 {found['layer']} 層・ヘッド {ja} / layer {found['layer']}, head {en}"
    return plotly_plot([trace], {"font": PLOT_FONT, "height": side,
                                 "margin": {"l": 10, "r": 10, "t": TITLE_MARGIN, "b": 10},
                                 "title": {"text": title},
                                 "xaxis": {"type": "category", "tickangle": -60, "title": {"text": "読まれる / read"}},
                                 "yaxis": {"type": "category", "autorange": "reversed",
                                           "title": {"text": "読む / reading"}}})


WORDS = i18n.register("attention", {
    "title": ("## 注意の重み（アテンション）", "## Attention weights"),
    "not_explanation": (
        "行＝読むトークン、列＝読まれるトークン。各行の合計は 1 です。注意の重みは層が「どこを見たか」で、"
        "答えの理由（説明）ではありません。理由に近いものは下の顕著性で測ります。",
        "Row: the token reading; column: the token read. Each row sums to 1. Attention weights say where a layer"
        " looked, not why the model answered as it did: attention is not an explanation (saliency, below, measures"
        " that more directly)."),
    "layer": ("層（-1 = 最後）", "Layer (-1: the last)"),
    "head": ("ヘッド（-1 = 平均）", "Head (-1: average)"),
    "hide": ("[CLS]・[SEP] などを隠す", "Hide [CLS], [SEP] and the like"),
    "causal": ("GPT-2 は前のトークンしか読めません（因果マスク）：右上は 0 です。",
               "GPT-2 reads only earlier tokens (the causal mask): the upper right is 0."),
})
