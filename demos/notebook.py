"""ノートブックで開く / Open as notebook: a tab's current input as a Jupyter notebook a student runs in Colab.

Each model tab gets a closed "Open as notebook" section, and the API ``/notebook(tab, inputs_json)``. The
notebook (written with nbformat) says which section of the book it follows, installs the pinned packages
(requirements.txt), loads the model the app itself uses (the registry's id or the operator's
``JNLP_MODEL_<KEY>``) the way the book does with transformers 5, runs the same input with the same settings
and prints the numbers the tab shows. What a student typed goes into the code only as a Python literal
(repr), so no quote in it can break or change the code.

The word2vec tab has no notebook: its answer comes from no registry model but from vectors trained here on
the app's own generated corpus (32,000 sentences) or a book corpus, which a notebook would have to rebuild
first. Its export (the vectors in the word2vec text format) is what a student takes away.
"""

from __future__ import annotations

import functools
import hashlib
import html
import inspect
import json
import os
import shutil
import tempfile
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import gradio as gr

from demos import contextual, i18n, ner, tokenizer
from demos.common import InputError, friendly_errors
from demos.tasks import REQUIRED, TASKS, Input
from models.registry import get_spec

WORDS = i18n.register("notebook", {
    "accordion": ("📓 ノートブックで開く", "📓 Open as notebook"),
    "make": ("いまの入力と設定でノートブックを作る", "Make a notebook with these inputs and settings"),
    "file": ("ノートブック（.ipynb：Colab や Jupyter で開けます）", "Notebook (.ipynb: open it in Colab or Jupyter)"),
})

REQUIREMENTS = Path(__file__).resolve().parent.parent / "requirements.txt"
# A whole request's JSON, and each text in it: more than any tab reads (an article is cut to 512 tokens),
# far less than would make a notebook a burden to download.
MAX_JSON_CHARS = 100_000
MAX_TEXT_CHARS = 20_000
# Notebooks kept on disk at once (Gradio serves its own copy of each; these are only its source).
KEPT_NOTEBOOKS = 64
# The pip cell's tag: the tests execute a notebook without it (no network there).
INSTALL_TAG = "install"

BOOK = "『大規模言語モデル入門』第1章"
BOOK_EN = "chapter 1 of 大規模言語モデル入門"


@dataclass(frozen=True)
class Part:
    """What a notebook reproduces of one of the tab's endpoints: its JSON keys and the inputs they fill."""

    endpoint: str
    keys: tuple[tuple[str, str], ...]  # (JSON key, the endpoint's input name)


@dataclass(frozen=True)
class Recipe:
    """A tab's notebook: its book section and title, the packages it installs, the endpoints it reproduces,
    and its code cells, made from the checked values of each part it includes (endpoint -> name -> value)."""

    section: str
    title: tuple[str, str]
    packages: tuple[str, ...]
    parts: tuple[Part, ...]
    code: Callable[[dict[str, dict[str, Any]]], list[str]]

    @property
    def keys(self) -> list[str]:
        return list(dict.fromkeys(key for part in self.parts for key, _ in part.keys))


# The tokenizer tab's endpoint is no Task: its one input the notebook takes, declared here.
_TOKENIZE_TEXT = Input("text", "The text to tokenize")


def declared(endpoint: str, name: str) -> Input:
    """The declaration of an endpoint's input: bounds, default and messages, as the endpoint itself checks it."""
    return _TOKENIZE_TEXT if endpoint == "tokenize" else TASKS[endpoint].input(name)


# ---------------------------------------------------------------- the cells' code


def _model_id(key: str) -> str:
    return get_spec(key).resolve_id()


_SETUP = '''import torch

# The first GPU when there is one (Colab: Runtime → Change runtime type), else the CPU.
device = torch.device("cuda:0" if torch.cuda.is_available() else "cpu")


def input_limit(tokenizer, config):
    """How many tokens the model reads: the smallest limit its tokenizer and config state (512 if none)."""
    stated = [tokenizer.model_max_length, getattr(config, "max_position_embeddings", None),
              getattr(config, "n_positions", None)]
    known = [n for n in stated if isinstance(n, int) and 0 < n <= 1_000_000]
    return min(known) if known else 512'''


