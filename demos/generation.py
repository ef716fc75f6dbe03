"""テキスト生成 / Generation: the next-token distribution and streamed generation of a GPT-2 (book §1.2, §1.4).

A causal language model gives, for a prompt, a probability for every token of
its vocabulary to come next; generation is choosing one (the most likely, or
a sample) and repeating. The loop is written out here, one token per step,
so the text streams as it grows and a stop (or a closed page) ends it at once.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass

import gradio as gr

from demos import i18n, texts
from demos.components import Number, Radio, Slider
from demos.common import (COMMON, InputError, clickable_examples, clip, explanation, friendly_errors, require_text,
                          stop_button, stoppable, stops)
from models import gpu, recent
from models.loader import LoadedModel
from models.registry import get_spec

MODEL_KEYS = ("GENERATION", "GENERATION_SMALL")  # the user picks among these keys only

WORDS = i18n.register("generation", {
    "title": ("テキスト生成", "Generation"),
    "model": ("モデル", "Model"),
    "model_info": ("1つ目は書籍と同じ大きな GPT-2（約7億パラメータ、"
                   "2コアの CPU では1トークンに0.1〜0.2秒ほど）、"
                   "2つ目は小さな GPT-2（約1億パラメータ、CPU でも速い）です。",
                   "The first is the book's large GPT-2 (about 0.7B parameters, "
                   "some 0.1-0.2 s per token on a 2-core CPU); "
                   "the second a small GPT-2 (about 0.1B parameters, quick on a CPU)."),
    "prompt": ("プロンプト", "Prompt"),
    "next_token_tab": ("次のトークン", "Next token"),
    "top_k_shown": ("候補数", "Top-k shown"),
    "predict_next": ("次のトークンを予測", "Predict next token"),
    "token_to_append": ("追加するトークン", "Token to append"),
    "append": ("プロンプトに追加", "Append to prompt"),
    "next_token_probabilities": ("次のトークンの確率", "Next-token probabilities"),
    "generate_tab": ("生成", "Generate"),
    "sample": ("サンプリング（オフなら貪欲法）", "Sample (off: greedy)"),
    "temperature": ("温度", "Temperature"),
    "top_p": ("top-p", "top-p"),
    "top_k": ("top-k（0で無制限）", "top-k (0: off)"),
    "generate": ("生成", "Generate"),
    "generated": ("生成結果", "Generated text"),
})
TITLE = WORDS("title")

MAX_NEW_TOKENS = 200
DEFAULT_NEW_TOKENS = 40
MAX_TOP_K = 50  # next-token view
DEFAULT_TOP_K = 10
MAX_SAMPLING_TOP_K = 500
MAX_SEED = 2**31 - 1

# Written for this app: an everyday sentence start like the book's, and prompts
# that show prompting (§1.4): a few-shot sentiment prompt and a question format.
EXAMPLES = [
    ["今日は天気が良いので"],
    ["週末は友達と"],
    [
        "レビュー：この掃除機は音が静かで、とても使いやすい。\n感情：ポジティブ\n"
        "レビュー：すぐに壊れてしまい、がっかりした。\n感情：ネガティブ\n"
        "レビュー：値段の割に味がよく、また食べたい。\n感情："
    ],
    ["質問：日本で一番高い山は何ですか？\n答え："],
]


def _number(value, low: float, high: float, default: float, name_ja: str, name_en: str) -> float:
    """A parameter within its bounds; NaN or nothing gives the default, out of range is clamped."""
    if value is None:
        return default
    try:
        value = float(value)
    except (TypeError, ValueError):
        raise InputError(f"{name_ja}は数で指定してください。 / {name_en} must be a number.") from None
    if math.isnan(value):
        return default
    return min(high, max(low, value))


def _check_key(model_key: str) -> str:
    if model_key not in MODEL_KEYS:
        raise InputError(
            f"モデルは {', '.join(MODEL_KEYS)} から選んでください。 / Choose the model among {', '.join(MODEL_KEYS)}."
        )
    return model_key


def encode_prompt(model: LoadedModel, prompt: str, room: int = 1):
    """Prompt ids without special tokens (a SentencePiece tokenizer would append </s>),
    keeping the end of a prompt too long for the model's positions."""
    import torch

    tokenizer = model.tokenizer
    ids = tokenizer(prompt, add_special_tokens=False)["input_ids"]
    ids = ids[-max(1, model.max_length - room) :]
    return torch.tensor([ids], device=model.runner.model.device)


