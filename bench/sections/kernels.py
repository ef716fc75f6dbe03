"""Dense-layer kernels: torch's default (MKL) vs oneDNN."""

from __future__ import annotations

import asyncio
import time

import numpy as np

from bench import measure
from bench.sections.common import Settings, fitting_text


def kernels(env: dict[str, str], settings: Settings) -> dict:
    """Every model's endpoints through two servers, one on torch's default kernels (JNLP_ONEDNN=0) and one
    on oneDNN's packed layers (JNLP_ONEDNN=1), called alternately over plain HTTP, and whether their
    answers agree. The first call of each (it loads the model, and packs its layers) is kept apart.

    Measured through the server, not in-process: there the handler shares the cores with the
    server's own work, which is what a user's click meets. Also what the app picks on this machine
    by itself (JNLP_ONEDNN=auto, the default)."""
    from demos import contextual, generation, nli, sentiment, similarity, summarization
    from models import cpu_kernels, engine

    requests = {
        "sentiment": ("sentiment", [sentiment.EXAMPLES[0][0]]),
        "sentiment, 512 tokens": ("sentiment", [fitting_text("SENTIMENT", 512)]),
        "nli": ("nli", list(nli.EXAMPLES[0][:2])),
        "sts": ("sts", list(similarity.EXAMPLES[0][:2])),
        "simcse": ("simcse", list(similarity.EXAMPLES[0][:2])),
        "ner": ("ner", ["田中美咲は日本銀行の会議に出席するため、名古屋から東京へ向かった。"]),
        "summarize": ("summarize", [summarization.EXAMPLES[0][0], settings.new_tokens, 1]),
        "next_token (GENERATION)": ("next_token", [generation.EXAMPLES[0][0], "GENERATION", generation.DEFAULT_TOP_K]),
        "contextual": ("contextual", list(contextual.EXAMPLES[0])),
        "fill_mask": ("fill_mask", [contextual.FILL_EXAMPLES[0][0], 5]),
    }
    for key in generation.MODEL_KEYS:
        requests[f"generate ({key}, {settings.new_tokens} tokens)"] = (
            "generate", [generation.EXAMPLES[0][0], key, settings.new_tokens, False, 1.0, 0.95, 50, 0])
    # Both on torch: the BERT rows compare the kernels as JNLP_ENGINE=torch runs them (the engines section
    # compares their default, ONNX Runtime).
    settings_env = {setting: {**env, cpu_kernels.ONEDNN_ENV: setting, engine.ENGINE_ENV: engine.TORCH}
                    for setting in ("0", "1")}
    servers = dict(zip(settings_env, measure.serve_all([(measure.python("app.py"), server_env)
                                                        for server_env in settings_env.values()])))
    try:
        for server in servers.values():  # the first calls time loading a model, not importing torch
            server.wait_for_imports()
        # The generators' calls take seconds: fewer of them.
        repeats = {name: settings.long_repeats if settings.quick else 7 if api_name in ("summarize", "generate")
                   else settings.repeats for name, (api_name, _) in requests.items()}
        rows = asyncio.run(_alternate(servers["0"].url, servers["1"].url, requests, repeats))
    finally:
        for server in servers.values():
            server.stop()
    return {"auto_uses_onednn": cpu_kernels.wanted("summarization"), "endpoints": rows}


# Outputs whose numbers are compared between the two servers, where not all: the contextual tab's
# figures are JSON text drawn from its first output, the cosine table.
COMPARED_OUTPUTS = {"contextual": 1}


async def _alternate(default_url: str, onednn_url: str, requests: dict[str, tuple[str, list]],
                     repeats: dict[str, int]) -> dict[str, dict]:
    import httpx

    rows = {}
    async with (httpx.AsyncClient(base_url=default_url, timeout=600) as default,
                httpx.AsyncClient(base_url=onednn_url, timeout=600) as onednn):
        for name, (api_name, data) in requests.items():
            answers, first_calls = [], []
            for http in (default, onednn):  # the first call loads the model (the next_token call loads GENERATION)
                started = time.perf_counter()
                answer = await measure.call_api(http, api_name, data, session="kernels")
                answers.append(answer[:COMPARED_OUTPUTS.get(api_name, len(answer))])
                first_calls.append(time.perf_counter() - started)
            # A large model (the large GPT-2) is packed in the background after it loads (3-7 s here):
            # the timed calls start once the oneDNN server runs on its packed layers.
            await measure.wait_for_packed_layers(onednn_url)
            timed = await measure.time_pair_async(  # alternately, starting with each server in turn
                lambda: measure.call_api(default, api_name, data, session="kernels"),
                lambda: measure.call_api(onednn, api_name, data, session="kernels"), repeats[name])
            default_s, onednn_s = (float(np.median(times)) for times in timed)
            rows[name] = {"default_p50_ms": 1000 * default_s, "onednn_p50_ms": 1000 * onednn_s,
                          "speedup": default_s / onednn_s, "largest_difference": _largest_difference(*answers),
                          "default_first_call_ms": 1000 * first_calls[0], "onednn_first_call_ms": 1000 * first_calls[1]}
    return rows


def _largest_difference(first, second) -> float:
    """The largest difference between the numbers of two API answers of the same shape; inf if anything
    else (a label, a word, the shape) differs."""
    if isinstance(first, (bool, str)) or isinstance(second, (bool, str)) or first is None or second is None:
        return 0.0 if type(first) is type(second) and first == second else float("inf")
    if isinstance(first, (int, float)) and isinstance(second, (int, float)):
        return abs(first - second)
    if isinstance(first, dict) and isinstance(second, dict) and first.keys() == second.keys():
        return max((_largest_difference(first[key], second[key]) for key in first), default=0.0)
    if isinstance(first, list) and isinstance(second, list) and len(first) == len(second):
        return max((_largest_difference(a, b) for a, b in zip(first, second)), default=0.0)
    return float("inf")
