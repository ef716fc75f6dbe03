"""The encoders' model call against ONNX Runtime fp32 on the same full-size checkpoint (models/engine.py)."""

from __future__ import annotations

import contextlib
import os
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np

from bench.measure import rss_mib
from bench.sections.common import Settings, fitting_text

# The registry keys measured, one per kind of head: a label per text, a label per token, vectors, the vocabulary.
KEYS = ("SENTIMENT", "NER", "SIMCSE", "CONTEXTUAL")
LENGTHS = {"short": 32, "long": 400}  # tokens, special tokens included
# Short calls are quick and their ratio the noisiest (the engine's lead there is 1-2%, this machine's spread from
# run to run about 3% at 50 pairs): this many times the runs.
SHORT_RUNS = 6
# The GPT-2s, whose generation steps (with their cache) go on the engine: the small one first (quick runs).
GENERATION_KEYS = ("GENERATION_SMALL", "GENERATION")


def engines(settings: Settings) -> dict:
    """For each key: the app's model call (what its pipeline calls: ``entry.runner.model(**inputs)``, on
    ONNX Runtime once the loader's background build is done) against a plain ``torch.onnx.export`` of
    the same checkpoint on a default ONNX Runtime session (what a user would run instead), and against
    torch's eager forward on the same model, timed alternately in this process; the figure is the median
    of the paired ratios. Also the build after the first click (a fresh cache folder: export, fusions and
    the session, in the child process) and, for SENTIMENT, JNLP_QUANTIZE=int8 through the engine."""
    from models import engine, loader

    keys = KEYS[:1] if settings.quick else KEYS
    previous = {name: os.environ.get(name) for name in (engine.ENGINE_ENV, "JNLP_QUANTIZE", "JNLP_ONEDNN")}
    real_root, real_child = engine.cache_root, engine.build_in_child
    rows: dict[str, dict] = {}
    with tempfile.TemporaryDirectory(prefix="bench-engines-") as folder:
        engine.cache_root = lambda: Path(folder)  # a cold cache: the build is timed, not found
        if settings.quick:  # a smoke run builds in this process: a child's start (torch's import) is the full run's
            engine.build_in_child = engine.export
        os.environ[engine.ENGINE_ENV], os.environ["JNLP_QUANTIZE"] = engine.ONNXRUNTIME, "off"
        try:
            for key in keys:
                rows[key] = _one_model(key, settings, Path(folder))
            generation_rows = {key: _generation(key, settings) for key in GENERATION_KEYS[:1 if settings.quick else 2]}
            summary_row = _summary(settings)
            int8 = _int8(settings, Path(folder))
        finally:
            engine.cache_root, engine.build_in_child = real_root, real_child
            for name, value in previous.items():
                os.environ.pop(name, None) if value is None else os.environ.__setitem__(name, value)
            loader.unload_all()
    worst = {length: max(row["inputs"][length]["ratio_to_onnxruntime"] for row in rows.values()) for length in LENGTHS}
    return {"models": rows, "generation": generation_rows, "summary": summary_row, "int8": int8, "worst_ratio": worst,
            "repeats": _repeats(settings),
            "short_repeats": _repeats(settings) * SHORT_RUNS, "versions": engine.versions()}


def _time_warm_pair(first, second, repeats: int) -> tuple[list[float], list[float]]:
    """``measure.time_pair``, each timed call right after an untimed one of the same callable: two thread
    pools in one process (two sessions, or a session and torch's) otherwise charge one's threads, still
    spinning after its call, to the next call of the other, and the paired ratios split in two modes."""
    timed: tuple[list[float], list[float]] = ([], [])
    for i in range(repeats):
        for index in ((0, 1) if i % 2 == 0 else (1, 0)):
            call = (first, second)[index]
            call()
            started = time.perf_counter()
            call()
            timed[index].append(time.perf_counter() - started)
    return timed


def _resident_now() -> float:
    """This process's resident MiB, once the heap has handed back what earlier models freed (else the engine's
    copy fills those holes and its growth reads as nothing, or less than nothing)."""
    import gc

    from models import allocator

    gc.collect()
    allocator.release_freed_memory()
    return rss_mib(os.getpid())


