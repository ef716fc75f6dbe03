"""The Japanese NLP playground: composes one tab per demo module and launches.

`from app import demo` gives the Blocks without loading any model (Spaces and
tests use it); `python app.py` serves it, honouring GRADIO_SERVER_NAME and
GRADIO_SERVER_PORT.
"""

import importlib.util
import logging
import os
import signal
import sys

from models import settings

if __name__ == "__main__":
    try:  # every setting, before anything is built (Gradio reads its own at import): a typo stops the app
        settings.read(os.environ)  # in one line instead of being ignored or ending in a traceback
    except settings.SettingError as error:
        sys.exit(str(error))

# demos before gradio: importing demos imports Gradio leaner (demos/lean_start.py).
from demos import DEMOS, api_inputs, i18n, inside, lean_start, links, notebook, prompting, texts, theme  # noqa: E402
from demos.components import FILES_KEPT_HOURS  # noqa: E402
from models import gpu, loader, tunings  # noqa: E402

if __name__ == "__main__":
    lean_start.leave_out_notebook_support()  # a server started as a script is never a notebook

import gradio as gr  # noqa: E402 - after demos, see above
from starlette.middleware import Middleware  # noqa: E402


# After every request Gradio's queue summarises all the requests it remembers (up to 10,000) with
# pandas, for that dashboard, holding the interpreter lock (docs/benchmarks.md). With the dashboard
# off nobody reads the summary, so it is never computed. Gradio reads this variable (requests between summaries) when the queue
# is made; an operator's own value is kept.
SUMMARY_EVERY_ENV = "GRADIO_ANALYTICS_CACHE_FREQUENCY"
NEVER = str(2**62)


def build_app() -> gr.Blocks:
    # Gradio deletes the uploads and returned files (word2vec corpora and exports) older than
    # FILES_KEPT_HOURS, checking every hour, and all of them when the server stops.
    kept_s = FILES_KEPT_HOURS * 3600
    with gr.Blocks(title=texts.APP_TITLE, delete_cache=(min(3600, kept_s), kept_s)) as blocks:
        gr.HTML(texts.LANGUAGE_SWITCH)
        gr.Markdown(texts.INTRO)
        # Wrap onto a second row rather than hide tabs in a "…" menu: a projector at 1280 px or a
        # laptop must show every tab.
        with gr.Tabs(overflow_behavior="wrap") as tabs:
            link_fields = {}
            for module in DEMOS:
                tab = links.tab_id(module)
                with gr.Tab(module.TITLE, id=tab):
                    # A tab returns the inputs a shared link may fill (demos/links.py), or nothing.
                    fields = link_fields[tab] = module.build() or {}
                    if fields:
                        links.link_maker(tab, fields)
                    notebook.maker(tab)  # a model tab's input and settings as a notebook (demos/notebook.py)
        links.attach(blocks, tabs, link_fields)
        inside.api()  # /steps, /anatomy, /saliency, /attention: what every tab's "Look inside" shows, as JSON
        prompting.api()  # /prompt_classify: GPT-2 steered by a prompt (its view beside the fine-tuned BERT: next)
        notebook.api()  # /notebook: a tab's input as a Jupyter notebook that prints the same numbers
        theme.mark_results_stale_on_edit(blocks)
    # A bounded queue: a crowd gets "queue full" instead of unbounded memory.
    summary_off = not settings.current().monitoring and SUMMARY_EVERY_ENV not in os.environ
    if summary_off:
        os.environ[SUMMARY_EVERY_ENV] = NEVER
    try:
        blocks.queue(max_size=128)
    finally:  # only for this queue: not inherited by child processes (a test's app with the dashboard on)
        if summary_off:
            del os.environ[SUMMARY_EVERY_ENV]
    return blocks


# Sessions whose settings Gradio keeps in memory at once (see launch_settings): about 250 MB at most.
MAX_SESSIONS = 300


def launch_settings(environ: dict[str, str]) -> dict:
    """Keyword arguments for demo.launch(), from the operator's environment.

    Raises settings.SettingError (a ValueError) for a setting that is not understood.
    """
    chosen = settings.read(environ)
    if chosen.mcp and importlib.util.find_spec("mcp") is None:
        raise ValueError("JNLP_MCP=1 needs the mcp package: pip install -r requirements.txt (it installs gradio[mcp])")
    return {
        # Uploads are word2vec corpora (.txt, 2 MB at most): refuse anything far larger before it is stored.
        "max_file_size": "5mb",
        # Gradio keeps a copy of every component's settings for each session (a browser tab, a
        # gradio_client, or an API call made without a session id): about 0.85 MB each here (the
        # look-inside sections added to it), for up to 10,000 sessions by default, so a script
        # calling the API could hold gigabytes. The app keeps no per-user state (no gr.State), so a
        # session dropped from this bound loses nothing: Gradio rebuilds it on its next request.
        "state_session_capacity": MAX_SESSIONS,
        # Every label, button and explanation in the browser's language, or the one a ?lang= link
        # asks for (demos/i18n.py). Server-side rendering would pick the language from the request
        # headers instead and ignore ?lang=: the page is rendered in the browser.
        "i18n": i18n.translations(),
        "head": i18n.RELOAD_ON_SWITCH_SCRIPT + theme.HEAD,
        # Plots follow light and dark mode; phone fixes (demos/theme.py).
        "css": theme.CSS,
        # Text colours with AA contrast (Gradio's white on orange-500 is 2.8:1).
        "theme": theme.app_theme(),
        # curl calls on /gradio_api/call/<api> get the defaults gradio_client would send, or a clear refusal.
        "app_kwargs": {"middleware": [Middleware(links.LongLinkGuard), Middleware(i18n.LanguageFromURL),
                                      Middleware(api_inputs.ApiInputsGuard, api_info=lambda: demo.get_api_info())]},
        "ssr_mode": False,
        # Gradio turns a public share link on by itself in notebooks (Colab); only the operator may ask for one.
        "share": chosen.share,
        # Opt-in: agents see the endpoints as MCP tools at /gradio_api/mcp/ (documented by the handlers' docstrings).
        "mcp_server": chosen.mcp,
        # Gradio serves request counts and timings per endpoint at /monitoring/summary unless told not to.
        "enable_monitoring": chosen.monitoring,
    }


def _stop_as_on_ctrl_c(_signal: int, _frame: object) -> None:
    """SIGTERM (docker stop, a Space restarting, systemd) stops the server the way Ctrl+C does:
    Gradio closes it and deletes the files it kept (see delete_cache), where the default
    SIGTERM ends the process on the spot and leaves them behind."""
    raise KeyboardInterrupt


demo = build_app()

if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO)
    signal.signal(signal.SIGTERM, _stop_as_on_ctrl_c)
    try:
        settings = launch_settings(dict(os.environ))
    except ValueError as error:  # a typo in the operator's setting: say so instead of ignoring it
        sys.exit(str(error))
    cap = loader.memory_cap()
    logging.info("model memory cap: %s", f"{cap:,} bytes" if cap else "none")
    if gpu.on_zero_gpu():  # ZeroGPU emulates CUDA only in this thread: load the models here, before launch
        gpu.preload_models()
    else:  # the page comes up first; torch and transformers follow in the background, before most first clicks
        tunings.run(tunings.LAUNCH)
    demo.launch(**settings)
