"""oneDNN's kernels for the dense layers: swapped in only when wanted, same outputs, no second copy."""

import pytest

from demos import contextual, generation, nli, sentiment, summarization
from demos.common import classify
from fixtures import tiny
from models import cpu_kernels, loader, tunings


@pytest.fixture(autouse=True)
def fresh_cache():
    loader.unload_all()
    yield
    loader.unload_all()


def _layer_kinds(model) -> dict[str, int]:
    kinds: dict[str, int] = {}
    for module in model.modules():
        if "Linear" in type(module).__name__ or type(module).__name__ == "Conv1D":
            kinds[type(module).__name__] = kinds.get(type(module).__name__, 0) + 1
    return kinds


def _checkpoint_mapped(folder) -> bool:
    """Whether this process still maps a weight file of the checkpoint in `folder` (Linux)."""
    with open("/proc/self/maps") as maps:
        return any(str(folder) in line and ".safetensors" in line for line in maps)


@pytest.mark.parametrize(("raw", "expected"), [("", "auto"), ("auto", "auto"), (" AUTO ", "auto"), ("1", "1"),
                                               ("0", "0")])
def test_the_setting_is_read(raw, expected):
    assert cpu_kernels.onednn_setting({cpu_kernels.ONEDNN_ENV: raw}) == expected


def test_a_setting_not_understood_is_refused():
    from models import settings

    with pytest.raises(settings.SettingError, match=r"JNLP_ONEDNN='yes': use auto"):
        cpu_kernels.onednn_setting({cpu_kernels.ONEDNN_ENV: "yes"})


@pytest.mark.parametrize(("setting", "engine", "expected"), [
    ("auto", "torch", True), ("1", "torch", True), ("0", "torch", False),
    ("auto", "onnxruntime", False),  # every model runs on ONNX Runtime: nothing to swap
])
def test_auto_swaps_on_any_cpu_and_the_operator_turns_it_off(monkeypatch, setting, engine, expected):
    monkeypatch.setenv(cpu_kernels.ONEDNN_ENV, setting)
    monkeypatch.setenv("JNLP_ENGINE", engine)
    assert cpu_kernels.kernels_available()  # this torch has them: the answer depends on the settings only
    assert cpu_kernels.wanted("text-classification") is cpu_kernels.wanted("text-generation") is expected
    assert cpu_kernels.wanted("summarization") is expected
    assert cpu_kernels.wanted("tokenizer") is False  # no dense layer to swap


def test_a_torch_without_the_kernels_keeps_its_own(monkeypatch):
    monkeypatch.setenv(cpu_kernels.ONEDNN_ENV, "1")
    monkeypatch.setattr(cpu_kernels, "kernels_available", lambda: False)
    assert not cpu_kernels.wanted("text-generation")


def _outputs(monkeypatch, model_env, setting):
    """Sentiment, NLI, the summariser, GPT-2 and contextual vectors on the app's examples, and their layers."""
    for name, value in model_env.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv(cpu_kernels.ONEDNN_ENV, setting)
    loader.unload_all()
    scores = [classify(loader.load("SENTIMENT"), text).probabilities for (text,) in sentiment.EXAMPLES]
    scores += [classify(loader.load("NLI"), premise, hypothesis).probabilities for premise, hypothesis in nli.EXAMPLES]
    summary = summarization.summarize_article(loader.load("SUMMARIZATION"), summarization.EXAMPLES[0][0],
                                              max_new_tokens=12)
    vectors = contextual._hidden_states(loader.load("CONTEXTUAL"), [["東京", "へ", "行く"]], layer=2)
    *_, continuation = generation.generate_stream(loader.load("GENERATION"), generation.EXAMPLES[0][0], 12)
    layers = {key: _layer_kinds(loader.load(key).runner.model)
              for key in ("SENTIMENT", "CONTEXTUAL", "SUMMARIZATION", "GENERATION")}
    return scores, (summary, continuation), vectors, layers


