"""Per-request latency end to end through the API: gradio_client and plain HTTP."""

from __future__ import annotations

import asyncio
import time

from bench import measure
from bench.sections.common import Settings


def api_latency(server_url: str, settings: Settings) -> list[dict]:
    """End to end through the API, two ways: gradio_client (what Python users call), and plain HTTP
    on Gradio's /call/ route as curl would (one POST and one event stream). The handler's time plus
    the server's HTTP, queue and JSON is the plain figure; gradio_client's own work is the difference."""
    from gradio_client import Client

    from demos import contextual, generation, nli, sentiment, similarity, summarization

    client = Client(server_url, verbose=False)
    requests = {
        "sentiment": ((sentiment.EXAMPLES[0][0],), "/sentiment"),
        "nli": (tuple(nli.EXAMPLES[0]), "/nli"),
        "sts": (tuple(similarity.EXAMPLES[0]), "/sts"),
        "simcse": (tuple(similarity.EXAMPLES[0]), "/simcse"),
        "ner": (("田中美咲は日本銀行の会議に出席するため、名古屋から東京へ向かった。",), "/ner"),
        "summarize": ((summarization.EXAMPLES[0][0], settings.new_tokens, 1), "/summarize"),
        "next_token (GENERATION_SMALL)": ((generation.EXAMPLES[0][0], "GENERATION_SMALL", generation.DEFAULT_TOP_K),
                                          "/next_token"),
        "contextual": (tuple(contextual.EXAMPLES[0]), "/contextual"),
        "fill_mask": ((contextual.FILL_EXAMPLES[0][0], 5), "/fill_mask"),
    }
    rows = []
    for name, (args, api_name) in requests.items():
        client.predict(*args, api_name=api_name)  # warm
        times = []
        for _ in range(settings.repeats):
            started = time.perf_counter()
            client.predict(*args, api_name=api_name)
            times.append(time.perf_counter() - started)
        rows.append({"endpoint": name, "api": measure.summary(times),
                     "http": measure.summary(asyncio.run(_plain_http(server_url, api_name, list(args), settings)))})
    return rows


async def _plain_http(server_url: str, api_name: str, data: list, settings: Settings) -> list[float]:
    import httpx

    async with httpx.AsyncClient(base_url=server_url, timeout=600) as http:
        await measure.call_api(http, api_name.lstrip("/"), data, session="bench-http")  # warm: the session's state
        times = []
        for _ in range(settings.repeats):
            started = time.perf_counter()
            await measure.call_api(http, api_name.lstrip("/"), data, session="bench-http")
            times.append(time.perf_counter() - started)
    return times