def _pipeline(variable: str, task: str, model_key: str, **kwargs: str) -> str:
    """Load a pipeline with its task named (transformers 5 cannot infer it offline or for a folder)."""
    extra = "".join(f", {name}={value}" for name, value in kwargs.items())
    return (f'{variable} = pipeline("{task}", model={_model_id(model_key)!r}, device=device{extra})\n'
            f"{variable}_limit = input_limit({variable}.tokenizer, {variable}.model.config)")


def _labels(call: str) -> str:
    return (f"# top_k=None: every label's probability (return_all_scores is gone in transformers 5).\n"
            f"for item in {call}:\n"
            f'    print(item["label"], f"{{item[\'score\']:.4f}}", sep="\\t")')


def _sentiment(values: dict[str, dict[str, Any]]) -> list[str]:
    text = values["sentiment"]["text"]
    return [f"from transformers import pipeline\n\n{_pipeline('classifier', 'text-classification', 'SENTIMENT')}",
            f"text = {text!r}\n\n"
            + _labels("classifier(text, top_k=None, truncation=True, max_length=classifier_limit)")]


def _nli(values: dict[str, dict[str, Any]]) -> list[str]:
    pair = values["nli"]
    return [f"from transformers import pipeline\n\n{_pipeline('classifier', 'text-classification', 'NLI')}",
            f"premise = {pair['premise']!r}\nhypothesis = {pair['hypothesis']!r}\n\n"
            + _labels('classifier({"text": premise, "text_pair": hypothesis}, top_k=None, truncation=True,\n'
                      '                       max_length=classifier_limit)')]


def _similarity(values: dict[str, dict[str, Any]]) -> list[str]:
    pair = values["sts"]
    return [
        "from transformers import pipeline\n\n"
        + _pipeline("sts", "text-classification", "STS") + "\n"
        + _pipeline("simcse", "feature-extraction", "SIMCSE"),
        f"text1 = {pair['text1']!r}\ntext2 = {pair['text2']!r}",
        "# JSTS: a regression score (about 0 to 5). function_to_apply=\"none\" keeps the raw value: with one label\n"
        "# the pipeline would otherwise put it through a sigmoid.\n"
        'score = sts({"text": text1, "text_pair": text2}, top_k=None, function_to_apply="none", truncation=True,\n'
        '            max_length=sts_limit)[0]["score"]\n'
        'print("JSTS", f"{score:.4f}", sep="\\t")',
        "# SimCSE: each sentence's vector is its [CLS] token's (the first token) in the last layer.\n"
        "def sentence_vector(sentence):\n"
        '    tokens = {"truncation": True, "max_length": simcse_limit}\n'
        "    return simcse(sentence, return_tensors=True, tokenize_kwargs=tokens)[0][0].double()\n\n\n"
        "cosine = torch.nn.functional.cosine_similarity(sentence_vector(text1), sentence_vector(text2), dim=0)\n"
        'print("SimCSE", f"{cosine.item():.4f}", sep="\\t")',
    ]


def _ner(values: dict[str, dict[str, Any]]) -> list[str]:
    text = values["ner"]["text"][:ner.MAX_NER_CHARS]
    return [
        "from transformers import pipeline\n\n"
        + _pipeline("recognizer", "token-classification", "NER", aggregation_strategy='"simple"'),
        f"text = {text!r}\n\n"
        "# The book's tokenizer (MeCab + WordPiece) gives the pipeline no character offsets: each entity's \"word\"\n"
        "# is its tokens joined by spaces, over the NFKC-normalised text. The spaces are taken out here.\n"
        "for entity in recognizer(text):\n"
        '    print(entity["entity_group"], f"{entity[\'score\']:.4f}", entity["word"].replace(" ", ""), sep="\\t")',
    ]


def _summarization(values: dict[str, dict[str, Any]]) -> list[str]:
    settings = values["summarize"]
    return [
        "# transformers 5 has no summarization pipeline: the tokenizer and the seq2seq model are called directly.\n"
        "from transformers import AutoModelForSeq2SeqLM, AutoTokenizer\n\n"
        f"model_id = {_model_id('SUMMARIZATION')!r}\n"
        "tokenizer = AutoTokenizer.from_pretrained(model_id)\n"
        "model = AutoModelForSeq2SeqLM.from_pretrained(model_id).to(device).eval()\n"
        "limit = input_limit(tokenizer, model.config)",
        f"article = {settings['article']!r}\n"
        f"max_new_tokens = {settings['max_new_tokens']!r}\n"
        f"num_beams = {settings['num_beams']!r}  # 1: greedy\n\n"
        'inputs = tokenizer(article, truncation=True, max_length=limit, return_tensors="pt").to(device)\n'
        "with torch.inference_mode():\n"
        "    output = model.generate(**inputs, max_new_tokens=max_new_tokens, num_beams=num_beams, do_sample=False)\n"
        "print(tokenizer.decode(output[0], skip_special_tokens=True).strip())",
    ]


