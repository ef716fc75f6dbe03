"""Generation tab: next-token probabilities and a streamed, reproducible generation loop."""

import math

import pytest
import torch

from demos import generation
from demos.common import InputError

PROMPT = "今日は天気が良いので"


@pytest.fixture
def model(load_model):
    return load_model("GENERATION")


def test_top_k_is_sorted_probabilities_of_the_models_distribution(model):
    result = generation.next_token_distribution(model, PROMPT, top_k=5)
    candidates = result.candidates
    assert len(candidates) == 5
    probabilities = [c.probability for c in candidates]
    assert probabilities == sorted(probabilities, reverse=True)
    assert all(0.0 <= p <= 1.0 for p in probabilities) and sum(probabilities) <= 1.0 + 1e-6

    lm, tokenizer = model.runner.model, model.tokenizer
    ids = tokenizer(PROMPT, add_special_tokens=False, return_tensors="pt")["input_ids"]
    assert tokenizer.eos_token_id not in ids[0].tolist()  # no </s> appended to the prompt
    with torch.no_grad():
        expected = torch.softmax(lm(ids).logits[0, -1], dim=-1)
    top = torch.topk(expected, 5)
    assert [c.token_id for c in candidates] == top.indices.tolist()
    assert probabilities == pytest.approx(top.values.tolist(), abs=1e-6)
    # The stages are the same pass: the prompt's ids and the logits the probabilities come from.
    assert result.stages.ids == tuple(ids[0].tolist()) and result.stages.rows == (ids.shape[1] - 1,)
    assert torch.softmax(torch.tensor(result.stages.outputs), -1)[top.indices].tolist() == pytest.approx(
        top.values.tolist(), abs=1e-6)


def test_label_keys_stay_distinct():
    candidates = [generation.Candidate(5, " ", 0.5), generation.Candidate(6, " ", 0.25),
                  generation.Candidate(7, "\n", 0.1)]
    assert generation.to_label(candidates) == {"␣": 0.5, "␣ (id 6)": 0.25, "⏎": 0.1}


def test_greedy_generation_equals_the_models_own_generate(model):
    lm, tokenizer = model.runner.model, model.tokenizer
    steps = list(generation.generate_stream(model, PROMPT, max_new_tokens=12))
    ids = tokenizer(PROMPT, add_special_tokens=False, return_tensors="pt")["input_ids"]
    with torch.no_grad():
        output = lm.generate(ids, attention_mask=torch.ones_like(ids), max_new_tokens=12, do_sample=False,
                             pad_token_id=tokenizer.pad_token_id)
    assert steps[-1] == tokenizer.decode(output[0, ids.shape[1]:], skip_special_tokens=True)
    assert list(generation.generate_stream(model, PROMPT, max_new_tokens=12)) == steps  # deterministic


def test_streaming_yields_growing_text_within_the_cap(model):
    steps = list(generation.generate_stream(model, PROMPT, max_new_tokens=8))
    assert 1 <= len(steps) <= 8
    assert [len(s) for s in steps] == sorted(len(s) for s in steps)


def test_seed_makes_sampling_reproducible(model):
    def sample(seed):
        return list(generation.generate_stream(model, PROMPT, 10, True, 1.5, 1.0, 0, seed))[-1]

    assert sample(7) == sample(7)
    assert len({sample(seed) for seed in range(5)}) > 1


@pytest.mark.parametrize(
    "raw, expected",
    [((True, math.nan, 2.0, -3, -1), (1.0, 1.0, 0, 0)), ((True, 99, 0.0, 10**9, 2**40), (2.0, 0.01, 500, 2**31 - 1))],
)
def test_sampling_settings_are_clamped(raw, expected):
    checked = generation.GENERATE.checked(PROMPT, "GENERATION", 10, *raw)
    assert (checked["temperature"], checked["top_p"], checked["top_k"], checked["seed"]) == expected


def test_max_new_tokens_above_the_cap_is_capped(model):
    steps = list(generation.GENERATE.compute(model, "今日", "GENERATION", 10**6))
    assert len(steps) <= generation.MAX_NEW_TOKENS


def test_long_prompt_keeps_its_end_within_the_positions(model):
    steps = list(generation.generate_stream(model, PROMPT * 200, max_new_tokens=5))
    assert steps and len(steps) <= 5


def test_only_registry_keys_can_be_chosen():
    with pytest.raises(InputError):
        generation.MODEL_CHOICE.check("gpt2")
    assert generation.MODEL_CHOICE.check("GENERATION_SMALL") == "GENERATION_SMALL"


def test_blank_prompt_is_refused(model):
    with pytest.raises(InputError):
        generation.NEXT_TOKEN.compute(model, "  ")


