"""Prompting as a classifier: one /prompt_classify call (two label words, all in one padded batch) beside
one next-token call on the same filled prompt and model: the cost of scoring the label words."""

from __future__ import annotations

from bench import measure
from bench.sections.common import Settings


def prompting(settings: Settings) -> dict:
    from demos import generation, prompting as view
    from models.loader import load

    repeats = 3 if settings.quick else 15
    review = view.EXPERIMENT[0][0]
    rows = {}
    for template_name in ("zero_shot", "few_shot"):
        template = view.PRESETS[template_name]
        prompt = view.fill(template, review)
        entry = load("GENERATION_SMALL")
        entry.layers_final.wait()
        classify_times, next_times = measure.time_pair(
            lambda: view.classify_by_prompt(entry, review, template, view.DEFAULT_LABEL_WORDS),
            lambda: generation.next_token_distribution(entry, prompt), repeats)
        tokens = len(entry.tokenizer(prompt, add_special_tokens=False)["input_ids"])
        classify, next_token = measure.summary(classify_times), measure.summary(next_times)
        rows[template_name] = {"prompt_tokens": tokens, "classify_p50_ms": classify["p50_ms"],
                               "next_token_p50_ms": next_token["p50_ms"],
                               "ratio": classify["p50_ms"] / next_token["p50_ms"]}
    return {"label_words": len(view.label_words_of(view.DEFAULT_LABEL_WORDS)), "rows": rows}
