"""Hugging Face ZeroGPU support: the one place that knows about the ``spaces`` package.

On a ZeroGPU Space (``SPACES_ZERO_GPU=true``, set by the platform) a GPU is attached only while a function
decorated with ``spaces.GPU`` runs, in a forked worker process: its arguments and results (each yielded item,
for a generator) are pickled across, and the worker sees the parent's memory as it was at the fork. So model
weights are loaded, and moved to "cuda", in the parent beforehand (ZeroGPU emulates CUDA there and moves
them onto the real GPU when a worker starts). Everywhere else ``gpu_task`` returns the function itself and
``spaces`` is never imported. The tabs call their model through ``run`` (one result) or ``stream`` (a
generator): the model loads first, outside the GPU call, then ``function(model, *args)`` runs inside it
under the model's lock.
"""

from __future__ import annotations

import functools
import inspect
import logging
import os
import pickle
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, TypeVar

from models import loader, tunings
from models.registry import MODELS

log = logging.getLogger(__name__)

ZERO_GPU_ENV = "SPACES_ZERO_GPU"
# GPU seconds asked for per call: ZeroGPU queues shorter requests further ahead and stops a call that
# overruns. Starting a worker (moving every model's weights onto the GPU) counts too.
QUICK_SECONDS = 30  # a forward pass of a BERT, one next-token step
LONG_SECONDS = 120  # T5 beam search, a stream of up to 200 GPT-2 tokens

Function = TypeVar("Function", bound=Callable[..., Any])


def on_zero_gpu(environ: dict[str, str] | None = None) -> bool:
    """Whether this process runs on a ZeroGPU Space: the variable read as ``spaces`` reads it (1, t or true,
    any case), so the two never disagree."""
    value = (os.environ if environ is None else environ).get(ZERO_GPU_ENV)
    return value is not None and value.lower() in ("1", "t", "true")


# The NVIDIA driver's own file: there when the machine has a CUDA GPU that torch could use.
NVIDIA_DRIVER_FILE = "/proc/driver/nvidia/version"


def has_gpu(environ: dict[str, str] | None = None) -> bool:
    """Whether this machine has a CUDA GPU (or is a ZeroGPU Space), asked without importing torch: the page's
    starting choices are set when it is built, seconds before torch is imported."""
    return on_zero_gpu(environ) or os.path.exists(NVIDIA_DRIVER_FILE)


@dataclass(frozen=True)
class _Raised:
    """An exception raised inside the GPU worker, carried back as a value: ``spaces`` replaces any exception
    but a gr.Error by a bare "ZeroGPU worker error", which would lose an InputError's bilingual message. It is
    raised again in the request's thread, where the tab's friendly_errors wrapper makes the usual message."""

    error: Exception


def _portable(error: Exception) -> Exception:
    """The exception itself if it survives the pickled trip back from the worker, else a stand-in. Unpickling
    rebuilds it as ``type(error)(*error.args)``: trying exactly that tells without unpickling anything."""
    try:
        pickle.dumps(error)
        type(error)(*error.args)
    except Exception:  # e.g. an exception class whose __init__ takes other arguments than its message
        return RuntimeError(f"{type(error).__name__}: {error}")
    return error


def gpu_task(duration: int | Callable[..., int] = QUICK_SECONDS) -> Callable[[Function], Function]:
    """Decorator: on ZeroGPU the function runs with a GPU attached (``spaces.GPU``); elsewhere it is unchanged.

    ``duration``: the GPU seconds to ask for, or a function of the same arguments that returns them. Decided
    at import, when the function is decorated: ZeroGPU wants its GPU functions registered before launch.
    Generator functions stay generators.
    """

    def decorate(function: Function) -> Function:
        if not on_zero_gpu():
            return function
        # Imported only here, on ZeroGPU: importing spaces there patches torch (CUDA emulation),
        # which must happen before anything initialises CUDA; the demos import this module long before.
        import spaces

        if inspect.isgeneratorfunction(function):
            return _gpu_generator(spaces, function, duration)  # type: ignore[return-value]
        return _gpu_function(spaces, function, duration)  # type: ignore[return-value]

    return decorate


