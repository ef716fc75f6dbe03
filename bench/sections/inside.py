"""Look inside: opening the steps against the tab's own click, Integrated Gradients against the passes it
must make, and the attention view, each beside its baseline in the same run.

- steps: the click, then the section opened on the same input (recent answers on, as served): the
  steps read the click's pass, so their cost over the click is the Markdown and the spans.
- saliency: Integrated Gradients (32 steps, batched) on a 64-token review, beside Captum's own
  unbatched walk (internal_batch_size=1, what a script that does not set it gets per step) and beside
  the floor: one batched forward and backward pass of the same 32 interpolated inputs, whose
  arithmetic (counted by torch's FlopCounterMode) at this CPU's best dense-layer rate bounds any code.
- attention: the view on 128 tokens beside the tab's click on the same text.
"""

from __future__ import annotations

import os
import time

import numpy as np

from bench import measure
from bench.sections.common import Settings, dense_layer_peak_gflops, fitting_text


def inside(settings: Settings) -> dict:
    import torch
    from torch.utils.flop_counter import FlopCounterMode

    from demos import attention_map, inside as section, saliency, sentiment
    from models import attributions, loader
    from models.recent import RESULT_CACHE_ENV

    repeats = 3 if settings.quick else 10
    before = os.environ.get(RESULT_CACHE_ENV)
    os.environ[RESULT_CACHE_ENV] = "1"  # as served: the section reads the click's answer
    try:
        counter = iter(range(10**6))

        def fresh(text: str) -> str:
            return f"{text}（{next(counter)}）"  # a new input: the click itself is never a reused answer

        example = sentiment.SENTIMENT.example[0]
        sentiment.sentiment(fresh(example))  # loads the model
        click_times, steps_times = [], []
        for _ in range(repeats):
            text = fresh(example)
            started = time.perf_counter()
            sentiment.sentiment(text)
            clicked = time.perf_counter()
            section.steps_text(section.steps("sentiment", text))
            click_times.append(clicked - started)
            steps_times.append(time.perf_counter() - clicked)
        steps_share = [opened / click for opened, click in zip(steps_times, click_times)]

        review = fitting_text("SENTIMENT", 64)
        entry = loader.load("SENTIMENT")
        tokenizer, model = entry.tokenizer, entry.runner.model
        ids = tokenizer(review)["input_ids"]
        kept = {tokenizer.cls_token_id, tokenizer.sep_token_id}

        def ours():
            with loader.using("SENTIMENT"):
                attributions.attribute(model, ids, kept, attributions.LABEL, 0, attributions.INTEGRATED_GRADIENTS,
                                       32, tokenizer.pad_token_id)

        def one_at_a_time():
            from captum.attr import LayerIntegratedGradients

            def probability(input_ids):
                return torch.softmax(model(input_ids=input_ids).logits, dim=-1)[:, 0]

            inputs = torch.tensor([ids])
            baseline = torch.tensor([[i if i in kept else tokenizer.pad_token_id for i in ids]])
            LayerIntegratedGradients(probability, model.get_input_embeddings()).attribute(
                inputs, baselines=baseline, n_steps=32, internal_batch_size=1)

        def floor():  # the 32 interpolated inputs' forward and backward passes, and nothing else
            embeddings = model.get_input_embeddings()(torch.tensor([ids] * 32)).detach().requires_grad_(True)
            probability = torch.softmax(model(inputs_embeds=embeddings).logits, dim=-1)[:, 0].sum()
            torch.autograd.grad(probability, embeddings)

        saliency_repeats = 2 if settings.quick else 5
        ours_times, unbatched_times = measure.time_pair(ours, one_at_a_time, saliency_repeats)
        _, floor_times = measure.time_pair(ours, floor, saliency_repeats)
        # The floor's arithmetic, counted by torch, at this CPU's best dense-layer rate: the least time any
        # code could take for these passes here.
        with FlopCounterMode(display=False) as counted:
            floor()
        floor_flops = counted.get_total_flops()
        peak_gflops = dense_layer_peak_gflops(model, 2 if settings.quick else 7)
        gradient_times, _ = measure.time_pair(
            lambda: saliency.saliency("sentiment", review, method=attributions.GRADIENT_X_INPUT),
            lambda: sentiment.sentiment(review), saliency_repeats)

        long_text = fitting_text("SENTIMENT", 128)
        sentiment.sentiment(long_text)
        attention_times, click_128_times = measure.time_pair(
            lambda: attention_map.heatmap(attention_map.attention("sentiment", long_text)),
            lambda: sentiment.sentiment(fresh(long_text)), repeats)
    finally:
        if before is None:
            os.environ.pop(RESULT_CACHE_ENV, None)
        else:
            os.environ[RESULT_CACHE_ENV] = before
    median = lambda times: measure.summary(times)["p50_ms"] / 1000  # noqa: E731
    return {"steps": {"click_p50_ms": measure.summary(click_times)["p50_ms"],
                      "steps_p50_ms": measure.summary(steps_times)["p50_ms"],
                      "share_of_click_p50": float(np.median(steps_share))},
            "saliency": {"tokens": len(ids), "steps": 32, "integrated_gradients_s": median(ours_times),
                         "captum_unbatched_s": median(unbatched_times), "forward_backward_floor_s": median(floor_times),
                         "floor_tflop": floor_flops / 1e12, "dense_layer_peak_gflops": peak_gflops,
                         "floor_at_peak_s": floor_flops / peak_gflops / 1e9,
                         "gradient_x_input_view_s": median(gradient_times)},
            "attention": {"tokens": len(tokenizer(long_text)["input_ids"]), "view_s": median(attention_times),
                          "click_s": median(click_128_times)}}
