"""The docs stay a short README plus pages that tell the truth about the code.

README.md is a student's page (at most 250 lines) that links to every page under docs/ and to
SECURITY.md; every relative link of the pages reaches a file (and a heading, when it names one);
the configuration page names every setting the code reads; the shell commands the pages show
name scripts, files, modules and options that exist, with the pins of requirements.txt. The Python
and curl examples themselves run in tests/test_readme_api.py.
"""

from __future__ import annotations

import functools
import importlib.util
import json
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from models.registry import MODELS
from tests.conftest import REPO

README = REPO / "README.md"
DOCS = REPO / "docs"
CONFIGURATION = DOCS / "configuration.md"
MAX_README_LINES = 250
# The pages the README must link to: the docs split out of it, and the security page beside it.
LINKED_PAGES = [*sorted(DOCS.glob("*.md")), REPO / "SECURITY.md"]

LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")
FENCE = re.compile(r"^```(\w*)\n(.*?)^```", re.MULTILINE | re.DOTALL)
HEADING = re.compile(r"^#{1,6}\s+(.+?)\s*#*$", re.MULTILINE)
# A setting's name: upper-case words joined by _, as the code writes them in strings and comments.
SETTING = re.compile(r"\b(?:JNLP|GRADIO)_[A-Z][A-Z_]*[A-Z]\b")
# Where the app, the bench, the fixtures and the tests read their settings.
SOURCES = ["app.py", "demos", "models", "bench", "fixtures", "tests"]


def pages() -> list[Path]:
    return [README, REPO / "SECURITY.md", *sorted(DOCS.glob("*.md"))]


def without_code(text: str) -> str:
    """The Markdown without its fenced blocks (a link-like text in a code example is not a link)."""
    return FENCE.sub("", text)


