"""Timing, memory and process helpers shared by the benchmark sections."""

from __future__ import annotations

import asyncio
import json
import os
import platform
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parent.parent


def percentile(values: list[float], share: float) -> float:
    """The value below which `share` of the values lie (nearest rank; exact for small samples)."""
    ordered = sorted(values)
    rank = max(0, min(len(ordered) - 1, round(share * (len(ordered) - 1))))
    return ordered[rank]


def summary(seconds: list[float]) -> dict[str, float]:
    return {"p50_ms": 1000 * statistics.median(seconds), "p95_ms": 1000 * percentile(seconds, 0.95),
            "n": len(seconds)}


def time_pair(first: Callable[[], object], second: Callable[[], object], repeats: int,
              warmup: int = 1) -> tuple[list[float], list[float]]:
    """Time two callables alternately (AB BA AB ...), so a slow spell of the machine hits both alike.

    first[i] and second[i] ran one right after the other (see `paired_overhead`).
    """
    for _ in range(warmup):
        first()
        second()
    a, b = [], []
    for i in range(repeats):
        for call, into in ((first, a), (second, b)) if i % 2 == 0 else ((second, b), (first, a)):
            started = time.perf_counter()
            call()
            into.append(time.perf_counter() - started)
    return a, b


async def time_pair_async(first: Callable[[], Awaitable[object]], second: Callable[[], Awaitable[object]],
                          repeats: int) -> tuple[list[float], list[float]]:
    """`time_pair` for calls that are awaited (requests to two servers), without its warm-up."""
    a, b = [], []
    for i in range(repeats):
        for call, into in ((first, a), (second, b)) if i % 2 == 0 else ((second, b), (first, a)):
            started = time.perf_counter()
            await call()
            into.append(time.perf_counter() - started)
    return a, b


def paired_overhead(first: list[float], second: list[float]) -> float:
    """The median, over the runs of `time_pair`, of first / second - 1: each run against its neighbour.

    A slow spell of the machine (another process, a frequency change) lasts longer than one
    pair of calls, so it stretches both calls of a pair alike and cancels in their ratio; the
    ratio of the two lists' medians keeps it whenever it hits the two lists unevenly.
    """
    if len(first) != len(second) or not first:
        raise ValueError("time_pair's two lists, of equal length, are needed")
    return statistics.median(a / b for a, b in zip(first, second)) - 1


