"""The notebook builder without a server: checked inputs, the cells it writes, and the file it keeps.

tests/test_notebook_api.py executes each tab's notebook and compares its printed numbers with the app's.
"""

from __future__ import annotations

import ast
import json
from pathlib import Path

import nbformat
import pytest

from demos import notebook
from demos.common import InputError
from demos.notebook import INSTALL_TAG, RECIPES, build, checked_values, read_json

REPO = Path(__file__).resolve().parents[2]
# Enough to make every tab's notebook; each tab's settings at their defaults.
GIVEN = {"sentiment": {"text": "良い本"}, "nli": {"premise": "雨だ。", "hypothesis": "晴れだ。"},
         "similarity": {"text1": "猫", "text2": "犬"}, "ner": {"text": "東京"}, "summarization": {"article": "記事"},
         "tokenizer": {"text": "吾輩は猫である。"}, "generation": {"prompt": "今日は"},
         "contextual": {"sentences": "橋を渡る。\n橋が見える。", "word": "橋", "masked": "[MASK]へ行く。"}}
SECTIONS = {"sentiment": "1.1", "nli": "1.1", "similarity": "1.1", "ner": "1.1", "summarization": "1.1",
            "tokenizer": "1.2", "generation": "1.2, 1.4", "contextual": "1.4"}


def made(tab: str, given: dict | None = None):
    return build(tab, checked_values(tab, GIVEN[tab] if given is None else given))


def assigned(book, name: str):
    """The literal a code cell assigns to ``name`` (the cells are parsed, never run)."""
    for cell in book.cells:
        if cell.cell_type == "code" and not cell.source.startswith("%"):
            for node in ast.walk(ast.parse(cell.source)):
                if isinstance(node, ast.Assign) and [getattr(t, "id", None) for t in node.targets] == [name]:
                    return ast.literal_eval(node.value)
    raise AssertionError(f"no cell assigns {name}")


@pytest.mark.parametrize("tab", list(RECIPES))
def test_each_tab_gets_a_valid_notebook_that_names_its_section_and_installs_the_pins(tab):
    book = made(tab)
    nbformat.validate(book)
    introduction, install, *code = book.cells
    assert introduction.cell_type == "markdown" and f"{SECTIONS[tab]} 節" in introduction.source
    assert f"section {SECTIONS[tab]} of chapter 1" in introduction.source
    assert install.metadata["tags"] == [INSTALL_TAG] and install.source.startswith("%pip install ")
    requirements = (REPO / "requirements.txt").read_text(encoding="utf-8").splitlines()
    for pin in install.source.split()[2:]:
        assert pin in requirements  # the exact pin of requirements.txt
    for cell in code:
        compile(cell.source, tab, "exec")


def test_the_book_models_ways_with_transformers_5():
    sources = {tab: "\n".join(cell.source for cell in made(tab).cells) for tab in RECIPES}
    assert 'pipeline("text-classification"' in sources["sentiment"] and "top_k=None" in sources["sentiment"]
    assert 'function_to_apply="none"' in sources["similarity"]
    assert 'pipeline("feature-extraction"' in sources["similarity"]
    assert 'aggregation_strategy="simple"' in sources["ner"]
    assert "AutoModelForSeq2SeqLM" in sources["summarization"] and "model.generate(" in sources["summarization"]
    assert "add_special_tokens=False" in sources["generation"]
    assert "pipeline(" not in sources["summarization"]


def test_the_model_is_the_one_the_app_uses_with_the_operators_override(monkeypatch):
    assert "'llm-book/bert-base-japanese-v3-marc_ja'" in made("sentiment").cells[3].source
    monkeypatch.setenv("JNLP_MODEL_SENTIMENT", "/srv/models/my-bert")
    assert "'/srv/models/my-bert'" in made("sentiment").cells[3].source
    monkeypatch.setenv("JNLP_MODEL_GENERATION_SMALL", "/srv/models/small")
    assert assigned(made("generation", {"prompt": "今日は", "model_key": "GENERATION_SMALL"}), "model_id") == \
        "/srv/models/small"


@pytest.mark.parametrize("text", ['"""\nimport os; os.remove("x")\n"""', "'''", "\\", "{text}\n}", "a\u2028b\x85c"])
def test_a_text_reaches_the_code_as_a_literal_and_nothing_else(text):
    book = made("sentiment", {"text": text})
    assert assigned(book, "text") == text
    names = {node.id for cell in book.cells[2:] for node in ast.walk(ast.parse(cell.source))
             if isinstance(node, ast.Name)}
    assert "os" not in names


