"""models/allocator.py: large activations come from malloc's heap and stay there once freed (glibc)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from models import allocator
from tests.conftest import REPO

# Run in a fresh interpreter: malloc's settings are per process, and this test process has loaded
# models already. Reports where a 16 MB tensor lies (in the heap, or in a mapping of its own) and
# whether the heap keeps 64 MB of freed tensors.
WHERE_TENSORS_LIVE = """
import json, os, sys
import torch
from models import allocator

def heap():
    for line in open("/proc/self/maps"):
        if line.rstrip().endswith("[heap]"):
            start, end = (int(part, 16) for part in line.split()[0].split("-"))
            return start, end
    return 0, 0

kept = allocator.keep_freed_memory()
big = torch.ones(4 * 1024 * 1024)  # 16 MB
start, end = heap()
in_heap = start <= big.data_ptr() < end
del big
tensors = [torch.ones(2 * 1024 * 1024) for _ in range(8)]  # 8 x 8 MB
size_in_use = heap()[1] - heap()[0]
del tensors
size_after_free = heap()[1] - heap()[0]
print(json.dumps({"kept": kept, "in_heap": in_heap, "size_in_use": size_in_use, "size_after_free": size_after_free}))
"""


def _where_tensors_live(**variables: str) -> dict:
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), **variables}
    result = subprocess.run([sys.executable, "-c", WHERE_TENSORS_LIVE], cwd=REPO, env=env, capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


glibc_only = pytest.mark.skipif(not sys.platform.startswith("linux") or not allocator._on_glibc(),
                                reason="glibc's malloc and /proc/self/maps")


@glibc_only
def test_large_activations_come_from_the_heap_and_stay_there_when_freed():
    report = _where_tensors_live()
    assert report["kept"] is True
    assert report["in_heap"] is True, report
    assert report["size_in_use"] >= 64 * 1024 * 1024, report
    assert report["size_after_free"] >= report["size_in_use"] - 1024 * 1024, report  # not handed back


@glibc_only
def test_an_operators_own_malloc_settings_stand():
    # glibc's default, which the operator chose here: a tensor this large gets a mapping of its own.
    report = _where_tensors_live(MALLOC_TRIM_THRESHOLD_="131072")
    assert report["kept"] is False
    assert report["in_heap"] is False, report


def test_the_operators_variables_are_recognised():
    assert allocator.operator_has_tuned_malloc({"GLIBC_TUNABLES": "glibc.malloc.trim_threshold=0"})
    assert allocator.operator_has_tuned_malloc({"MALLOC_MMAP_THRESHOLD_": "65536"})
    assert not allocator.operator_has_tuned_malloc({"MALLOC_MMAP_THRESHOLD_": "", "PATH": "/bin"})
    assert not allocator.operator_has_tuned_malloc({"GLIBC_TUNABLES": "glibc.cpu.hwcaps=-AVX512F"})  # not malloc
