"""Per-request latency: handler vs bare model."""

from __future__ import annotations

import numpy as np

from bench import measure
from bench.sections.common import Settings, fitting_text


def _endpoint_calls(settings: Settings) -> dict[str, dict[str, tuple]]:
    """{endpoint: {input name: (handler call, bare call)}} on the app's own examples and a long input."""
    import torch

    from demos import contextual, generation, ner, nli, sentiment, similarity, summarization
    from models.loader import load as load_now

    def load(key):
        """A model on its final layers: a large one is packed in the background after it loads."""
        entry = load_now(key)
        entry.layers_final.wait()
        return entry

    calls: dict[str, dict[str, tuple]] = {}

    def classification(name, key, handler, bare_kwargs, examples):
        pipe = load(key).runner
        calls[name] = {}
        for label, args in examples.items():
            inputs = args[0] if len(args) == 1 else {"text": args[0], "text_pair": args[1]}
            calls[name][label] = (lambda a=args: handler(*a),
                                  lambda i=inputs: pipe(i, top_k=None, truncation=True, max_length=512, **bare_kwargs))

    bert_512 = fitting_text("SENTIMENT", 512)
    half = fitting_text("SENTIMENT", 256)  # a pair of these is about 512 tokens
    classification("sentiment", "SENTIMENT", sentiment.sentiment, {},
                   {"example": (sentiment.EXAMPLES[0][0],), "512 tokens": (bert_512,)})
    classification("nli", "NLI", nli.nli, {}, {"example": tuple(nli.EXAMPLES[0]), "512 tokens": (half, half)})
    classification("sts", "STS", similarity.sts, {"function_to_apply": "none"},
                   {"example": tuple(similarity.EXAMPLES[0]), "512 tokens": (half, half)})

    simcse_pipe = load("SIMCSE").runner

    def bare_simcse(a, b):
        outputs = simcse_pipe([a, b], tokenize_kwargs={"truncation": True, "max_length": 512})
        first, second = (np.asarray(o)[0][0] for o in outputs)
        return float(first @ second / (np.linalg.norm(first) * np.linalg.norm(second)))

    calls["simcse"] = {label: (lambda a=a, b=b: similarity.simcse(a, b), lambda a=a, b=b: bare_simcse(a, b))
                       for label, (a, b) in {"example": tuple(similarity.EXAMPLES[0]),
                                             "512 tokens": (bert_512, bert_512)}.items()}

    ner_pipe = load("NER").runner
    calls["ner"] = {label: (lambda t=text: ner.ner(t), lambda t=text: ner_pipe(t))
                    for label, text in {"example": ner.EXAMPLES[0][0], "512 tokens": bert_512}.items()}

    seq2seq = load("SUMMARIZATION").runner

    def bare_summary(article):
        inputs = seq2seq.tokenizer(article, truncation=True, max_length=512, return_tensors="pt").to(seq2seq.device)
        with torch.inference_mode():
            output = seq2seq.model.generate(**inputs, max_new_tokens=settings.new_tokens, num_beams=1, do_sample=False)
        return seq2seq.tokenizer.decode(output[0], skip_special_tokens=True)

    calls["summarize"] = {label: (lambda t=text: summarization.summarize(t, settings.new_tokens, 1),
                                  lambda t=text: bare_summary(t))
                          for label, text in {"example": summarization.EXAMPLES[0][0],
                                              "512 tokens": fitting_text("SUMMARIZATION", 512)}.items()}

    # The contextual tab: its model is the encoder, run on all the sentences at once with every
    # layer's hidden states; the handler adds finding the word, the cosines, a PCA, a table and two
    # figures. Fill-mask: the fill-mask pipeline itself is the bare call.
    bert = load("CONTEXTUAL")
    encoder, bert_tokenizer = bert.runner.model.base_model, bert.tokenizer

    def bare_contextual(sentences):
        encoded = bert_tokenizer(contextual.split_sentences(sentences), padding=True, truncation=True,
                                 max_length=512, return_tensors="pt").to(encoder.device)
        with torch.inference_mode():
            return encoder(**encoded, output_hidden_states=True).hidden_states[-1]

    # The tab reads at most 200 characters a sentence: its "512 tokens" are three sentences of about 170.
    long_sentences = "\n".join(["電話をかける。" + fitting_text("CONTEXTUAL", 160)] * 3)
    calls["contextual"] = {label: (lambda t=text, w=word: contextual.contextual(t, w), lambda t=text: bare_contextual(t))
                           for label, (text, word) in {"example": tuple(contextual.EXAMPLES[0]),
                                                       "512 tokens": (long_sentences, "かける")}.items()}

    def bare_fill(text, pipe=bert.runner):
        return pipe(text, top_k=5, tokenizer_kwargs={"truncation": True, "max_length": 512})

    long_masked = "図書館で[MASK]を借りた。" + fitting_text("CONTEXTUAL", 500)
    calls["fill_mask"] = {label: (lambda t=text: contextual.fill_mask(t, 5), lambda t=text: bare_fill(t))
                          for label, text in {"example": contextual.FILL_EXAMPLES[0][0],
                                              "512 tokens": long_masked}.items()}

    for key in generation.MODEL_KEYS:
        entry = load(key)
        lm, tokenizer = entry.runner.model, entry.runner.tokenizer

        def bare_next(prompt, lm=lm, tokenizer=tokenizer):
            ids = tokenizer(prompt, add_special_tokens=False, return_tensors="pt")["input_ids"].to(lm.device)
            with torch.inference_mode():
                probabilities = torch.softmax(lm(input_ids=ids).logits[0, -1].float(), dim=-1)
            return torch.topk(probabilities, generation.DEFAULT_TOP_K)

        def bare_generate(prompt, lm=lm, tokenizer=tokenizer):
            ids = tokenizer(prompt, add_special_tokens=False, return_tensors="pt")["input_ids"].to(lm.device)
            with torch.inference_mode():
                output = lm.generate(input_ids=ids, attention_mask=torch.ones_like(ids),
                                     max_new_tokens=settings.new_tokens, min_new_tokens=settings.new_tokens,
                                     do_sample=False, pad_token_id=tokenizer.pad_token_id)
            return tokenizer.decode(output[0, ids.shape[1]:], skip_special_tokens=True)

        def handler_generate(prompt, key=key):
            last = None
            for last in generation.generate(prompt, key, settings.new_tokens):
                pass
            return last

        prompt = generation.EXAMPLES[0][0]
        calls[f"next_token ({key})"] = {"example": (lambda p=prompt, k=key: generation.next_token(p, k),
                                                    lambda p=prompt, f=bare_next: f(p))}
        calls[f"generate ({key}, {settings.new_tokens} tokens)"] = {
            "example": (lambda p=prompt, f=handler_generate: f(p), lambda p=prompt, f=bare_generate: f(p))}
    return calls


def latency(settings: Settings) -> list[dict]:
    rows = []
    for endpoint, inputs in _endpoint_calls(settings).items():
        for label, (handler, bare) in inputs.items():
            repeats = settings.long_repeats if label != "example" or "generate" in endpoint else settings.repeats
            handler_times, bare_times = measure.time_pair(handler, bare, repeats)
            handler_stats, bare_stats = measure.summary(handler_times), measure.summary(bare_times)
            # The overhead of a request is its handler time over the bare call's run beside it; its
            # p50 is the median of those ratios. The ratio of the two p50s is kept beside it.
            rows.append({"endpoint": endpoint, "input": label, "handler": handler_stats, "bare": bare_stats,
                         "overhead_p50": measure.paired_overhead(handler_times, bare_times),
                         "overhead_of_p50s": handler_stats["p50_ms"] / bare_stats["p50_ms"] - 1,
                         "handler_ms": [round(1000 * t, 2) for t in handler_times],
                         "bare_ms": [round(1000 * t, 2) for t in bare_times]})
    return rows
