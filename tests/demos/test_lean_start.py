"""Gradio imported without the start-up work a server never uses (demos/lean_start.py).

Each check runs in a fresh interpreter: what matters is the first `import gradio`
of a process, and the test process has imported Gradio long ago.
"""

from __future__ import annotations

import importlib.util
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from demos.lean_start import packages_to_hide
from tests.conftest import REPO

# A user-defined component: Gradio writes a type stub (.pyi) beside the file that defines one.
CUSTOM_COMPONENT = """
import gradio as gr

class Shout(gr.Textbox):
    pass
"""


def _python(code: str, cwd: Path = REPO, **env: str) -> str:
    import os

    result = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], cwd=cwd, capture_output=True, text=True,
                            timeout=180, env={**os.environ, "PYTHONPATH": str(REPO), **env})
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stdout


def _installed(package: str) -> bool:
    return importlib.util.find_spec(package) is not None


def test_notebook_and_mcp_packages_are_hidden_only_when_unused():
    assert packages_to_hide({}, {}) == {"IPython", "mcp"}
    assert packages_to_hide({"JNLP_MCP": "1"}, {}) == {"IPython"}  # the operator serves MCP tools
    assert packages_to_hide({"JNLP_MCP": "0"}, {"IPython": object()}) == {"mcp"}  # inside a notebook
    assert packages_to_hide({}, {"IPython": object(), "mcp": object()}) == set()  # already in: nothing to save


@pytest.mark.parametrize("lean", [False, True])
def test_no_type_stub_is_written_for_components(tmp_path, lean):
    (tmp_path / "shout.py").write_text(CUSTOM_COMPONENT, encoding="utf-8")
    first = "import demos\n" if lean else ""
    _python(first + "import shout\nprint(shout.Shout().change)\n", cwd=tmp_path)
    # Plain Gradio writes shout.pyi (this is the work the lean import skips); the lean import does not.
    assert (tmp_path / "shout.pyi").exists() is not lean


@pytest.mark.skipif(not (_installed("IPython") and _installed("mcp")), reason="IPython and mcp are not installed")
def test_optional_packages_stay_out_while_gradio_starts_and_can_be_imported_after():
    out = _python("""
        import sys
        import demos
        import gradio
        print("IPython" in sys.modules, "mcp" in sys.modules)
        print(any(type(f).__module__ == "demos.lean_start" for f in sys.meta_path))  # nothing left behind
        import IPython, mcp  # hidden only while Gradio was being imported
        print(hasattr(gradio.mcp.GradioMCPServer, "Server"))
    """, JNLP_MCP="0")
    assert out.split() == ["False", "False", "False", "False"]


@pytest.mark.skipif(not _installed("mcp"), reason="mcp is not installed")
def test_mcp_is_imported_when_the_operator_serves_the_tools():
    out = _python("""
        import sys
        import demos
        import gradio
        print("mcp" in sys.modules, hasattr(gradio.mcp.GradioMCPServer, "Server"))
    """, JNLP_MCP="1")
    assert out.split() == ["True", "True"]


@pytest.mark.skipif(not _installed("IPython"), reason="IPython is not installed")
def test_inside_a_notebook_gradio_keeps_its_notebook_magic():
    out = _python("""
        import IPython
        import demos
        import gradio.ipython_ext as ext
        print(callable(getattr(ext, "register_cell_magic", None)))
    """)
    assert out.strip() == "True"


@pytest.mark.skipif(not _installed("IPython"), reason="IPython is not installed")
def test_a_server_started_as_a_script_never_imports_ipython():
    # `python app.py` up to the launch (replaced here by a report of what got imported).
    out = _python("""
        import runpy, sys
        import demos, gradio
        def report(self, **settings):
            print("IPython" in sys.modules, gradio.utils.colab_check(), gradio.utils.ipython_check())
        gradio.Blocks.launch = report
        runpy.run_path("app.py", run_name="__main__")
        try:
            import IPython
        except ImportError as error:
            print("refused:", "demos/lean_start.py" in str(error))
    """)
    assert out.split() == ["False", "False", "False", "refused:", "True"]


@pytest.mark.skipif(not _installed("IPython"), reason="IPython is not installed")
def test_importing_the_app_as_a_module_leaves_ipython_importable():
    out = _python("""
        import sys
        import app
        import IPython
        print(IPython.__name__)
    """)
    assert out.strip() == "IPython"
