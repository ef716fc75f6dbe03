"""Docs as tests: every Python example in README.md and docs/*.md runs against the app.

docs/api.md is the API's user manual: a setup block that makes a `client`, then, for every public
endpoint, a line `**`/name`** … first output `gr.Component` …` and a runnable ```python example.
README.md has one short example that makes its own client. These tests keep all of them true: every
```python block of a page is either a setup or an example that calls the app, the endpoints the API
page documents are exactly the app's (a new endpoint without an example fails), each line names the
component the app really returns first, every example runs against the app served with the tiny
checkpoints and returns values of that component's shape, and the API page's `curl` example is
replayed over HTTP. Model answers are random-ish with tiny weights, so only shapes and the
documented error are asserted.
"""

from __future__ import annotations

import builtins
import io
import json
import os
import re
import shlex
import threading
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

REPO = Path(__file__).resolve().parent.parent
README = REPO / "README.md"
API_PAGE = REPO / "docs" / "api.md"
# The address the examples connect to; the tests swap it for the app they serve.
README_URL = "http://127.0.0.1:7860/"
# Generous: the word2vec examples train on the default corpus (seconds here), a slow CI box may need more.
BLOCK_TIMEOUT_S = 300

API_NAME = re.compile(r"""api_name\s*=\s*["'](/[\w-]+)["']""")
DESCRIPTION = re.compile(r"^\*\*`(/[\w-]+)`\*\*(.*)$", re.MULTILINE)
FENCE = re.compile(r"^```python\n(.*?)^```", re.MULTILINE | re.DOTALL)
BASH_FENCE = re.compile(r"^```bash\n(.*?)^```", re.MULTILINE | re.DOTALL)
# The one way a page makes its client: `client = Client("<README_URL>")` on a line of its own.
CLIENT_LINE = re.compile(r"""^client = Client\(["']""" + re.escape(README_URL) + r"""["']\)""")
# `/name(` or `/name`` in a table row (the README's tabs table names each tab's endpoints).
TABLE_NAME = re.compile(r"`(/[A-Za-z_]\w*)(?=[(`])")


def doc_pages() -> list[Path]:
    """README.md, SECURITY.md and every page under docs/: the Markdown a reader is sent to."""
    pages = [README, REPO / "SECURITY.md", *sorted((REPO / "docs").glob("*.md"))]
    return [page for page in pages if page.exists()]


def page_name(page: Path) -> str:
    return page.relative_to(REPO).as_posix()


def code_blocks(text: str) -> list[str]:
    return FENCE.findall(text)


def api_names(code: str) -> list[str]:
    return API_NAME.findall(code)


def descriptions(text: str) -> dict[str, str]:
    """Each endpoint's one-line explanation, by api_name."""
    return {name: line for name, line in DESCRIPTION.findall(text)}


def code_lines(block: str) -> list[str]:
    """The block's lines without their comments (a `#` in the examples' strings never occurs)."""
    return [line.split("#", 1)[0] for line in block.splitlines()]


def split_setup(block: str) -> tuple[str, str]:
    """(the lines up to and including `client = Client(...)`, the rest); ("", block) when it has none."""
    lines = block.splitlines(keepends=True)
    for index, line in enumerate(lines):
        if CLIENT_LINE.match(line):
            return "".join(lines[:index + 1]), "".join(lines[index + 1:])
    return "", block


@dataclass(frozen=True)
class Example:
    """One ```python block that calls the app, and the setup that makes its `client`."""

    page: str
    index: int  # the block's place among the page's ```python blocks
    setup: str  # the page's setup block, or the block's own first lines
    code: str

    @property
    def id(self) -> str:
        names = api_names(self.code) or ["none"]
        kind = "error" if "except AppError" in self.code else "example"
        return f"{self.page}-{self.index}-{kind}-{names[0].strip('/')}"


@dataclass
class Page:
    name: str
    setups: list[str] = field(default_factory=list)
    examples: list[Example] = field(default_factory=list)
    untested: list[str] = field(default_factory=list)  # blocks that neither set up nor call the app


def read_page(name: str, text: str) -> Page:
    """Sort a page's ```python blocks: a block that makes the client (and calls nothing) sets up the
    examples after it; a block that calls the app is an example, run after the last setup before it
    or after its own first lines when it makes its own client."""
    page = Page(name)
    setup = ""
    for index, block in enumerate(code_blocks(text)):
        own_setup, rest = split_setup(block)
        if api_names(block):
            page.examples.append(Example(name, index, own_setup or setup, rest))
        elif own_setup:
            setup = own_setup + rest
            page.setups.append(setup)
        else:
            page.untested.append(block)
    return page