def _tokenizer(values: dict[str, dict[str, Any]]) -> list[str]:
    text = values["tokenize"]["text"].lstrip()[:tokenizer.MAX_TOKENIZE_CHARS]
    families = ",\n".join(f"    ({family.name!r}, {_model_id(family.key)!r})" for family in tokenizer.FAMILIES)
    return [
        "import fugashi\nfrom transformers import AutoTokenizer\n\n"
        f"text = {text!r}",
        "# MeCab (unidic-lite) cuts the text into words (morphemes); it does no NFKC normalisation.\n"
        'print("MeCab", [word.surface for word in fugashi.Tagger()(text)], sep="\\t")',
        "# Each model's tokenizer (no weights are loaded): its tokens and their ids, special tokens included.\n"
        f"tokenizers = [\n{families},\n]\n"
        "for name, model_id in tokenizers:\n"
        "    model_tokenizer = AutoTokenizer.from_pretrained(model_id)\n"
        '    ids = model_tokenizer(text)["input_ids"]\n'
        "    print(name, model_id)\n"
        '    print("tokens", model_tokenizer.convert_ids_to_tokens(ids), sep="\\t")\n'
        '    print("ids", ids, sep="\\t")',
    ]


def _generation(values: dict[str, dict[str, Any]]) -> list[str]:
    top, settings = values["next_token"], values["generate"]
    return [
        "from transformers import AutoModelForCausalLM, AutoTokenizer\n\n"
        f"model_id = {_model_id(top['model_key'])!r}\n"
        "tokenizer = AutoTokenizer.from_pretrained(model_id)\n"
        "model = AutoModelForCausalLM.from_pretrained(model_id).to(device).eval()\n"
        "limit = input_limit(tokenizer, model.config)",
        f"prompt = {top['prompt']!r}\n\n"
        "# A SentencePiece tokenizer would append </s> to the prompt: no special tokens.\n"
        'prompt_ids = tokenizer(prompt, add_special_tokens=False)["input_ids"]',
        "# The next token: a probability for every token of the vocabulary, softmax(logits / temperature).\n"
        f"top_k = {top['top_k']!r}\n"
        f"temperature = {top['temperature']!r}\n\n"
        "ids = torch.tensor([prompt_ids[-max(1, limit - 1):]], device=device)\n"
        "with torch.inference_mode():\n"
        "    logits = model(input_ids=ids).logits[0, -1].float()\n"
        "probabilities = torch.softmax(logits / temperature, dim=-1)\n"
        "values, indices = torch.topk(probabilities, k=min(top_k, probabilities.numel()))\n"
        "for probability, token_id in zip(values.tolist(), indices.tolist()):\n"
        '    print(repr(tokenizer.decode([token_id])), token_id, f"{probability:.4f}", sep="\\t")',
        "# Generation: choose a next token (the most likely, or a sample), append it, repeat. Sampling draws with\n"
        "# its own seeded generator, so the same seed gives the same text.\n"
        "from transformers.generation import (LogitsProcessorList, TemperatureLogitsWarper, TopKLogitsWarper,\n"
        "                                     TopPLogitsWarper)\n\n"
        f"max_new_tokens = {settings['max_new_tokens']!r}\n"
        f"do_sample = {settings['do_sample']!r}\n"
        f"sampling_temperature = {settings['temperature']!r}\n"
        f"top_p = {settings['top_p']!r}\n"
        f"sampling_top_k = {settings['top_k']!r}  # 0: no limit\n"
        f"seed = {settings['seed']!r}\n\n"
        "max_new_tokens = min(max_new_tokens, limit - 1)  # the prompt and the new tokens share the positions\n"
        "input_ids = torch.tensor([prompt_ids[-max(1, limit - max_new_tokens):]], device=device)\n"
        "warpers = LogitsProcessorList()\n"
        "if do_sample:\n"
        "    warpers.append(TemperatureLogitsWarper(sampling_temperature))\n"
        "    if sampling_top_k > 0:\n"
        "        warpers.append(TopKLogitsWarper(sampling_top_k))\n"
        "    if top_p < 1.0:\n"
        "        warpers.append(TopPLogitsWarper(top_p))\n"
        "generator = torch.Generator(device=device).manual_seed(seed)\n"
        "new_ids, cache, step = [], None, input_ids\n"
        "with torch.inference_mode():\n"
        "    for _ in range(min(max_new_tokens, limit - input_ids.shape[1])):\n"
        "        # The cache keeps the work done on the earlier tokens: each step reads one new token.\n"
        "        output = model(input_ids=step, cache=cache, use_cache=True)\n"
        "        cache = output.cache\n"
        "        logits = output.logits[:, -1, :].float()\n"
        "        if do_sample:\n"
        "            seen = torch.cat([input_ids, torch.tensor([new_ids], dtype=torch.long, device=device)], dim=1)\n"
        "            probabilities = torch.softmax(warpers(seen, logits), dim=-1)\n"
        "            token = torch.multinomial(probabilities, 1, generator=generator)[0, 0]\n"
        "        else:\n"
        "            token = torch.argmax(logits, dim=-1)[0]\n"
        "        if int(token) == tokenizer.eos_token_id:\n"
        "            break\n"
        "        new_ids.append(int(token))\n"
        "        step = token.view(1, 1)\n"
        "print(prompt + tokenizer.decode(new_ids, skip_special_tokens=True))",
    ]


