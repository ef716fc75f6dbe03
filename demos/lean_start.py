"""Import Gradio without the start-up work a running playground never uses.

`import gradio` is most of the time from `python app.py` to a page, and about
half of it is work this app does not need (docs/benchmarks.md, page_ready):

- Gradio regenerates the type-stub file (.pyi) of each of its ~80 components on
  every import, for its own developers' editors; a server never reads them.
- It imports optional packages this process may not use: IPython (the
  `%%blocks` notebook magic) and mcp (`mcp_server=True`).

`import_gradio()` turns the stub writer into a no-op and, only while Gradio
itself is being imported, hides those optional packages unless this process
needs them: inside a notebook IPython is already imported (so it is left
alone), and JNLP_MCP=1 keeps mcp. Gradio already supports running without
them (both imports sit in `try/except ImportError`), and once Gradio is in,
nothing stays hidden: a later `import IPython` or `import mcp` works as usual.
If Gradio was imported before, nothing changes.

`leave_out_notebook_support()` goes one step further for `python app.py`: a
server started as a script is never a notebook, so IPython stays out for the
whole process (Gradio imports it again while building the page, only to learn
that it is not running in Colab or IPython).
"""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import os
import sys
from collections.abc import Mapping
from types import ModuleType

# Gradio's module that defines the stub writer, and the writer's name in it (checked: gradio 6.31).
STUB_WRITER_MODULE = "gradio.component_meta"
STUB_WRITER = "create_or_modify_pyi"


def _write_no_stub(*_args: object, **_kwargs: object) -> None:
    """Stands in for Gradio's stub writer: a server has no use for .pyi files."""


class _StubWriterOff(importlib.abc.MetaPathFinder):
    """Loads Gradio's component metaclass module as usual, then swaps its stub writer for a no-op.

    The swap must happen after that module runs but before the first component class is
    created (each class creation calls the writer), so it is done in the module's loader.
    """

    def find_spec(self, fullname, path=None, target=None):
        if fullname != STUB_WRITER_MODULE:
            return None
        spec = importlib.machinery.PathFinder.find_spec(fullname, path, target)
        if spec is None or spec.loader is None or not hasattr(spec.loader, "exec_module"):
            return spec
        run_module = spec.loader.exec_module

        def exec_module(module: ModuleType) -> None:
            run_module(module)
            if callable(getattr(module, STUB_WRITER, None)):  # a later Gradio may have renamed or dropped it
                setattr(module, STUB_WRITER, _write_no_stub)

        spec.loader.exec_module = exec_module  # this loader object belongs to this one spec
        return spec


class _Hidden(importlib.abc.MetaPathFinder):
    """Makes `import <package>` (and its submodules) fail as if the package were not installed."""

    def __init__(self, packages: frozenset[str]):
        self.packages = packages

    def find_spec(self, fullname, path=None, target=None):
        if fullname.partition(".")[0] in self.packages:
            raise ModuleNotFoundError(f"{fullname} is left out of this server process (demos/lean_start.py)",
                                      name=fullname)
        return None


def packages_to_hide(environ: Mapping[str, str], imported: Mapping[str, object]) -> frozenset[str]:
    """The optional packages Gradio should not import in this process.

    IPython only matters inside IPython or Jupyter, where it is imported already; mcp only when
    the operator serves the MCP tools (JNLP_MCP=1).
    """
    hidden = set()
    if "IPython" not in imported:
        hidden.add("IPython")
    if environ.get("JNLP_MCP", "") != "1" and "mcp" not in imported:
        hidden.add("mcp")
    return frozenset(hidden)


def leave_out_notebook_support() -> None:
    """From now on in this process, `import IPython` fails unless IPython is already imported.

    For a server started as a script (`python app.py`), which is never a notebook: Gradio asks
    "am I in Colab or IPython?" while it builds the page and again at launch, importing IPython
    (and jedi, prompt_toolkit…) to find out, about 0.15 s and 20 MB here, to learn that it is not.
    Without IPython it gets the same answer at once.
    """
    if "IPython" in sys.modules or any(isinstance(finder, _Hidden) and "IPython" in finder.packages
                                       for finder in sys.meta_path):
        return
    sys.meta_path.insert(0, _Hidden(frozenset({"IPython"})))


def import_gradio(environ: Mapping[str, str] | None = None) -> ModuleType:
    """`import gradio`, leaner (see the module docstring); returns the gradio module."""
    if "gradio" in sys.modules:
        return sys.modules["gradio"]
    finders = [_StubWriterOff(), _Hidden(packages_to_hide(os.environ if environ is None else environ, sys.modules))]
    sys.meta_path[:0] = finders
    try:
        import gradio
    finally:
        for finder in finders:
            if finder in sys.meta_path:
                sys.meta_path.remove(finder)
    return gradio
