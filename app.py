"""The Japanese NLP playground: composes one tab per demo module and launches.

`from app import demo` gives the Blocks without loading any model (Spaces and
tests use it); `python app.py` serves it, honouring GRADIO_SERVER_NAME and
GRADIO_SERVER_PORT.
"""

import logging
import os
import sys

import gradio as gr

from demos import DEMOS, texts
from models import loader


def build_app() -> gr.Blocks:
    with gr.Blocks(title=texts.APP_TITLE) as blocks:
        gr.Markdown(texts.APP_INTRO)
        # Wrap onto a second row rather than hide tabs in a "…" menu: a projector at 1280 px or a
        # laptop must show every tab.
        with gr.Tabs(overflow_behavior="wrap"):
            for module in DEMOS:
                with gr.Tab(module.TITLE):
                    module.build()
    # A bounded queue: a crowd gets "queue full" instead of unbounded memory.
    blocks.queue(max_size=128)
    return blocks


def launch_settings(environ: dict[str, str]) -> dict:
    """Keyword arguments for demo.launch(), from the operator's environment.

    Raises ValueError for a setting that is not understood, so a typo stops the app
    instead of being ignored.
    """
    loader.parse_memory(environ.get(loader.MEMORY_CAP_ENV, ""))
    return {
        # Uploads are word2vec corpora (.txt, 2 MB at most): refuse anything far larger before it is stored.
        "max_file_size": "5mb",
        # Gradio turns a public share link on by itself in notebooks (Colab); only the operator may ask for one.
        "share": environ.get("JNLP_SHARE", "") == "1",
    }


demo = build_app()

if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO)
    try:
        settings = launch_settings(dict(os.environ))
    except ValueError as error:  # a typo in the operator's setting: say so instead of ignoring it
        sys.exit(str(error))
    cap = loader.memory_cap()
    logging.info("model memory cap: %s", f"{cap:,} bytes" if cap else "none")
    demo.launch(**settings)
