"""Shareable links: a URL that opens a tab with its inputs filled in.

A teacher hands out ``…/?tab=nli&premise=…&hypothesis=…`` (and ``&lang=en`` for English, demos/i18n.py):
the page opens on that tab with those texts in its boxes, ready to run. Each tab with link fields has a
"link to this tab" accordion that writes such a link from the current inputs, in the browser. Each tab's
build() returns its link fields, named like its API parameters; a field a tab does not list is ignored,
so a link can fill text boxes and nothing else.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from types import ModuleType
from typing import Any

import gradio as gr

from demos import i18n
from demos.common import usable_text

# Long enough for an article to summarise; a URL that long is already unwieldy.
MAX_LINK_VALUE_CHARS = 5_000
# The longest link the link maker writes, in URL characters (a kanji takes nine). Longer request
# lines are refused by common web servers and proxies (8 KB is a usual limit).
MAX_LINK_URL_CHARS = 8_000
# Page queries longer than this get a short bilingual explanation (414) instead of the page. Longer
# than any link the app writes, and under 16 KiB: the server (uvicorn's h11 parser) drops a request
# whose unparsed head outgrows 16 KiB with a bare "400 Invalid HTTP request", so a longer address
# reached this guard only when it happened to arrive in one piece (docs/benchmarks.md, long links).
MAX_PAGE_QUERY_BYTES = 12_000


def tab_id(module: ModuleType) -> str:
    """The ``tab=`` name of a tab: its module's name (sentiment, nli, similarity …)."""
    return module.__name__.rsplit(".", 1)[-1]


def read_link(query: Mapping[str, str],
              fields: Mapping[str, Mapping[str, object]]) -> tuple[str | None, dict[str, str]]:
    """The tab a link names (None when it names no known tab) and the values of that tab's fields
    (``fields`` maps each tab id to its link fields). Values are cut to MAX_LINK_VALUE_CHARS and made
    usable text (no NUL, no lone surrogates), like typed input."""
    tab = query.get("tab", "")
    if tab not in fields:
        return None, {}
    values = {name: usable_text(str(query[name]))[:MAX_LINK_VALUE_CHARS] for name in fields[tab] if name in query}
    return tab, values


def attach(blocks: gr.Blocks, tabs: gr.Tabs, fields: Mapping[str, Mapping[str, gr.Component]]) -> None:
    """On page load, select the tab a link names and fill its fields (nothing runs, no model loads)."""
    order = [(tab, name) for tab, named in fields.items() for name in named]
    components = [fields[tab][name] for tab, name in order]

    def open_link(request: gr.Request):
        tab, values = read_link(dict(request.query_params), fields)
        selected = gr.Tabs(selected=tab) if tab else gr.skip()
        filled = [values[name] if tab == link_tab and name in values else gr.skip() for link_tab, name in order]
        return [selected, *filled]

    blocks.load(open_link, inputs=None, outputs=[tabs, *components], api_visibility="private", queue=False)


TOO_LONG_LINK = (
    f"リンクが長すぎます（{{length}} 文字。{MAX_LINK_URL_CHARS:,} 文字まで）。入力を短くしてからもう一度作ってください。"
    f" / The link would be too long ({{length}} characters; at most {MAX_LINK_URL_CHARS:,}):"
    " shorten the inputs and try again."
)

WORDS = i18n.register("links", {
    "accordion": ("🔗 このタブへのリンク", "🔗 Link to this tab"),
    "make": ("いまの入力でリンクを作る", "Make a link with these inputs"),
    "link": ("リンク（コピーして配れます）", "Link (copy it and hand it out)"),
})

# Runs in the browser (no server call): the page's own address with ?tab= and the fields'
# current values, the ?lang= of the page kept. URLSearchParams encodes every value.
_LINK_SCRIPT = """(...values) => {
    const names = %s;
    const here = new URL(window.location.href);
    const query = new URLSearchParams({tab: %s});
    names.forEach((name, i) => { if (values[i]) query.set(name, String(values[i]).slice(0, %d)); });
    const lang = here.searchParams.get("lang");
    if (lang) query.set("lang", lang);
    const link = here.origin + here.pathname + "?" + query.toString();
    return link.length <= %d ? link : %s.replace("{length}", link.length.toLocaleString("en"));
}"""


def link_maker(tab: str, fields: Mapping[str, gr.Component]) -> None:
    """A closed accordion with a button that writes a link to this tab with its current inputs."""
    names = list(fields)
    script = _LINK_SCRIPT % (json.dumps(names), json.dumps(tab), MAX_LINK_VALUE_CHARS, MAX_LINK_URL_CHARS,
                             json.dumps(TOO_LONG_LINK, ensure_ascii=False))
    with gr.Accordion(WORDS("accordion"), open=False):
        with gr.Row():
            make = gr.Button(WORDS("make"), size="sm", scale=0, min_width=240)
            link = gr.Textbox(label=WORDS("link"), interactive=False, buttons=["copy"], scale=4)
    make.click(None, inputs=[fields[name] for name in names], outputs=[link], js=script, api_visibility="private")


_TOO_LONG_PAGE = (
    "<!doctype html><html lang='ja'><meta charset='utf-8'><title>414</title><body style='font-family:sans-serif'>"
    "<p>このリンクは長すぎて開けません。リンクを作り直すか、<a href='./'>アプリを開いて</a>入力してください。</p>"
    "<p>This link is too long to open. Make a shorter one, or <a href='./'>open the app</a> and type the text.</p>"
    "</body></html>"
).encode()


class LongLinkGuard:
    """ASGI middleware: a page address longer than Gradio can handle gets a short bilingual page (414)."""

    def __init__(self, app: Any):
        self.app = app

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] == "http" and len(scope.get("query_string", b"")) > MAX_PAGE_QUERY_BYTES:
            await send({"type": "http.response.start", "status": 414,
                        "headers": [(b"content-type", b"text/html; charset=utf-8"),
                                    (b"content-length", str(len(_TOO_LONG_PAGE)).encode())]})
            await send({"type": "http.response.body", "body": _TOO_LONG_PAGE})
            return
        await self.app(scope, receive, send)