def test_swapped_layers_give_the_same_outputs(monkeypatch, model_env):
    default_scores, default_summary, default_vectors, default_layers = _outputs(monkeypatch, model_env, "0")
    scores, summary, vectors, layers = _outputs(monkeypatch, model_env, "1")
    # Off, torch's layers; on, every dense layer became a packed oneDNN one, in BERT, T5 and GPT-2 alike.
    assert "PackedLinear" not in default_layers["SENTIMENT"]
    assert layers["SENTIMENT"] == {"PackedLinear": default_layers["SENTIMENT"]["Linear"]}
    assert layers["CONTEXTUAL"] == {"PackedLinear": default_layers["CONTEXTUAL"]["Linear"]}
    # T5's too, and GPT-2's Conv1D layers; in both fixtures the output layer shares the embedding
    # matrix and stays.
    assert layers["SUMMARIZATION"] == {"Linear": 1, "PackedLinear": default_layers["SUMMARIZATION"]["Linear"] - 1}
    assert default_layers["GENERATION"]["Linear"] == 1 and default_layers["GENERATION"]["Conv1D"] > 0
    assert layers["GENERATION"] == {"Linear": 1, "PackedLinear": default_layers["GENERATION"]["Conv1D"]}
    # The same float32 arithmetic, summed in another order.
    for exact, swapped in zip(default_scores, scores, strict=True):
        assert swapped == pytest.approx(exact, abs=1e-5)
    assert summary == default_summary  # the summary and GPT-2's greedy continuation, token for token
    assert vectors == pytest.approx(default_vectors, abs=1e-4)


def test_after_a_swap_the_checkpoint_file_is_no_longer_mapped(monkeypatch, model_env, checkpoint_dir):
    """Its pages would otherwise stay resident beside the copies oneDNN made of them."""
    for name, value in model_env.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv(cpu_kernels.ONEDNN_ENV, "0")
    entry = loader.load("NLI")
    assert _checkpoint_mapped(checkpoint_dir["NLI"])  # how transformers loads it: the test can see a mapping
    del entry
    loader.unload_all()
    monkeypatch.setenv(cpu_kernels.ONEDNN_ENV, "1")
    entry = loader.load("NLI")
    assert classify(entry, *nli.EXAMPLES[0]).probabilities
    assert not _checkpoint_mapped(checkpoint_dir["NLI"])


def test_a_model_with_nothing_to_swap_keeps_its_tensors():
    """Nothing is copied when no layer is swapped (a mapped checkpoint stays mapped, not duplicated)."""
    import torch

    model = torch.nn.Sequential(torch.nn.Embedding(10, 4), torch.nn.LayerNorm(4))
    before = {name: tensor.data_ptr() for name, tensor in model.state_dict().items()}
    assert cpu_kernels.use_faster_kernels(model) == 0
    assert {name: tensor.data_ptr() for name, tensor in model.state_dict().items()} == before


def test_a_layer_tied_to_the_embeddings_is_left_shared(tmp_path):
    import torch
    from transformers import BertForMaskedLM

    tokenizer = tiny.build_bert_tokenizer(tmp_path)
    config = tiny._bert_config(len(tokenizer.vocab), tie_word_embeddings=True)
    torch.manual_seed(0)
    model = BertForMaskedLM(config).eval()
    inputs = tokenizer("東京へ行く", return_tensors="pt")
    with torch.inference_mode():
        expected = model(**inputs).logits
    swapped = cpu_kernels.use_faster_kernels(model)
    assert swapped == _layer_kinds(model)["PackedLinear"] > 0
    # The output layer still reads the very embedding matrix, not a copy of it.
    assert model.cls.predictions.decoder.weight is model.bert.embeddings.word_embeddings.weight
    with torch.inference_mode():
        assert torch.allclose(model(**inputs).logits, expected, atol=1e-4)


def test_quantised_layers_stay_quantised(monkeypatch, model_env):
    for name, value in model_env.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv(cpu_kernels.ONEDNN_ENV, "1")
    monkeypatch.setenv(cpu_kernels.QUANTIZE_ENV, "int8")
    model = loader.load("SENTIMENT").runner.model
    assert "PackedLinear" not in _layer_kinds(model)
    # Every Linear was quantised first (the quantised class is also called Linear, in torch.ao).
    layers = [type(m).__module__ for m in model.modules() if type(m).__name__ == "Linear"]
    assert layers and all(module.startswith("torch.ao") for module in layers)


@pytest.mark.parametrize("value", ["yes", "on", "2", "onednn"])
def test_a_setting_that_is_not_understood_stops_the_app_with_a_clear_message(value):
    import app

    with pytest.raises(ValueError, match=f"JNLP_ONEDNN='{value}': use auto .* 1 .* or 0"):
        app.launch_settings({cpu_kernels.ONEDNN_ENV: value})
    for accepted in ("", "auto", "1", "0"):
        app.launch_settings({cpu_kernels.ONEDNN_ENV: accepted})


def test_a_half_precision_model_is_left_as_it_is(tmp_path):
    """Its activations are bfloat16: a float32 oneDNN weight would not take them."""
    import torch
    from transformers import BertForSequenceClassification

    tokenizer = tiny.build_bert_tokenizer(tmp_path)
    model = BertForSequenceClassification(tiny._bert_config(len(tokenizer.vocab))).to(torch.bfloat16).eval()
    assert cpu_kernels.use_faster_kernels(model) == 0
    with torch.inference_mode():
        assert model(**tokenizer("東京へ行く", return_tensors="pt")).logits.dtype == torch.bfloat16