_CONTEXTUAL_LOAD = (
    "from transformers import AutoModelForMaskedLM, AutoTokenizer\n\n"
    "model_id = {model_id!r}\n"
    "tokenizer = AutoTokenizer.from_pretrained(model_id)\n"
    "model = AutoModelForMaskedLM.from_pretrained(model_id).to(device).eval()\n"
    "limit = input_limit(tokenizer, model.config)")

_CONTEXTUAL_RUN = '''import re
import unicodedata

sentences = {sentences!r}
word = {word!r}
layer = {layer!r}  # 0: the embedding layer
layer = max(0, min(layer, model.config.num_hidden_layers))


def fold(text):
    """Text as the tokenizer reads it: NFKC, lower case if it lowercases."""
    text = unicodedata.normalize("NFKC", text)
    return text.lower() if getattr(tokenizer, "do_lower_case", False) else text


def token_spans(text, tokens):
    """Each token's (start, end) in the folded text (WordPiece's ## taken off; an unknown token: empty)."""
    spans, cursor = [], 0
    for token in tokens:
        piece = token[2:] if token.startswith("##") and len(token) > 2 else token
        start = text.find(piece, cursor)
        if token == tokenizer.unk_token or start < 0:
            spans.append((cursor, cursor))
        else:
            spans.append((start, start + len(piece)))
            cursor = start + len(piece)
    return spans


labels, vectors = [], []
for number, sentence in enumerate(sentences, start=1):
    encoded = tokenizer(sentence, truncation=True, max_length=limit, return_tensors="pt").to(device)
    with torch.inference_mode():  # the encoder alone, every layer's hidden states
        states = model.base_model(**encoded, output_hidden_states=True).hidden_states[layer][0].double()
    text = fold(sentence)
    spans = token_spans(text, tokenizer.convert_ids_to_tokens(encoded["input_ids"][0][1:-1]))
    matches = list(re.finditer(re.escape(fold(word)), text))
    for k, match in enumerate(matches, start=1):
        inside = [i + 1 for i, (start, end) in enumerate(spans) if start < match.end() and end > match.start()]
        if inside:  # the word's vector: the mean of its tokens' vectors ([CLS] is position 0)
            labels.append(f"{{number}}-{{k}}" if len(matches) > 1 else str(number))
            vectors.append(states[inside].mean(dim=0))

unit = torch.nn.functional.normalize(torch.stack(vectors), dim=1)
similarities = (unit @ unit.T).clamp(-1, 1)
for label, row in zip(labels, similarities.tolist()):
    print(label, *(f"{{value:.4f}}" for value in row), sep="\\t")'''

