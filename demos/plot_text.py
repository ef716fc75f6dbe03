"""What a figure shows, in words and as a table: the text alternative of every plot (WCAG 1.1.1).

A screen reader reads nothing useful from Plotly's drawing, and a student who cannot tell two colours apart
(or wants the exact numbers) needs the data itself. ``describe(traces, layout)`` makes, from the very data a
figure draws, one summary sentence in each language (its kind, its size, its largest and smallest values)
and a table of the data. common.plotly_plot stores them in the figure (``layout.meta.jnlp_text``); the
page's script (demos/theme.py) writes the sentence under the plot and the table in a closed
"data as a table" section, in the page's language.
"""

from __future__ import annotations

import html
import math
from typing import Any

# A table longer than this says how many rows it leaves out (an attention map of 128 tokens has 128 rows).
MOST_ROWS = 60
MOST_COLUMNS = 40
META_KEY = "jnlp_text"


def describe(traces: list[dict], layout: dict) -> dict[str, Any]:
    """``{"summary": {"ja", "en"}, "header": [...], "rows": [[...]], "more_rows": int}`` for a figure."""
    title_ja, title_en = _title(layout)
    shown = [trace for trace in traces if _has_data(trace)]
    if not shown:
        return {"summary": {"ja": f"{title_ja}: データなし", "en": f"{title_en}: no data"}, "header": [], "rows": [],
                "more_rows": 0}
    kind = shown[0].get("type", "scatter")
    if kind == "heatmap":
        summary, header, rows = _heatmap(shown[0])
    elif kind == "bar":
        summary, header, rows = _bars(shown)
    elif all("lines" in trace.get("mode", "") for trace in shown):
        summary, header, rows = _lines(shown, _axis_title(layout, "yaxis") or "y")
    else:
        summary, header, rows = _points(shown)
    ja, en = summary
    return {"summary": {"ja": f"{title_ja}: {ja}" if title_ja else ja, "en": f"{title_en}: {en}" if title_en else en},
            "header": header, "rows": rows[:MOST_ROWS], "more_rows": max(0, len(rows) - MOST_ROWS)}


def _title(layout: dict) -> tuple[str, str]:
    title = layout.get("title")
    text = plain(title.get("text", "") if isinstance(title, dict) else title or "")
    japanese, _, english = text.partition(" / ")
    return japanese, english or japanese


def plain(text: Any) -> str:
    """A label as a reader sees it: Plotly's escaping and line breaks undone (the page sets it as text)."""
    markup_gone = str(text).replace("<br>", " ").replace("<b>", "").replace("</b>", "")  # Plotly's own tags
    return html.unescape(markup_gone)  # then the text's: a word "<b>" was sent as "&lt;b&gt;"


def number(value: Any) -> str:
    """A value as the table shows it: whole numbers with separators, others to four significant digits."""
    if value is None or isinstance(value, float) and math.isnan(value):
        return ""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return plain(value)
    if isinstance(value, int) or abs(value) >= 1000:  # a loss of 268,012.5 reads better than 2.68e+05
        return f"{value:,.0f}"
    return f"{value:.4g}"


def _has_data(trace: dict) -> bool:
    values = trace.get("z") if trace.get("type") == "heatmap" else trace.get("y")
    return bool(values) and any(value is not None for value in values)