def test_a_large_model_answers_at_once_and_is_packed_in_the_background(monkeypatch, model_env):
    """Above PACK_IN_BACKGROUND_BYTES the first click does not wait for packing, and the swap waits for
    the model's lock: no request runs on a model whose layers change under it."""
    import threading

    for name, value in model_env.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv(cpu_kernels.ONEDNN_ENV, "1")
    monkeypatch.setattr(tunings, "PACK_IN_BACKGROUND_BYTES", 0)  # the tiny GPT-2 counts as large
    may_pack, packed = threading.Event(), threading.Event()
    real_packed_layers = cpu_kernels.packed_layers

    def held_back(model):
        assert may_pack.wait(30)
        replacements = real_packed_layers(model)
        packed.set()
        return replacements

    monkeypatch.setattr(cpu_kernels, "packed_layers", held_back)
    entry = loader.load("GENERATION")
    model = entry.runner.model
    conv1d = _layer_kinds(model)["Conv1D"]
    assert not entry.layers_final.is_set()
    assert tunings.kernels(loader.loaded_entries()["GENERATION"]) == tunings.PACKING_FOR_ONEDNN
    # It answers on torch's layers while its packed ones are being made.
    with loader.using("GENERATION") as running:
        *_, first = generation.generate_stream(running, generation.EXAMPLES[0][0], 8)
        may_pack.set()
        assert packed.wait(30)
        # Packed, but not swapped in while a request holds the model.
        assert _layer_kinds(model) == {"Linear": 1, "Conv1D": conv1d}
    assert entry.layers_final.wait(30)
    assert _layer_kinds(model) == {"Linear": 1, "PackedLinear": conv1d}
    assert tunings.kernels(loader.loaded_entries()["GENERATION"]) == tunings.ONEDNN_KERNELS
    assert entry.onednn_layers == conv1d
    with loader.using("GENERATION") as running:
        *_, second = generation.generate_stream(running, generation.EXAMPLES[0][0], 8)
    assert second == first


def test_a_model_evicted_while_its_layers_are_packed_is_left_alone(monkeypatch, model_env):
    import threading

    for name, value in model_env.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv(cpu_kernels.ONEDNN_ENV, "1")
    monkeypatch.setattr(tunings, "PACK_IN_BACKGROUND_BYTES", 0)
    may_pack = threading.Event()
    real_packed_layers = cpu_kernels.packed_layers
    monkeypatch.setattr(cpu_kernels, "packed_layers", lambda model: may_pack.wait(30) and real_packed_layers(model))
    entry = loader.load("GENERATION")
    loader.unload_all()
    may_pack.set()
    assert entry.layers_final.wait(30)
    assert "PackedLinear" not in _layer_kinds(entry.runner.model)


def test_gradients_flow_through_packed_layers_as_through_torchs(tmp_path):
    """oneDNN's operator has no backward: the saliency views' gradients take the plain weight instead, and
    equal those of the unswapped model (without the fallback, autograd finds the input unused)."""
    import copy

    import torch
    from transformers import BertForSequenceClassification

    tokenizer = tiny.build_bert_tokenizer(tmp_path)
    torch.manual_seed(0)
    plain = BertForSequenceClassification(tiny._bert_config(len(tokenizer.vocab), num_labels=2)).eval()
    packed = copy.deepcopy(plain)
    assert cpu_kernels.use_faster_kernels(packed) > 0
    ids = tokenizer("東京へ行く", return_tensors="pt")["input_ids"]

    def input_gradient(model):
        embedded = model.bert.embeddings.word_embeddings(ids).detach().requires_grad_(True)
        model(inputs_embeds=embedded).logits[0, 1].backward()
        return embedded.grad

    expected, swapped = input_gradient(plain), input_gradient(packed)
    assert swapped.abs().sum() > 0 and torch.allclose(swapped, expected, atol=1e-5)


def test_the_anatomy_of_a_packed_model_counts_its_packed_weights(tmp_path):
    """The look-inside anatomy reads parameters; packed layers keep their weights as buffers."""
    import copy

    import torch
    from transformers import BertForSequenceClassification

    from demos.inside import parts_of

    tokenizer = tiny.build_bert_tokenizer(tmp_path)
    torch.manual_seed(0)
    plain = BertForSequenceClassification(tiny._bert_config(len(tokenizer.vocab), num_labels=2)).eval()
    packed = copy.deepcopy(plain)
    assert cpu_kernels.use_faster_kernels(packed) > 0
    assert parts_of(packed, False) == parts_of(plain, False)
    assert parts_of(plain, False)["total"] == sum(p.numel() for p in plain.parameters())
