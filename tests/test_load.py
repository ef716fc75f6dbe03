"""A classroom at once: 32 clients mixing every endpoint for a fixed time, on loopback.

Checks that every request that should succeed does, that bad input among them fails
with the usual readable message, that the queue and the heavy events are bounded, and
reports the server's peak memory (and fails if it keeps growing). Length: JNLP_LOAD_SECONDS
(default 20 s of load).
"""

from __future__ import annotations

import os
import random
import threading
import time
from collections import Counter
from pathlib import Path

from gradio_client.exceptions import AppError

CLIENTS = 32
LOAD_SECONDS = float(os.environ.get("JNLP_LOAD_SECONDS", "20"))
SMALL_CORPUS = "\n".join(f"{a}は{b}で{c}を見た。" for a in ("犬", "猫", "鳥") for b in ("公園", "駅", "海")
                         for c in ("映画", "本", "空"))


def _w2v_settings(rng: random.Random) -> list:
    # upload, use_lemma, content_only, vector_size, window, min_count, negative, epochs, seed, architecture,
    # reproducible: a few different settings, so training, the cache and its evictions all happen.
    return [None, False, True, rng.choice([10, 20, 30]), 2, 1, 2, rng.choice([1, 2, 3]), rng.randint(0, 3),
            "skip-gram", True]


KINDS = 17


def _request(rng: random.Random, choice: int | None = None) -> tuple[str, tuple, bool]:
    """An endpoint, its arguments and whether the request should succeed: a random kind unless chosen."""
    choice = rng.randrange(KINDS) if choice is None else choice
    if choice == 0:
        return "/sentiment", ("この映画はとても面白かった。",), True
    if choice == 1:
        return "/nli", ("山田さんは東京で働いています。", "山田さんは働いている。"), True
    if choice == 2:
        return "/sts", ("今日は晴れです。", "今日は天気が良い。"), True
    if choice == 3:
        return "/simcse", ("今日は晴れです。", "今日は天気が良い。"), True
    if choice == 4:
        return "/ner", ("山田太郎さんはABCで働いている。" * rng.randint(1, 20),), True
    if choice == 5:
        return "/summarize", ("今日は東京で会議がありました。" * rng.randint(1, 10), 16, 1), True
    if choice == 6:
        return "/tokenize", ("東京の図書館で本を読みました。" * rng.randint(1, 50),), True
    if choice == 7:
        return "/next_token", ("今日は",), True
    if choice == 8:
        return "/generate", ("今日は", "GENERATION", rng.randint(5, 40)), True
    if choice == 9:
        return "/generate", ("今日は", "GENERATION_SMALL", 10, True, 0.8, 0.9, 20, rng.randint(0, 9)), True
    if choice == 10:
        return "/word2vec", (SMALL_CORPUS, "犬 公園", *_w2v_settings(rng), 5), True
    if choice == 11:
        return "/analogy", (SMALL_CORPUS, "犬", "猫", "鳥", *_w2v_settings(rng)), True
    if choice == 12:
        return "/train_word2vec", (SMALL_CORPUS, *_w2v_settings(rng)), True
    if choice == 13:
        return "/skipgram_pairs", ("犬が庭で楽しそうに走っている。", 2), True
    if choice == 14:
        return "/export_vectors", (SMALL_CORPUS, *_w2v_settings(rng)), True
    # Bad input in the mix: these must fail, readably, without disturbing anyone.
    if choice == 15:
        return "/sentiment", ("  ",), False
    return "/nli", ("", "仮説"), False


