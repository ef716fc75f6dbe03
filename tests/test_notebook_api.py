"""/notebook through gradio_client, and every model tab's notebook executed: it prints the app's own numbers.

Each tab's notebook is exported from the app served with the tiny checkpoints (tests/conftest.py), then run
by nbclient on a local kernel, its pip cell skipped (no network here). One kernel runs them all, its names
cleared before each notebook (``%reset -f``): torch and transformers are imported once. What each notebook
prints is compared with what the tab's endpoints answer for the same input and settings.
"""

from __future__ import annotations

import ast
import json
import unicodedata

import nbformat
import pytest
from gradio_client.exceptions import AppError

from demos import contextual, generation, nli, sentiment, similarity, summarization
from demos.notebook import INSTALL_TAG, RECIPES

# A quote, a backslash, a line break and a brace in the text: it must reach the model as typed.
REVIEW = sentiment.EXAMPLES[0][0] + '\n"引用" と \'引用\' と \\ と {text}'
INPUTS = {
    "sentiment": {"text": REVIEW},
    "nli": {"premise": nli.EXAMPLES[0][0], "hypothesis": nli.EXAMPLES[0][1]},
    "similarity": {"text1": similarity.EXAMPLES[0][0], "text2": similarity.EXAMPLES[0][1]},
    "ner": {"text": "山田太郎さんは東京のトヨタで働いています。"},
    "summarization": {"article": summarization.EXAMPLES[0][0], "max_new_tokens": 12, "num_beams": 2},
    "tokenizer": {"text": "ＧＰＴとBERTの違いを調べた😀 鬱蒼とした森。"},
    "generation": {"prompt": "山田さんは東京で", "model_key": "GENERATION_SMALL", "top_k": 5, "temperature": 0.7,
                   "max_new_tokens": 8, "do_sample": True, "generate_temperature": 0.9, "top_p": 0.9,
                   "generate_top_k": 20, "seed": 7},
    "contextual": {"sentences": "山田さんは東京で行きます。\n東京の学校で読みました。\n佐藤さんは東京で見ました。",
                   "word": "東京", "layer": 1, "masked": contextual.FILL_EXAMPLES[1][0], "top_k": 3},
}
# Printed numbers have 4 decimals; the app's answer comes from a batched pass (padding moves the last bits).
CLOSE = 1.5e-4


def _lines(text: str) -> list[list[str]]:
    return [line.split("\t") for line in text.splitlines()]


@pytest.fixture(scope="module")
def printed(client, tmp_path_factory) -> dict[str, str]:
    """Each tab's notebook exported through /notebook and executed: what it printed (stdout), by tab."""
    from jupyter_client.manager import KernelManager
    from nbclient import NotebookClient

    folder = tmp_path_factory.mktemp("notebooks")
    manager = KernelManager(kernel_name="python3")
    manager.start_kernel(cwd=str(folder))
    outputs = {}
    try:
        kernel = manager.client()
        kernel.start_channels()
        kernel.wait_for_ready(timeout=60)
        for tab, inputs in INPUTS.items():
            path = client.predict(tab, json.dumps(inputs, ensure_ascii=False), api_name="/notebook")
            book = nbformat.read(path, as_version=4)
            book.cells.insert(0, nbformat.v4.new_code_cell("%reset -f"))  # nothing left from the notebook before
            runner = NotebookClient(book, km=manager, timeout=120, skip_cells_with_tag=INSTALL_TAG,
                                    resources={"metadata": {"path": str(folder)}})
            runner.kc = kernel
            runner.execute()
            outputs[tab] = "".join(output.get("text", "") for cell in book.cells if cell.cell_type == "code"
                                   for output in cell.outputs if output.get("name") == "stdout")
        kernel.stop_channels()
    finally:
        manager.shutdown_kernel(now=True)
    return outputs


def test_every_model_tab_has_a_notebook_here():
    assert set(INPUTS) == set(RECIPES)


def _confidences(label: dict) -> dict[str, float]:
    return {item["label"]: item["confidence"] for item in label["confidences"]}


@pytest.mark.parametrize("tab, api_name", [("sentiment", "/sentiment"), ("nli", "/nli")])
def test_classification_notebooks_print_every_labels_probability(client, printed, tab, api_name):
    label, _ = client.predict(*INPUTS[tab].values(), api_name=api_name)
    shown = {name: float(value) for name, value in _lines(printed[tab])}
    assert shown.keys() == _confidences(label).keys()
    assert shown == pytest.approx(_confidences(label), abs=CLOSE)


def test_similarity_notebook_prints_the_raw_jsts_score_and_the_simcse_cosine(client, printed):
    texts = INPUTS["similarity"].values()
    score, _ = client.predict(*texts, api_name="/sts")
    cosine, _ = client.predict(*texts, api_name="/simcse")
    shown = dict(_lines(printed["similarity"]))
    assert float(shown["JSTS"]) == pytest.approx(score, abs=CLOSE) and score > 1  # raw: no sigmoid
    assert float(shown["SimCSE"]) == pytest.approx(cosine, abs=CLOSE)