_FILL_MASK_RUN = '''import re

masked = {masked!r}
top_k = {top_k!r}

# The app's marks for a hidden word: the tokenizer's mask token, ＿ or ＊.
marks = re.compile("|".join(re.escape(mark) for mark in (tokenizer.mask_token, {marks})))
encoded = tokenizer(marks.sub(tokenizer.mask_token, masked), truncation=True, max_length=limit,
                    return_tensors="pt").to(device)
positions = (encoded["input_ids"][0] == tokenizer.mask_token_id).nonzero().flatten().tolist()
with torch.inference_mode():
    logits = model(**encoded).logits[0, positions].float()
probabilities = logits.softmax(dim=-1)
probabilities[:, tokenizer.all_special_ids] = -1.0  # special tokens ([PAD], [UNK] …) are no fillers
values, indices = probabilities.topk(top_k, dim=-1)
best = []
for mask, (row_values, row_ids) in enumerate(zip(values.tolist(), indices.tolist()), start=1):
    for rank, (probability, token_id) in enumerate(zip(row_values, row_ids), start=1):
        print(f"mask {{mask}}", rank, tokenizer.convert_ids_to_tokens(token_id), f"{{probability:.4f}}", sep="\\t")
    token = tokenizer.convert_ids_to_tokens(row_ids[0])
    best.append(token[2:] if token.startswith("##") and len(token) > 2 else token)
pieces = marks.split(masked)
print("".join(piece + (best[i] if i < len(best) else "") for i, piece in enumerate(pieces)))'''


def _contextual(values: dict[str, dict[str, Any]]) -> list[str]:
    cells = [_CONTEXTUAL_LOAD.format(model_id=_model_id(contextual.MODEL_KEY))]
    if "contextual" in values:
        chosen = values["contextual"]
        cells.append(_CONTEXTUAL_RUN.format(sentences=contextual.split_sentences(chosen["sentences"]),
                                            word=chosen["word"].strip(), layer=chosen["layer"]))
    if "fill_mask" in values:
        marks = ", ".join(repr(mark) for mark in contextual.MASK_MARKS)
        cells.append(_FILL_MASK_RUN.format(masked=values["fill_mask"]["text"], top_k=values["fill_mask"]["top_k"],
                                           marks=marks))
    return cells


BERT = ("transformers", "torch", "fugashi", "unidic-lite")  # the book's BERT tokenizer: MeCab (fugashi + unidic-lite)
SENTENCEPIECE = ("transformers", "torch", "sentencepiece", "protobuf")  # T5's and the GPT-2s' tokenizers


def _part(endpoint: str, *names: str, **renamed: str) -> Part:
    """A Part whose JSON keys are its inputs' names, except ``key=input name`` ones."""
    return Part(endpoint, tuple((name, name) for name in names) + tuple(renamed.items()))


RECIPES: Mapping[str, Recipe] = {
    "sentiment": Recipe("1.1", ("文書分類", "Sentiment"), BERT, (_part("sentiment", "text"),), _sentiment),
    "nli": Recipe("1.1", ("自然言語推論", "Natural language inference"), BERT,
                  (_part("nli", "premise", "hypothesis"),), _nli),
    "similarity": Recipe("1.1", ("意味的類似度", "Semantic similarity"), BERT,
                         (_part("sts", "text1", "text2"), _part("simcse", "text1", "text2")), _similarity),
    "ner": Recipe("1.1", ("固有表現認識", "Named entity recognition"), BERT, (_part("ner", "text"),), _ner),
    "summarization": Recipe("1.1", ("要約生成", "Summarization"), SENTENCEPIECE,
                            (_part("summarize", "article", "max_new_tokens", "num_beams"),), _summarization),
    "tokenizer": Recipe("1.2", ("トークナイザ", "Tokenizers"),
                        ("transformers", "fugashi", "unidic-lite", "sentencepiece", "protobuf"),
                        (_part("tokenize", "text"),), _tokenizer),
    # Both endpoints take a top_k and a temperature: /generate's are generate_top_k and generate_temperature.
    "generation": Recipe("1.2, 1.4", ("テキスト生成", "Text generation"), SENTENCEPIECE,
                         (_part("next_token", "prompt", "model_key", "top_k", "temperature"),
                          _part("generate", "prompt", "model_key", "max_new_tokens", "do_sample", "top_p", "seed",
                                generate_temperature="temperature", generate_top_k="top_k")), _generation),
    "contextual": Recipe("1.4", ("文脈化埋め込み・穴埋め", "Contextual embeddings and fill-mask"), BERT,
                         (_part("contextual", "sentences", "word", "layer"),
                          _part("fill_mask", "top_k", masked="text")), _contextual),
}


