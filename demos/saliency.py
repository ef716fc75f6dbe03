"""Saliency (顕著性): which words pushed the tab's answer, by Captum's attributions (models/attributions.py).

Each token of the pass behind the answer gets a score toward the explained label's probability (the raw
value for JSTS, a next token's probability for GPT-2); a MeCab word's score is the sum of its tokens'.
The text is drawn with each word's colour and its number, and the scores are checked against the model:
removing the top word should move the answer more than removing a word that scored near zero.
"""

from __future__ import annotations

import bisect
import html
from typing import Any

import numpy as np

from demos import generation, i18n, inside, nli, sentiment, similarity
from demos.common import InputError, markdown_literal
from demos.tasks import Input
from models import loader
from models.attributions import (GRADIENT_X_INPUT, INTEGRATED_GRADIENTS, LABEL, METHODS, NEXT_TOKEN, VALUE,
                                 attribute, baseline_token, token_types)
from models.morphology import morphemes
from models.stages import softmax

TASKS = {task.name: task for task in (sentiment.SENTIMENT, nli.NLI, similarity.STS, generation.NEXT_TOKEN)}
METHOD = Input("method", "integrated_gradients (Captum's Integrated Gradients, exact up to the reported delta) or "
               "gradient_x_input (one backward pass, quicker and rougher)", default=INTEGRATED_GRADIENTS,
               choices=METHODS, ja="手法", en="method")
STEPS = Input("steps", "Integrated Gradients' steps from the baseline to the input: more steps, smaller delta",
              int, 32, 4, 128, ja="ステップ数", en="steps")


def saliency(task_name: str, text: str, text_pair: str = "", target: str = "", method: str = INTEGRATED_GRADIENTS,
             steps: int = 32, model_key: str = "", check: bool = True) -> dict[str, Any]:
    """The attributions toward ``target`` (empty: the tab's answer) as JSON (see the module docstring);
    ``check=False`` leaves out the removal check (two more passes), for a preview."""
    method, steps = METHOD.check(method), STEPS.check(steps)
    found = inside.prediction(task_name, text, text_pair, model_key, among=TASKS)
    ids = list(found.first.ids)
    with loader.using(found.model_key) as model:
        tokenizer, network = model.tokenizer, model.runner.model
        explained, index, name = _target(found, tokenizer, network, target)
        special = inside.special_ids(tokenizer)
        pair = len(found.texts) == 2
        separator = tokenizer.sep_token_id if pair else None
        blank = baseline_token(tokenizer)
        scores = attribute(network, ids, special, explained, index, method, steps, blank, separator)
        spans = inside.token_spans(tokenizer, found.first.ids, found.texts)
        names = tokenizer.convert_ids_to_tokens(ids)
    segments = token_types(ids, separator) if pair else [0] * len(ids)
    tokens = [{"token": token, "start": span[0] if span else None, "end": span[1] if span else None,
               "score": float(score), "segment": segment}
              for token, span, score, segment in zip(names, spans, scores.scores, segments)]
    words = per_word(found.texts, tokens)
    return {"task": found.task.name, "text": found.texts, "target": name, "explained": explained, "method": method,
            "steps": steps if method == INTEGRATED_GRADIENTS else None, "value": scores.value,
            "baseline_value": scores.baseline_value, "baseline_token": tokenizer.convert_ids_to_tokens(blank),
            "delta": scores.delta, "tokens": tokens, "words": words,
            "faithfulness": faithfulness(found, words, explained, index) if check else None}


def _target(found: inside.Prediction, tokenizer: Any, network: Any, target: str) -> tuple[str, int, str]:
    """What is explained: (LABEL/VALUE/NEXT_TOKEN, the label's or token's index, its name)."""
    outputs = np.asarray(found.first.outputs)
    target = (target or "").strip()
    if found.task.name == "sts":
        return VALUE, 0, "score"
    if found.task.name == "next_token":
        if not target:
            index = int(np.argmax(outputs))
            return NEXT_TOKEN, index, tokenizer.convert_ids_to_tokens(index)
        pieces = tokenizer(target, add_special_tokens=False)["input_ids"]
        vocabulary = tokenizer.get_vocab()
        if target in vocabulary:
            pieces = [vocabulary[target]]
        if len(pieces) != 1:
            raise InputError(f"「{target}」は {len(pieces)} トークンになります。1 トークンの語を選んでください。 / "
                             f"\"{target}\" is {len(pieces)} tokens: choose a word of one token.")
        return NEXT_TOKEN, int(pieces[0]), tokenizer.convert_ids_to_tokens(int(pieces[0]))
    labels = network.config.id2label
    if not target:
        index = int(np.argmax(outputs))
        return LABEL, index, labels[index]
    by_name = {name: index for index, name in labels.items()}
    if target not in by_name:
        listed = ", ".join(labels.values())
        raise InputError(f"ラベルは {listed} から選んでください。 / Choose the label among {listed}.")
    return LABEL, by_name[target], target