def test_settings_are_checked_as_their_endpoint_checks_them():
    values = checked_values("summarization", {"article": "記事", "max_new_tokens": 10_000, "num_beams": 0})
    assert values["summarize"] == {"article": "記事", "max_new_tokens": 256, "num_beams": 1}  # brought within bounds
    values = checked_values("generation", {"prompt": "今日は"})
    assert values["next_token"]["model_key"] == "GENERATION" and values["generate"]["do_sample"] is False
    assert values["generate"]["seed"] == 0 and values["next_token"]["top_k"] == 10


def test_a_part_left_blank_is_left_out_and_one_half_given_is_required_whole():
    assert list(checked_values("contextual", {"masked": "[MASK]へ行く。"})) == ["fill_mask"]
    assert list(checked_values("contextual", {"sentences": "橋。", "word": "橋", "masked": " "})) == ["contextual"]
    with pytest.raises(InputError, match="単語"):
        checked_values("contextual", {"sentences": "橋を渡る。"})
    with pytest.raises(InputError, match="Please enter"):
        checked_values("contextual", {})


@pytest.mark.parametrize("tab, given, english", [
    ("word2vec", {}, "Notebooks are made for the tabs"),
    ("sentiment", {"text": "良い", "review": "x"}, "Unknown input for the sentiment tab: review"),
    ("sentiment", {"text": 3}, "text must be a string"),
    ("sentiment", {"text": "長" * (notebook.MAX_TEXT_CHARS + 1)}, "text is too long"),
    ("summarization", {"article": "記事", "num_beams": "2"}, "num_beams must be a number"),
    ("generation", {"prompt": "今日は", "do_sample": "false"}, "do_sample must be true or false"),
    ("tokenizer", {"text": "  "}, "Please enter"),
    ("contextual", {"sentences": "\n".join(["橋。"] * 13), "word": "橋"}, "Too many sentences"),
])
def test_what_cannot_be_a_notebook_says_why_in_both_languages(tab, given, english):
    with pytest.raises(InputError) as error:
        build(tab, checked_values(tab, given))
    japanese, _, said = str(error.value).partition(" / ")
    assert english in said and japanese.strip()


@pytest.mark.parametrize("text", ["[1]", '"text"', "{", "x" * (notebook.MAX_JSON_CHARS + 1)])
def test_inputs_json_must_be_a_json_object_of_bounded_size(text):
    with pytest.raises(InputError):
        read_json(text)
    assert read_json("") == {} and read_json('{"text": "a"}') == {"text": "a"}


def test_the_same_request_gives_the_same_file_and_old_files_go(monkeypatch, tmp_path):
    monkeypatch.setattr(notebook, "_folder", tmp_path)
    monkeypatch.setattr(notebook, "KEPT_NOTEBOOKS", 3)
    first = notebook.notebook_file("sentiment", {"text": "良い本"})
    assert notebook.notebook_file("sentiment", {"text": "良い本"}) == first and first.endswith("sentiment.ipynb")
    for n in range(4):
        notebook.notebook_file("sentiment", {"text": f"良い本 {n}"})
    assert len(list(tmp_path.iterdir())) == 3
    assert assigned(nbformat.read(notebook.notebook_file("nli", GIVEN["nli"]), as_version=4), "premise") == "雨だ。"


def test_each_model_tab_has_its_section_on_the_page_wired_to_its_inputs_and_settings():
    from app import demo

    makers = [fn for fn in demo.fns.values() if fn.fn is not None and fn.fn.__name__ == "make"]
    assert len(makers) == len(RECIPES)
    generation_maker = next(fn for fn in makers if len(fn.inputs) == len(RECIPES["generation"].keys))
    path = generation_maker.fn(*(component.value for component in generation_maker.inputs))
    book = nbformat.read(path, as_version=4)
    assert assigned(book, "prompt") == "今日は天気が良いので" and assigned(book, "max_new_tokens") == 40
    assert json.loads(json.dumps(demo.get_api_info()["named_endpoints"]["/notebook"]["parameters"]))[1][
        "parameter_default"] == "{}"
