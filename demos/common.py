"""Helpers every tab shares: input checks, friendly errors, classification and notes."""

from __future__ import annotations

import copy
import functools
import html
import inspect
import logging
import string
import unicodedata
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, TypeVar

import gradio as gr

from demos import i18n, theme
from models import hub, recent
from models.batching import padded_length, run_in_length_groups
from models.loader import LoadedModel
from models.token_counts import exceeds_limit
from models.stages import Stages, recorded_passes

log = logging.getLogger(__name__)

# Words several tabs use.
COMMON = i18n.register("common", {
    "examples": ("例", "Examples"),
    "stop": ("停止", "Stop"),
    "seed": ("シード", "Seed"),
    "compare": ("比べる", "Compare"),
    "max_new_tokens": ("最大トークン数", "Max new tokens"),
})

# The models read at most a few hundred tokens. Cutting very long input to this
# many characters before tokenising keeps a pasted book from costing seconds of
# MeCab time; the model's own truncation (and its note) then applies as usual.
MAX_INPUT_CHARS = 100_000


class InputError(ValueError):
    """Input a student can fix; the message is bilingual and says how."""


def _unusable(char: str) -> bool:
    # Lone surrogates (possible in JSON from a browser) are not valid Unicode text, and MeCab
    # (C strings) stops reading at U+0000, silently dropping everything after it.
    return char == "\x00" or "\ud800" <= char <= "\udfff"


def usable_text(text: str) -> str:
    """The text with every character MeCab and the tokenizers cannot read replaced by U+FFFD.

    One character for one, so positions in the result are positions in what the user typed.
    """
    if any(_unusable(char) for char in text):
        text = "".join("\ufffd" if _unusable(char) else char for char in text)
    return text


def blank(text: str) -> bool:
    """Nothing to read: only spaces and invisible format characters (zero-width space, BOM, word joiner…).

    A text pasted from a web page or a file can carry those alone; the models would answer for it
    as if it said something.
    """
    return all(char.isspace() or unicodedata.category(char) == "Cf" for char in text)


def require_text(text: str | None, name_ja: str = "テキスト", name_en: str = "text") -> str:
    """The text (made usable, see usable_text), or an InputError when it is empty or blank."""
    if text is None or blank(str(text)):
        raise InputError(f"{name_ja}を入力してください。 / Please enter some {name_en}.")
    return usable_text(str(text))


def clip(text: str) -> str:
    """At most MAX_INPUT_CHARS characters: far more than any model here reads."""
    return text[:MAX_INPUT_CHARS]


def truncation_note(truncated: bool, limit: int) -> str:
    """A line saying the model only read the beginning of a long input (empty otherwise)."""
    if not truncated:
        return ""
    return (
        f"⚠️ 入力が長いため、モデルが読めるのは先頭の {limit} トークンまでです（残りは使われていません）。"
        f" / The input is longer than the model accepts: only its first {limit} tokens were used."
    )


# Every ASCII punctuation character may be backslash-escaped in CommonMark (and in
# marked, which gr.Markdown uses), and an escaped one is always a literal character.
_MARKDOWN_ESCAPES = {ord(char): "\\" + char for char in string.punctuation}


def markdown_literal(text: str) -> str:
    """``text`` as itself inside gr.Markdown, whatever characters it holds.

    Words a user typed or a model (or an uploaded corpus) produced may hold
    Markdown (``**``, ``[x](javascript:…)``, ``#`` at a line start) or HTML
    (``<img onerror=…>``). Escaping every ASCII punctuation character means no
    tag, link, emphasis or ``$$`` (Gradio's LaTeX delimiter) can form; line
    breaks become spaces so no heading, quote or code block can start inside.
    """
    return " ".join(str(text).splitlines()).translate(_MARKDOWN_ESCAPES)


@dataclass(frozen=True)
class Scores:
    """Every label's probability, in the model's label order, and the forward pass they came from."""

    probabilities: dict[str, float]
    truncated: bool
    limit: int
    stages: Stages | None = None  # the ids read and the logits (softmax of which are the probabilities)


def recorded_in_groups(model: LoadedModel, run: Callable[[list[Any]], list[Any]], items: list[Any],
                       lengths: list[int], first_token_only: bool = False) -> list[tuple[Any, Stages]]:
    """(``run``'s result, the Stages of its pass) for each item, run as padded groups of similar length: the
    pipeline's own pass is recorded (models/stages.py), so the look-inside views need no second one."""
    def group_run(group: list[Any]) -> list[tuple[Any, Stages]]:
        with recorded_passes(model.runner.model, first_token_only) as passes:
            results = run(group)
        return list(zip(results, passes, strict=True))

    return run_in_length_groups(group_run, items, lengths)