@dataclass(frozen=True)
class Candidate:
    token_id: int
    text: str  # what the token adds to the text
    probability: float


def next_token_distribution(model: LoadedModel, prompt: str, top_k: int = DEFAULT_TOP_K) -> list[Candidate]:
    """The ``top_k`` most likely next tokens with their probabilities, most likely first."""
    import torch

    prompt = clip(require_text(prompt, "プロンプト", "prompt"))
    top_k = int(_number(top_k, 1, MAX_TOP_K, DEFAULT_TOP_K, "候補数", "top-k"))
    input_ids = encode_prompt(model, prompt)
    with torch.inference_mode():
        logits = model.runner.model(input_ids=input_ids).logits[0, -1].float()
    probabilities = torch.softmax(logits, dim=-1)
    values, indices = torch.topk(probabilities, k=min(top_k, probabilities.numel()))
    return [
        Candidate(int(i), model.tokenizer.decode([int(i)]), float(p))
        for p, i in zip(values.tolist(), indices.tolist())
    ]


def _visible(text: str) -> str:
    """A token's text with spaces and newlines made visible, for labels."""
    return text.replace(" ", "␣").replace("\n", "⏎") or "∅"


def to_label(candidates: list[Candidate]) -> dict[str, float]:
    """gr.Label value: token -> probability (distinct keys even when two tokens look alike)."""
    label: dict[str, float] = {}
    for c in candidates:
        key = _visible(c.text)
        if key in label:
            key = f"{key} (id {c.token_id})"
        label[key] = c.probability
    return label


@dataclass(frozen=True)
class Sampling:
    do_sample: bool
    temperature: float
    top_p: float
    top_k: int
    seed: int


def sampling_settings(do_sample, temperature, top_p, top_k, seed) -> Sampling:
    return Sampling(
        bool(do_sample),
        _number(temperature, 0.05, 2.0, 1.0, "温度", "temperature"),
        _number(top_p, 0.01, 1.0, 0.95, "top-p", "top-p"),
        int(_number(top_k, 0, MAX_SAMPLING_TOP_K, 50, "top-k", "top-k")),
        int(_number(seed, 0, MAX_SEED, 0, "シード", "seed")),
    )


def generate_stream(model: LoadedModel, prompt: str, max_new_tokens: int = DEFAULT_NEW_TOKENS,
                    sampling: Sampling | None = None) -> Iterator[str]:
    """Yield the prompt's continuation as it grows, one token per step.

    Greedy steps take the most likely token (the same tokens as the model's own
    generate()); sampling draws from the distribution shaped by temperature,
    top-k and top-p, with its own seeded generator so a seed gives the same text.
    """
    import torch
    from transformers.generation import (
        LogitsProcessorList,
        TemperatureLogitsWarper,
        TopKLogitsWarper,
        TopPLogitsWarper,
    )

    prompt = clip(require_text(prompt, "プロンプト", "prompt"))
    sampling = sampling or Sampling(False, 1.0, 1.0, 0, 0)
    max_new_tokens = int(_number(max_new_tokens, 1, MAX_NEW_TOKENS, DEFAULT_NEW_TOKENS, "最大トークン数",
                                 "max new tokens"))
    # Prompt and continuation must fit the model's positions together.
    max_new_tokens = min(max_new_tokens, model.max_length - 1)
    lm = model.runner.model
    input_ids = encode_prompt(model, prompt, room=max_new_tokens)
    warpers = LogitsProcessorList()
    if sampling.do_sample:
        warpers.append(TemperatureLogitsWarper(sampling.temperature))
        if sampling.top_k > 0:
            warpers.append(TopKLogitsWarper(sampling.top_k))
        if sampling.top_p < 1.0:
            warpers.append(TopPLogitsWarper(sampling.top_p))
    generator = torch.Generator(device=lm.device).manual_seed(sampling.seed)
    eos = model.tokenizer.eos_token_id
    generated: list[int] = []
    cache = None
    step_input = input_ids
    for _ in range(min(max_new_tokens, model.max_length - input_ids.shape[1])):
        # Gradio may resume a streaming handler on another thread, and
        # inference mode is per thread: enter it for each step, never across a yield.
        with torch.inference_mode():
            output = lm(input_ids=step_input, cache=cache, use_cache=True)
            cache = output.cache
            logits = output.logits[:, -1, :].float()
            if sampling.do_sample:
                seen = torch.cat([input_ids, torch.tensor([generated], dtype=torch.long, device=lm.device)], dim=1)
                probabilities = torch.softmax(warpers(seen, logits), dim=-1)
                token = torch.multinomial(probabilities, 1, generator=generator)[0, 0]
            else:
                token = torch.argmax(logits, dim=-1)[0]
        token_id = int(token)
        if token_id == eos:
            break
        generated.append(token_id)
        step_input = token.view(1, 1)
        yield model.tokenizer.decode(generated, skip_special_tokens=True)


