"""A stand-in for Hugging Face's ``spaces`` package, as ZeroGPU runs it, for tests without ZeroGPU.

``GPU`` runs the task in this process, but the way ZeroGPU's worker would see it: the
arguments and the result (each item, for a generator) are pickled and unpickled as if they
crossed to another process, and an exception other than gr.Error comes back as a bare
"ZeroGPU worker error". Each call is recorded with what the tests check: the model keys
already loaded when the GPU call starts, the thread it was called from and the duration
asked for. ``FAKE_SPACES_LOG`` (a file) receives the records too, one JSON line each, for
an app served in another process.
"""

from __future__ import annotations

import inspect
import json
import os
import pickle
import threading
from typing import Any

CALLS: list[dict[str, Any]] = []
DECORATED: list[str] = []


def _across(value: Any) -> Any:
    return pickle.loads(pickle.dumps(value))


def _record(task: Any, duration: Any, args: tuple, kwargs: dict) -> None:
    from models import loader

    entry = {
        "task": task.__name__,
        "loaded": loader.loaded_keys(),
        "thread": threading.current_thread().name,
        "duration": duration(*args, **kwargs) if callable(duration) else duration,
    }
    CALLS.append(entry)
    if os.environ.get("FAKE_SPACES_LOG"):
        with open(os.environ["FAKE_SPACES_LOG"], "a", encoding="utf-8") as log:
            log.write(json.dumps(entry) + "\n")


def _as_worker_error(error: Exception) -> Exception:
    import gradio as gr

    return error if isinstance(error, gr.Error) else gr.Error("ZeroGPU worker error")


def GPU(task: Any = None, *, duration: Any = None, size: Any = None) -> Any:  # noqa: N802 - the real name
    if task is None:
        return lambda function: GPU(function, duration=duration, size=size)
    DECORATED.append(task.__name__)

    if inspect.isgeneratorfunction(task):

        def stream(*args: Any, **kwargs: Any) -> Any:
            args, kwargs = _across((args, kwargs))
            _record(task, duration, args, kwargs)
            try:
                for item in task(*args, **kwargs):
                    yield _across(item)
            except Exception as error:
                raise _as_worker_error(error) from None

        return stream

    def call(*args: Any, **kwargs: Any) -> Any:
        args, kwargs = _across((args, kwargs))
        _record(task, duration, args, kwargs)
        try:
            return _across(task(*args, **kwargs))
        except Exception as error:
            raise _as_worker_error(error) from None

    return call