def classify_many(model: LoadedModel, items: list[tuple[str, ...]]) -> list[Scores]:
    """All label probabilities for each (text,) or (text, text pair), in padded batches of similar length."""
    items = [(clip(text), clip(pair[0]) if pair else None) for text, *pair in items]
    inputs: list[Any] = [text if pair is None else {"text": text, "text_pair": pair} for text, pair in items]

    # top_k=None: every label's score (return_all_scores is ignored in transformers 5). Inputs of similar
    # length share a padded call; a long one does not slow the short ones down.
    results = recorded_in_groups(
        model, lambda group: model.runner(group, top_k=None, truncation=True, max_length=model.max_length,
                                          batch_size=len(group)),
        inputs, [padded_length(model.max_length, text, pair) for text, pair in items])
    order = model.runner.model.config.id2label
    scores = []
    for (text, pair), (result, stages) in zip(items, results, strict=True):
        by_label = {item["label"]: float(item["score"]) for item in result}
        probabilities = {order[i]: by_label[order[i]] for i in sorted(order) if order[i] in by_label}
        scores.append(Scores(probabilities, exceeds_limit(model, text, pair), model.max_length, stages))
    return scores


def classify(model: LoadedModel, text: str, text_pair: str | None = None) -> Scores:
    """All label probabilities for a text or a text pair."""
    return classify_many(model, [(text,) if text_pair is None else (text, text_pair)])[0]


def label_and_note(answer: Any) -> tuple[dict[str, float], str]:
    """A classification task's answer (demos/tasks.py) for the page: a gr.Label value and the truncation note."""
    return dict(answer.result.probabilities), answer.note


Handler = TypeVar("Handler", bound=Callable[..., Any])


@contextmanager
def _as_gradio_errors(name: str) -> Iterator[None]:
    try:
        yield
    except gr.Error:
        raise
    except InputError as exc:
        raise gr.Error(str(exc), title="入力を確認してください / Check the input", print_exception=False) from None
    except hub.LoadError as exc:  # a model or a corpus
        raise gr.Error(exc.message(), title=exc.title, duration=None, print_exception=False) from None
    except Exception:
        log.exception("handler %s failed", name)
        raise gr.Error(
            "処理中に予期しないエラーが起きました。入力を変えるか、少し待ってからもう一度試してください。"
            " / Something went wrong while running the model. Try another input, or try again shortly.",
            title="エラー / Error",
            print_exception=False,
        ) from None


def friendly_errors(handler: Handler) -> Handler:
    """Turn every failure of a handler into a readable gr.Error, never a stack trace.

    The traceback of an unexpected failure goes to the server log; the user sees
    a short bilingual sentence, and the app keeps serving everyone else.
    Generator handlers (streaming) stay generators, so Gradio still streams them.
    """
    if inspect.isgeneratorfunction(handler):

        @functools.wraps(handler)
        def stream(*args: Any, **kwargs: Any) -> Any:
            with _as_gradio_errors(handler.__name__):
                yield from handler(*args, **kwargs)

        return stream  # type: ignore[return-value]

    @functools.wraps(handler)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        with _as_gradio_errors(handler.__name__):
            return handler(*args, **kwargs)

    return wrapper  # type: ignore[return-value]


def stop_button(label: Any) -> gr.Button:
    """A Stop button, greyed out while nothing runs (a red button that did nothing looked broken)."""
    return gr.Button(label, variant="stop", interactive=False)


def _stop_on() -> gr.Button:
    return gr.Button(interactive=True)


def _stop_off() -> gr.Button:
    return gr.Button(interactive=False)


def stoppable(stop: gr.Button, triggers: list[Any], fn: Callable[..., Any], **event: Any) -> Any:
    """``gr.on(triggers, fn, **event)`` with ``stop`` on while it runs, off again when it ends or fails.

    The switch comes first, then the run: a quick answer could otherwise switch Stop off before the
    switch that turns it on. Returns the run's event (its API name, what Stop cancels).
    """
    private = {"queue": False, "api_visibility": "private", "show_progress": "hidden"}
    run = gr.on(triggers, _stop_on, None, [stop], **private).then(fn, **event)
    run.then(_stop_off, None, [stop], **private)
    return run


def stops(stop: gr.Button, runs: list[Any]) -> None:
    """Pressing ``stop`` cancels these runs and greys it out again."""
    stop.click(_stop_off, None, [stop], cancels=runs, queue=False, api_visibility="private", show_progress="hidden")


def explanation(words: Any) -> gr.Markdown:
    """A tab's explanation, in the reader's language (a text registered in demos/i18n.py)."""
    return gr.Markdown(words)


def blank_until_answered(*numbers: gr.Number) -> None:
    """Show these output numbers empty until their first answer, instead of Gradio's 0.

    Gradio draws a gr.Number without a value as 0: before anything ran, the similarity tab read
    "score 0", an answer no model gave. A value of None sent after the page is drawn does show
    as empty, so they are emptied at page load, in the browser (no request, no API endpoint).
    """
    page = gr.context.Context.root_block
    if page is not None:  # built inside gr.Blocks, as app.py does
        page.load(None, None, list(numbers), js=f"() => [{', '.join(['null'] * len(numbers))}]")


# Japanese fonts first, for the plots' titles, labels and hover text: a browser's default sans-serif
# may have no kanji and draw boxes.
PLOT_FONT = {"family": "Noto Sans CJK JP, Noto Sans JP, Hiragino Sans, Yu Gothic, Meiryo, sans-serif"}
# Room above a figure for its title's two lines (plotly_plot puts a bilingual title's English under its
# Japanese: on one line, a phone cut it off mid-English).
TITLE_MARGIN = 64


