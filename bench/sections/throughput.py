"""Throughput with 16 concurrent clients: batching on vs off."""

from __future__ import annotations

import asyncio
import time

import numpy as np

from bench import measure
from bench.sections.common import Settings, dense_layer_peak_gflops, fitting_text


# Turns each server takes under load. With one 20 s window per server, one after the other, whole runs
# gave 1.23x, 1.41x and 1.52x: a slow spell of the machine (a neighbour on the host) hit one server's
# window and not the other's. Taking turns (ABC, BCA, CAB), each round's windows lie close together.
THROUGHPUT_ROUNDS = 3


def throughput(env: dict[str, str], settings: Settings, clients: int = 16) -> dict:
    """Requests per second from `clients` concurrent callers on /sentiment and /nli, batching on vs off.

    The callers are light: one asyncio loop speaking Gradio's HTTP API (the /call/ routes that
    curl users and gradio_client's queue use), each caller with its own session like a browser
    tab. A classroom's browsers run on their own machines; here the callers share the server's
    cores, so they must cost little (about 3 ms of CPU per request, where gradio_client threads
    cost about 50 ms and would measure the client instead of the server).

    The servers start together and run side by side (the idle ones only poll their queues); every one has
    loaded its models before any window, and they take turns under load, a window each per round. A
    server's requests/s counts all its windows; the gain is the median of the rounds' ratios, each from
    two windows close in time.
    """
    from demos import nli, sentiment
    from models import cpu_kernels

    calls = [("sentiment", [sentiment.EXAMPLES[1][0]]) if index % 2 else ("nli", list(nli.EXAMPLES[index % 3][:2]))
             for index in range(clients)]
    runs = {"batched": {"JNLP_BATCH_SIZE": "16"}, "unbatched": {"JNLP_BATCH_SIZE": "1"}}
    if cpu_kernels.wanted("text-classification"):  # the app uses oneDNN here: also without it (and unbatched)
        runs["unbatched_default_kernels"] = {"JNLP_BATCH_SIZE": "1", cpu_kernels.ONEDNN_ENV: "0"}
    rounds = 1 if settings.quick else THROUGHPUT_ROUNDS
    window_s = settings.seconds if settings.quick else 2 * settings.seconds / rounds
    servers = dict(zip(runs, measure.serve_all([(measure.python("app.py"), {**env, **settings_env})
                                                 for settings_env in runs.values()])))
    try:
        # No server imports torch, loads a model or packs its layers while another one is under load.
        asyncio.run(measure.warm_all([server.url for server in servers.values()], calls))
        windows: dict[str, list[dict]] = {label: [] for label in runs}
        labels = list(runs)
        for turn in range(rounds):
            for label in labels[turn % len(labels):] + labels[:turn % len(labels)]:
                windows[label].append(asyncio.run(_load(servers[label].url, calls, window_s)))
    finally:
        for server in servers.values():
            server.stop()
    results: dict[str, object] = {label: _over_windows(found) for label, found in windows.items()}
    results["gain"] = float(np.median([batched["requests_per_s"] / unbatched["requests_per_s"]
                                       for batched, unbatched in zip(windows["batched"], windows["unbatched"])]))
    results["model_alone_gain"], results["compute_rate"] = batching_ceiling(settings, clients)
    results["mixed_lengths"] = mixed_lengths(settings, clients)
    return results


def _over_windows(windows: list[dict]) -> dict:
    """One server's load windows together: requests/s over all of them, and each window's."""
    return {"requests_per_s": sum(w["requests"] for w in windows) / sum(w["seconds"] for w in windows),
            "windows_requests_per_s": [w["requests_per_s"] for w in windows],
            "failures": sum(w["failures"] for w in windows),
            "first_failure": next((w["first_failure"] for w in windows if w["first_failure"]), [])}


async def _load(url: str, calls: list[tuple[str, list]], seconds: float) -> dict:
    """Each caller repeats its call until the time is up; counts what completed, and what failed."""
    import httpx

    done = [0] * len(calls)
    failures: list[str] = []
    limits = httpx.Limits(max_connections=4 * len(calls), max_keepalive_connections=4 * len(calls))
    async with httpx.AsyncClient(base_url=url, timeout=120, limits=limits) as http:
        deadline = time.perf_counter() + seconds

        async def caller(index: int) -> None:
            api_name, data = calls[index]
            while time.perf_counter() < deadline:
                try:
                    await measure.call_api(http, api_name, data, session=f"caller-{index}")
                    done[index] += 1
                except Exception as exc:  # noqa: BLE001 - reported: a benchmark must not hide failures
                    failures.append(repr(exc))

        started = time.perf_counter()
        await asyncio.gather(*(caller(index) for index in range(len(calls))))
        elapsed = time.perf_counter() - started
    return {"requests_per_s": sum(done) / elapsed, "requests": sum(done), "seconds": elapsed,
            "failures": len(failures), "first_failure": failures[:1]}


