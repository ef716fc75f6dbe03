"""One OpenMP thread team at a time: a thread lets its helper threads go when its model call ends.

PyTorch's CPU build runs each parallel operation (a matrix product, a softmax over a big
tensor) on an OpenMP team: the thread that called it plus helper threads that the OpenMP
runtime (libgomp) creates for that thread and keeps for it. Between two operations the helpers
spin for a moment, so the next operation of a forward pass starts at once.

Gradio runs each request, and each step of a streamed answer, on whichever of its worker
threads is free, so after a few requests several Python threads each keep a team. libgomp then
counts more threads than cores and, to be fair to the others, lets every helper spin only a
few hundred cycles before it sleeps: each of the hundreds of small operations of a forward
pass then waits for a helper to wake. On the 2-core benchmark machine a sentiment click took
35 ms with one team and 52 ms while another idle thread still kept one.

``release_thread_team()`` lets the calling thread's helpers go (``omp_pause_resource_all`` of
OpenMP 5, which libgomp implements as ending the calling thread's team). ``loader.using`` calls
it when a model call ends, and a stream after each step, so only threads inside a model call
keep a team. The next call creates its helper again: about 70 microseconds here.
"""

from __future__ import annotations

import ctypes
import logging
import os
import sys
import threading
from collections.abc import Callable

log = logging.getLogger(__name__)

# OpenMP runtimes a PyTorch build may load: GNU's (Linux wheels), LLVM's (macOS) and Intel's.
RUNTIME_NAMES = ("libgomp", "libomp", "libiomp5")
OMP_PAUSE_SOFT = 1  # omp_pause_resource_t: "soft" may keep what a restart needs; "hard" (2) frees all

_pause: Callable[[int], int] | None = None
_resolved = False
_resolve_guard = threading.Lock()


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


def _find_pause() -> Callable[[int], int] | None:
    for path in openmp_runtimes(loaded_libraries()):
        try:
            function = ctypes.CDLL(path).omp_pause_resource_all
        except (OSError, AttributeError):
            continue  # an OpenMP runtime older than OpenMP 5
        function.argtypes = [ctypes.c_int]
        function.restype = ctypes.c_int
        return function
    return None


def release_thread_team() -> None:
    """End the calling thread's OpenMP team, if it has one; nothing to do before torch is imported.

    Where the runtime cannot be found (Windows, a runtime without OpenMP 5) this does nothing:
    the teams stay as they always did.
    """
    global _pause, _resolved
    if not _resolved:
        if "torch" not in sys.modules:
            return  # no torch operation has run, so no team exists yet
        with _resolve_guard:
            if not _resolved:
                _pause = _find_pause()
                _resolved = True
                if _pause is None:
                    log.info("no OpenMP 5 runtime found: threads keep their OpenMP teams")
    if _pause is not None:
        _pause(OMP_PAUSE_SOFT)
