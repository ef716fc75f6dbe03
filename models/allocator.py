"""Keep the memory of freed activations in the process instead of handing it back after every call.

A forward pass makes and frees large tensors (a 512-token input's feed-forward activation is 6 MB).
glibc's malloc gives allocations that large their own mapping (mmap) and unmaps them when freed, and
trims freed memory at the top of its heap: the next forward pass gets fresh pages, which the kernel
zeroes on first touch (docs/benchmarks.md, threads and memory of the CPU runtime).

``keep_freed_memory()`` raises both thresholds with ``mallopt``, for a little more resident memory.
An operator's own glibc malloc variables (``MALLOC_MMAP_THRESHOLD_``, ``MALLOC_TRIM_THRESHOLD_``,
``glibc.malloc.*`` in ``GLIBC_TUNABLES``) stand; off glibc (macOS, Windows, musl) this does nothing.
The keep_freed_memory tuning (models/tunings.py) calls it as a CPU model loads.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import logging
import os
from collections.abc import Mapping

log = logging.getLogger(__name__)

# mallopt's parameter numbers (glibc's malloc.h)
M_TRIM_THRESHOLD = -1
M_MMAP_THRESHOLD = -3
MMAP_THRESHOLD_BYTES = 32 * 1024 * 1024  # allocations up to this come from the heap (glibc's ceiling on 64-bit)
TRIM_THRESHOLD_BYTES = 256 * 1024 * 1024  # freed memory kept at the heap's top
OPERATOR_VARIABLES = ("MALLOC_MMAP_THRESHOLD_", "MALLOC_TRIM_THRESHOLD_")
MALLOC_TUNABLES = "glibc.malloc."  # in GLIBC_TUNABLES, the prefix of malloc's own settings


def operator_has_tuned_malloc(environ: Mapping[str, str]) -> bool:
    """Whether the operator set glibc's malloc variables themselves (then theirs stand)."""
    return any(environ.get(name) for name in OPERATOR_VARIABLES) or MALLOC_TUNABLES in environ.get("GLIBC_TUNABLES", "")


def _on_glibc() -> bool:
    try:
        return os.confstr("CS_GNU_LIBC_VERSION").startswith("glibc")
    except (AttributeError, ValueError, OSError):  # not a GNU system
        return False


def _libc() -> ctypes.CDLL:
    return ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")


@functools.cache  # decided once per process (asked at every CPU model load): later calls get the first answer
def keep_freed_memory() -> bool:
    """Raise glibc malloc's mmap and trim thresholds; returns whether they are set."""
    if operator_has_tuned_malloc(os.environ):
        log.info("malloc left as the operator set it (%s or %s* in GLIBC_TUNABLES)",
                 ", ".join(OPERATOR_VARIABLES), MALLOC_TUNABLES)
        return False
    if not _on_glibc():
        return False
    libc = _libc()
    set_ok = (libc.mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD_BYTES) == 1
              and libc.mallopt(M_TRIM_THRESHOLD, TRIM_THRESHOLD_BYTES) == 1)
    if not set_ok:
        log.warning("glibc refused the malloc thresholds: freed activations go back to the kernel")
    return set_ok


def release_freed_memory() -> bool:
    """Hand the heap's freed memory back to the kernel once (glibc's malloc_trim): after a one-off burst, such
    as ONNX Runtime opening a session (it reads the model file and packs its weights, then frees the file's
    copy), which the raised thresholds would otherwise keep resident. Returns whether anything was returned."""
    if not _on_glibc():
        return False
    return _libc().malloc_trim(0) == 1