def test_closing_a_stream_releases_the_model_for_others(model_env, monkeypatch):
    """Gradio closes a streaming handler when its client disconnects: the model's lock must come free."""
    from demos import generation
    from models import loader

    for name, value in model_env.items():
        monkeypatch.setenv(name, value)
    stream = generation.generate("今日は", "GENERATION", 50)
    next(stream)
    next(stream)
    entry = loader.load("GENERATION")
    assert entry.lock.locked()  # the stream holds the model while it runs
    stream.close()
    assert not entry.lock.locked()


def test_a_repeated_generation_is_answered_from_the_first_one_at_once(model, monkeypatch, count_forward):
    monkeypatch.delenv("JNLP_RESULT_CACHE", raising=False)
    runs = count_forward("generate")
    first = list(generation.generate(PROMPT, "GENERATION", 6))
    again = list(generation.generate(PROMPT, "GENERATION", 6))
    assert len(runs) == 1 and len(first) == 7  # the prompt, then six tokens one by one
    assert again == [first[-1]]  # the finished text in one update
    # Greedy: sampling sliders moved without sampling change nothing, and reuse the same text.
    assert list(generation.generate(PROMPT, "GENERATION", 6, False, 0.3, 0.5, 3, 7)) == [first[-1]]
    # Another length, or sampling, is another request.
    list(generation.generate(PROMPT, "GENERATION", 5))
    sampled = list(generation.generate(PROMPT, "GENERATION", 6, True, 1.0, 0.95, 50, 1))
    assert len(runs) == 3 and list(generation.generate(PROMPT, "GENERATION", 6, True, 1.0, 0.95, 50, 1)) == [
        sampled[-1]]


def test_a_generation_cut_short_by_stop_is_never_reused(model, monkeypatch, count_forward):
    monkeypatch.delenv("JNLP_RESULT_CACHE", raising=False)
    runs = count_forward("generate")
    stream = generation.generate(PROMPT, "GENERATION", 6)
    next(stream), next(stream)
    stream.close()  # what Stop does
    whole = list(generation.generate(PROMPT, "GENERATION", 6))
    assert len(runs) == 2 and len(whole) == 7


def test_a_repeated_next_token_request_runs_the_model_once(model, monkeypatch, count_forward):
    monkeypatch.delenv("JNLP_RESULT_CACHE", raising=False)
    runs = count_forward("next_token")
    first = generation.next_token(PROMPT, "GENERATION", 5)
    assert generation.next_token(PROMPT, "GENERATION", 5) == first and len(runs) == 1
    generation.next_token(PROMPT, "GENERATION", 4)
    assert len(runs) == 2


def test_with_the_cache_off_every_request_runs_the_model(model, monkeypatch, count_forward):
    monkeypatch.setenv("JNLP_RESULT_CACHE", "0")
    runs = count_forward("generate")
    assert list(generation.generate(PROMPT, "GENERATION", 3)) == list(generation.generate(PROMPT, "GENERATION", 3))
    assert len(runs) == 2


def test_the_tab_starts_on_the_small_model_without_a_gpu_and_on_the_books_with_one(monkeypatch, tmp_path):
    from models import gpu

    driver = tmp_path / "nvidia-version"
    monkeypatch.delenv(gpu.ZERO_GPU_ENV, raising=False)
    monkeypatch.setattr(gpu, "NVIDIA_DRIVER_FILE", str(driver))
    assert generation.starting_model() == "GENERATION_SMALL"
    driver.write_text("NVRM version: 550")
    assert generation.starting_model() == "GENERATION"
    driver.unlink()
    monkeypatch.setenv(gpu.ZERO_GPU_ENV, "true")
    assert generation.starting_model() == "GENERATION"


def test_temperature_reshapes_the_kept_logits_without_a_new_forward_pass(model, monkeypatch, count_forward):
    monkeypatch.delenv("JNLP_RESULT_CACHE", raising=False)
    calls = count_forward("next_token")
    plain, _ = generation.next_token(PROMPT, "GENERATION", 5)
    sharp, _ = generation.next_token(PROMPT, "GENERATION", 5, 0.5)
    flat, _ = generation.next_token(PROMPT, "GENERATION", 5, 3.0)
    assert len(calls) == 1  # one pass; the temperature only reshapes its logits
    assert list(sharp) == list(flat) == list(plain)  # dividing by T keeps the order
    result = generation.next_token_distribution(model, PROMPT, 5)
    expected = torch.softmax(torch.tensor(result.stages.outputs, dtype=torch.float64) / 0.5, -1)
    assert [c.probability for c in generation.at_temperature(result, 0.5)] == pytest.approx(
        expected[[c.token_id for c in result.candidates]].tolist(), abs=1e-9)
    top = next(iter(plain))
    assert sharp[top] > plain[top] > flat[top]  # T < 1 sharpens, T > 1 flattens
    assert generation.at_temperature(result, 1.0) == result.candidates
