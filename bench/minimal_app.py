"""The floor for page-ready time: a Gradio app with one textbox, imported as lean as the app's own.

No model, no tabs, no middleware: what any Gradio app takes on this machine from
`python` to its page answering. The benchmark starts it beside `python app.py`, so
the page-ready ratio can be read against what Gradio itself allows.
"""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path


def _lean_start():
    """demos/lean_start.py on its own: importing it as demos.lean_start would import every tab."""
    path = Path(__file__).resolve().parent.parent / "demos" / "lean_start.py"
    spec = importlib.util.spec_from_file_location("lean_start", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


if __name__ == "__main__":
    lean_start = _lean_start()
    lean_start.leave_out_notebook_support()
    gr = lean_start.import_gradio()
    with gr.Blocks() as demo:
        text = gr.Textbox()
        gr.Button().click(lambda value: value, text, text)
    demo.launch(server_name=os.environ.get("GRADIO_SERVER_NAME", "127.0.0.1"), ssr_mode=False)
