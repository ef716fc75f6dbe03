"""Per-request latency: each Task's handler (checks, runner, formatting) against its own model call.

Every Task the app declares (demos/tasks.py) is timed, on the tab's example and on a long input, so
a new Task is benched without a line here. The bare call is ``task.forward_one(model, inputs)``: the
same model call the handler makes, without the runner and the formatting around it.
"""

from __future__ import annotations

from collections.abc import Callable

from bench import measure
from bench.sections.common import Settings, fitting_text


def _long_inputs(task, key: str) -> tuple | None:
    """The task's example with its texts made about 512 tokens long together (None: no long variant)."""
    if task.name == "contextual":  # the tab reads at most 200 characters a sentence, each must hold the word
        return ("\n".join(["電話をかける。" + fitting_text(key, 160)] * 3), "かける")
    if task.name == "fill_mask":
        return ("図書館で[MASK]を借りた。" + fitting_text(key, 500),)
    if task.name in ("next_token", "generate"):
        return None  # a prompt's length matters little next to the tokens generated
    texts = [i for i, declared in enumerate(task.inputs) if declared.kind is str and not declared.choices]
    piece = fitting_text(key, 512 // len(texts))
    return tuple(piece if i in texts else value for i, value in enumerate(task.example))


def _endpoint_calls(settings: Settings) -> dict[str, dict[str, tuple[Callable, Callable]]]:
    """{endpoint: {input label: (handler call, bare call)}} for every Task, on every model it may use."""
    from app import demo
    from demos import tasks
    from models.loader import load

    handlers = {fn.api_name: fn.fn for fn in demo.fns.values() if getattr(fn.fn, "task", None) is not None}
    calls: dict[str, dict[str, tuple]] = {}
    for name, task in tasks.TASKS.items():
        keys = [task.model_key] if task.model_key else list(task.input("model_key").choices)
        for key in keys:
            entry = load(key)
            entry.layers_final.wait()  # a large model is packed in the background after it loads
            inputs = {"example": task.example, "512 tokens": _long_inputs(task, key)}
            endpoint = name if task.model_key else f"{name} ({key})"
            calls[endpoint] = {}
            for label, example in inputs.items():
                if example is None:
                    continue
                args = _with(task, example, key, settings)
                model_inputs = task.model_inputs(task.checked(*args))
                calls[endpoint][label] = (lambda a=args, h=handlers[name]: _last(h(*a)),
                                          lambda e=entry, m=model_inputs, t=task: _last(t.forward_one(e, m)))
    return calls


def _with(task, example: tuple, key: str, settings: Settings) -> list:
    """The example's inputs, on this model, generating the run's number of tokens."""
    names = [declared.name for declared in task.inputs]
    args = list(example) + [declared.default for declared in task.inputs[len(example):]]
    if "model_key" in names:
        args[names.index("model_key")] = key
    if "max_new_tokens" in names:
        args[names.index("max_new_tokens")] = settings.new_tokens
    return args


def _last(answer):
    """A streamed answer run to its end (its last update); any other answer as it is."""
    if hasattr(answer, "__next__"):
        for answer in answer:  # noqa: B007 - the last one is kept
            pass
    return answer


def latency(settings: Settings) -> list[dict]:
    rows = []
    for endpoint, inputs in _endpoint_calls(settings).items():
        for label, (handler, bare) in inputs.items():
            repeats = settings.long_repeats if label != "example" or "generate" in endpoint else settings.repeats
            handler_times, bare_times = measure.time_pair(handler, bare, repeats)
            handler_stats, bare_stats = measure.summary(handler_times), measure.summary(bare_times)
            # The overhead of a request is its handler time over the bare call's run beside it; its
            # p50 is the median of those ratios. The ratio of the two p50s is kept beside it.
            rows.append({"endpoint": endpoint, "input": label, "handler": handler_stats, "bare": bare_stats,
                         "overhead_p50": measure.paired_overhead(handler_times, bare_times),
                         "overhead_of_p50s": handler_stats["p50_ms"] / bare_stats["p50_ms"] - 1,
                         "handler_ms": [round(1000 * t, 2) for t in handler_times],
                         "bare_ms": [round(1000 * t, 2) for t in bare_times]})
    return rows