def _pages() -> list[Page]:
    return [read_page(page_name(path), path.read_text(encoding="utf-8")) for path in doc_pages()]


PAGES = _pages()
EXAMPLES = [example for page in PAGES for example in page.examples]


def _api_page() -> Page:
    return next(page for page in PAGES if page.name == page_name(API_PAGE))


# --- the pages' structure, no app needed -------------------------------------------------------------


def test_every_python_block_is_run_by_these_tests():
    for page in PAGES:
        assert not page.untested, f"{page.name}: a ```python block that neither makes the client nor calls " \
                                  f"the app, so no test runs it:\n{page.untested[0]}"


def test_every_example_has_a_setup_that_the_tests_can_point_elsewhere():
    for example in EXAMPLES:
        assert example.setup, f"{example.id}: no `client = Client(\"{README_URL}\")` before it"
        assert "from gradio_client import Client" in example.setup
        # One more Client(...) in the example itself would bypass the swapped URL.
        assert not any("Client(" in line for line in code_lines(example.code)), example.id
    for page in PAGES:
        for block in code_blocks((REPO / page.name).read_text(encoding="utf-8")):
            clients = [line for line in code_lines(block) if "Client(" in line]
            assert all(CLIENT_LINE.match(line) for line in clients), f"{page.name}: a client the tests cannot swap"


def test_the_api_page_starts_with_its_setup_and_says_a_space_works_too():
    text = API_PAGE.read_text(encoding="utf-8")
    blocks = code_blocks(text)
    assert len(blocks) > 1, "the API page needs a setup block and examples"
    assert not api_names(blocks[0]) and split_setup(blocks[0])[0], "its first block makes the client"
    assert "user/space" in text, "say that a Space id works too"
    assert any(example.page == page_name(README) for example in EXAMPLES), "README.md shows one example"


def test_every_example_has_its_explanation_on_the_api_page():
    explained = descriptions(API_PAGE.read_text(encoding="utf-8"))
    for example in EXAMPLES:
        if "except AppError" not in example.code:
            names = api_names(example.code)
            assert set(names) <= set(explained), f"{example.id}: no **`/name`** line on the API page explains {names}"


def test_helpers_read_a_small_page():
    text = ("# t\n\n```python\nx = 1\n```\n\n```python\nfrom gradio_client import Client\n\n"
            f'client = Client("{README_URL}")\n```\n\n'
            "**`/a`** (x) → first output `gr.Label`: dict.\n\n```python\nclient.predict(1, api_name=\"/a\")\n```\n\n"
            f'```python\nfrom gradio_client import Client\nclient = Client("{README_URL}")  # mine\n'
            "print(client.predict(api_name='/z'))\n```\n")
    page = read_page("p.md", text)
    assert page.untested == ["x = 1\n"]
    assert page.setups == [f'from gradio_client import Client\n\nclient = Client("{README_URL}")\n']
    first, second = page.examples
    assert (first.index, first.setup, first.code) == (2, page.setups[0], 'client.predict(1, api_name="/a")\n')
    assert second.setup == f'from gradio_client import Client\nclient = Client("{README_URL}")  # mine\n'
    assert second.code == "print(client.predict(api_name='/z'))\n" and second.id == "p.md-3-example-z"
    assert descriptions(text) == {"/a": " (x) → first output `gr.Label`: dict."}


# --- against the running app --------------------------------------------------------------------


@pytest.fixture(scope="module")
def endpoints(running_app) -> dict[str, dict]:
    """The app's public (named) endpoints, as /gradio_api/info describes them."""
    info = httpx.get(running_app.url + "gradio_api/info", timeout=30).json()
    return info["named_endpoints"]


def _first_component(endpoint: dict) -> str:
    return endpoint["returns"][0]["component"].lower()


def test_the_api_page_covers_exactly_the_apps_endpoints(endpoints):
    documented = {name for example in _api_page().examples for name in api_names(example.code)}
    app = set(endpoints)
    assert not documented - app, f"the API page calls endpoints the app does not have: {sorted(documented - app)}"
    assert not app - documented, f"endpoints without an example on the API page: {sorted(app - documented)}"
    called = {name for example in EXAMPLES for name in api_names(example.code)}
    assert called <= app, f"the docs call endpoints the app does not have: {sorted(called - app)}"


