"""The Task contract: each model-backed action declared once, and one runner for all of them.

A Task names its model, declares its inputs once (kind, bounds, default, meaning: the one source of
the sliders' limits, the checks, the API docstring and the MCP tool's description), and says whether
requests may share a batch, how much GPU time one asks for on ZeroGPU, and whether answers are reused.
Its ``forward(model, *inputs)`` returns a typed result holding the stages on the way (tokens, scores
...), so every view formats the very forward pass the answer came from.

``task.endpoint(format)`` makes a tab's Gradio handler from a formatter of that result: the runner
checks the inputs, runs the model (batched, on ZeroGPU's GPU, or a recent answer again), streams,
adds the truncation note and turns every failure into a short bilingual message.
"""

from __future__ import annotations

import inspect
import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from demos.common import InputError, friendly_errors, require_text, truncation_note
from demos.components import Number, Radio, Slider
from models import batching, gpu, recent

REQUIRED = inspect.Parameter.empty


@dataclass(frozen=True)
class Input:
    """One input of a Task: a text (required), a whole number, a number, a switch or a choice; or, with
    ``kind=None``, anything its handler reads and checks itself (an optional corpus, a file)."""

    name: str
    meaning: str  # a sentence for the API docstring; the kind, bounds and default are added to it
    kind: type = str
    default: Any = REQUIRED
    low: float | None = None
    high: float | None = None
    step: float = 1
    choices: tuple[str, ...] = ()
    ja: str = "テキスト"  # the input's name in messages
    en: str = "text"
    longest: int | None = None  # a text's most characters
    used_when: str | None = None  # the switch (a bool input) without which this input changes nothing
    shapes_answer: bool = False  # read by the formatter only (a temperature over kept logits): no model call

    def check(self, value: Any) -> Any:
        """The value to run with, or an InputError a student can act on.

        Numbers out of bounds are brought within them, and nothing or NaN means the default: the page's
        sliders refuse such values before this (demos/components.py), Python callers get the nearest.
        """
        if self.kind is None:
            return value
        if self.choices:
            if value not in self.choices:
                listed = ", ".join(self.choices)
                raise InputError(f"{self.ja}は {listed} から選んでください。 / Choose the {self.en} among {listed}.")
            return value
        if self.kind is str:
            text = require_text(value, self.ja, self.en)
            if self.longest is not None and len(text.strip()) > self.longest:
                raise InputError(f"{self.ja}が長すぎます（{self.longest} 文字まで）。 / The {self.en} is too long"
                                 f" (at most {self.longest} characters).")
            return text
        if self.kind is bool:
            return bool(value)
        if value is None:
            return self.default
        try:
            number = float(value)
        except (TypeError, ValueError):
            raise InputError(f"{self.ja}は数で指定してください。 / The {self.en} must be a number.") from None
        if math.isnan(number):
            return self.default
        number = min(self.high, max(self.low, number))
        return int(number) if self.kind is int else number

    def described(self) -> str:
        """The docstring line: meaning, then kind, bounds and default, all from this declaration."""
        if self.kind is None:
            return f"{self.name}: {self.meaning}"
        if self.choices:
            facts = f"one of {', '.join(repr(choice) for choice in self.choices)}, default {self.default!r}"
        elif self.kind is str:
            facts = "str, required, not blank" + (f", at most {self.longest} characters" if self.longest else "")
        elif self.kind is bool:
            facts = f"bool, default {self.default}"
        else:
            kind, shown = ("whole number", "{}") if self.kind is int else ("number", "{:g}")
            facts = f"{kind}, {shown.format(self.low)} to {shown.format(self.high)}, default {shown.format(self.default)}"
        when = f" Used only when {self.used_when} is True." if self.used_when else ""
        return f"{self.name}: {self.meaning} ({facts}).{when}"

    def slider(self, label: Any, **settings: Any) -> Slider:
        """The page's slider for this input, with its bounds, step and default."""
        return Slider(self.low, self.high, value=self.default, step=self.step, label=label, **settings)

    def number_box(self, label: Any, **settings: Any) -> Number:
        """A whole-number box for this input (a seed), with its bounds and default."""
        return Number(value=self.default, precision=0, minimum=self.low, maximum=self.high, label=label, **settings)

    def radio(self, labels: Callable[[str], str], label: Any, **settings: Any) -> Radio:
        """Radio buttons for this input's choices, each shown as ``labels(choice)``."""
        return Radio([(labels(choice), choice) for choice in self.choices], value=self.default, label=label,
                     **settings)