def slug(heading: str) -> str:
    """The anchor GitHub (and the Hub) give a heading: lower case, punctuation dropped, spaces → -."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def relative_links(page: Path) -> list[str]:
    return [target for target in LINK.findall(without_code(page.read_text(encoding="utf-8")))
            if not re.match(r"^[a-z][a-z0-9+.-]*:", target)]  # http:, https:, mailto: …


def test_pages_exist():
    for page in pages():
        assert page.is_file(), f"{page.relative_to(REPO)} is missing"
    assert {page.name for page in DOCS.glob("*.md")} >= {
        "api.md", "configuration.md", "deployment.md", "benchmarks.md", "development.md"}


def test_the_readme_stays_short():
    lines = README.read_text(encoding="utf-8").splitlines()
    assert len(lines) <= MAX_README_LINES, (
        f"README.md has {len(lines)} lines (at most {MAX_README_LINES}): move details into docs/")


def test_the_readme_links_to_every_docs_page():
    linked = {(README.parent / target.split("#")[0]).resolve() for target in relative_links(README)}
    for page in LINKED_PAGES:
        assert page.resolve() in linked, f"README.md does not link to {page.relative_to(REPO)}"


def test_the_readme_shows_the_two_commands_of_a_fresh_machine():
    """One command sets up and runs the app, one sets up and runs the tests (.ci/run runs pytest)."""
    blocks = [code.strip() for language, code in FENCE.findall(README.read_text(encoding="utf-8"))
              if language == "bash"]
    assert "pip install -r requirements.txt && python app.py" in blocks
    assert "bash .ci/run" in blocks
    assert "python -m pytest" in (REPO / ".ci" / "run").read_text(encoding="utf-8")


@pytest.mark.parametrize("page", pages(), ids=lambda page: page.relative_to(REPO).as_posix())
def test_every_relative_link_reaches_a_file_and_its_heading(page):
    for target in relative_links(page):
        path, _, anchor = target.partition("#")
        file = (page.parent / path).resolve() if path else page
        assert file.exists(), f"{page.relative_to(REPO)} links to {target}, which does not exist"
        assert REPO in file.parents or file == REPO, f"{page.relative_to(REPO)} links outside the repository: {target}"
        if anchor and file.suffix == ".md":
            headings = {slug(heading) for heading in HEADING.findall(without_code(file.read_text(encoding="utf-8")))}
            assert anchor in headings, f"{page.relative_to(REPO)} links to {target}: no such heading"


def test_slug_matches_the_anchors_github_makes():
    assert slug("Choosing models: `JNLP_MODEL_*`") == "choosing-models-jnlp_model_"
    assert slug("In a classroom / 教室で使う") == "in-a-classroom--教室で使う"


# --- the configuration page names every setting --------------------------------------------------


def _settings_in_code() -> set[str]:
    found: set[str] = set()
    for source in SOURCES:
        path = REPO / source
        for file in [path] if path.is_file() else path.rglob("*.py"):
            found |= set(SETTING.findall(file.read_text(encoding="utf-8")))
    return found


def _table_rows(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.startswith("| `")]


def test_the_configuration_table_names_every_setting_the_code_reads():
    rows = _table_rows(CONFIGURATION.read_text(encoding="utf-8"))
    documented = {name for row in rows for name in SETTING.findall(row.split("|")[1])}
    # The app's own settings, and Gradio's that the app reads or sets (GRADIO_* only in the app's code:
    # the tests and the bench set Gradio's variables for the servers they start, which is not a setting).
    app_code = {name for name in _settings_in_code() if name.startswith("JNLP_")}
    for source in ("app.py", "demos", "models"):
        path = REPO / source
        for file in [path] if path.is_file() else path.rglob("*.py"):
            app_code |= {name for name in SETTING.findall(file.read_text(encoding="utf-8"))
                         if name.startswith("GRADIO_")}
    missing = app_code - documented
    assert not missing, f"docs/configuration.md's table does not name {sorted(missing)}"
    stale = {name for name in documented if name.startswith("JNLP_")} - _settings_in_code() - {
        spec.env_var for spec in MODELS.values()}
    assert not stale, f"docs/configuration.md names settings no code reads: {sorted(stale)}"


def test_the_configuration_table_gives_every_model_key_its_default():
    rows = _table_rows(CONFIGURATION.read_text(encoding="utf-8"))
    for spec in MODELS.values():
        row = next((row for row in rows if row.startswith(f"| `{spec.env_var}` |")), None)
        assert row, f"no row for {spec.env_var}"
        assert row.split("|")[2].strip() == spec.hub_id, f"{spec.env_var}: the default is {spec.hub_id}"


# --- the commands the pages show ------------------------------------------------------------------


def _pins() -> dict[str, str]:
    text = (REPO / "requirements.txt").read_text(encoding="utf-8")
    return {name.lower(): version for name, version in re.findall(r"^([\w.-]+)(?:\[[\w,]+\])?==([\w.]+)", text, re.M)}


@functools.cache
def _help(module: str) -> str:
    result = subprocess.run([sys.executable, "-m", module, "--help"], cwd=REPO, capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, f"python -m {module} --help failed:\n{result.stderr[-2000:]}"
    return result.stdout


def shell_commands(text: str) -> list[list[str]]:
    """The commands of the page's ```bash blocks, each as its words (comments, continuations, `&&` and
    leading VARIABLE=value words taken off)."""
    commands = []
    for language, code in FENCE.findall(text):
        if language != "bash":
            continue
        for line in code.replace("\\\n", " ").splitlines():
            for part in line.split("&&"):
                words = shlex.split(part, comments=True)
                while words and re.match(r"^[A-Z_][A-Z0-9_]*=", words[0]):
                    words = words[1:]
                if words:
                    commands.append(words)
    return commands


def command_problems(words: list[str]) -> list[str]:
    """What is wrong with one shown command: a missing file, module or option, or a different pin."""
    problems = []
    program, args = words[0], words[1:]
    if re.fullmatch(r"python[\d.]*", program):
        if args[:1] == ["-m"]:
            module, options = args[1], args[2:]
            if importlib.util.find_spec(module) is None:
                problems.append(f"no module {module}")
            elif module == "pytest":
                problems += [f"no file {arg}" for arg in options if arg.endswith(".py") and not (REPO / arg).exists()]
            elif module not in ("venv", "pip"):
                usage = _help(module)
                problems += [f"python -m {module} has no option {option}"
                             for option in options if option.startswith("--") and option not in usage]
        elif args and args[0].endswith(".py") and not (REPO / args[0]).exists():
            problems.append(f"no file {args[0]}")
    elif program == "bash" and args and not (REPO / args[0]).exists():
        problems.append(f"no script {args[0]}")
    elif program == "pip" and args[:1] == ["install"]:
        pins = _pins()
        for index, arg in enumerate(args):
            if args[index - 1] == "-r" and not (REPO / arg).exists():
                problems.append(f"no file {arg}")
            name, _, version = arg.partition("==")
            if version and pins.get(name.lower()) != version:
                problems.append(f"{arg}: requirements.txt pins {name}=={pins.get(name.lower())}")
    return problems


@pytest.mark.parametrize("page", pages(), ids=lambda page: page.relative_to(REPO).as_posix())
def test_every_shown_command_names_what_exists(page):
    problems = [f"`{shlex.join(words)}`: {problem}"
                for words in shell_commands(page.read_text(encoding="utf-8")) for problem in command_problems(words)]
    assert not problems, "\n".join(problems)


def test_command_checks_catch_a_wrong_command():
    assert command_problems(["python", "-m", "models.prefetch", "--dir", "x"]) == []
    assert command_problems(["python", "-m", "models.prefetch", "--nope"]) == [
        "python -m models.prefetch has no option --nope"]
    assert command_problems(["bash", ".ci/nothing"]) == ["no script .ci/nothing"]
    pinned = _pins()["torch"]
    assert command_problems(["pip", "install", "torch==0.1"]) == [f"torch==0.1: requirements.txt pins torch=={pinned}"]
    assert shell_commands("```bash\nA=1 B=2 python app.py  # run\npip install -r x \\\n  && bash y\n```\n") == [
        ["python", "app.py"], ["pip", "install", "-r", "x"], ["bash", "y"]]


def test_json_examples_parse():
    for page in pages():
        for language, code in FENCE.findall(page.read_text(encoding="utf-8")):
            if language == "json":
                json.loads(code)
