"""The baseline for page-ready time: the book's way, every pipeline built at start-up, then serve.

It builds a pipeline (or, for the T5 summarizer, the model and tokenizer) for
every registry key from the same JNLP_MODEL_* folders the app uses, and only
then launches the same UI. The benchmark times `python -m bench.eager_app`
against `python app.py`.
"""

from __future__ import annotations

import os

from models.registry import get_spec

EAGER_KEYS = ("SENTIMENT", "NLI", "STS", "SIMCSE", "NER", "SUMMARIZATION", "GENERATION", "GENERATION_SMALL")


def build_everything() -> dict[str, object]:
    import torch
    from transformers import AutoModelForSeq2SeqLM, AutoTokenizer, pipeline

    device = torch.device("cuda:0") if torch.cuda.is_available() else torch.device("cpu")
    built: dict[str, object] = {}
    for key in EAGER_KEYS:
        spec = get_spec(key)
        model_id = spec.resolve_id()
        if spec.task == "summarization":
            built[key] = (AutoTokenizer.from_pretrained(model_id),
                          AutoModelForSeq2SeqLM.from_pretrained(model_id).to(device))
        else:
            built[key] = pipeline(task=spec.task, model=model_id, device=device, **spec.pipeline_kwargs)
    return built


if __name__ == "__main__":
    pipelines = build_everything()
    from app import demo

    demo.launch(server_name=os.environ.get("GRADIO_SERVER_NAME", "127.0.0.1"))
