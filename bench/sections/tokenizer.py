"""The tokenizer tab."""

from __future__ import annotations

from bench import measure
from bench.sections.common import LONG_TEXT, Settings


def tokenizer_tab(settings: Settings) -> dict:
    from demos import tokenizer as tab
    from models.loader import load_tokenizer
    from models.morphology import morphemes

    text = (LONG_TEXT * 20)[:10_000]
    tokenizers = [load_tokenizer(family.key).tokenizer for family in tab.FAMILIES]

    def bare():
        morphemes(text)
        for tokenizer in tokenizers:
            tokenizer(text, return_offsets_mapping=getattr(tokenizer, "is_fast", False))

    handler_times, bare_times = measure.time_pair(lambda: tab.tokenize(text), bare, settings.long_repeats)
    return {"characters": len(text), "handler": measure.summary(handler_times), "bare": measure.summary(bare_times)}
