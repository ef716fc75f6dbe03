"""models/openmp.py: a thread lets its OpenMP helper threads go when its model call ends."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from models import gpu, loader, openmp
from tests.conftest import REPO


def test_the_openmp_runtimes_are_found_among_the_loaded_libraries(tmp_path):
    maps = tmp_path / "maps"
    maps.write_text(
        "7f01-7f02 r-xp 00000000 08:01 1 /usr/lib/python3.11/site-packages/torch/lib/libgomp-a34b3233.so.1\n"
        "7f03-7f04 r-xp 00000000 08:01 2 /usr/lib/x86_64-linux-gnu/libc.so.6\n"
        "7f05-7f06 rw-p 00000000 00:00 0 \n"  # anonymous memory: no path
        "7f07-7f08 r--p 00000000 00:00 0 [vdso]\n"
        "7f09-7f0a r-xp 00000000 08:01 3 /opt/intel/lib/libiomp5.so\n"
        "7f0b-7f0c r--p 00000000 08:01 4 /usr/share/fonts/x.ttf\n", encoding="utf-8")
    libraries = openmp.loaded_libraries(str(maps))
    assert libraries == ["/opt/intel/lib/libiomp5.so", "/usr/lib/python3.11/site-packages/torch/lib/libgomp-a34b3233.so.1",
                         "/usr/lib/x86_64-linux-gnu/libc.so.6"]
    assert openmp.openmp_runtimes(libraries) == [libraries[0], libraries[1]]
    assert openmp.loaded_libraries(str(tmp_path / "absent")) == []  # not Linux: nothing known


# Run in a fresh interpreter: the threads of this test process (servers started by other tests)
# come and go, and the count would not be the helper's alone.
HELPER_THREAD = """
import json, os, threading
import torch
from models import openmp

def threads():
    return len(os.listdir("/proc/self/task"))

counts = {}
def work():
    counts["before"] = threads()
    matrix = torch.randn(768, 768)
    torch.mm(matrix, matrix)  # a product this size runs on the whole OpenMP team
    counts["during"] = threads()  # the helpers stay after the product, waiting for the next one
    openmp.release_thread_team()
    counts["after"] = threads()
    openmp.release_thread_team()  # a thread without a team: nothing to do
    torch.mm(matrix, matrix)  # and the next product gets its helpers again
    counts["again"] = threads()

thread = threading.Thread(target=work)
thread.start()
thread.join()
counts["torch_threads"] = torch.get_num_threads()
print(json.dumps(counts))
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="counts threads in /proc")
def test_releasing_the_team_ends_the_threads_helpers_and_the_next_product_gets_them_again():
    result = subprocess.run([sys.executable, "-c", HELPER_THREAD], cwd=REPO, capture_output=True, text=True,
                            timeout=120, env={"PATH": "/usr/bin:/bin", "OMP_NUM_THREADS": "2"})
    assert result.returncode == 0, result.stderr[-2000:]
    counts = json.loads(result.stdout.strip().splitlines()[-1])
    assert counts["torch_threads"] == 2
    assert counts["during"] == counts["before"] + 1, counts  # one helper beside the calling thread
    assert counts["after"] == counts["before"], counts
    assert counts["again"] == counts["during"], counts


def test_a_model_call_lets_the_team_go_when_it_ends_even_when_it_fails(load_model, monkeypatch):
    released = []
    monkeypatch.setattr(openmp, "release_thread_team", lambda: released.append("released"))
    with loader.using("SENTIMENT"):
        assert released == []  # not while the model runs
    assert released == ["released"]
    with pytest.raises(RuntimeError):
        with loader.using("SENTIMENT"):
            raise RuntimeError("the call failed")
    assert released == ["released", "released"]


def test_a_stream_lets_the_team_go_after_each_step(load_model, monkeypatch):
    # Gradio may ask for each item of a stream on another thread.
    events = []
    monkeypatch.setattr(openmp, "release_thread_team", lambda: events.append("released"))

    def count_to_three(model):
        for number in range(3):
            events.append(number)
            yield number

    assert list(gpu.stream("SENTIMENT", count_to_three)) == [0, 1, 2]
    # after each step, and once more when the stream's model call ends
    assert events == [0, "released", 1, "released", 2, "released", "released"]
