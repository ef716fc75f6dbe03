"""Cold tabs and peak memory."""

from __future__ import annotations

import asyncio
import time

from bench import measure
from bench.sections.common import Settings


def cold_tabs(env: dict[str, str], settings: Settings) -> dict:
    """First request of each tab on a fresh app (load + infer), then the server's peak memory."""
    from gradio_client import Client

    from demos import contextual, generation, ner, nli, sentiment, similarity, summarization

    server = measure.serve(measure.python("app.py"), env)
    try:
        client = Client(server.url, verbose=False)
        requests = [
            ("sentiment", (sentiment.EXAMPLES[0][0],)), ("nli", tuple(nli.EXAMPLES[0])),
            ("sts", tuple(similarity.EXAMPLES[0])), ("simcse", tuple(similarity.EXAMPLES[0])),
            ("ner", (ner.EXAMPLES[0][0],)), ("summarize", (summarization.EXAMPLES[0][0], settings.new_tokens, 1)),
            ("tokenize", ("今日は天気が良いので散歩に行きます。",)),
            ("next_token", (generation.EXAMPLES[0][0], "GENERATION_SMALL")),
            ("next_token", (generation.EXAMPLES[0][0], "GENERATION")),
            ("contextual", tuple(contextual.EXAMPLES[0])),
        ]
        rows = []
        baseline = measure.rss_mib(server.process.pid)
        for name, args in requests:
            started = time.perf_counter()
            client.predict(*args, api_name=f"/{name}")
            rows.append({"endpoint": name if name != "next_token" else f"next_token ({args[1]})",
                         "first_request_s": time.perf_counter() - started})
        # The large GPT-2's layers are packed in the background after its first click: the peak includes it.
        packing_wait = asyncio.run(measure.wait_for_packed_layers(server.url))
        peak = measure.rss_mib(server.process.pid, "VmHWM")
        settled = measure.rss_mib(server.process.pid)
    finally:
        server.stop()
    return {"first_requests": rows, "packing_after_last_click_s": packing_wait,
            "rss_at_ready_mib": baseline, "peak_rss_all_loaded_mib": peak,
            "rss_all_loaded_mib": settled, "first_click_after_reading": _first_click_after_reading(env)}


def _first_click_after_reading(env: dict[str, str], reading_s: float = 8.0) -> dict:
    """The first sentiment request on a fresh app whose page has been open `reading_s` seconds.

    The app imports torch and transformers in the background after launch (the warm_up tuning,
    models/tunings.py): a student who reads the page before clicking finds them in.
    """
    from gradio_client import Client

    from demos import sentiment

    server = measure.serve(measure.python("app.py"), env)
    try:
        client = Client(server.url, verbose=False)
        time.sleep(max(0.0, reading_s - (time.perf_counter() - server.started)))
        started = time.perf_counter()
        client.predict(sentiment.EXAMPLES[0][0], api_name="/sentiment")
        first_s = time.perf_counter() - started
        rss = measure.rss_mib(server.process.pid)
    finally:
        server.stop()
    return {"reading_s": reading_s, "sentiment_s": first_s, "rss_after_mib": rss}
