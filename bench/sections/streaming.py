"""Generation streaming."""

from __future__ import annotations

import time

import numpy as np

from bench.sections.common import Settings


def streaming(settings: Settings) -> list[dict]:
    from demos import generation
    from models import loader

    rows = []
    for key in generation.MODEL_KEYS:
        prompt = generation.EXAMPLES[0][0]
        for _ in generation.generate(prompt, key, 2):  # warm
            pass
        loader.load(key).layers_final.wait()  # a large model is packed in the background after it loads
        first_token, stamps = [], []
        for _ in range(settings.long_repeats):
            started = time.perf_counter()
            times = []
            for index, _text in enumerate(generation.generate(prompt, key, settings.new_tokens)):
                if index:  # the first yield echoes the prompt
                    times.append(time.perf_counter() - started)
            first_token.append(times[0])
            stamps.append((len(times) - 1) / (times[-1] - times[0]) if len(times) > 1 else float("nan"))
        rows.append({"model": key, "time_to_first_token_ms": 1000 * float(np.median(first_token)),
                     "tokens_per_s": float(np.median(stamps)), "new_tokens": settings.new_tokens})
    return rows
