"""The UI's words in Japanese and English, switched in the browser (gr.I18n).

Each tab registers its words next to its code::

    WORDS = i18n.register("sentiment", {"classify": ("分類する", "Classify"), ...})
    gr.Button(WORDS("classify"))

A registered entry is always a (Japanese, English) pair, so no word can exist in one language only;
asking for a key nobody registered fails when the UI is built, not in front of a class. The browser
shows the language of its own setting: English for an English browser, Japanese for a Japanese one and
for every other language (the app is for readers of a Japanese book). Gradio's footer
"設定 / Settings" → Language switches it.

Only words fixed when the UI is built can be translated this way: Gradio translates them in the browser.
What a handler returns (results, notes, error messages) is made on the server, which does not know the
reader's choice, so it stays bilingual: Japanese, then " / " and English.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from typing import Any

import gradio as gr
from gradio.i18n import I18nData

JA, EN = "ja", "en"

# The locales Gradio's own interface is translated into (its Settings → Language list), English aside.
# Giving each of them the Japanese words makes Japanese the default for every browser not set to English.
_OTHER_GRADIO_LOCALES = (
    "ar", "ca", "ckb", "de", "es", "et", "eu", "fa", "fi", "fr", "he", "hi", "ja", "ko", "lt", "nb", "nl", "pl",
    "pt-BR", "pt", "ro", "ru", "sv", "ta", "th", "tr", "uk", "ur", "uz", "zh-CN", "zh-TW",
)

_catalog: dict[str, tuple[str, str]] = {}


def register(section: str, entries: Mapping[str, tuple[str, str]]) -> Callable[[str], I18nData]:
    """Add a tab's words under ``section.`` and return its lookup: name -> translatable text."""
    for name, pair in entries.items():
        japanese, english = pair
        if not japanese.strip() or not english.strip():
            raise ValueError(f"{section}.{name}: both the Japanese and the English text are needed")
        key = f"{section}.{name}"
        if _catalog.get(key, pair) != pair:
            raise ValueError(f"{key} is registered twice with different words")
        _catalog[key] = (japanese, english)

    def words(name: str) -> I18nData:
        return text(f"{section}.{name}")

    return words


def text(key: str) -> I18nData:
    """The translatable text of a registered key (a KeyError names a missing one at build time)."""
    if key not in _catalog:
        raise KeyError(f"no Japanese/English words registered for {key!r} (demos/i18n.py register)")
    return I18nData(key)


def key_of(value: object) -> str | None:
    """The key of a translatable text (an I18nData or its serialised string), else None."""
    if isinstance(value, I18nData):
        return value.key
    if isinstance(value, str) and value.startswith("__i18n__"):
        return json.loads(value[len("__i18n__"):]).get("key")
    return None


def pair(value: object) -> tuple[str, str]:
    """The (Japanese, English) words of a translatable text; a plain ``"ja / en"`` string is split."""
    key = key_of(value)
    if key is not None:
        return _catalog[key]
    japanese, _, english = str(value).partition(" / ")
    return japanese.strip(), (english or japanese).strip()


def in_language(value: object, language: str) -> str:
    """What the browser shows for ``value`` in ``language`` ("ja" or "en")."""
    japanese, english = pair(value)
    return english if language == EN else japanese


def both_languages(value: object) -> str:
    """``"ja / en"`` for a translatable text (one of them if they are the same), for the places Gradio shows
    a string without translating it (the column headers of gr.Examples)."""
    japanese, english = pair(value)
    return japanese if japanese == english else f"{japanese} / {english}"


def catalog() -> dict[str, tuple[str, str]]:
    """Every registered key with its (Japanese, English) words (a copy)."""
    return dict(_catalog)


def translations() -> gr.I18n:
    """The gr.I18n for demo.launch(i18n=...): English for English browsers, Japanese for all others."""
    japanese = {key: ja for key, (ja, _) in _catalog.items()}
    english = {key: en for key, (_, en) in _catalog.items()}
    return gr.I18n(en=english, **{locale: japanese for locale in _OTHER_GRADIO_LOCALES})


# ------------------------------------------------------------ ?lang= on the page's URL
#
# Gradio picks the language once, from the browser, before anything of the app's own can run (a
# launch(head=...) script comes later), and its Settings → Language switch leaves the titles of tabs not
# yet opened in the old language. A link with ?lang=en or ?lang=ja (the intro's language links; a
# teacher's hand-out) opens the whole page in that language: the page's HTML gets a first script that
# makes the browser report that language to Gradio.