def starting_model() -> str:
    """The model the tab starts on: the book's large GPT-2 on a GPU; on a CPU the small one, where the
    large one means a 3 GB download and a slow token. The API's default stays the book's model."""
    return MODEL_KEYS[0] if gpu.has_gpu() else MODEL_KEYS[1]


def _model_label(key: str) -> str:
    """A model choice as the model it will load (the operator may point a key at another model)."""
    return get_spec(key).resolve_id()


@friendly_errors
def next_token(prompt: str, model_key: str = MODEL_KEYS[0], top_k: float = DEFAULT_TOP_K):
    """The most likely next tokens after a Japanese prompt, with their probabilities, from a GPT-2 (book sections 1.2 and 1.4).

    Args:
        prompt: The beginning of a text, in Japanese (str, required, not blank). Only its last tokens are read if it is longer than the model's 1,024 positions.
        model_key: Which model: "GENERATION" (abeja/gpt2-large-japanese, the book's model, default) or "GENERATION_SMALL" (rinna/japanese-gpt2-small, faster on a CPU).
        top_k: How many candidates to return (whole number, 1 to 50, default 10).

    Returns:
        A label: the most likely next token and the probability of each of the top_k candidates (spaces shown as ␣, line breaks as ⏎)
        The text of the most likely next token, ready to append to the prompt
    """
    require_text(prompt, "プロンプト", "prompt")
    key = _check_key(model_key)
    top_k = int(_number(top_k, 1, MAX_TOP_K, DEFAULT_TOP_K, "候補数", "top-k"))
    # A classroom clicking the same example gets the first click's answer (models/recent.py).
    asked = recent.answer_key("next_token", key, prompt, top_k)
    candidates = recent.reused_or_computed(asked, lambda: gpu.run(key, next_token_distribution, prompt, top_k))
    choices = [(f"{_visible(c.text)}  ({c.probability:.1%})", c.text) for c in candidates]
    return to_label(candidates), gr.update(choices=choices, value=choices[0][1] if choices else None)


@friendly_errors
def append_token(prompt: str, token: str | None) -> str:
    """Step-by-step generation: the chosen token joins the prompt."""
    if not token:
        raise InputError("追加するトークンを選んでください。 / Choose a token to append.")
    return (prompt or "") + token


@friendly_errors
def generate(prompt: str, model_key: str = MODEL_KEYS[0], max_new_tokens: float = DEFAULT_NEW_TOKENS,
             do_sample: bool = False, temperature: float = 1.0, top_p: float = 0.95, top_k: float = 50,
             seed: float = 0) -> Iterator[str]:
    """Continue a Japanese prompt with a GPT-2, token by token: greedy, or seeded sampling (book sections 1.2 and 1.4).

    Args:
        prompt: The beginning of a text, in Japanese (str, required, not blank).
        model_key: Which model: "GENERATION" (abeja/gpt2-large-japanese, the book's model, default) or "GENERATION_SMALL" (rinna/japanese-gpt2-small, faster on a CPU).
        max_new_tokens: The most tokens to add (whole number, 1 to 200, default 40); generation also stops at the end-of-text token.
        do_sample: False (default) for greedy decoding, always the most likely token; True to sample with temperature, top_p and top_k.
        temperature: Sampling temperature (0.05 to 2.0, default 1.0; lower is more predictable). Used only when do_sample is True.
        top_p: Nucleus sampling: sample among the most likely tokens whose probabilities add up to top_p (0.01 to 1.0, default 0.95). Used only when do_sample is True.
        top_k: Sample among the top_k most likely tokens (whole number, 0 to 500, default 50; 0 = no limit). Used only when do_sample is True.
        seed: Random seed for sampling (whole number, 0 to 2147483647, default 0); the same seed and settings give the same text.

    Returns:
        The prompt followed by the generated continuation, a string (streamed: each update is the text so far; a request identical to a recent finished one gets the finished text in one update)
    """
    prompt = require_text(prompt, "プロンプト", "prompt")
    key = _check_key(model_key)
    settings = sampling_settings(do_sample, temperature, top_p, top_k, seed)
    max_new_tokens = int(_number(max_new_tokens, 1, MAX_NEW_TOKENS, DEFAULT_NEW_TOKENS, "最大トークン数",
                                 "max new tokens"))
    # The same prompt, model and settings give the same text (sampling is seeded): a classroom
    # clicking the same example gets the first finished generation at once (models/recent.py).
    deciding = settings if settings.do_sample else None  # greedy: the sampling sliders change nothing
    remembered = recent.answer_key("generate", key, prompt, max_new_tokens, deciding)
    finished = recent.recall(remembered)
    if finished is not None:
        yield prompt + finished
        return
    # Loaded before the first update, so a model that cannot load fails before any text is shown.
    continuations = gpu.stream(key, generate_stream, prompt, max_new_tokens, settings)
    try:
        yield prompt
        continuation = ""
        for continuation in continuations:
            yield prompt + continuation
        recent.keep(remembered, continuation)  # only a generation that ran to its end: never one cut short by Stop
    finally:
        continuations.close()  # Stop or a closed page: the model's lock (on ZeroGPU, the GPU) is freed at once


