"""Docs as tests: README's "Python から使う / Using it from Python" section against the running app.

The section is the API's user manual: a setup block that makes a `client`, then, for every public
endpoint, a line `**`/name`** … first output `gr.Component` …` and a runnable ```python example.
These tests keep it true: the endpoints it names are exactly the app's (a new endpoint without an
example fails), each line names the component the app really returns first, and every example runs
against the app served with the tiny checkpoints, returning values of that component's shape. Model
answers are random-ish with tiny weights, so only shapes and the documented error are asserted.
"""

from __future__ import annotations

import builtins
import io
import os
import re
import threading
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

README = Path(__file__).resolve().parent.parent / "README.md"
SECTION_HEADING = "## Python から使う / Using it from Python (gradio_client)"
# The address the examples connect to; the tests swap it for the app they serve.
README_URL = "http://127.0.0.1:7860/"
# Generous: the word2vec examples train on the default corpus (seconds here), a slow CI box may need more.
BLOCK_TIMEOUT_S = 300

API_NAME = re.compile(r"""api_name\s*=\s*["'](/[\w-]+)["']""")
DESCRIPTION = re.compile(r"^\*\*`(/[\w-]+)`\*\*(.*)$", re.MULTILINE)
FENCE = re.compile(r"^```python\n(.*?)^```", re.MULTILINE | re.DOTALL)
# `/name(` or `/name`` in a table row of the README (the tabs table names each tab's endpoints).
TABLE_NAME = re.compile(r"`(/[A-Za-z_]\w*)(?=[(`])")


def readme_section(text: str | None = None) -> str:
    """The section's Markdown, from its heading to the next level-2 heading."""
    text = README.read_text(encoding="utf-8") if text is None else text
    start = text.index(SECTION_HEADING)
    end = text.find("\n## ", start + len(SECTION_HEADING))
    return text[start:] if end < 0 else text[start:end]


def code_blocks(section: str) -> list[str]:
    return FENCE.findall(section)


def api_names(code: str) -> list[str]:
    return API_NAME.findall(code)


def descriptions(section: str) -> dict[str, str]:
    """Each endpoint's one-line explanation, by api_name."""
    return {name: line for name, line in DESCRIPTION.findall(section)}


def _setup_and_examples() -> tuple[str, list[str]]:
    blocks = code_blocks(readme_section())
    return blocks[0], blocks[1:]


def _example_id(index: int, block: str) -> str:
    names = api_names(block) or ["none"]
    kind = "error" if "except AppError" in block else "example"
    return f"{index}-{kind}-{names[0].strip('/')}"


try:
    SETUP, EXAMPLES = _setup_and_examples()
except ValueError:  # no section: the structure test below says so instead of a collection error
    SETUP, EXAMPLES = "", []


# --- the section's structure, no app needed ---------------------------------------------------


def test_section_starts_with_a_setup_block_that_the_tests_can_point_elsewhere():
    section = readme_section()
    blocks = code_blocks(section)
    assert len(blocks) > 1, "the section needs a setup block and examples"
    setup = blocks[0]
    assert "from gradio_client import Client" in setup
    assert f'Client("{README_URL}")' in setup
    assert "client = " in setup
    # The examples reuse the setup's client: one more Client(...) would bypass the swapped URL.
    assert all("Client(" not in block for block in blocks[1:])
    assert "user/space" in section, "say that a Space id works too"


def test_every_example_calls_the_app_and_has_its_explanation():
    section = readme_section()
    explained = descriptions(section)
    for block in EXAMPLES:
        names = api_names(block)
        assert names, f"an example that calls no endpoint:\n{block}"
        if "except AppError" not in block:
            assert set(names) <= set(explained), f"no **`/name`** line explains {names}"


def test_helpers_parse_a_small_section():
    text = ("# t\n\n## Other\n\n```python\nx = 1\n```\n\n" + SECTION_HEADING + "\n\n```python\nsetup\n```\n\n"
            "**`/a`** (x) → first output `gr.Label`: dict.\n\n```python\nclient.predict(1, api_name=\"/a\")\n```\n\n"
            "## Next\n\n```python\nclient.predict(api_name='/z')\n```\n")
    section = readme_section(text)
    assert code_blocks(section) == ["setup\n", 'client.predict(1, api_name="/a")\n']
    assert api_names(code_blocks(section)[1]) == ["/a"]
    assert descriptions(section) == {"/a": " (x) → first output `gr.Label`: dict."}


# --- against the running app --------------------------------------------------------------------


@pytest.fixture(scope="module")
def endpoints(running_app) -> dict[str, dict]:
    """The app's public (named) endpoints, as /gradio_api/info describes them."""
    info = httpx.get(running_app.url + "gradio_api/info", timeout=30).json()
    return info["named_endpoints"]


def _first_component(endpoint: dict) -> str:
    return endpoint["returns"][0]["component"].lower()


def test_readme_examples_cover_exactly_the_apps_endpoints(endpoints):
    documented = {name for block in EXAMPLES for name in api_names(block)}
    app = set(endpoints)
    assert not documented - app, f"README calls endpoints the app does not have: {sorted(documented - app)}"
    assert not app - documented, f"endpoints without a README example: {sorted(app - documented)}"


def test_readme_table_names_only_real_endpoints(endpoints):
    rows = [line for line in README.read_text(encoding="utf-8").splitlines() if line.startswith("|")]
    named = {name for row in rows for name in TABLE_NAME.findall(row)}
    assert named, "the tabs table names no endpoint"
    assert named <= set(endpoints), f"the tabs table names unknown endpoints: {sorted(named - set(endpoints))}"


