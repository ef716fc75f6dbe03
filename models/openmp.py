"""One OpenMP thread team at a time: a thread lets its helper threads go when its model call ends.

PyTorch's CPU build runs each parallel operation on an OpenMP team: the calling thread plus helpers
that the OpenMP runtime (libgomp) keeps spinning between operations, so that the next starts at once.
Gradio runs each request, and each step of a stream, on whichever worker thread is free, so several
threads come to keep a team; libgomp then counts more threads than cores and lets helpers spin only
briefly, and each of a forward pass's hundreds of small operations waits for one to wake
(docs/benchmarks.md, threads and memory of the CPU runtime).

``release_thread_team()`` ends the calling thread's team (OpenMP 5's ``omp_pause_resource_all``). The
openmp_release tuning (models/tunings.py) calls it when a model call or a step of a stream ends, so only
threads inside a model call keep a team; the next call creates its helper again, cheaply.
"""

from __future__ import annotations

import ctypes
import functools
import logging
import os
import sys
from collections.abc import Callable

log = logging.getLogger(__name__)

# OpenMP runtimes a PyTorch build may load: GNU's (Linux wheels), LLVM's (macOS) and Intel's.
RUNTIME_NAMES = ("libgomp", "libomp", "libiomp5")
OMP_PAUSE_SOFT = 1  # omp_pause_resource_t: "soft" may keep what a restart needs; "hard" (2) frees all


def loaded_libraries(maps_path: str = "/proc/self/maps") -> list[str]:
    """Paths of the shared libraries this process has loaded (Linux); empty where unknown."""
    try:
        with open(maps_path, encoding="utf-8", errors="replace") as maps:
            paths = {line.split(None, 5)[5].strip() for line in maps if len(line.split(None, 5)) == 6}
    except OSError:
        return []
    return sorted(path for path in paths if path.startswith("/") and ".so" in os.path.basename(path))


def openmp_runtimes(paths: list[str]) -> list[str]:
    """The OpenMP runtimes among library paths: libgomp-3c4e2f1a.so.1 (a wheel's renamed copy) counts."""
    return [path for path in paths if os.path.basename(path).startswith(RUNTIME_NAMES)]


@functools.cache  # looked up once, at the first call after torch is imported
def _find_pause() -> Callable[[int], int] | None:
    for path in openmp_runtimes(loaded_libraries()):
        try:
            function = ctypes.CDLL(path).omp_pause_resource_all
        except (OSError, AttributeError):
            continue  # an OpenMP runtime older than OpenMP 5
        function.argtypes = [ctypes.c_int]
        function.restype = ctypes.c_int
        return function
    log.info("no OpenMP 5 runtime found: threads keep their OpenMP teams")
    return None


def release_thread_team() -> None:
    """End the calling thread's OpenMP team, if it has one. Where no OpenMP 5 runtime is found (Windows,
    an older runtime) this does nothing: the teams stay as they always did."""
    if "torch" not in sys.modules:
        return  # no torch operation has run, so no team exists yet
    pause = _find_pause()
    if pause is not None:
        pause(OMP_PAUSE_SOFT)