def per_word(texts: list[str], tokens: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """MeCab's words of each text with the sum of their tokens' scores (a token counts for the word its
    first character is in); words the model did not read (past its last token) are left out."""
    words = []
    for segment, text in enumerate(texts):
        mine = [token for token in tokens if token["segment"] == segment and token["start"] is not None]
        if not mine:
            continue
        # MeCab over the part the model read only (a pasted article is mostly past its last token).
        found = morphemes(text[:max(token["end"] for token in mine)])
        starts = [word.start for word in found]
        sums: dict[int, float] = {}
        for token in mine:
            at = bisect.bisect_right(starts, token["start"]) - 1
            if at >= 0 and token["start"] < found[at].end:
                sums[at] = sums.get(at, 0.0) + token["score"]
        words += [{"word": found[at].surface, "start": found[at].start, "end": found[at].end, "score": float(score),
                   "segment": segment} for at, score in sorted(sums.items())]
    return words


def explained_number(result_stages: Any, explained: str, index: int) -> float:
    """The number the attributions explain, read from a pass's raw outputs."""
    outputs = np.asarray(result_stages.outputs)
    return float(outputs[0]) if explained == VALUE else float(softmax(outputs)[index])


def faithfulness(found: inside.Prediction, words: list[dict[str, Any]], explained: str,
                 index: int) -> dict[str, Any]:
    """The explained number after removing the top-scored word, and after removing the word scored nearest
    zero: if the scores are faithful, the first moves it much more than the second."""
    before = explained_number(found.first, explained, index)
    candidates = [word for word in words if found.texts[word["segment"]][:word["start"]].strip()
                  or found.texts[word["segment"]][word["end"]:].strip()]  # a text is never left empty
    if len(candidates) < 2:
        return {"before": before, "top": None, "low": None}
    top = max(candidates, key=lambda word: word["score"])
    low = min((word for word in candidates if word is not top), key=lambda word: abs(word["score"]))
    return {"before": before, "top": _removed(found, top, explained, index, before),
            "low": _removed(found, low, explained, index, before)}


def _removed(found: inside.Prediction, word: dict[str, Any], explained: str, index: int,
             before: float) -> dict[str, Any]:
    texts = list(found.texts)
    text = texts[word["segment"]]
    texts[word["segment"]] = text[:word["start"]] + text[word["end"]:]
    again = inside.prediction(found.task.name, texts[0], texts[1] if len(texts) > 1 else "", found.model_key,
                              among=TASKS)
    after = explained_number(again.first, explained, index)
    return {"word": word["word"], "segment": word["segment"], "score": word["score"], "after": after,
            "change": after - before}


WORDS = i18n.register("saliency", {
    "title": ("## どの語が答えを押したか（顕著性）", "## Which words pushed the answer (saliency)"),
    "method": ("手法", "Method"),
    "target": ("説明するラベル・トークン（空欄なら予測）", "Label or token to explain (empty: the prediction)"),
    "steps": ("ステップ数（Integrated Gradients）", "Steps (Integrated Gradients)"),
    "steps_info": ("多いほど正確（δ が小さい）、そのぶん時間がかかります", "More steps: a smaller error δ, and more time"),

    "compute": ("計算する", "Compute"),
})
# Above the quick first look while Integrated Gradients runs (an answer: both languages, as every note).
PREVIEW = ("*まず勾配×入力（1 回の逆伝播）を表示しています。Integrated Gradients を計算中… / A first look by gradient ×"
           " input (one backward pass); Integrated Gradients is being computed…*")
# The class of the gr.HTML that shows coloured_text (tests/test_html_escaping.py finds it by it).
VIEW_CLASS = "jnlp-saliency-view"
METHOD_NAMES = {INTEGRATED_GRADIENTS: "Integrated Gradients", GRADIENT_X_INPUT: "勾配×入力 / gradient × input"}


def _colour(score: float, largest: float) -> str:
    """Orange for a push toward the target, blue against it, stronger for a larger share (see-through, so
    the text reads in light and dark mode)."""
    strength = 0.0 if largest == 0 else min(1.0, abs(score) / largest) * 0.6
    return f"rgba(234, 88, 12, {strength:.2f})" if score >= 0 else f"rgba(37, 99, 235, {strength:.2f})"


def short(score: float) -> str:
    """A score in three significant digits with its sign (a next token's probability moves by thousandths)."""
    return f"{score + 0.0:+.3g}"  # + 0.0: no "-0"


def coloured_text(found: dict[str, Any]) -> str:
    """The original texts with each MeCab word on its colour and, above it, its score with its sign: the
    number says what the colour says, for a reader who cannot tell the colours apart."""
    largest = max((abs(word["score"]) for word in found["words"]), default=0.0)
    lines = []
    for segment, text in enumerate(found["text"]):
        cursor, parts = 0, []
        for word in (w for w in found["words"] if w["segment"] == segment):
            gap = text[cursor:word["start"]]
            if cursor == 0 and len(gap) > inside.SHOWN_CHARS:  # GPT-2 reads a long prompt's end: start near it
                gap = "…" + gap[-inside.SHOWN_CHARS:]
            parts.append(html.escape(gap))
            parts.append(f'<ruby class="jnlp-salient" style="background:{_colour(word["score"], largest)}">'
                         f'{html.escape(text[word["start"]:word["end"]])}<rt>{short(word["score"])}</rt></ruby>')
            cursor = word["end"]
        rest = text[cursor:]
        parts.append(html.escape(rest[:inside.SHOWN_CHARS]) + ("…" if len(rest) > inside.SHOWN_CHARS else ""))
        lines.append(f'<p class="jnlp-saliency" lang="ja">{"".join(parts)}</p>')
    legend = ("<p><small>橙＝答えの方へ押した語（＋）、青＝逆へ押した語（−）。数字は単語ごとの寄与です。 / Orange: pushed toward"
              " the answer (+); blue: against it (−). The number is each word's attribution.</small></p>")
    return "".join(lines) + legend


def saliency_text(found: dict[str, Any]) -> str:
    """What was explained, how exact it is, the words ranked, and the removal check, as Markdown."""
    explained = {LABEL: "ラベルの確率 / the label's probability", VALUE: "回帰の値 / the regression value",
                 NEXT_TOKEN: "次のトークンの確率 / the next token's probability"}[found["explained"]]
    lines = [f"**{METHOD_NAMES[found['method']]}** → {markdown_literal(found['target'])}（{explained}）: "
             f"{found['value']:.4f}"]
    if found["delta"] is not None:
        blank = markdown_literal(found["baseline_token"])
        lines.append(f"基準入力（語を {blank} に置換）での値 / on the baseline (words replaced by {blank}): "
                     f"{found['baseline_value']:.4f}。寄与の合計 = 差 ＋ 誤差 / the scores add up to the difference"
                     f" plus the error δ = {found['delta']:+.2e}（{found['steps']} ステップ / steps）")
    lines += ["", "| 順位 / rank | 単語 / word | 寄与 / score |", "|---|---|---|"]
    ranked = sorted(found["words"], key=lambda word: -abs(word["score"]))[:15]
    lines += [f"| {rank} | {markdown_literal(word['word'])} | {short(word['score'])} |"
              for rank, word in enumerate(ranked, start=1)]
    check = found["faithfulness"]
    if check and check["top"] is not None:
        lines += ["", "**確かめ / check:** 語を消してもう一度 / the model again without one word:"]
        for role, ja, en in (("top", "寄与が最大の語", "the top word"), ("low", "寄与が 0 に近い語", "a word near zero")):
            item = check[role]
            lines.append(f"- {ja} / {en} 「{markdown_literal(item['word'])}」: {check['before']:.4f} → "
                         f"{item['after']:.4f}（{item['change']:+.4f}）")
    return "\n".join(lines)
