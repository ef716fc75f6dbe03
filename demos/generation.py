"""テキスト生成 / Generation: the next-token distribution and streamed generation of a GPT-2 (book §1.2, §1.4).

A causal language model gives, for a prompt, a probability for every token of
its vocabulary to come next; generation is choosing one (the most likely, or
a sample) and repeating. The loop is written out here, one token per step,
so the text streams as it grows and a stop (or a closed page) ends it at once.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import gradio as gr

from demos import i18n, texts
from demos.common import (COMMON, InputError, clickable_examples, clip, explanation, friendly_errors, stop_button,
                          stoppable, stops)
from demos.tasks import Answer, Input, Task
from models import gpu
from models.loader import LoadedModel
from models.stages import Stages, softmax
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
    "temperature_info": ("確率 = softmax(ロジット ÷ 温度)。同じロジットから計算し直すだけで、モデルは再実行しません。",
                         "probabilities = softmax(logits ÷ temperature), from the same logits: the model does not run"
                         " again."),
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


@dataclass(frozen=True)
class NextTokens:
    candidates: list[Candidate]  # the most likely first
    stages: Stages  # the prompt's ids and the logits over the vocabulary after its last token


def next_token_distribution(model: LoadedModel, prompt: str, top_k: int = DEFAULT_TOP_K) -> NextTokens:
    """The ``top_k`` most likely next tokens with their probabilities, and the logits they come from."""
    import torch

    input_ids = encode_prompt(model, clip(prompt))
    with torch.inference_mode():
        logits = model.runner.model(input_ids=input_ids).logits[0, -1].float()
    probabilities = torch.softmax(logits, dim=-1)
    values, indices = torch.topk(probabilities, k=min(top_k, probabilities.numel()))
    ids = tuple(input_ids[0].tolist())
    return NextTokens([Candidate(int(i), model.tokenizer.decode([int(i)]), float(p))
                       for p, i in zip(values.tolist(), indices.tolist())],
                      Stages(ids, logits.cpu().numpy(), rows=(len(ids) - 1,)))


def at_temperature(result: NextTokens, temperature: float) -> list[Candidate]:
    """The same candidates with probabilities softmax(logits / T) over the whole vocabulary, from the logits the
    pass kept (no new pass). Dividing by T keeps the order: T < 1 sharpens it (T → 0: greedy), T > 1 flattens it."""
    if temperature == 1:
        return result.candidates
    probabilities = softmax(result.stages.outputs / temperature)
    return [Candidate(c.token_id, c.text, float(probabilities[c.token_id])) for c in result.candidates]


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


def generate_stream(model: LoadedModel, prompt: str, max_new_tokens: int = DEFAULT_NEW_TOKENS,
                    do_sample: bool = False, temperature: float = 1.0, top_p: float = 1.0, top_k: int = 0,
                    seed: int = 0) -> Iterator[str]:
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

    prompt = clip(prompt)
    # Prompt and continuation must fit the model's positions together.
    max_new_tokens = min(max_new_tokens, model.max_length - 1)
    lm = model.runner.model
    input_ids = encode_prompt(model, prompt, room=max_new_tokens)
    warpers = LogitsProcessorList()
    if do_sample:
        warpers.append(TemperatureLogitsWarper(temperature))
        if top_k > 0:
            warpers.append(TopKLogitsWarper(top_k))
        if top_p < 1.0:
            warpers.append(TopPLogitsWarper(top_p))
    generator = torch.Generator(device=lm.device).manual_seed(seed)
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
            if do_sample:
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


def _prompt(meaning: str) -> Input:
    return Input("prompt", meaning, ja="プロンプト", en="prompt")


MODEL_CHOICE = Input("model_key", f"Which model: {MODEL_KEYS[0]} is abeja/gpt2-large-japanese, the book's model;"
                     f" {MODEL_KEYS[1]} is rinna/japanese-gpt2-small, faster on a CPU",
                     default=MODEL_KEYS[0], choices=MODEL_KEYS, ja="モデル", en="model")

NEXT_TOKEN = Task(
    "next_token", "The most likely next tokens after a Japanese prompt, with their probabilities, from a GPT-2"
    " (book sections 1.2 and 1.4).",
    inputs=(_prompt("The beginning of a text, in Japanese; only its last tokens are read if it is longer than the"
                    " model's 1,024 positions"), MODEL_CHOICE,
            Input("top_k", "How many candidates to return", int, DEFAULT_TOP_K, 1, MAX_TOP_K, ja="候補数", en="top-k"),
            Input("temperature", "Probabilities are softmax(logits / temperature), from the same logits: below 1"
                  " sharper (towards greedy), above 1 flatter", float, 1.0, 0.1, 3.0, 0.05, ja="温度", en="temperature",
                  shapes_answer=True)),
    returns=("A label: the most likely next token and the probability of each of the top_k candidates at this"
             " temperature (spaces shown as ␣, line breaks as ⏎)",
             "The text of the most likely next token, ready to append to the prompt"),
    forward=next_token_distribution, example=(EXAMPLES[0][0], MODEL_KEYS[0]))


def label_and_choices(answer: Answer) -> tuple[dict[str, float], Any]:
    candidates = at_temperature(answer.result, answer.inputs["temperature"])
    choices = [(f"{_visible(c.text)}  ({c.probability:.1%})", c.text) for c in candidates]
    return to_label(candidates), gr.update(choices=choices, value=choices[0][1] if choices else None)


# A classroom clicking the same example gets the first click's answer (Task.reuse).
next_token = NEXT_TOKEN.endpoint(label_and_choices)


@friendly_errors
def append_token(prompt: str, token: str | None) -> str:
    """Step-by-step generation: the chosen token joins the prompt."""
    if not token:
        raise InputError("追加するトークンを選んでください。 / Choose a token to append.")
    return (prompt or "") + token


def _sampling(name: str, meaning: str, kind: type, default: float, low: float, high: float, step: float,
              ja: str) -> Input:
    return Input(name, meaning, kind, default, low, high, step, ja=ja, en=name.replace("_", "-"), used_when="do_sample")


GENERATE = Task(
    "generate", "Continue a Japanese prompt with a GPT-2, token by token: greedy, or seeded sampling"
    " (book sections 1.2 and 1.4).",
    inputs=(_prompt("The beginning of a text, in Japanese"), MODEL_CHOICE,
            Input("max_new_tokens", "The most tokens to add; generation also stops at the end-of-text token", int,
                  DEFAULT_NEW_TOKENS, 1, MAX_NEW_TOKENS, ja="最大トークン数", en="max new tokens"),
            Input("do_sample", "False for greedy decoding, always the most likely token; True to sample with"
                  " temperature, top_p and top_k", bool, False),
            _sampling("temperature", "Sampling temperature; lower is more predictable", float, 1.0, 0.05, 2.0, 0.05,
                      "温度"),
            _sampling("top_p", "Nucleus sampling: sample among the most likely tokens whose probabilities add up to"
                      " top_p", float, 0.95, 0.01, 1.0, 0.01, "top-p"),
            _sampling("top_k", "Sample among the top_k most likely tokens (0 = no limit)", int, 50, 0,
                      MAX_SAMPLING_TOP_K, 1, "top-k"),
            _sampling("seed", "Random seed for sampling; the same seed and settings give the same text", int, 0, 0,
                      MAX_SEED, 1, "シード")),
    returns=("The prompt followed by the generated continuation, a string (streamed: each update is the text so far;"
             " a request identical to a recent finished one gets the finished text in one update)",),
    forward=generate_stream, gpu_seconds=gpu.LONG_SECONDS, example=(EXAMPLES[0][0], MODEL_KEYS[0]))


def prompt_and_continuation(continuations: Answer) -> Iterator[str]:
    prompt = continuations.inputs["prompt"]
    if not continuations.reused:
        yield prompt  # at once, before the model's first token
    for continuation in continuations:
        yield prompt + continuation


# The same prompt, model and settings give the same text (sampling is seeded): a classroom clicking
# the same example gets the first finished generation at once (Task.reuse).
generate = GENERATE.endpoint(prompt_and_continuation)


def build() -> dict[str, gr.Component]:
    explanation(texts.EXPLAINED("generation"))
    # Each choice shown as the model it will load (the operator may point a key at another model).
    model_key = MODEL_CHOICE.radio(lambda key: get_spec(key).resolve_id(), WORDS("model"), info=WORDS("model_info"))
    prompt = gr.Textbox(label=WORDS("prompt"), lines=4, value=EXAMPLES[0][0])
    with gr.Tab(WORDS("next_token_tab")):
        with gr.Row():
            with gr.Column():
                top_k_view = NEXT_TOKEN.input("top_k").slider(WORDS("top_k_shown"))
                next_temperature = NEXT_TOKEN.input("temperature").slider(WORDS("temperature"),
                                                                          info=WORDS("temperature_info"))
                predict_button = gr.Button(WORDS("predict_next"), variant="primary")
                choice = gr.Dropdown(label=WORDS("token_to_append"), choices=[])
                append_button = gr.Button(WORDS("append"))
            distribution = gr.Label(label=WORDS("next_token_probabilities"))
        from demos import inside  # here: inside reads every tab's Task

        inside.section(["next_token"], [prompt], model_key)
    with gr.Tab(WORDS("generate_tab")):
        with gr.Row():
            with gr.Column():
                max_new_tokens = GENERATE.input("max_new_tokens").slider(COMMON("max_new_tokens"))
                do_sample = gr.Checkbox(value=GENERATE.input("do_sample").default, label=WORDS("sample"))
                temperature = GENERATE.input("temperature").slider(WORDS("temperature"))
                top_p = GENERATE.input("top_p").slider(WORDS("top_p"))
                top_k = GENERATE.input("top_k").slider(WORDS("top_k"))
                seed = GENERATE.input("seed").number_box(COMMON("seed"))
                with gr.Row():
                    generate_button = gr.Button(WORDS("generate"), variant="primary")
                    stop = stop_button(COMMON("stop"))
            output = gr.Textbox(label=WORDS("generated"), lines=10, buttons=["copy"], interactive=False)
    predict_inputs = [prompt, model_key, top_k_view, next_temperature]
    predict = predict_button.click(next_token, inputs=predict_inputs, outputs=[distribution, choice],
                                   api_name="next_token")
    # Moving the temperature reshapes the kept logits at once: the answer is reused, no new forward pass.
    next_temperature.release(next_token, inputs=predict_inputs, outputs=[distribution, choice],
                             api_visibility="private")
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