def _gpu_function(spaces: Any, function: Callable[..., Any], duration: Any) -> Callable[..., Any]:
    @functools.wraps(function)
    def in_worker(*args: Any, **kwargs: Any) -> Any:
        try:
            return function(*args, **kwargs)
        except Exception as error:  # noqa: BLE001 - carried back, raised again below
            return _Raised(_portable(error))

    on_gpu = spaces.GPU(in_worker, duration=duration)

    @functools.wraps(function)
    def call(*args: Any, **kwargs: Any) -> Any:
        result = on_gpu(*args, **kwargs)
        if isinstance(result, _Raised):
            raise result.error
        return result

    return call


def _gpu_generator(spaces: Any, function: Callable[..., Iterator[Any]], duration: Any) -> Callable[..., Any]:
    @functools.wraps(function)
    def in_worker(*args: Any, **kwargs: Any) -> Iterator[Any]:
        try:
            yield from function(*args, **kwargs)
        except Exception as error:  # noqa: BLE001 - carried back, raised again below
            yield _Raised(_portable(error))

    on_gpu = spaces.GPU(in_worker, duration=duration)

    @functools.wraps(function)
    def stream(*args: Any, **kwargs: Any) -> Iterator[Any]:
        items = on_gpu(*args, **kwargs)
        try:
            for item in items:
                if isinstance(item, _Raised):
                    raise item.error
                yield item
        finally:
            # Stop or a closed page closes this generator: close the GPU one too, so the worker stops.
            items.close()

    return stream


def _requested(seconds: int, *_: Any) -> int:
    return seconds


# A tab's function travels to the worker by its qualified name (pickle's way for module-level functions),
# the model key as a string: the model is never pickled, the worker finds it in the memory it forked from.
@gpu_task(duration=_requested)
def _call_on_gpu(seconds: int, key: str, function: Callable[..., Any], args: tuple) -> Any:
    with loader.using(key) as model:
        return function(model, *args)


@gpu_task(duration=_requested)
def _stream_on_gpu(seconds: int, key: str, function: Callable[..., Iterator[Any]], args: tuple) -> Iterator[Any]:
    with loader.using(key) as model:
        for item in function(model, *args):
            # Gradio may ask for the next item on another thread: a step ends like a call (its OpenMP team goes).
            tunings.run(tunings.CALL_ENDED, model)
            yield item


def run(key: str, function: Callable[..., Any], *args: Any, seconds: int = QUICK_SECONDS) -> Any:
    """``function(model, *args)`` for the model of ``key``, on the GPU on ZeroGPU.

    The model loads here, before the GPU call: a download inside it would spend the call's GPU time.
    ``function`` must be module-level, and ``args`` and the result picklable (the worker is another process).
    """
    loader.load(key)
    return _call_on_gpu(seconds, key, function, args)


def stream(key: str, function: Callable[..., Iterator[Any]], *args: Any, seconds: int = LONG_SECONDS) -> Iterator[Any]:
    """The items of the generator ``function(model, *args)``, on the GPU on ZeroGPU. The model loads now, not
    at the first item: a model that cannot load fails before the tab shows anything."""
    loader.load(key)
    return _stream_on_gpu(seconds, key, function, args)


def preload_models() -> None:
    """Load every registry model now, in this thread (on ZeroGPU, before the app launches).

    ZeroGPU's CUDA emulation is a torch mode entered in the thread that imported ``spaces`` (the main thread):
    a model moved to "cuda" in a request's thread would reach for a real GPU, which the process lacks. So every
    model loads at start-up, as ZeroGPU's guide does at import. A failure is logged; its tab shows it when used.
    """
    if loader.memory_cap():
        log.warning("%s is set: on ZeroGPU every model must stay loaded; unset it", loader.MEMORY_CAP_ENV)
    for key in MODELS:
        try:
            loader.load(key)
        except loader.ModelLoadError as error:
            log.warning("could not preload %s: %s", key, error.reason)
    log.info("preloaded for ZeroGPU: %s", ", ".join(loader.loaded_keys()) or "nothing")