LANGUAGES = (JA, EN)
_QUERY_LANGUAGE = re.compile(rb"(?:^|&)lang=([a-z]{2})(?:&|$)")


def requested_language(query_string: bytes) -> str | None:
    """The language a page URL's query asks for (``lang=ja`` / ``lang=en``), else None."""
    match = _QUERY_LANGUAGE.search(query_string)
    language = match.group(1).decode() if match else None
    return language if language in LANGUAGES else None


def language_script(language: str) -> bytes:
    """A script that makes navigator.language read ``language`` (one of LANGUAGES, never user text)."""
    if language not in LANGUAGES:
        raise ValueError(language)
    return (
        b"<script>for (const [name, value] of [['language', '" + language.encode() + b"'], ['languages', ['"
        + language.encode() + b"']]]) Object.defineProperty(Navigator.prototype, name, {get: () => value});</script>"
    )


# This script (launch(head=...)) mends Gradio's switch: it watches the language the switch sets on <html>
# and reopens the page with ?lang= for the new one, on the tab that is open, so every word switches.
# Other languages of Gradio's list are left to Gradio. The intro's language link (texts.LANGUAGE_SWITCH,
# an <a data-jnlp-lang=...>) reopens the page the same way: its address is set to the open tab's just
# before the browser follows it (a click, Enter, a middle click or "open in new tab"); without script it
# still opens the page in that language.
LANGUAGE_LINK_ATTRIBUTE = "data-jnlp-lang"
RELOAD_ON_SWITCH_SCRIPT = """<script>
(() => {
    const page = document.documentElement;
    const languages = %s;
    // This page in ``language``, on the tab that is open (its ?tab= name, demos/links.py).
    const address = (language) => {
        const url = new URL(window.location.href);
        url.searchParams.set("lang", language);
        url.searchParams.delete("view");  // Gradio's note that its Settings panel is open
        const open = document.querySelector("[role=tab][aria-selected=true][data-tab-id]");
        if (open && !/^[0-9]+$/.test(open.dataset.tabId)) url.searchParams.set("tab", open.dataset.tabId);
        return url.toString();
    };
    let shown = page.lang;
    new MutationObserver(() => {
        const chosen = page.lang;
        if (chosen === shown) return;
        shown = chosen;
        if (!languages.includes(chosen)) return;
        if (new URL(window.location.href).searchParams.get("lang") === chosen) return;
        window.location.assign(address(chosen));
    }).observe(page, {attributes: true, attributeFilter: ["lang"]});
    const follow = (event) => {
        const link = event.target instanceof Element && event.target.closest("a[%s]");
        if (link && languages.includes(link.getAttribute("%s"))) link.href = address(link.getAttribute("%s"));
    };
    for (const kind of ["pointerdown", "focusin", "click", "auxclick", "contextmenu"])
        document.addEventListener(kind, follow, true);
})();
</script>""" % (json.dumps(list(LANGUAGES)), LANGUAGE_LINK_ATTRIBUTE, LANGUAGE_LINK_ATTRIBUTE, LANGUAGE_LINK_ATTRIBUTE)


class LanguageFromURL:
    """ASGI middleware: a page GET with ``?lang=ja|en`` gets language_script first in its <head>."""

    def __init__(self, app: Any):
        self.app = app

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        is_page = scope["type"] == "http" and scope["method"] == "GET" and scope["path"] in ("", "/")
        language = requested_language(scope.get("query_string", b"")) if is_page else None
        if language is None:
            await self.app(scope, receive, send)
            return
        start: dict | None = None
        body: list[bytes] = []

        async def rewrite(message: dict) -> None:
            nonlocal start
            if message["type"] == "http.response.start":
                start = message  # held back: the length changes
                return
            if message["type"] != "http.response.body" or start is None:
                await send(message)
                return
            body.append(message.get("body", b""))
            if message.get("more_body"):
                return
            page = b"".join(body)
            headers = [(k, v) for k, v in start["headers"] if k.lower() != b"content-length"]
            is_html = any(k.lower() == b"content-type" and v.startswith(b"text/html") for k, v in headers)
            if is_html and b"<head>" in page:
                page = page.replace(b"<head>", b"<head>" + language_script(language), 1)
            headers.append((b"content-length", str(len(page)).encode()))
            await send({**start, "headers": headers})
            await send({"type": "http.response.body", "body": page})

        await self.app(scope, receive, rewrite)