def test_tables_name_only_real_endpoints(endpoints):
    rows = [line for page in doc_pages() for line in page.read_text(encoding="utf-8").splitlines()
            if line.startswith("|")]
    named = {name for row in rows for name in TABLE_NAME.findall(row)}
    assert named, "the tabs table names no endpoint"
    assert named <= set(endpoints), f"a table names unknown endpoints: {sorted(named - set(endpoints))}"


def test_each_explanation_names_the_first_output_the_app_returns(endpoints):
    explained = descriptions(API_PAGE.read_text(encoding="utf-8"))
    for name, endpoint in endpoints.items():
        assert name in explained, f"no **`{name}`** line on the API page"
        component = _first_component(endpoint)
        if component == "api":  # an endpoint made with gr.api has no component: it returns its value as JSON
            assert "first output JSON" in explained[name], f"{name}: the API page should say it returns JSON"
            continue
        mentioned = {m.lower() for m in re.findall(r"`gr\.(\w+)`", explained[name])}
        # The line names the first output's component first (others may follow, e.g. a second output).
        first = re.search(r"`gr\.(\w+)`", explained[name])
        assert first and first.group(1).lower() == component, (
            f"{name}: the app's first output is {component}, the API page says {sorted(mentioned)}")


def curl_calls(text: str) -> list[tuple[str, str, str]]:
    """Each `curl -X POST <url> -d '<json>'` of the page's ```bash blocks with the `curl <url>/<event_id>`
    that follows it: (the POST's URL, its JSON body, the URL that streams the answer)."""
    calls = []
    for block in BASH_FENCE.findall(text):
        commands = [shlex.split(line, comments=True) for line in block.replace("\\\n", " ").splitlines()]
        commands = [words for words in commands if words and words[0] == "curl"]
        for post, get in zip(commands, commands[1:]):
            if "POST" in post and "-d" in post:
                url = next(word for word in post if word.startswith("http"))
                stream = next(word for word in get if word.startswith("http"))
                calls.append((url, post[post.index("-d") + 1], stream))
    return calls


def test_the_curl_example_runs_as_written(running_app):
    calls = curl_calls(API_PAGE.read_text(encoding="utf-8"))
    assert calls, "the API page shows a curl call"
    for url, body, stream in calls:
        assert url.startswith(README_URL) and stream.startswith(url + "/") and stream.endswith("<event_id>")
        started = httpx.post(url.replace(README_URL, running_app.url), content=body.encode("utf-8"),
                             headers={"Content-Type": "application/json"}, timeout=30)
        assert started.status_code == 200, started.text
        event_id = started.json()["event_id"]  # the first comment's {"event_id": "…"}
        answer = httpx.get(stream.replace(README_URL, running_app.url).replace("<event_id>", event_id), timeout=120)
        events = re.findall(r"^event: (\w+)\ndata: (.*)$", answer.text, flags=re.MULTILINE)
        assert events and events[-1][0] == "complete", answer.text[-2000:]  # the second's "event: complete"
        assert isinstance(json.loads(events[-1][1]), list)


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


def run_example(example: Example, url: str) -> tuple[Recorder, str]:
    """Run the example's setup (pointed at `url`) then its code in a fresh namespace, as a reader would."""
    printed = io.StringIO()
    namespace = {"__name__": "__docs__",
                 "print": lambda *args, **kwargs: builtins.print(*args, **{**kwargs, "file": printed})}
    recorder = Recorder()
    failure: list[BaseException] = []

    def target():
        # exec runs the docs' own code blocks (this repository's text), which is what is under test.
        try:
            exec(compile(example.setup.replace(README_URL, url), f"{example.page} setup", "exec"), namespace)  # noqa: S102
            recorder.wrap(namespace["client"])
            exec(compile(example.code, f"{example.page} example", "exec"), namespace)  # noqa: S102
        except BaseException as exc:  # noqa: BLE001 - re-raised in the test's thread
            failure.append(exc)

    worker = threading.Thread(target=target, daemon=True)
    worker.start()
    worker.join(BLOCK_TIMEOUT_S)
    assert not worker.is_alive(), f"the example did not finish within {BLOCK_TIMEOUT_S}s:\n{example.code}"
    if failure:
        raise AssertionError(f"the {example.page} example failed:\n{example.code}\n"
                             f"printed:\n{printed.getvalue()}") from failure[0]
    return recorder, printed.getvalue()


@pytest.mark.parametrize("example", EXAMPLES, ids=[example.id for example in EXAMPLES])
def test_docs_example_runs_and_returns_what_it_says(running_app, endpoints, example):
    from gradio_client.exceptions import AppError

    recorder, printed = run_example(example, running_app.url)
    block = example.code
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