def build() -> dict[str, gr.Component]:
    explanation(texts.EXPLAINED("generation"))
    model_key = Radio([(_model_label(k), k) for k in MODEL_KEYS], value=MODEL_KEYS[0],
                         label=WORDS("model"), info=WORDS("model_info"))
    prompt = gr.Textbox(label=WORDS("prompt"), lines=4, value=EXAMPLES[0][0])
    with gr.Tab(WORDS("next_token_tab")):
        with gr.Row():
            with gr.Column():
                top_k_view = Slider(1, MAX_TOP_K, value=DEFAULT_TOP_K, step=1, label=WORDS("top_k_shown"))
                predict_button = gr.Button(WORDS("predict_next"), variant="primary")
                choice = gr.Dropdown(label=WORDS("token_to_append"), choices=[])
                append_button = gr.Button(WORDS("append"))
            distribution = gr.Label(label=WORDS("next_token_probabilities"))
    with gr.Tab(WORDS("generate_tab")):
        with gr.Row():
            with gr.Column():
                max_new_tokens = Slider(1, MAX_NEW_TOKENS, value=DEFAULT_NEW_TOKENS, step=1,
                                           label=COMMON("max_new_tokens"))
                do_sample = gr.Checkbox(value=False, label=WORDS("sample"))
                temperature = Slider(0.05, 2.0, value=1.0, step=0.05, label=WORDS("temperature"))
                top_p = Slider(0.01, 1.0, value=0.95, step=0.01, label=WORDS("top_p"))
                top_k = Slider(0, MAX_SAMPLING_TOP_K, value=50, step=1, label=WORDS("top_k"))
                seed = Number(value=0, precision=0, minimum=0, maximum=MAX_SEED, label=COMMON("seed"))
                with gr.Row():
                    generate_button = gr.Button(WORDS("generate"), variant="primary")
                    stop = stop_button(COMMON("stop"))
            output = gr.Textbox(label=WORDS("generated"), lines=10, buttons=["copy"], interactive=False)
    predict_inputs = [prompt, model_key, top_k_view]
    predict = predict_button.click(next_token, inputs=predict_inputs, outputs=[distribution, choice],
                                   api_name="next_token")
    append_button.click(append_token, inputs=[prompt, choice], outputs=[prompt], api_visibility="private").success(
        next_token, inputs=predict_inputs, outputs=[distribution, choice], api_visibility="private")
    generate_inputs = [prompt, model_key, max_new_tokens, do_sample, temperature, top_p, top_k, seed]
    run = stoppable(stop, [generate_button.click], generate, inputs=generate_inputs, outputs=[output],
                    api_name="generate")
    stops(stop, [run, predict])
    if gr.context.Context.root_block is not None:  # the starting choice, set in the browser (no request)
        gr.context.Context.root_block.load(None, None, [model_key], js=f"() => {starting_model()!r}")
    clickable_examples(EXAMPLES, [prompt], COMMON("examples"),
                       [(next_token, predict_inputs, [distribution, choice])])
    return {"prompt": prompt}  # what a shared link may fill (demos/links.py)
