from models.registry import MODELS, get_spec

import pytest


def test_registry_has_every_chapter_1_1_key_with_an_explicit_task():
    assert {"SENTIMENT", "NLI", "STS", "SIMCSE", "NER", "SUMMARIZATION"} <= set(MODELS)
    for key, spec in MODELS.items():
        assert spec.key == key
        assert spec.task, key
        assert spec.description
        assert spec.env_var == f"JNLP_MODEL_{key}"


def test_defaults_are_the_books_models():
    assert get_spec("SENTIMENT").hub_id == "llm-book/bert-base-japanese-v3-marc_ja"
    assert get_spec("STS").hub_id == "llm-book/bert-base-japanese-v3-jsts"
    assert get_spec("SUMMARIZATION").hub_id == "llm-book/t5-base-long-livedoor-news-corpus"
    assert get_spec("NER").pipeline_kwargs["aggregation_strategy"] == "simple"


def test_environment_overrides_the_id_and_blank_is_ignored():
    spec = get_spec("NER")
    assert spec.resolve_id({}) == spec.hub_id
    assert spec.resolve_id({"JNLP_MODEL_NER": "/models/ner"}) == "/models/ner"
    assert spec.resolve_id({"JNLP_MODEL_NER": "  "}) == spec.hub_id
    assert spec.resolve_id({"JNLP_MODEL_NLI": "/elsewhere"}) == spec.hub_id


def test_specs_are_immutable():
    spec = get_spec("NER")
    with pytest.raises(Exception):
        spec.hub_id = "someone/else"  # type: ignore[misc]
    with pytest.raises(TypeError):
        spec.pipeline_kwargs["aggregation_strategy"] = "none"  # type: ignore[index]


def test_unknown_key_is_an_error():
    with pytest.raises(KeyError, match="unknown model key"):
        get_spec("NOPE")


def test_contextual_key_is_the_pretrained_bert_as_fill_mask():
    spec = get_spec("CONTEXTUAL")
    assert spec.hub_id == "cl-tohoku/bert-base-japanese-v3" and spec.task == "fill-mask"
    assert spec.resolve_id({"JNLP_MODEL_CONTEXTUAL": "/models/bert"}) == "/models/bert"