def _rss_kib(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise AssertionError(f"{field} missing for pid {pid}")


def test_thirty_two_clients_mixing_every_endpoint(running_app):
    pid = running_app.process.pid
    warm = running_app.client()
    # Every kind of valid request once first: the load measures serving, not first loads and imports.
    for choice in range(KINDS):
        name, args, should_succeed = _request(random.Random(choice), choice)
        if should_succeed:
            warm.predict(*args, api_name=name)
    rss_after_warmup = _rss_kib(pid, "VmRSS")

    outcomes: Counter = Counter()
    unexpected: list[str] = []
    latencies: dict[str, list[float]] = {}
    samples: list[int] = []
    lock = threading.Lock()
    deadline = time.monotonic() + LOAD_SECONDS
    start_gate = threading.Barrier(CLIENTS)

    def one_client(index: int) -> None:
        rng = random.Random(index)
        client = running_app.client()
        start_gate.wait()
        while time.monotonic() < deadline:
            name, args, should_succeed = _request(rng)
            started = time.perf_counter()
            try:
                client.predict(*args, api_name=name)
                ok, detail = True, ""
            except AppError as error:
                ok, detail = False, str(error)
            except Exception as error:  # a transport error is always unexpected
                ok, detail = False, f"{type(error).__name__}: {error}"
                should_succeed = True
            elapsed = time.perf_counter() - started
            with lock:
                latencies.setdefault(name, []).append(elapsed)
                outcomes[(name, ok)] += 1
                if ok != should_succeed:
                    unexpected.append(f"{name}{args[:1]!r}: {'succeeded' if ok else detail}")
                elif not ok and not (" / " in detail and "Traceback" not in detail):
                    unexpected.append(f"{name}: unreadable error {detail!r}")

    def watch_memory() -> None:
        while time.monotonic() < deadline + 5:
            samples.append(_rss_kib(pid, "VmRSS"))
            time.sleep(0.25)

    threads = [threading.Thread(target=one_client, args=(i,)) for i in range(CLIENTS)]
    watcher = threading.Thread(target=watch_memory, daemon=True)
    watcher.start()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=LOAD_SECONDS + 300)
    assert not any(t.is_alive() for t in threads), "a client is still waiting long after the load ended"

    peak_mib = _rss_kib(pid, "VmHWM") / 1024
    total = sum(outcomes.values())
    print(f"\n{total} requests from {CLIENTS} clients in {LOAD_SECONDS:.0f} s; server peak RSS {peak_mib:.0f} MiB "
          f"(after warm-up {rss_after_warmup / 1024:.0f} MiB)")
    for name in sorted(latencies):
        times = sorted(latencies[name])
        print(f"  {name:16} n={len(times):4}  p50 {times[len(times) // 2]:6.2f} s  max {times[-1]:6.2f} s")

    assert unexpected == []
    # Every kind of request got through the crowd, bad ones included.
    assert {name for name, ok in outcomes if ok} >= {
        "/sentiment", "/nli", "/sts", "/simcse", "/ner", "/summarize", "/tokenize", "/next_token", "/generate",
        "/word2vec", "/analogy", "/train_word2vec", "/skipgram_pairs", "/export_vectors"}
    assert outcomes[("/sentiment", False)] + outcomes[("/nli", False)] > 0
    # Memory stays bounded: the second half of the run holds little more than the first (a leak per
    # request would keep climbing; the allocator's per-thread arenas and word2vec's cache settle early).
    half = len(samples) // 2
    first, second = max(samples[:half]), max(samples[half:])
    print(f"  RSS peak: first half {first / 1024:.0f} MiB, second half {second / 1024:.0f} MiB")
    assert second <= first * 1.2 + 64 * 1024, samples
    assert running_app.process.poll() is None
    # And the app still answers a fresh client right away.
    assert running_app.client().predict("良い商品でした。", api_name="/sentiment")[0]["label"] == "positive"


def test_the_queue_and_the_heavy_events_are_bounded():
    from app import demo

    assert demo._queue.max_size == 128
    limits = {fn.api_name: fn.concurrency_limit for fn in demo.fns.values() if fn.api_name}
    # Nothing runs unbounded in parallel: "default" means the queue's default of 1 per event.
    assert demo._queue.default_concurrency_limit == 1
    assert all(limit is not None for limit in limits.values()), limits
    heavy = {fn.api_name: fn for fn in demo.fns.values() if fn.api_name in (
        "generate", "train_word2vec", "word2vec", "analogy", "export_vectors")}
    assert all(fn.concurrency_limit in ("default", 1) for fn in heavy.values())
    # Training and everything that may train share one slot.
    assert len({heavy[name].concurrency_id for name in ("train_word2vec", "word2vec", "analogy", "export_vectors")}) == 1
