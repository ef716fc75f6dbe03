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
        with gr.Tabs():
            for module in DEMOS:
                with gr.Tab(module.TITLE):
                    module.build()
    # A bounded queue: a crowd gets "queue full" instead of unbounded memory.
    blocks.queue(max_size=128)
    return blocks


demo = build_app()

if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO)
    try:
        cap = loader.parse_memory(os.environ.get(loader.MEMORY_CAP_ENV, ""))
    except ValueError as error:  # a typo in the operator's setting: say so instead of ignoring it
        sys.exit(str(error))
    logging.info("model memory cap: %s", f"{cap:,} bytes" if cap else "none")
    # Uploads are word2vec corpora (.txt, 2 MB at most); refuse anything far larger before it is stored.
    demo.launch(max_file_size="5mb")
