"""Optional: int8 dynamic quantisation of the BERT models on the CPU."""

from __future__ import annotations

import time

from bench.sections.common import Settings, fitting_text


def quantization(settings: Settings) -> dict:
    """Sentiment and NLI handlers with full-precision weights and with JNLP_QUANTIZE=int8, and whether
    their labels agree on the app's examples."""
    import os
    import statistics

    from demos import nli, sentiment
    from models import cpu_kernels, loader

    inputs = {"sentiment": [(text,) for (text,) in sentiment.EXAMPLES] + [(fitting_text("SENTIMENT", 512),)],
              "nli": [tuple(pair) for pair in nli.EXAMPLES]}
    handlers = {"sentiment": sentiment.sentiment, "nli": nli.nli}
    runs: dict[str, dict] = {}
    previous = os.environ.get(cpu_kernels.QUANTIZE_ENV)
    try:
        for mode in ("fp32", "int8"):
            os.environ[cpu_kernels.QUANTIZE_ENV] = "int8" if mode == "int8" else ""
            loader.unload_all()
            runs[mode] = {}
            for name, handler in handlers.items():
                labels, times = [], []
                for args in inputs[name]:
                    handler(*args)  # warm (and load)
                    for _ in range(settings.long_repeats):
                        started = time.perf_counter()
                        label, _ = handler(*args)
                        times.append(time.perf_counter() - started)
                    labels.append(max(label, key=label.get))
                runs[mode][name] = {"labels": labels, "p50_ms": 1000 * statistics.median(times)}
    finally:
        os.environ[cpu_kernels.QUANTIZE_ENV] = previous or ""
        loader.unload_all()
    return {name: {"fp32_p50_ms": runs["fp32"][name]["p50_ms"], "int8_p50_ms": runs["int8"][name]["p50_ms"],
                   "speedup": runs["fp32"][name]["p50_ms"] / runs["int8"][name]["p50_ms"],
                   "labels_agree": runs["fp32"][name]["labels"] == runs["int8"][name]["labels"]}
            for name in handlers}