def rss_mib(pid: int, field: str = "VmRSS") -> float:
    """Resident memory of a process from /proc (VmHWM is its peak)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    return float("nan")


def machine() -> dict[str, object]:
    import torch

    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    info: dict[str, object] = {"cpu": cpu, "cores": os.cpu_count(), "torch_threads": torch.get_num_threads(),
                               "python": platform.python_version(), "torch": torch.__version__}
    if torch.cuda.is_available():
        info["gpu"] = torch.cuda.get_device_name(0)
    return info


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Server:
    process: subprocess.Popen
    url: str
    ready_s: float
    started: float = 0.0  # time.perf_counter() when the page first answered
    log: list[str] = field(default_factory=list)  # what it wrote to stderr, read as it comes (a full pipe would stall it)

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()

    def keep_log(self) -> None:
        for line in self.process.stderr:
            self.log.append(line)

    def wait_for_imports(self, timeout: float = 300) -> None:
        """Wait until the app's warm-up has imported torch and transformers (models/tunings.py logs it): a section
        that times a server after starting several must not time it while another one still imports beside it."""
        from models.tunings import IMPORTED_MESSAGE

        deadline = time.perf_counter() + timeout
        while not any(IMPORTED_MESSAGE in line for line in list(self.log)):
            if self.process.poll() is not None or time.perf_counter() > deadline:
                raise RuntimeError(f"{self.url}: torch and transformers were never imported:\n{''.join(self.log)[-3000:]}")
            time.sleep(0.05)


def serve(command: list[str], env: dict[str, str], timeout: float = 900) -> Server:
    """Start a server on a free loopback port; ready when the page itself (GET /) answers 200."""
    return serve_all([(command, env)], timeout)[0]


def serve_all(runs: list[tuple[list[str], dict[str, str]]], timeout: float = 900) -> list[Server]:
    """`serve` for several servers at once: each starts on its own port, side by side, and the call returns once
    every page answers. (Their start-up is mostly one thread's imports each: on two cores, two servers come up
    in about the time one does.)"""
    started = time.perf_counter()
    servers: list[Server] = []
    for command, env in runs:
        port = free_port()
        full_env = {**os.environ, **env, "GRADIO_SERVER_NAME": "127.0.0.1", "GRADIO_SERVER_PORT": str(port),
                    "GRADIO_ANALYTICS_ENABLED": "False"}
        process = subprocess.Popen(command, cwd=REPO, env=full_env, stdout=subprocess.DEVNULL,
                                   stderr=subprocess.PIPE, text=True)
        server = Server(process, f"http://127.0.0.1:{port}/", 0.0)
        threading.Thread(target=server.keep_log, daemon=True).start()
        servers.append(server)
    waiting = list(zip((command for command, _ in runs), servers))
    try:
        while waiting:
            if time.perf_counter() - started > timeout:
                raise RuntimeError(f"{' '.join(waiting[0][0])} did not answer within {timeout} s")
            for command, server in list(waiting):
                if server.process.poll() is not None:
                    time.sleep(0.2)  # the reader's last lines
                    raise RuntimeError(f"{' '.join(command)} exited early:\n{''.join(server.log)[-3000:]}")
                try:
                    if httpx.get(server.url, timeout=2).status_code == 200:
                        server.started = time.perf_counter()
                        server.ready_s = server.started - started
                        waiting.remove((command, server))
                except httpx.HTTPError:
                    pass
            time.sleep(0.05)
    except BaseException:
        for server in servers:
            server.process.kill()
        raise
    return servers


def python(*args: str) -> list[str]:
    return [sys.executable, *args]


async def call_api(http: httpx.AsyncClient, api_name: str, data: list, session: str) -> list:
    """One request through Gradio's HTTP API, as curl would make it: POST the inputs, read the event stream.

    `session` plays a browser tab's session id: Gradio builds a session's state once (about
    half a megabyte and 10 ms here), so callers that reuse theirs measure requests, not sessions.
    """
    posted = await http.post(f"gradio_api/call/{api_name}", json={"data": data, "session_hash": session})
    posted.raise_for_status()
    event_id = posted.json()["event_id"]
    event = None
    async with http.stream("GET", f"gradio_api/call/{api_name}/{event_id}") as stream:
        async for line in stream.aiter_lines():
            if line.startswith("event:"):
                event = line.removeprefix("event:").strip()
            elif line.startswith("data:") and event in ("complete", "error"):
                payload = line.removeprefix("data:").strip()
                if event == "error":
                    raise RuntimeError(f"/{api_name} answered an error: {payload}")
                return json.loads(payload)
    raise RuntimeError(f"/{api_name}: the event stream ended without a result")


async def warm_all(urls: list[str], calls: list[tuple[str, list]]) -> None:
    """Each call once on each server, the servers at once, and then until none packs layers in the background: a
    section that starts several servers times none while another one still imports torch or loads a model."""
    async def warm(url: str) -> None:
        async with httpx.AsyncClient(base_url=url, timeout=600) as http:
            for index, (api_name, data) in enumerate(calls):
                await call_api(http, api_name, data, session=f"warm-{index}")
        await wait_for_packed_layers(url)

    await asyncio.gather(*(warm(url) for url in urls))


def still_preparing(status_models: dict) -> list[str]:
    """The keys whose row in the status tab's models table (the /status answer's first value) says
    their oneDNN layers are still being packed in the background."""
    from demos import about

    device = about.MODEL_HEADERS.index("デバイス / Device")
    return [row[0] for row in status_models["data"] if about.PREPARING_ONEDNN in str(row[device])]


async def wait_for_packed_layers(url: str, timeout_s: float = 300.0, poll_s: float = 0.5) -> float:
    """Wait until the server at `url` packs no model in the background (its status tab says so);
    returns the seconds waited. A large model answers on torch's layers until its packed ones are in
    (the onednn tuning, models/tunings.py): timings taken before that would measure the wrong kernels."""
    started = time.perf_counter()
    async with httpx.AsyncClient(base_url=url, timeout=60) as http:
        while True:
            models, _ = await call_api(http, "status", [], session="bench-status")
            if not still_preparing(models):
                return time.perf_counter() - started
            if time.perf_counter() - started > timeout_s:
                raise RuntimeError(f"{url}: still packing after {timeout_s:.0f} s: {still_preparing(models)}")
            await asyncio.sleep(poll_s)
