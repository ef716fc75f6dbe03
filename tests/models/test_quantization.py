"""The optional int8 switch: faster Linear layers, the same labels on the app's examples."""

import pytest

from demos import ner, nli, sentiment
from demos.common import classify
from fixtures import tiny
from fixtures.text import NLI_LABELS, SENTIMENT_LABELS
from models import cpu_kernels, loader


def _random_classifier(folder, labels, seed):
    import torch
    from transformers import BertForSequenceClassification

    tokenizer = tiny.build_bert_tokenizer(folder)
    config = tiny._bert_config(len(tokenizer.vocab), num_labels=len(labels), id2label=dict(enumerate(labels)),
                                      label2id={label: i for i, label in enumerate(labels)}, initializer_range=0.2)
    torch.manual_seed(seed)
    BertForSequenceClassification(config).eval().save_pretrained(folder)
    return folder


@pytest.fixture(scope="module")
def random_classifiers(tmp_path_factory):
    """Classifiers with random weights everywhere (not hand-set), so quantisation has something to move."""
    base = tmp_path_factory.mktemp("quantize")
    return {
        "SENTIMENT": _random_classifier(base / "sentiment", SENTIMENT_LABELS, seed=3),
        "NLI": _random_classifier(base / "nli", NLI_LABELS, seed=4),
    }


@pytest.fixture(autouse=True)
def fresh_cache():
    loader.unload_all()
    yield
    loader.unload_all()


def _scores(monkeypatch, folders, quantize: bool):
    monkeypatch.setenv(cpu_kernels.QUANTIZE_ENV, "int8" if quantize else "")
    monkeypatch.setenv(cpu_kernels.ONEDNN_ENV, "0")  # full precision on torch's own layers, whatever the CPU
    for key, folder in folders.items():
        monkeypatch.setenv(f"JNLP_MODEL_{key}", str(folder))
    loader.unload_all()
    results = [classify(loader.load("SENTIMENT"), text) for (text,) in sentiment.EXAMPLES]
    results += [classify(loader.load("NLI"), premise, hypothesis) for premise, hypothesis in nli.EXAMPLES]
    linear_kinds = {type(m).__module__ for m in loader.load("SENTIMENT").runner.model.modules()
                    if type(m).__name__ == "Linear"}
    return [r.probabilities for r in results], linear_kinds


def test_int8_gives_the_same_labels_on_the_apps_examples(monkeypatch, random_classifiers):
    full, full_layers = _scores(monkeypatch, random_classifiers, quantize=False)
    int8, int8_layers = _scores(monkeypatch, random_classifiers, quantize=True)
    # The switch really swapped the layers: torch.nn's Linear for the dynamically quantised one.
    assert full_layers == {"torch.nn.modules.linear"}
    assert int8_layers == {"torch.ao.nn.quantized.dynamic.modules.linear"}
    for exact, quantized in zip(full, int8):
        assert max(exact, key=exact.get) == max(quantized, key=quantized.get)
        assert quantized == pytest.approx(exact, abs=0.05)
        assert quantized != exact  # int8 did run: the scores moved a little


def test_quantisation_is_off_by_default(load_model, monkeypatch):
    monkeypatch.delenv(cpu_kernels.QUANTIZE_ENV, raising=False)
    model = load_model("NER").runner.model
    layers = [type(m).__module__ for m in model.modules() if "Linear" in type(m).__name__]
    assert layers and not any(module.startswith("torch.ao") for module in layers)
    assert ner.ner("東京へ")[1][0][:2] == ["東京", "地名"]