# ---------------------------------------------------------------- checking the inputs


def _unknown_tab(tab: str) -> InputError:
    listed, shown = ", ".join(RECIPES), html.escape(str(tab)[:40])  # a gr.Error's message is shown as HTML
    return InputError(f"ノートブックを作れるタブは {listed} です（「{shown}」はありません）。"
                      f" / Notebooks are made for the tabs {listed}; there is no tab '{shown}'.")


def _given(value: Any) -> bool:
    return isinstance(value, str) and value.strip() != ""


def _checked(key: str, declaration: Input, value: Any) -> Any:
    """One value as its endpoint would run it (Input.check), after the checks of its JSON type and length."""
    if declaration.kind is str and not declaration.choices:
        if value is not None and not isinstance(value, str):
            raise InputError(f"{key} は文字列で指定してください。 / {key} must be a string.")
        if value is not None and len(value) > MAX_TEXT_CHARS:
            raise InputError(f"{key} が長すぎます（{MAX_TEXT_CHARS:,} 文字まで）。"
                             f" / {key} is too long (at most {MAX_TEXT_CHARS:,} characters).")
    elif declaration.kind is bool and not isinstance(value, bool):
        raise InputError(f"{key} は true か false で指定してください。 / {key} must be true or false.")
    elif declaration.kind in (int, float) and value is not None and (
            isinstance(value, bool) or not isinstance(value, (int, float))):
        raise InputError(f"{key} は数で指定してください。 / {key} must be a number.")
    return declaration.check(value)


def _value(given: Mapping[str, Any], key: str, part: Part, name: str) -> Any:
    """The value given for ``key``, else the endpoint's default (None for a text it requires)."""
    default = declared(part.endpoint, name).default
    return given[key] if key in given else None if default is REQUIRED else default