def _on_engine(entry, key: str):
    """Wait for the build the model's load started, and return the dispatcher it put in front of the model."""
    from models import engine

    assert entry.engine_ready.wait(3600), f"{key}: the engine's build did not end"
    if entry.engine != engine.ON_ENGINE:
        raise RuntimeError(f"{key}: the engine is {entry.engine} (see the log)")
    return engine.dispatcher_of(entry.runner.model)


def _repeats(settings: Settings) -> int:
    return 3 if settings.quick else 25


def _one_model(key: str, settings: Settings, root: Path) -> dict:
    import torch

    from models import loader

    loader.unload_all()
    started = time.perf_counter()
    entry = loader.load(key)  # starts the background build (models/tunings.py, the engine tuning)
    loaded = time.perf_counter()
    texts = {length: fitting_text(key, tokens) for length, tokens in LENGTHS.items()}
    encoded = {length: entry.tokenizer(text, truncation=True, max_length=entry.max_length, return_tensors="pt")
               for length, text in texts.items()}
    with torch.inference_mode():
        entry.runner.model(**encoded["short"])  # the first click's model call, on torch while the build runs
    first_call = time.perf_counter() - loaded
    with torch.inference_mode():
        for inputs in encoded.values():  # torch's own buffers for both lengths, before the engine's are counted
            entry.runner.model(**inputs)
    on_torch_mib = _resident_now()
    dispatcher = _on_engine(entry, key)
    built = time.perf_counter() - loaded
    with torch.inference_mode():
        for _ in range(2):
            for inputs in encoded.values():
                entry.runner.model(**inputs)
    # What the session holds once it has run both lengths, against what the memory cap counts for it.
    resident_mib = rss_mib(os.getpid()) - on_torch_mib
    baseline, export_s = _plain_onnx_runtime(entry.runner.model.name_or_path, entry.spec.task, root / f"plain-{key}")
    result = {"load_s": loaded - started, "first_call_on_torch_s": first_call, "build_s": built,
              "engine_mib": entry.engine_bytes / 2**20, "engine_resident_mib": resident_mib, "plain_export_s": export_s, "inputs": {}}
    for length, inputs in encoded.items():
        feeds = {name: inputs[name].numpy() for name in (i.name for i in baseline.get_inputs())}

        def app(inputs=inputs):
            with torch.inference_mode():
                return entry.runner.model(**inputs)[0]

        def eager(inputs=inputs):
            with torch.inference_mode():
                return dispatcher.torch_forward(**inputs)[0]

        repeats = _repeats(settings) * (SHORT_RUNS if length == "short" else 1)
        ours, plain = _time_warm_pair(app, lambda feeds=feeds: baseline.run(None, feeds), repeats)
        calls = dispatcher.engine_calls
        ours_again, on_torch = _time_warm_pair(app, eager, max(3, _repeats(settings) // 3))
        assert dispatcher.engine_calls > calls, "the app's call did not run on the engine"
        reference = eager().numpy()
        result["inputs"][length] = {
            "tokens": int(inputs["input_ids"].shape[1]),
            "app_p50_ms": 1000 * statistics.median(ours), "onnxruntime_p50_ms": 1000 * statistics.median(plain),
            "ratio_to_onnxruntime": statistics.median(a / b for a, b in zip(ours, plain)),
            "torch_p50_ms": 1000 * statistics.median(on_torch),
            "ratio_to_torch": statistics.median(a / b for a, b in zip(ours_again, on_torch)),
            "largest_difference": float(np.abs(app().numpy() - reference).max()),
            "plain_onnxruntime_difference": float(np.abs(baseline.run(None, feeds)[0] - reference).max()),
        }
    loader.unload_all()
    return result


@contextlib.contextmanager
def _engine_or_torch(dispatchers: list, on_engine: bool):
    """The dispatchers' calls on their engine, or (on_engine False) all on torch, for the length of the block."""
    sessions = [d.session for d in dispatchers]
    for d, session in zip(dispatchers, sessions):
        d.session = session if on_engine else None  # None: every call goes to torch
    try:
        yield
    finally:
        for d, session in zip(dispatchers, sessions):
            d.session = session


def _generation(key: str, settings: Settings) -> dict:
    """A GPT-2's steps as the generation tab runs them (a prompt, then one token at a time with the cache):
    on the engine against torch's eager forward on the same model, alternating whole generations; the
    text must be the same. The engine is built after the first click, as for the encoders."""
    from demos import generation
    from models import loader

    loader.unload_all()
    started = time.perf_counter()
    entry = loader.load(key)
    loaded = time.perf_counter()
    prompt, new_tokens = generation.EXAMPLES[0][0], 8 if settings.quick else 32
    on_torch_mib = _resident_now()
    dispatcher = _on_engine(entry, key)
    built = time.perf_counter() - loaded

    def steps(on_engine: bool) -> tuple[str, list[float]]:
        """The continuation, and the seconds from the click to each new token."""
        with _engine_or_torch([dispatcher], on_engine):
            times, text, clock = [], "", time.perf_counter()
            for text in generation.generate_stream(entry, prompt, new_tokens):
                now = time.perf_counter()
                times.append(now - clock)
                clock = now
            return text, times

    engine_text, _ = steps(True)
    resident_mib = rss_mib(os.getpid()) - on_torch_mib
    timed: dict[bool, list[list[float]]] = {True: [], False: []}
    texts = {True: engine_text, False: steps(False)[0]}
    for i in range(2 if settings.quick else 5):
        for on_engine in ((True, False) if i % 2 == 0 else (False, True)):
            text, times = steps(on_engine)
            assert text == texts[on_engine]
            timed[on_engine].append(times)
    prompt_step = {flag: statistics.median(times[0] for times in runs) for flag, runs in timed.items()}
    token_step = {flag: statistics.median(t for times in runs for t in times[1:]) for flag, runs in timed.items()}
    loader.unload_all()
    return {"load_s": loaded - started, "build_s": built, "engine_mib": entry.engine_bytes / 2**20,
            "engine_resident_mib": resident_mib, "new_tokens": new_tokens, "same_text": texts[True] == texts[False],
            "prompt_step_ms": {"engine": 1000 * prompt_step[True], "torch": 1000 * prompt_step[False]},
            "token_step_ms": {"engine": 1000 * token_step[True], "torch": 1000 * token_step[False]},
            "token_ratio_to_torch": token_step[True] / token_step[False],
            "prompt_ratio_to_torch": prompt_step[True] / prompt_step[False]}


def _summary(settings: Settings) -> dict:
    """T5's summary as the tab calls generate() (greedy, and four beams), its encoder and decoder steps on the
    engine against torch's eager forward on the same model, alternating whole summaries of a fixed length;
    the text must be the same. The engine is built after the first click, as for the others."""
    import torch

    from demos import summarization
    from models import engine, loader

    loader.unload_all()
    entry = loader.load("SUMMARIZATION")
    loaded = time.perf_counter()
    on_torch_mib = _resident_now()
    dispatcher = _on_engine(entry, "SUMMARIZATION")
    built = time.perf_counter() - loaded
    model = entry.runner.model
    dispatchers = [dispatcher, engine.dispatcher_of(model.get_encoder())]
    new_tokens = 8 if settings.quick else 32
    inputs = entry.tokenizer(summarization.EXAMPLES[0][0], return_tensors="pt")

    def summary(on_engine: bool, beams: int) -> list[int]:
        # A fixed length: both write as many tokens, whatever the weights.
        with _engine_or_torch(dispatchers, on_engine), torch.inference_mode():
            return model.generate(**inputs, max_new_tokens=new_tokens, min_new_tokens=new_tokens,
                                  num_beams=beams, do_sample=False)[0].tolist()

    summary(True, 1)
    resident_mib = rss_mib(os.getpid()) - on_torch_mib
    rows = {}
    for beams in (1, 4):
        texts = {flag: summary(flag, beams) for flag in (True, False)}
        timed: dict[bool, list[float]] = {True: [], False: []}
        for i in range(2 if settings.quick else 5):
            for on_engine in ((True, False) if i % 2 == 0 else (False, True)):
                started = time.perf_counter()
                assert summary(on_engine, beams) == texts[on_engine]
                timed[on_engine].append(time.perf_counter() - started)
        engine_s, torch_s = statistics.median(timed[True]), statistics.median(timed[False])
        rows[f"beams {beams}"] = {"engine_s": engine_s, "torch_s": torch_s, "ratio_to_torch": engine_s / torch_s,
                                  "same_text": texts[True] == texts[False]}
    engine_calls = dispatcher.engine_calls
    loader.unload_all()
    return {"build_s": built, "engine_mib": entry.engine_bytes / 2**20, "engine_resident_mib": resident_mib,
            "new_tokens": new_tokens, "article_tokens": int(inputs["input_ids"].shape[1]), "searches": rows,
            "engine_steps": engine_calls}


def _plain_onnx_runtime(source: str, task: str, folder: Path):
    """A user's ONNX Runtime: the checkpoint as transformers loads it, torch.onnx.export (opset 17), a session
    with ONNX Runtime's defaults; and the export's seconds."""
    import onnxruntime

    from models import engine

    folder.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    model = engine._model_class(task).from_pretrained(source).eval()
    engine.to_onnx(model, folder / "model.onnx", engine.tokenizer_inputs(source))
    del model
    exported = time.perf_counter() - started
    return onnxruntime.InferenceSession(str(folder / "model.onnx"), providers=["CPUExecutionProvider"]), exported


def _int8(settings: Settings, root: Path) -> dict:
    """JNLP_QUANTIZE=int8: the engine's int8 copy against the plain fp32 ONNX Runtime and against torch's
    dynamic int8 (what the switch did before), and whether the labels agree with fp32 on the app's examples."""
    import copy

    import torch

    from demos import sentiment
    from models import cpu_kernels, engine, loader

    loader.unload_all()
    # torch's own model with its Linear layers, which torch's dynamic quantiser replaces.
    os.environ[engine.ENGINE_ENV], os.environ[cpu_kernels.ONEDNN_ENV] = engine.TORCH, "0"
    entry = loader.load("SENTIMENT")
    folder = str(entry.runner.model.name_or_path)
    texts = [text for (text,) in sentiment.EXAMPLES] + [fitting_text("SENTIMENT", 400)]
    encoded = [entry.tokenizer(text, truncation=True, max_length=entry.max_length, return_tensors="pt")
               for text in texts]
    with torch.inference_mode():
        full = [entry.runner.model(**inputs).logits[0].numpy() for inputs in encoded]
        torch_int8 = copy.deepcopy(entry.runner.model)
        cpu_kernels.quantize_linear_layers(torch_int8)
    started = time.perf_counter()
    built = engine.ensure_built(folder, "text-classification", "int8", root, build=engine.export)
    build_s = time.perf_counter() - started
    session, _ = engine.open_session(built)
    baseline, _ = _plain_onnx_runtime(folder, "text-classification", root / "plain-int8")
    feeds = [{name: inputs[name].numpy() for name in ("input_ids", "attention_mask")} for inputs in encoded]
    quantized = [session.run(None, feed)[0][0] for feed in feeds]
    rows = {}
    for length, index in (("short", 0), ("long", len(texts) - 1)):
        feed, inputs = feeds[index], encoded[index]
        ours, plain = _time_warm_pair(lambda feed=feed: session.run(None, feed),
                                      lambda feed=feed: baseline.run(None, feed), _repeats(settings))

        def on_torch_int8(inputs=inputs):
            with torch.inference_mode():
                return torch_int8(**inputs)

        again, torch_times = _time_warm_pair(lambda feed=feed: session.run(None, feed), on_torch_int8,
                                             max(3, _repeats(settings) // 3))
        rows[length] = {"tokens": int(inputs["input_ids"].shape[1]), "int8_p50_ms": 1000 * statistics.median(ours),
                        "ratio_to_onnxruntime_fp32": statistics.median(a / b for a, b in zip(ours, plain)),
                        "ratio_to_torch_int8": statistics.median(a / b for a, b in zip(again, torch_times))}
    loader.unload_all()
    return {"build_s": build_s, "inputs": rows,
            "labels_agree": [int(np.argmax(a)) for a in full] == [int(np.argmax(b)) for b in quantized],
            "largest_probability_difference": float(max(np.abs(_softmax(a) - _softmax(b)).max()
                                                        for a, b in zip(full, quantized)))}


def _softmax(logits: np.ndarray) -> np.ndarray:
    exp = np.exp(logits - logits.max())
    return exp / exp.sum()