def test_ner_notebook_prints_the_entities_of_the_table(client, printed):
    _, table, _ = client.predict(INPUTS["ner"]["text"], api_name="/ner")
    shown = _lines(printed["ner"])
    assert table["data"], "the tiny model finds entities in this text"
    assert [(label, unicodedata.normalize("NFKC", entity)) for entity, label, *_ in table["data"]] == [
        (label, word) for label, _, word in shown]
    assert [float(score) for _, score, _ in shown] == pytest.approx([row[2] for row in table["data"]], abs=CLOSE)


def test_summarization_notebook_prints_the_same_headline(client, printed):
    settings = INPUTS["summarization"]
    headline, _ = client.predict(settings["article"], max_new_tokens=settings["max_new_tokens"],
                                 num_beams=settings["num_beams"], api_name="/summarize")
    assert printed["summarization"] == headline + "\n"


def test_tokenizer_notebook_prints_every_tokenizers_tokens_and_ids(client, printed):
    result = client.predict(INPUTS["tokenizer"]["text"], api_name="/tokenize")[0]
    lines = _lines(printed["tokenizer"])
    assert lines[0][0] == "MeCab" and ast.literal_eval(lines[0][1]) == [m["surface"] for m in result["mecab"]]
    tokens = [ast.literal_eval(value) for name, value in (line for line in lines if len(line) == 2) if name == "tokens"]
    ids = [ast.literal_eval(value) for name, value in (line for line in lines if len(line) == 2) if name == "ids"]
    assert tokens == [family["tokens"] for family in result["tokenizers"].values()]
    assert ids == [family["ids"] for family in result["tokenizers"].values()]


def test_generation_notebook_prints_the_next_tokens_and_the_seeded_sample(client, printed):
    settings = INPUTS["generation"]
    label, _ = client.predict(settings["prompt"], model_key=settings["model_key"], top_k=settings["top_k"],
                              temperature=settings["temperature"], api_name="/next_token")
    text = client.predict(settings["prompt"], model_key=settings["model_key"],
                          max_new_tokens=settings["max_new_tokens"], do_sample=True,
                          temperature=settings["generate_temperature"], top_p=settings["top_p"],
                          top_k=settings["generate_top_k"], seed=settings["seed"], api_name="/generate")
    top = [line for line in _lines(printed["generation"]) if len(line) == 3][:settings["top_k"]]
    shown = {generation.to_label([generation.Candidate(int(i), ast.literal_eval(token), float(p))]).popitem()[0]: p
             for token, i, p in top}
    assert [key.split(" (id ")[0] for key in _confidences(label)] == list(shown)
    assert [float(p) for p in shown.values()] == pytest.approx(list(_confidences(label).values()), abs=CLOSE)
    assert printed["generation"].endswith(text + "\n") and text != settings["prompt"]


def test_contextual_notebook_prints_the_cosine_table_and_the_fillers(client, printed):
    settings = INPUTS["contextual"]
    table, *_ = client.predict(settings["sentences"], settings["word"], layer=settings["layer"],
                               api_name="/contextual")
    _, fillers, completed = client.predict(settings["masked"], top_k=settings["top_k"], api_name="/fill_mask")
    lines = _lines(printed["contextual"])
    matrix = [line for line in lines if line[0] and line[0][0].isdigit()]
    assert [line[0] for line in matrix] == [contextual.occurrence_id(row[0]) for row in table["data"]]
    assert [float(v) for line in matrix for v in line[1:]] == pytest.approx(
        [v for row in table["data"] for v in row[1:]], abs=CLOSE)
    masks = [line for line in lines if line[0].startswith("mask ")]
    assert [(int(rank), token) for _, rank, token, _ in masks] == [
        (rank, token) for _, rank, token, _ in fillers["data"]]
    assert [float(p) for *_, p in masks] == pytest.approx([row[3] for row in fillers["data"]], abs=CLOSE)
    assert lines[-1] == [completed]


@pytest.mark.parametrize("tab, inputs_json, japanese, english", [
    ("word2vec", "{}", "ノートブックを作れるタブ", "Notebooks are made for the tabs"),
    ("sentiment", "[1, 2]", "JSON のオブジェクト", "must be a JSON object"),
    ("sentiment", "{not json", "JSON のオブジェクト", "must be a JSON object"),
    ("sentiment", '{"text": "良い", "code": "import os"}', "入力にない名前", "Unknown input"),
    ("sentiment", json.dumps({"text": "長" * 20_001}), "長すぎます", "too long"),
    ("sentiment", "{}", "入力してください", "Please enter"),
    ("generation", '{"prompt": "今日は", "model_key": "gpt-4"}', "モデルは", "Choose the model"),
])
def test_what_cannot_become_a_notebook_gets_a_bilingual_message(client, tab, inputs_json, japanese, english):
    with pytest.raises(AppError) as error:
        client.predict(tab, inputs_json, api_name="/notebook")
    message = str(error.value)
    assert japanese in message and english in message and "Traceback" not in message
