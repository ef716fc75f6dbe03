"""Gradio inputs whose refusals speak Japanese and English.

Gradio checks a slider's or a number's range and a radio button's choices
before a handler runs, and refuses out-of-range values in English only. The
browser never sends such values, but API callers and scripts do. These
subclasses refuse the same values with a bilingual sentence that names the
setting by its label. They are Gradio "templates" (``is_template``): the
browser draws them exactly as the components they extend.
"""

from __future__ import annotations

import html
import math
import os
from typing import Any

import gradio as gr

from demos import i18n

_TITLE = "入力を確認してください / Check the input"


def _names(label: Any) -> tuple[str, str]:
    """The Japanese and English names of a setting: its translated label, or a '温度 / Temperature' string."""
    return i18n.pair(label or "値 / value")


def _refuse(label: Any, japanese: str, english: str) -> gr.Error:
    name_ja, name_en = _names(label)
    return gr.Error(f"「{name_ja}」{japanese} / '{name_en}' {english}", title=_TITLE, print_exception=False)


def _bounded_number(component: gr.Slider | gr.Number, payload: Any) -> None:
    """Refuse anything that is not a finite number between the component's bounds."""
    if payload is None and isinstance(component, gr.Number):
        return  # an empty number box is Gradio's None; the handler uses its default
    low, high = component.minimum, component.maximum
    if isinstance(payload, bool) or not isinstance(payload, (int, float)) or not math.isfinite(payload):
        raise _refuse(component.label, "には数値を指定してください。", "must be a number.")
    if low is not None and high is not None and not low <= payload <= high:
        raise _refuse(component.label, f"は {low:g} から {high:g} の範囲で指定してください（{payload:g} は範囲外）。",
                      f"must be between {low:g} and {high:g} (got {payload:g}).")
    if low is not None and payload < low:
        raise _refuse(component.label, f"は {low:g} 以上にしてください（{payload:g} は範囲外）。",
                      f"must be at least {low:g} (got {payload:g}).")
    if high is not None and payload > high:
        raise _refuse(component.label, f"は {high:g} 以下にしてください（{payload:g} は範囲外）。",
                      f"must be at most {high:g} (got {payload:g}).")


# Give this min_width to sliders that share a row: on a phone (about 300 px for the row) they then go
# one per line. At Gradio's default 160 px each, labels such as 最大トークン数 or エポック were broken
# into one character per line beside the number box; on a laptop the row still holds them side by side.
# (A default set in Slider.__init__ would not do: Gradio reads a component's settings for the page
# from its __init__ signature.)
SIDE_BY_SIDE_MIN_WIDTH = 220


class Slider(gr.Slider):
    is_template = True

    def preprocess(self, payload: Any) -> Any:
        _bounded_number(self, payload)
        return super().preprocess(payload)


class Number(gr.Number):
    is_template = True

    def preprocess(self, payload: Any) -> Any:
        _bounded_number(self, payload)
        return super().preprocess(payload)


# How long the server keeps a file: an upload, or a file a handler returned (Gradio's cache; app.py
# has Gradio delete older ones every hour). Long enough for a lesson and the homework after it; a
# Space that runs for weeks would otherwise keep every upload and every export it ever got.
FILES_KEPT_HOURS = 4


class File(gr.File):
    """A file upload that refuses a name outside its file_types in both languages.

    Gradio's own refusal ("Invalid file type …") is English only and reaches API callers
    (the browser's file picker already shows only the allowed types).
    """

    is_template = True

    def preprocess(self, payload: Any) -> Any:
        allowed = [kind.lower() for kind in self.file_types or [] if kind.startswith(".")]
        files = payload.root if isinstance(payload, gr.data_classes.ListFiles) else [payload]
        for file in files if allowed else []:
            if file is None:  # no file: the handler decides
                continue
            name = file.orig_name or file.path  # Gradio's FileData: the name the user's file had
            if not name.lower().endswith(tuple(allowed)):
                listed = " / ".join(allowed)
                shown = html.escape(os.path.basename(name))  # a gr.Error message is shown as HTML
                raise _refuse(self.label, f"には {listed} のファイルを選んでください（{shown} は使えません）。",
                              f"takes a {listed} file (not {shown}).")
        return super().preprocess(payload)


class Radio(gr.Radio):
    is_template = True

    def preprocess(self, payload: Any) -> Any:
        allowed = [value for _, value in self.choices]
        if payload is not None and payload not in allowed:
            listed = ", ".join(str(value) for value in allowed)
            raise _refuse(self.label, f"は {listed} のどれかを選んでください。", f"must be one of {listed}.")
        return super().preprocess(payload)