def dense_layer_flops(config, tokens: int) -> int:
    """Floating-point operations of a BERT encoder's dense layers in one forward pass over `tokens` tokens: the
    query, key, value and output projections and the two feed-forward layers of every layer (each multiply-add
    counts two)."""
    hidden, inner = config.hidden_size, config.intermediate_size
    return config.num_hidden_layers * 2 * tokens * (4 * hidden * hidden + 2 * hidden * inner)


def encoder_flops(config, tokens: int) -> int:
    """Floating-point operations of one forward pass of a BERT encoder over `tokens` tokens.

    Each multiply-add counts two. The dense layers (query, key, value and output projections,
    the two feed-forward layers) and the attention's two products (scores, weighted values) are
    counted; embeddings, norms and softmax are small beside them and left out.
    """
    return dense_layer_flops(config, tokens) + config.num_hidden_layers * 2 * 2 * tokens * tokens * config.hidden_size


def batching_ceiling(settings: Settings, size: int) -> tuple[dict[str, float], dict[str, object]]:
    """The most batching can give on this machine: the model alone, `size` inputs one at a time vs one batch.

    Same inputs as the clients send, same function as the app's batch worker, no HTTP and no
    other work on the cores: the ratio through the API cannot exceed this. Returned with the
    rate of useful work of each way (GFLOP/s of the inputs' real tokens, padding not counted)
    and the rate of the model's largest dense layer on 2048 tokens at once, about the best its
    kernels reach on this machine: batching can at most lift the one-at-a-time rate to that.
    """
    from demos import common, nli, sentiment
    from models.loader import using

    inputs = {"SENTIMENT": [(text,) for text, *_ in sentiment.EXAMPLES],
              "NLI": [(premise, hypothesis) for premise, hypothesis, *_ in nli.EXAMPLES]}
    gains: dict[str, float] = {}
    rates: dict[str, object] = {}
    for key, examples in inputs.items():
        batch = [examples[i % len(examples)] for i in range(size)]
        with using(key) as model:
            one_by_one, together = measure.time_pair(lambda: [common.classify_many(model, [item]) for item in batch],
                                                     lambda: common.classify_many(model, batch),
                                                     repeats=1 if settings.quick else 3)
            config = model.runner.model.config
            flops = sum(encoder_flops(config, len(model.tokenizer(*texts, truncation=True,
                                                                  max_length=model.max_length)["input_ids"]))
                        for texts in batch)
        gains[key] = float(np.median(one_by_one) / np.median(together))
        rates[key] = {"one_by_one_gflops": flops / float(np.median(one_by_one)) / 1e9,
                      "batched_gflops": flops / float(np.median(together)) / 1e9}
    with using("SENTIMENT") as model:
        rates["dense_layer_peak_gflops"] = dense_layer_peak_gflops(model.runner.model, 2 if settings.quick else 7)
    return gains, rates


def mixed_lengths(settings: Settings, size: int) -> dict[str, float]:
    """A batch of `size` - 1 example reviews and one 512-token review, as a classroom might send them:
    one padded call (the pipeline's own batching: every input padded to 512 tokens) vs the app's
    batch function, which runs inputs of similar length together (models/batching.py)."""
    from demos import common, sentiment
    from models.loader import using

    examples = [text for text, *_ in sentiment.EXAMPLES]
    texts = [examples[i % len(examples)] for i in range(size - 1)] + [fitting_text("SENTIMENT", 512)]
    with using("SENTIMENT") as model:
        one_call, grouped = measure.time_pair(
            lambda: model.runner(texts, top_k=None, truncation=True, max_length=model.max_length, batch_size=size),
            lambda: common.classify_many(model, [(text,) for text in texts]),
            repeats=1 if settings.quick else 3)
    return {"one_padded_call_s": float(np.median(one_call)), "length_groups_s": float(np.median(grouped)),
            "gain": float(np.median(one_call) / np.median(grouped))}