def checked_values(tab: str, given: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """The values each included part runs with (endpoint -> input name -> value), or an InputError.

    A part whose texts are all left out or blank is left out (the fill-mask half of the contextual tab
    when only its sentences are given); the others must be complete. At least one part is included.
    """
    recipe = RECIPES.get(tab)
    if recipe is None:
        raise _unknown_tab(tab)
    unknown = [key for key in given if key not in recipe.keys]
    if unknown:
        names, known = html.escape(", ".join(map(str, unknown))[:200]), ", ".join(recipe.keys)
        raise InputError(f"{tab} タブの入力にない名前です：{names}（使える名前：{known}）。"
                         f" / Unknown input for the {tab} tab: {names} (known: {known}).")
    asked = [part for part in recipe.parts if any(_given(given.get(key)) for key, name in part.keys
                                                  if declared(part.endpoint, name).default is REQUIRED)]
    values: dict[str, dict[str, Any]] = {}
    for part in asked or recipe.parts:  # none asked for: the first part's check says what is missing
        values[part.endpoint] = {name: _checked(key, declared(part.endpoint, name), _value(given, key, part, name))
                                 for key, name in part.keys}
    return values


def read_json(inputs_json: str | None) -> dict[str, Any]:
    """The JSON object of the request's inputs, or an InputError."""
    text = inputs_json if isinstance(inputs_json, str) else ""
    if len(text) > MAX_JSON_CHARS:
        raise InputError(f"inputs_json が長すぎます（{MAX_JSON_CHARS:,} 文字まで）。"
                         f" / inputs_json is too long (at most {MAX_JSON_CHARS:,} characters).")
    try:
        found = json.loads(text or "{}")
    except ValueError:
        found = None
    if not isinstance(found, dict):
        raise InputError('inputs_json は JSON のオブジェクトで書いてください（例：{"text": "…"}）。'
                         ' / inputs_json must be a JSON object, e.g. {"text": "…"}.')
    return found


# ---------------------------------------------------------------- the notebook


@functools.cache
def pins() -> dict[str, str]:
    """Each package requirements.txt pins (``name==version``), by name."""
    found = {}
    for line in REQUIREMENTS.read_text(encoding="utf-8").splitlines():
        name, equals, version = line.split("#", 1)[0].strip().partition("==")
        if equals:
            name = name.split("[", 1)[0].strip().lower()  # gradio[mcp] is gradio
            found[name] = f"{name}=={version.strip()}"
    return found


# What each notebook does differently from the book's transformers 4 code, or from the app (Japanese / English).
NOTES: Mapping[str, tuple[tuple[str, str], ...]] = {
    "sentiment": (("パイプラインのタスクは明示し、すべてのラベルの確率は `top_k=None` で得ます（transformers 5）。",
                   "The pipeline's task is named, and `top_k=None` gives every label's probability"
                   " (transformers 5)."),),
    "nli": (("パイプラインのタスクは明示し、3 つのラベルの確率は `top_k=None` で得ます（transformers 5）。",
             "The pipeline's task is named, and `top_k=None` gives the three labels' probabilities"
             " (transformers 5)."),),
    "similarity": (("JSTS のスコアは回帰の値そのままです（`function_to_apply=\"none\"`：シグモイドをかけません）。",
                    "The JSTS score is the raw regression value (`function_to_apply=\"none\"`: no sigmoid)."),),
    "ner": (("本書のトークナイザは文字の位置を返さないので、固有表現は NFKC で正規化した文字列で示します。アプリは"
             f"長い文章を文の切れ目で分けて読みます（先頭 {ner.MAX_NER_CHARS:,} 文字まで）が、ここではモデルが一度に"
             "読める長さまでです。",
             "The book's tokenizer gives no character offsets, so entities are shown as NFKC-normalised text. The app"
             f" cuts a long text into model-sized pieces at sentence ends (its first {ner.MAX_NER_CHARS:,}"
             " characters); here the model reads as much as it can at once."),),
    "summarization": (("transformers 5 には要約のパイプラインがないので、T5 を `generate()` で呼びます。",
                       "transformers 5 has no summarization pipeline: the T5 is called with `generate()`."),),
    "tokenizer": (("トークナイザだけを読み込みます（モデルの重みは使いません）。",
                   "Only the tokenizers are loaded, no model weights."),),
    "generation": (("プロンプトは特殊トークンなしで符号化します（SentencePiece のトークナイザは `</s>` を付けるため）。"
                    "生成は 1 トークンずつのループで書き、シードを固定したサンプリングはアプリと同じ文を出します。",
                    "The prompt is encoded without special tokens (a SentencePiece tokenizer appends `</s>`)."
                    " Generation is a loop, one token per step; seeded sampling gives the app's text."),),
    "contextual": (("単語のベクトルは、その単語にかかるトークンのベクトルの平均です（0 層 = 埋め込み層）。",
                    "A word's vector is the mean of its tokens' vectors (layer 0 = the embedding layer)."),),
}


def _introduction(tab: str, recipe: Recipe) -> str:
    japanese, english = recipe.title
    notes = [*NOTES[tab], ("最初のセルは固定したバージョンのパッケージを入れます（Colab では数分かかります）。",
                           "The first cell installs the pinned packages (a few minutes on Colab).")]
    return "\n".join([
        f"# {japanese} / {english}",
        "",
        f"{BOOK} {recipe.section} 節のコードを、日本語NLPプレイグラウンドの「{japanese}」タブと同じ入力・同じ設定で"
        "実行します。最後のセルは、タブに表示されるのと同じ数値を出力します。",
        "",
        f"This notebook follows section {recipe.section} of {BOOK_EN}: it runs the playground's {english} tab"
        " with the same input and settings, and prints the numbers the tab shows.",
        "",
        *(f"- {ja} / {en}" for ja, en in notes)])


def build(tab: str, values: dict[str, dict[str, Any]]):
    """The notebook (an nbformat NotebookNode) for a tab and its checked values (checked_values)."""
    import nbformat.v4 as v4

    recipe = RECIPES[tab]
    install = " ".join(pins()[name] for name in recipe.packages)
    cells = [v4.new_markdown_cell(_introduction(tab, recipe)),
             v4.new_code_cell(f"%pip install {install}", metadata={"tags": [INSTALL_TAG]}),
             v4.new_code_cell(_SETUP if "torch" in recipe.packages else "# No model weights: tokenizers only."),
             *(v4.new_code_cell(source) for source in recipe.code(values))]
    for number, cell in enumerate(cells):  # fixed ids: the same request gives the same file
        cell.id = f"{tab}-{number}"
    return v4.new_notebook(cells=cells, metadata={
        "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
        "language_info": {"name": "python"}})


_folder_lock = threading.Lock()
_folder: Path | None = None


def _notebooks_folder() -> Path:
    global _folder
    if _folder is None or not _folder.is_dir():
        _folder = Path(tempfile.mkdtemp(prefix="jnlp-notebooks-"))
    return _folder


def written(tab: str, notebook) -> str:
    """The path of a file holding the notebook, named after its tab. The same notebook is written once
    (in a folder named by its content); only the newest KEPT_NOTEBOOKS are kept."""
    import nbformat

    text = nbformat.writes(notebook)
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()[:20]
    with _folder_lock:
        base = _notebooks_folder()
        path = base / digest / f"{tab}.ipynb"
        if not path.exists():
            path.parent.mkdir(exist_ok=True)
            partial = path.with_suffix(".partial")
            partial.write_text(text, encoding="utf-8")
            os.replace(partial, path)
        os.utime(path.parent)
        folders = sorted(base.iterdir(), key=lambda folder: folder.stat().st_mtime, reverse=True)
        for old in folders[KEPT_NOTEBOOKS:]:
            shutil.rmtree(old, ignore_errors=True)
    return str(path)


def notebook_file(tab: str, given: Mapping[str, Any]) -> str:
    """The path of the notebook of ``tab`` run on the inputs ``given`` by JSON key."""
    return written(tab, build(tab, checked_values(tab, given)))


@friendly_errors
def notebook(tab: str, inputs_json: str = "{}") -> str:
    """A Jupyter notebook (.ipynb) that reproduces one tab's answer: it installs the pinned packages, loads the model the app uses, runs the same input with the same settings and prints the numbers the tab shows (book chapter 1).

    Args:
        tab: The tab, by its ?tab= name: sentiment, nli, similarity, ner, summarization, tokenizer, generation or contextual (str).
        inputs_json: A JSON object of the tab's inputs by name (str, default "{}"): sentiment text; nli premise, hypothesis; similarity text1, text2; ner text; summarization article, max_new_tokens, num_beams; tokenizer text; generation prompt, model_key, top_k, temperature, max_new_tokens, do_sample, generate_temperature, top_p, generate_top_k, seed; contextual sentences, word, layer, masked, top_k. Settings left out take their endpoint's default; texts are at most 20,000 characters.

    Returns:
        The notebook file (.ipynb)
    """
    return notebook_file(tab, read_json(inputs_json))


def api() -> None:
    """/notebook for gradio_client and MCP: hidden inputs, file and button, so nothing on the page starts it.

    Not gr.on([]): with no triggers Gradio runs the event whenever one of its inputs changes (an error toast
    on the page)."""
    tab = gr.Textbox(visible=False)
    inputs_json = gr.Textbox(value="{}", visible=False)
    made = gr.File(visible=False)
    hidden = gr.Button(WORDS("make"), visible=False)
    hidden.click(notebook, inputs=[tab, inputs_json], outputs=[made], api_name="notebook")


def _components(tab: str) -> dict[str, Any]:
    """The tab's components whose values the notebook takes, by JSON key: the inputs of its endpoints' events."""
    events = {fn.api_name: fn for fn in gr.context.Context.root_block.fns.values() if fn.api_name}
    components: dict[str, Any] = {}
    for part in RECIPES[tab].parts:
        event = events[part.endpoint]
        names = list(inspect.signature(event.fn).parameters)
        for key, name in part.keys:
            components.setdefault(key, event.inputs[names.index(name)])
    return components


def maker(tab: str) -> None:
    """A closed "Open as notebook" section for a model tab (others get none): a button that writes the
    notebook of the tab's current inputs and settings, and the file to download."""
    if tab not in RECIPES:
        return
    components = _components(tab)
    keys = list(components)

    @friendly_errors
    def make(*values: Any) -> str:
        return notebook_file(tab, dict(zip(keys, values, strict=True)))

    with gr.Accordion(WORDS("accordion"), open=False):
        with gr.Row():
            button = gr.Button(WORDS("make"), size="sm", scale=0, min_width=240)
            made = gr.File(label=WORDS("file"), scale=4)
    button.click(make, inputs=list(components.values()), outputs=[made], api_visibility="private")