# Every Task by its API name: ZeroGPU's worker and the contract test find a Task by name.
TASKS: dict[str, Task] = {}


@dataclass(frozen=True)
class Task:
    """A model-backed action: its API name, what it does, its inputs and outputs, and how it runs.

    ``forward(model, *inputs)`` gives the result of one request; with ``batched`` it is instead
    ``forward(model, [inputs, ...]) -> [result, ...]`` for requests that share one model call. A
    generator ``forward`` is streamed: each item is the answer so far. The model is ``model_key``,
    or, where that is None, the request's choice in its input named ``model_key`` (not passed on).
    """

    name: str
    summary: str
    inputs: tuple[Input, ...]
    returns: tuple[str, ...]
    forward: Callable[..., Any] = field(repr=False)
    example: tuple = ()  # an input the tab offers (the contract test and the bench run it)
    model_key: str | None = None
    batched: bool = False
    gpu_seconds: int = gpu.QUICK_SECONDS
    reuse: bool = True  # a request identical to a recent one gets its answer again (JNLP_RESULT_CACHE)

    def __post_init__(self) -> None:
        TASKS[self.name] = self

    @property
    def streamed(self) -> bool:
        return inspect.isgeneratorfunction(self.forward)

    def input(self, name: str) -> Input:
        return next(declared for declared in self.inputs if declared.name == name)

    def checked(self, *args: Any, **kwargs: Any) -> dict[str, Any]:
        """The request's inputs by name, defaults filled in and each checked (Input.check)."""
        bound = signature(self.inputs).bind(*args, **kwargs)
        bound.apply_defaults()
        return {declared.name: declared.check(bound.arguments[declared.name]) for declared in self.inputs}

    def compute(self, model: Any, *args: Any, **kwargs: Any) -> Any:
        """One request's result on a model at hand (tests, the bench, views): the runner's checks and
        forward, without loading, batching or reuse."""
        return self.forward_one(model, self.model_inputs(self.checked(*args, **kwargs)))

    def forward_one(self, model: Any, inputs: tuple) -> Any:
        return self.forward(model, [inputs])[0] if self.batched else self.forward(model, *inputs)

    def model_for(self, values: dict[str, Any]) -> str:
        return self.model_key or values["model_key"]

    def _for_model(self) -> list[Input]:
        return [declared for declared in self.inputs if declared.name != "model_key" and not declared.shapes_answer]

    def model_inputs(self, values: dict[str, Any]) -> tuple:
        """What ``forward`` gets after the model: every input but the choice of model and those only the
        formatter reads, in order."""
        return tuple(values[declared.name] for declared in self._for_model())

    def reuse_key(self, model_key: str, values: dict[str, Any]) -> tuple:
        """What names an answer: the task, the model, and every input that changes what the model gives."""
        deciding = [values[declared.name] for declared in self._for_model()
                    if declared.used_when is None or values[declared.used_when]]
        return recent.answer_key(self.name, model_key, *deciding)

    def endpoint(self, format: Callable[[Answer], Any]) -> Callable[..., Any]:
        """The Gradio handler: run this task on the request's inputs, then ``format`` the Answer.

        Its signature and docstring are made from the declaration, so the API page and MCP list
        the same inputs, bounds and defaults as the sliders and the checks.
        """
        name = self.name
        if inspect.isgeneratorfunction(format):
            def handler(*args: Any, **kwargs: Any) -> Iterator[Any]:
                answers = stream(TASKS[name], *args, **kwargs)
                try:
                    yield from format(answers)
                finally:  # Stop or a closed page: the model (on ZeroGPU, the GPU) is let go at once
                    getattr(answers.result, "close", lambda: None)()
        else:
            def handler(*args: Any, **kwargs: Any) -> Any:
                return format(run(TASKS[name], *args, **kwargs))
        handler.task = self  # type: ignore[attr-defined]
        return declared_handler(handler, name, self.summary, self.inputs, self.returns)


