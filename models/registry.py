"""The model registry: the only place where Hub model ids live.

Each demo asks for a model by its key (``"SENTIMENT"``, ``"NER"`` …). The operator
can point any key at another Hub id or at a local folder with the environment
variable ``JNLP_MODEL_<KEY>``; requests from users can never choose a model id.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

ENV_PREFIX = "JNLP_MODEL_"


@dataclass(frozen=True)
class ModelSpec:
    """What the loader needs to know about one model key."""

    key: str
    hub_id: str
    # The transformers pipeline task: transformers 5 cannot infer it for a local folder or offline.
    # "summarization" is no pipeline in transformers 5: the loader builds a tokenizer + seq2seq model.
    task: str
    description: str
    pipeline_kwargs: Mapping[str, object] = field(default_factory=lambda: MappingProxyType({}))

    @property
    def env_var(self) -> str:
        return ENV_PREFIX + self.key

    def resolve_id(self, environ: Mapping[str, str] | None = None) -> str:
        """The Hub id or local folder to load: the operator's override, else the default."""
        environ = os.environ if environ is None else environ
        return environ.get(self.env_var, "").strip() or self.hub_id


def _spec(key: str, hub_id: str, task: str, description: str, **pipeline_kwargs: object) -> ModelSpec:
    return ModelSpec(key, hub_id, task, description, MappingProxyType(dict(pipeline_kwargs)))


MODELS: Mapping[str, ModelSpec] = MappingProxyType(
    {
        spec.key: spec
        for spec in (
            _spec(
                "SENTIMENT",
                "llm-book/bert-base-japanese-v3-marc_ja",
                "text-classification",
                "BERT fine-tuned on MARC-ja (Amazon reviews): positive / negative.",
            ),
            _spec(
                "NLI",
                "llm-book/bert-base-japanese-v3-jnli",
                "text-classification",
                "BERT fine-tuned on JNLI: entailment / contradiction / neutral.",
            ),
            _spec(
                "STS",
                "llm-book/bert-base-japanese-v3-jsts",
                "text-classification",
                "BERT fine-tuned on JSTS: a similarity score from 0 to 5 (regression).",
            ),
            _spec(
                "SIMCSE",
                "llm-book/bert-base-japanese-v3-unsup-simcse-jawiki",
                "feature-extraction",
                "Unsupervised SimCSE sentence embeddings trained on Japanese Wikipedia.",
            ),
            _spec(
                "NER",
                "llm-book/bert-base-japanese-v3-ner-wikipedia-dataset",
                "token-classification",
                "BERT fine-tuned for named entities (Stockmark Wikipedia NER dataset, 8 types).",
                aggregation_strategy="simple",
            ),
            _spec(
                "SUMMARIZATION",
                "llm-book/t5-base-long-livedoor-news-corpus",
                "summarization",
                "T5 fine-tuned to write titles for livedoor news articles.",
            ),
            _spec(
                "GENERATION",
                "abeja/gpt2-large-japanese",
                "text-generation",
                "GPT-2 large (about 0.7B parameters) trained on Japanese text, as in the book.",
            ),
            _spec(
                "GENERATION_SMALL",
                "rinna/japanese-gpt2-small",
                "text-generation",
                "A small Japanese GPT-2 (about 0.1B parameters), quick on a CPU.",
            ),
            _spec(
                "CONTEXTUAL",
                "cl-tohoku/bert-base-japanese-v3",
                "fill-mask",
                "Pre-trained Japanese BERT (masked language model): contextual embeddings and fill-mask.",
            ),
        )
    }
)


def get_spec(key: str) -> ModelSpec:
    """The spec for a registry key; an unknown key is a programming error."""
    try:
        return MODELS[key]
    except KeyError:
        raise KeyError(f"unknown model key {key!r}; known keys: {', '.join(MODELS)}") from None