def test_each_explanation_names_the_first_output_the_app_returns(endpoints):
    explained = descriptions(readme_section())
    for name, endpoint in endpoints.items():
        assert name in explained, f"no **`{name}`** line in the section"
        component = _first_component(endpoint)
        mentioned = {m.lower() for m in re.findall(r"`gr\.(\w+)`", explained[name])}
        # The line names the first output's component first (others may follow, e.g. a second output).
        first = re.search(r"`gr\.(\w+)`", explained[name])
        assert first and first.group(1).lower() == component, (
            f"{name}: the app's first output is {component}, the README says {sorted(mentioned)}")


def _shape_problem(component: str, value) -> str | None:
    """Why `value` is not what gradio_client gives for `component`, or None when it is."""
    if component == "label":
        ok = (isinstance(value, dict) and "label" in value and isinstance(value.get("confidences"), list)
              and all({"label", "confidence"} <= set(item) for item in value["confidences"]))
    elif component == "number":
        ok = isinstance(value, (int, float)) and not isinstance(value, bool)
    elif component in ("textbox", "markdown"):
        ok = isinstance(value, str)
    elif component == "highlightedtext":
        ok = isinstance(value, list) and all({"token", "class_or_confidence"} <= set(item) for item in value)
    elif component == "dataframe":
        ok = isinstance(value, dict) and isinstance(value.get("headers"), list) and isinstance(value.get("data"), list)
    elif component == "json":
        ok = isinstance(value, (dict, list))
    elif component == "file":
        ok = isinstance(value, str) and os.path.isfile(value)
    else:
        ok = value is not None
    return None if ok else f"expected a {component} value, got {value!r:.300}"


@dataclass
class Call:
    api_name: str
    result: object = None
    error: BaseException | None = None
    job: object = None


@dataclass
class Recorder:
    """Wraps one client so that each call an example makes is kept for the checks."""

    calls: list[Call] = field(default_factory=list)
    # Client.predict is submit(...).result(): a submit made from inside predict is not the example's own.
    _in_predict: bool = False

    def wrap(self, client) -> None:
        predict, submit = client.predict, client.submit

        def recorded_predict(*args, api_name=None, **kwargs):
            call = Call(api_name)
            self.calls.append(call)
            self._in_predict = True
            try:
                call.result = predict(*args, api_name=api_name, **kwargs)
            except BaseException as exc:
                call.error = exc
                raise
            finally:
                self._in_predict = False
            return call.result

        def recorded_submit(*args, api_name=None, **kwargs):
            if self._in_predict:
                return submit(*args, api_name=api_name, **kwargs)
            call = Call(api_name)
            self.calls.append(call)
            call.job = submit(*args, api_name=api_name, **kwargs)
            return call.job

        client.predict, client.submit = recorded_predict, recorded_submit


def run_example(block: str, url: str) -> tuple[Recorder, str]:
    """Run the setup block (pointed at `url`) then `block` in a fresh namespace, as a reader would."""
    printed = io.StringIO()
    namespace = {"__name__": "__readme__",
                 "print": lambda *args, **kwargs: builtins.print(*args, **{**kwargs, "file": printed})}
    recorder = Recorder()
    failure: list[BaseException] = []

    def target():
        # exec runs the README's own code blocks (this repository's text), which is what is under test.
        try:
            exec(compile(SETUP.replace(README_URL, url), "README setup", "exec"), namespace)  # noqa: S102
            recorder.wrap(namespace["client"])
            exec(compile(block, "README example", "exec"), namespace)  # noqa: S102
        except BaseException as exc:  # noqa: BLE001 - re-raised in the test's thread
            failure.append(exc)

    worker = threading.Thread(target=target, daemon=True)
    worker.start()
    worker.join(BLOCK_TIMEOUT_S)
    assert not worker.is_alive(), f"the example did not finish within {BLOCK_TIMEOUT_S}s:\n{block}"
    if failure:
        raise AssertionError(f"the README example failed:\n{block}\nprinted:\n{printed.getvalue()}") from failure[0]
    return recorder, printed.getvalue()


@pytest.mark.parametrize("block", EXAMPLES, ids=[_example_id(i, b) for i, b in enumerate(EXAMPLES)])
def test_readme_example_runs_and_returns_what_it_says(running_app, endpoints, block):
    from gradio_client.exceptions import AppError

    recorder, printed = run_example(block, running_app.url)
    assert printed.strip(), "every example prints its result"
    assert {call.api_name for call in recorder.calls} == set(api_names(block))

    if "except AppError" in block:
        (call,) = recorder.calls
        assert isinstance(call.error, AppError), f"{call.api_name} did not raise AppError"
        message = str(call.error)
        assert re.search(r"[\u3040-\u30ff\u4e00-\u9fff].* / [A-Za-z]", message), f"not bilingual: {message!r}"
        assert "Traceback" not in message
        # The comment beside `print(error)` shows the message a reader will see: it must be the real one.
        shown = re.search(r"print\(error\)\s*#\s*(.+)$", block, re.MULTILINE)
        assert shown and shown.group(1).strip() == message.strip(), (message, shown and shown.group(1))
        return

    for call in recorder.calls:
        assert call.error is None, f"{call.api_name} raised {call.error!r}"
        endpoint = endpoints[call.api_name]
        if call.job is not None:
            # A submitted job is the streaming example: it must really stream, and end like predict would.
            updates = call.job.outputs()
            assert len(updates) >= 2, f"{call.api_name} streamed {len(updates)} update(s)"
            call.result = call.job.result()
        outputs = call.result if len(endpoint["returns"]) > 1 else (call.result,)
        assert isinstance(outputs, (tuple, list)) and len(outputs) == len(endpoint["returns"])
        problem = _shape_problem(_first_component(endpoint), outputs[0])
        assert problem is None, f"{call.api_name}: {problem}"