def plotly_text(text: str) -> str:
    """User or model text for a Plotly hover label, legend name, tick label or 2D marker text.

    Plotly renders a subset of HTML there (<a href>, <b>, <br> …) and decodes &lt; &gt; &amp; and
    numeric entities, but not &quot; (hence quote=False): escaped this way a word shows as itself.
    Not for 3D marker text, which is drawn on the WebGL canvas and decodes no entities at all.
    """
    return html.escape(text, quote=False)


@functools.cache
def _plotly_template() -> dict:
    """Plotly's default look (its "plotly" template) as plotly.js reads it, made once (about 6 kB), with
    transparent backgrounds and grey lines that read in light and dark mode (demos/theme.py)."""
    import plotly.io as pio

    template = pio.templates[pio.templates.default].to_plotly_json()
    _merge(template["layout"], theme.PLOT_LOOK)
    return template


def _merge(target: dict, changes: dict) -> None:
    for name, value in changes.items():
        if isinstance(value, dict) and isinstance(target.get(name), dict):
            _merge(target[name], value)
        else:
            target[name] = value


def plotly_plot(traces: list[dict], layout: dict) -> Any:
    """A Plotly figure for gr.Plot, written directly as the JSON plotly.js draws, in Plotly's default look.

    ``go.Figure`` validates every property as it is built, which cost a handler more than its 5 % over
    its model call (docs/benchmarks.md). The dicts must be in the form plotly.js reads (a title is
    {"text": ...}); gradio_client users get the same value as from a go.Figure.
    """
    import json

    from gradio.components.plot import PlotData

    from demos import plot_text

    # The figure's text alternative (its data in words and as a table), written under the plot by the page.
    layout = {**layout, "meta": {plot_text.META_KEY: plot_text.describe(traces, layout)}}
    title = layout.get("title")
    if isinstance(title, dict) and " / " in title.get("text", ""):
        # A bilingual title on two lines, Japanese over English: on one line it ran off a phone's plot.
        layout = {**layout, "title": {**title, "text": "<br>".join(title["text"].split(" / ", 1))}}
    figure = {"data": traces, "layout": {"template": _plotly_template(), **layout}}
    return PlotData(type="plotly", plot=json.dumps(figure, ensure_ascii=False, allow_nan=False))


def clickable_examples(samples: list[list[Any]], inputs: list[gr.Component], label: Any,
                       runs: list[tuple[Callable[..., Any], list[gr.Component], list[gr.Component]]],
                       **event_settings: Any) -> list[Any]:
    """Examples that fill the inputs and then run the tab, in one click; returns the runs' events.

    gr.Examples(run_on_click=True) would expose its run as an extra API endpoint
    named after the handler; chaining the runs ourselves keeps them private, so
    the public names (/sentiment, /ner …) belong to the buttons. Each run
    remembers its answers (remember_answers): in a class where everyone clicks the
    same example, the model runs once. ``event_settings`` (a concurrency slot) go to every run.
    """
    examples = gr.Examples(samples, inputs=inputs, label=label, api_visibility="private")
    # Above the columns of examples of two or more inputs Gradio writes the inputs' labels untranslated
    # (a registered label came out as "__i18n__{...}"): they get both languages, as the results' tables do.
    examples.dataset.headers = [i18n.both_languages(component.label or "") for component in inputs]
    return [examples.load_input_event.then(remember_answers(fn), inputs=fn_inputs, outputs=outputs,
                                           api_visibility="private", **event_settings)
            for fn, fn_inputs, outputs in runs]


# Answers kept per example run: a few per example and setting, far below any memory concern.
EXAMPLE_ANSWERS_KEPT = 64


def remember_answers(fn: Handler, kept: int = EXAMPLE_ANSWERS_KEPT) -> Handler:
    """``fn`` with its latest successful answers kept, by arguments, and given again at once.

    The cache fills lazily: nothing runs at start-up and no model loads before someone
    clicks. Failures are not kept, so a model that loads later still answers. Kept in
    memory, for this process and its models only (Gradio's own example cache is written
    to disk and would outlive a change of model by the operator). Task handlers and streaming
    handlers are returned as they are.
    ``JNLP_RESULT_CACHE=0`` runs ``fn`` on every click.
    """
    if inspect.isgeneratorfunction(fn) or hasattr(fn, "task"):
        return fn  # a streamed answer, or a Task's (demos/tasks.py reuses those itself)
    answers: recent.LeastRecentlyUsed[Any] = recent.LeastRecentlyUsed(kept)

    @functools.wraps(fn)
    def remembered(*args: Any) -> Any:
        if not recent.results_kept():
            return fn(*args)
        key = repr(args)
        found = answers.get(key)
        if found is not None:
            return copy.deepcopy(found)  # a copy each time: Gradio takes update dicts apart while it sends them
        answer = fn(*args)
        answers.put(key, copy.deepcopy(answer))
        return answer

    remembered.answers = answers  # type: ignore[attr-defined]  # for tests
    return remembered  # type: ignore[return-value]