def _heatmap(trace: dict) -> tuple[tuple[str, str], list[str], list[list[str]]]:
    z = trace["z"]
    rows_named = [plain(label) for label in trace.get("y") or range(1, len(z) + 1)]
    columns_named = [plain(label) for label in trace.get("x") or range(1, len(z[0]) + 1)]
    cells = [(value, r, c) for r, row in enumerate(z) for c, value in enumerate(row) if value is not None]
    high, low = max(cells), min(cells)
    where = lambda cell: f"{rows_named[cell[1]]} → {columns_named[cell[2]]}"  # noqa: E731
    summary = (f"ヒートマップ（{len(z)} 行 × {len(z[0])} 列）。最大 {number(high[0])}（{where(high)}）、"
               f"最小 {number(low[0])}（{where(low)}）。",
               f"heatmap of {len(z)} rows × {len(z[0])} columns; largest {number(high[0])} ({where(high)}), "
               f"smallest {number(low[0])} ({where(low)}).")
    header = ["", *columns_named[:MOST_COLUMNS]]
    rows = [[rows_named[r], *(number(value) for value in row[:MOST_COLUMNS])] for r, row in enumerate(z)]
    if len(columns_named) > MOST_COLUMNS:
        header.append(f"… +{len(columns_named) - MOST_COLUMNS}")
    return summary, header, rows


def _bars(traces: list[dict]) -> tuple[tuple[str, str], list[str], list[list[str]]]:
    bars = []
    for trace in traces:
        labels, values = (trace["y"], trace["x"]) if trace.get("orientation") == "h" else (trace.get("x"), trace["y"])
        labels = labels or range(1, len(values) + 1)
        bars += [(plain(trace.get("name", "")), plain(label), value) for label, value in zip(labels, values)]
    high = max(bars, key=lambda bar: bar[2])
    low = min(bars, key=lambda bar: bar[2])
    summary = (f"棒グラフ（{len(bars)} 本）。最大 {high[1]} = {number(high[2])}、最小 {low[1]} = {number(low[2])}。",
               f"bar chart of {len(bars)} bars; largest {high[1]} = {number(high[2])}, "
               f"smallest {low[1]} = {number(low[2])}.")
    named = len(traces) > 1
    header = [*(["系列 / series"] if named else []), "項目 / item", "値 / value"]
    rows = [[*([name] if named else []), label, number(value)] for name, label, value in bars]
    return summary, header, rows


def _axis_title(layout: dict, axis: str) -> str:
    title = (layout.get(axis) or {}).get("title") or {}
    return plain(title.get("text", "") if isinstance(title, dict) else title)


def _lines(traces: list[dict], unnamed: str) -> tuple[tuple[str, str], list[str], list[list[str]]]:
    said_ja, said_en, rows = [], [], []
    for trace in traces:
        name = plain(trace.get("name", "")) or unnamed  # a single line is named by its axis
        points = [(x, y) for x, y in zip(trace.get("x") or range(1, len(trace["y"]) + 1), trace["y"]) if y is not None]
        (x0, y0), (x1, y1) = points[0], points[-1]
        said_ja.append(f"{name}: {number(y0)}（x = {number(x0)}）→ {number(y1)}（x = {number(x1)}）")
        said_en.append(f"{name} from {number(y0)} (x = {number(x0)}) to {number(y1)} (x = {number(x1)})")
        rows += [[name, number(x), number(y)] for x, y in points]
    summary = (f"折れ線グラフ。{'、'.join(said_ja)}。", f"line chart; {'; '.join(said_en)}.")
    return summary, ["系列 / series", "x", "y"], rows


def _points(traces: list[dict]) -> tuple[tuple[str, str], list[str], list[list[str]]]:
    three_d = any(trace.get("type") == "scatter3d" for trace in traces)
    axes = "xyz" if three_d else "xy"
    rows = []
    for trace in traces:
        name = plain(trace.get("name", ""))
        labels = trace.get("text") or trace.get("hovertext") or []
        for i, x in enumerate(trace.get("x") or []):
            if x is None:
                continue
            label = plain(labels[i]) if isinstance(labels, list) and i < len(labels) else ""
            rows.append([name, label, *(number(trace[axis][i]) for axis in axes)])
    groups = len({row[0] for row in rows})
    summary = (f"散布図（{len(rows)} 点、{groups} グループ）。点の名前と座標は表にあります。",
               f"scatter plot of {len(rows)} points in {groups} group{'s' * (groups != 1)}; the table lists each point"
               f" and its coordinates.")
    return summary, ["グループ / group", "点 / point", *axes], rows
