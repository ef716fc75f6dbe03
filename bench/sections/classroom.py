"""A classroom clicking the same example."""

from __future__ import annotations

import asyncio
import time

from bench import measure
from bench.sections.common import Settings


def classroom(env: dict[str, str], settings: Settings, students: int = 16) -> dict:
    """`students` clients send the same summary request at once, as a class does when the teacher says
    "click the first example": seconds until the last one has its answer, with recent answers reused
    (the app's default, models/recent.py) and with every request computed (JNLP_RESULT_CACHE=0)."""
    from demos import summarization
    from models import recent

    data = [summarization.EXAMPLES[0][0], settings.new_tokens, 1]
    warm = [summarization.EXAMPLES[1][0], settings.new_tokens, 1]  # loads the model, not this answer
    results: dict[str, object] = {"students": students, "endpoint": "summarize"}
    labels = {"reused": "1", "computed": "0"}
    servers = measure.serve_all([(measure.python("app.py"), {**env, recent.RESULT_CACHE_ENV: value})
                                 for value in labels.values()])
    try:
        asyncio.run(measure.warm_all([server.url for server in servers], [("summarize", warm)]))  # neither loads in a class
        for label, server in zip(labels, servers):
            results[label] = asyncio.run(_all_at_once(server.url, "summarize", data, students))
    finally:
        for server in servers:
            server.stop()
    results["gain"] = results["computed"]["last_answer_s"] / results["reused"]["last_answer_s"]
    return results


async def _all_at_once(url: str, api_name: str, data: list, clients: int) -> dict:
    """`clients` callers send `data` together; when the last answer came, and whether all answers agree."""
    import httpx

    async with httpx.AsyncClient(base_url=url, timeout=600) as http:
        started = time.perf_counter()

        async def one(index: int) -> tuple[list, float]:
            answer = await measure.call_api(http, api_name, data, session=f"student-{index}")
            return answer, time.perf_counter() - started

        done = await asyncio.gather(*(one(index) for index in range(clients)))
    times = sorted(seconds for _, seconds in done)
    return {"first_answer_s": times[0], "last_answer_s": times[-1],
            "same_answer": all(answer == done[0][0] for answer, _ in done)}