def signature(inputs: tuple[Input, ...], *more: inspect.Parameter) -> inspect.Signature:
    """A handler's signature from its declared inputs (their names and defaults), then ``more``."""
    kind = inspect.Parameter.POSITIONAL_OR_KEYWORD
    return inspect.Signature([inspect.Parameter(i.name, kind, default=i.default) for i in inputs] + list(more))


def declared_handler(handler: Callable[..., Any], name: str, summary: str, inputs: tuple[Input, ...],
                     returns: tuple[str, ...], *more: inspect.Parameter) -> Callable[..., Any]:
    """``handler`` named, with its signature and docstring (the API page, MCP) made from its declared
    inputs, and its failures turned into readable messages (common.friendly_errors)."""
    handler.__name__ = handler.__qualname__ = name
    handler.__doc__ = "\n".join([summary, "", "Args:", *(f"    {declared.described()}" for declared in inputs),
                                 "", "Returns:", *(f"    {line}" for line in returns)])
    handler.__signature__ = signature(inputs, *more)  # type: ignore[attr-defined]
    return friendly_errors(handler)


def typed(handler: Callable[..., Any], inputs: tuple[Input, ...]) -> Callable[..., Any]:
    """A declared handler with type hints from its inputs and a dict for its answer: what gr.api (a JSON
    endpoint without components) reads to describe the endpoint."""
    hints = {i.name: str if i.kind is None or i.choices else i.kind for i in inputs}
    handler.__annotations__ = {**hints, "return": dict}
    handler.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
        [parameter.replace(annotation=hints[parameter.name]) if parameter.name in hints else parameter
         for parameter in inspect.signature(handler).parameters.values()], return_annotation=dict)
    return handler


@dataclass(frozen=True)
class Answer:
    """A Task's result for one request and the inputs it ran on (checked). A streamed Task's result is
    an iterator of its answers so far; ``reused`` when it is a recent finished one, given as one item."""

    inputs: dict[str, Any]
    result: Any
    reused: bool = False

    @property
    def note(self) -> str:
        """The truncation note, for a result that says whether the model cut its input."""
        return truncation_note(getattr(self.result, "truncated", False), getattr(self.result, "limit", 0))

    def __iter__(self) -> Iterator[Any]:
        return iter(self.result)


def run(task: Task, *args: Any, **kwargs: Any) -> Answer:
    """One request of ``task``: checked before any model loads, then answered (see the module docstring)."""
    values = task.checked(*args, **kwargs)
    key = task.model_for(values)
    compute = lambda: _compute(task, key, task.model_inputs(values))  # noqa: E731
    result = recent.reused_or_computed(task.reuse_key(key, values), compute) if task.reuse else compute()
    return Answer(values, result)


def _compute(task: Task, key: str, inputs: tuple) -> Any:
    if task.batched and not gpu.on_zero_gpu():
        # Requests arriving together share one forward pass (models/batching.py). Not on ZeroGPU: it
        # charges a call's GPU time to the user whose thread runs it, and a batch runs in one thread.
        return batching.run(key, task.forward, inputs)
    return gpu.run(key, _forward, task.name, inputs, seconds=task.gpu_seconds)


def _forward(model: Any, name: str, inputs: tuple) -> Any:
    """One request through a Task's forward (module level, the Task by name: ZeroGPU pickles both)."""
    return TASKS[name].forward_one(model, inputs)


def stream(task: Task, *args: Any, **kwargs: Any) -> Answer:
    """The answers of a streamed ``task`` as they grow; its model is loaded before the first one.

    An answer that ran to its end is kept, and an identical request later gets it as one item;
    one cut short (Stop, a closed page) is not.
    """
    values = task.checked(*args, **kwargs)
    key = task.model_for(values)
    remembered = task.reuse_key(key, values)
    finished = recent.recall(remembered) if task.reuse else None
    if finished is not None:
        return Answer(values, iter([finished]), reused=True)
    items = gpu.stream(key, _stream_forward, task.name, task.model_inputs(values), seconds=task.gpu_seconds)
    return Answer(values, _kept(items, remembered if task.reuse else None))


def _stream_forward(model: Any, name: str, inputs: tuple) -> Iterator[Any]:
    yield from TASKS[name].forward(model, *inputs)


def _kept(items: Iterator[Any], remembered: tuple | None) -> Iterator[Any]:
    try:
        last = None
        for last in items:
            yield last
        if remembered is not None and last is not None:
            recent.keep(remembered, last)
    finally:
        items.close()
