"""The encoders' plain calls, GPT-2's generation steps and T5's encoder and decoder steps on ONNX Runtime
(models/engine.py, engine_causal.py, engine_seq2seq.py): the same answers as torch for every encoder tab and
the same tokens for GPT-2 and T5, exported models cached by
revision and library versions, built in the background after the first click and by prefetch, torch
whenever the engine cannot run, the look-inside views still on torch, memory counted."""

import logging
import shutil
import threading

import numpy as np
import pytest

from demos import contextual, generation, inside, ner, nli, saliency, sentiment, similarity, summarization, tasks
from demos.attention_map import attention
from fixtures import tiny
from fixtures.text import NLI_LABELS, SENTIMENT_LABELS
from models import cpu_kernels, engine, loader, prefetch, registry, tunings

ENCODER_KEYS = ("SENTIMENT", "NLI", "STS", "SIMCSE", "NER", "CONTEXTUAL")
REAL_CHILD = engine.build_in_child
LONG = sentiment.EXAMPLES[0][0] * 3  # past the tiny models' 64 positions: truncated, the longest pass


def _random(model_class, folder, seed, **config):
    """A tiny BERT whose every weight is random (the app's tiny models are set by hand, mostly constant)."""
    import torch

    tokenizer = tiny.build_bert_tokenizer(folder)
    torch.manual_seed(seed)
    model_class(tiny._bert_config(len(tokenizer.vocab), initializer_range=0.3, **config)).eval().save_pretrained(folder)
    return folder


def _labelled(labels):
    return {"num_labels": len(labels), "id2label": dict(enumerate(labels)),
            "label2id": {label: i for i, label in enumerate(labels)}}


@pytest.fixture(scope="module")
def random_models(tmp_path_factory, checkpoint_dir):
    """Registry folders with random weights for the classifiers and the encoder; NER and the masked LM are
    the app's tiny ones (tags and fillers by construction, on a random encoder for the masked LM)."""
    from transformers import BertForSequenceClassification, BertForTokenClassification, BertModel

    base = tmp_path_factory.mktemp("engine-models")
    return {"SENTIMENT": _random(BertForSequenceClassification, base / "sentiment", 1, **_labelled(SENTIMENT_LABELS)),
            "NLI": _random(BertForSequenceClassification, base / "nli", 2, **_labelled(NLI_LABELS)),
            "STS": _random(BertForSequenceClassification, base / "sts", 3, **_labelled(["LABEL_0"])),
            "SIMCSE": _random(BertModel, base / "simcse", 4),
            "NER": _random(BertForTokenClassification, base / "ner", 5, **_labelled(tiny.NER_LABELS)),
            "CONTEXTUAL": checkpoint_dir["CONTEXTUAL"],
            "GENERATION": tiny.build_gpt2(base / "gpt2"),
            "SUMMARIZATION": checkpoint_dir["SUMMARIZATION"]}  # random weights, visible tokens only


@pytest.fixture
def engines(tmp_path, monkeypatch, random_models):
    """The engine on, its cache in a temporary folder, and the registry on the random models."""
    monkeypatch.setattr(engine, "cache_root", lambda: tmp_path / "engines")
    monkeypatch.setenv(engine.ENGINE_ENV, engine.ONNXRUNTIME)
    monkeypatch.setattr(engine, "build_in_child", engine.export)  # in this process: quicker than a child
    monkeypatch.setattr(engine, "_failed", set())
    for key, folder in random_models.items():
        monkeypatch.setenv(registry.MODELS[key].env_var, str(folder))
    loader.unload_all()
    yield tmp_path / "engines"
    loader.unload_all()


def _on_engine_now(key):
    """Load a model with its exported model built here and now (no child process), put in front of it."""
    entry = loader.load(key)
    entry.engine_ready.wait(60)  # a background build the load may have started (its child is slower)
    if entry.engine != engine.ON_ENGINE:
        engine.prepare(entry, build=engine.export)
    assert entry.engine == engine.ON_ENGINE, entry.engine
    return entry


def _answers(monkeypatch):
    """Every encoder endpoint's answer on the short examples and on a text past the model's length."""
    monkeypatch.setenv("JNLP_RESULT_CACHE", "0")
    return {
        "sentiment": [sentiment.sentiment(text)[0] for text in (sentiment.EXAMPLES[0][0], LONG)],
        "nli": [nli.nli(*pair)[0] for pair in (nli.EXAMPLES[0], (LONG, nli.EXAMPLES[0][1]))],
        "sts": [similarity.sts(*pair)[0] for pair in (similarity.EXAMPLES[0][:2], (LONG, LONG[:20]))],
        "simcse": [similarity.simcse(*pair)[0] for pair in (similarity.EXAMPLES[0][:2], (LONG, LONG[:20]))],
        "ner": [tasks.run(ner.NER, text).result for text in ("田中は東京のABCで働く。", LONG)],
        "fill_mask": [tasks.run(contextual.FILL_MASK, text).result.stages.outputs
                      for text in (contextual.FILL_EXAMPLES[0][0], LONG[:40] + "[MASK]")],
        "contextual": [np.asarray(tasks.run(contextual.CONTEXTUAL, *example).result.matrix)
                       for example in contextual.EXAMPLES],
    }


def _assert_same(torch_answers, engine_answers):
    for name in torch_answers:
        for before, after in zip(torch_answers[name], engine_answers[name], strict=True):
            if isinstance(before, dict):  # a gr.Label's probabilities
                assert max(before, key=before.get) == max(after, key=after.get), name
                assert after == pytest.approx(before, abs=1e-4), name
            elif isinstance(before, float):
                assert after == pytest.approx(before, abs=1e-4), name
            elif isinstance(before, np.ndarray):
                np.testing.assert_allclose(after, before, atol=1e-4, err_msg=name)
            else:  # NER: the same entities
                assert [(e.text, e.label, e.start, e.end) for e in after.entities] == [
                    (e.text, e.label, e.start, e.end) for e in before.entities], name
                for b, a in zip(before.entities, after.entities):
                    assert a.score == pytest.approx(b.score, abs=1e-4)


def test_every_encoder_endpoint_answers_the_same_on_onnx_runtime(engines, monkeypatch):
    monkeypatch.setenv(engine.ENGINE_ENV, engine.TORCH)  # first on torch alone
    on_torch = _answers(monkeypatch)
    monkeypatch.setenv(engine.ENGINE_ENV, engine.ONNXRUNTIME)
    dispatchers = {key: engine.dispatcher_of(_on_engine_now(key).runner.model) for key in ENCODER_KEYS}
    on_engine = _answers(monkeypatch)
    _assert_same(on_torch, on_engine)
    # Every answer came from ONNX Runtime: the contextual tab's hidden states from the masked LM's session.
    assert all(d is not None and d.engine_calls > 0 for d in dispatchers.values())
    assert dispatchers["CONTEXTUAL"].engine_calls == 2  # the two fill-mask calls
    base = _on_engine_now("CONTEXTUAL").runner.model.base_model
    assert engine.dispatcher_of(base).engine_calls == 2  # the two contextual calls


def test_a_padded_batch_gives_each_row_what_it_gives_alone(engines):
    import torch

    entry = _on_engine_now("SENTIMENT")
    tokenizer, model = entry.tokenizer, entry.runner.model
    texts = [sentiment.EXAMPLES[0][0], "良い。", LONG]
    batch = tokenizer(texts, padding=True, truncation=True, max_length=entry.max_length, return_tensors="pt")
    with torch.inference_mode():
        together = model(**batch).logits
        engine.uninstall(model)
        alone = [model(**tokenizer(t, truncation=True, max_length=entry.max_length, return_tensors="pt")).logits[0]
                 for t in texts]
    np.testing.assert_allclose(together.numpy(), torch.stack(alone).numpy(), atol=1e-5)


def test_the_exported_model_is_kept_by_revision_and_library_versions(tmp_path, random_models):
    folder = tmp_path / "model"
    shutil.copytree(random_models["SENTIMENT"], folder)
    versions = {"torch": "2.13.0", "transformers": "5.24.0", "onnx": "1.23.2", "onnxruntime": "1.32.0"}

    def where(quantize="off", **changed):
        return engine.engine_folder(engine.description(folder, "text-classification", quantize,
                                                       {**versions, **changed}), tmp_path)

    first = where()
    assert where() == first  # the same model and libraries: the same export
    assert len({first, where(onnxruntime="1.33.0"), where(torch="2.14.0"), where(transformers="5.25.0"),
                where(quantize="int8")}) == 5
    (folder / "config.json").write_text((folder / "config.json").read_text() + " ")  # the folder's content changed
    assert where() != first
    # A Hub snapshot is named by its commit, not hashed.
    snapshot = tmp_path / "models--llm-book--x" / "snapshots" / ("ab" * 20)
    snapshot.mkdir(parents=True)
    assert engine.revision(snapshot) == "hub:" + "ab" * 20


def _about_device_cell(key: str) -> str:
    from demos import about

    row = next(row for row in about.model_rows() if row.key == key)
    return about.models_table([row])[0][6]


def test_the_first_click_answers_on_torch_while_the_engine_is_built_in_the_background(engines, monkeypatch):
    may_build = threading.Event()
    built = []

    def slow_build(source, task, quantize, target):
        assert may_build.wait(60)
        engine.export(source, task, quantize, target)
        built.append(task)

    monkeypatch.setattr(engine, "build_in_child", slow_build)
    label, _ = sentiment.sentiment(sentiment.EXAMPLES[0][0])  # answered while the build waits
    entry = loader.loaded_entries()["SENTIMENT"]
    assert entry.engine == engine.BUILDING and not entry.engine_ready.is_set()
    assert engine.dispatcher_of(entry.runner.model) is None and set(label) == set(SENTIMENT_LABELS)
    assert "preparing ONNX Runtime" in _about_device_cell("SENTIMENT")  # the About tab says so
    may_build.set()
    assert entry.engine_ready.wait(60) and entry.engine == engine.ON_ENGINE and built == ["text-classification"]
    assert _about_device_cell("SENTIMENT") == "cpu（ONNX Runtime）"
    monkeypatch.setenv("JNLP_RESULT_CACHE", "0")
    again, _ = sentiment.sentiment(sentiment.EXAMPLES[0][0])
    assert engine.dispatcher_of(entry.runner.model).engine_calls == 1
    assert again == pytest.approx(label, abs=1e-4)


def test_the_server_builds_it_in_a_child_process_and_a_later_load_finds_it_on_disk(engines, monkeypatch):
    monkeypatch.setattr(engine, "build_in_child", REAL_CHILD)
    entry = loader.load("NER")
    assert entry.engine_ready.wait(240), "the child's export did not end"
    assert entry.engine == engine.ON_ENGINE
    assert [path.name for path in engines.iterdir()] and not list(engines.glob(".building-*"))

    def no_build(*_):
        raise AssertionError("built again")

    monkeypatch.setattr(engine, "build_in_child", no_build)
    loader.unload_all()
    again = loader.load("NER")
    assert again.engine_ready.wait(60) and again.engine == engine.ON_ENGINE


def test_without_onnx_runtime_every_tab_stays_on_torch(engines, monkeypatch, caplog):
    monkeypatch.setattr(engine, "missing_library", lambda: "ModuleNotFoundError: No module named 'onnxruntime'")
    with caplog.at_level(logging.WARNING, logger="models.engine"):
        label, _ = sentiment.sentiment(sentiment.EXAMPLES[0][0])
        entry = loader.loaded_entries()["SENTIMENT"]
        assert entry.engine_ready.wait(30)
    assert entry.engine == engine.FAILED and engine.dispatcher_of(entry.runner.model) is None
    assert set(label) == set(SENTIMENT_LABELS)
    assert any("SENTIMENT stays on torch" in record.getMessage() and "onnxruntime" in record.getMessage()
               for record in caplog.records)


def test_a_failing_export_or_session_leaves_the_answer_to_torch(engines, monkeypatch, caplog):
    def broken_export(*_):
        raise RuntimeError("the exporter crashed")

    monkeypatch.setenv("JNLP_RESULT_CACHE", "0")
    monkeypatch.setattr(engine, "build_in_child", broken_export)
    expected, _ = sentiment.sentiment(sentiment.EXAMPLES[0][0])
    entry = loader.loaded_entries()["SENTIMENT"]
    assert entry.engine_ready.wait(30) and entry.engine == engine.FAILED
    assert sentiment.sentiment(sentiment.EXAMPLES[0][0])[0] == expected

    class BrokenSession:
        def run(self, *_):
            raise RuntimeError("ORT lost its mind")

    loader.unload_all()
    monkeypatch.setattr(engine, "build_in_child", engine.export)
    entry = _on_engine_now("NLI")
    engine.dispatcher_of(entry.runner.model).session = BrokenSession()
    with caplog.at_level(logging.WARNING, logger="models.engine"):
        label, _ = nli.nli(*nli.EXAMPLES[0])  # answered by torch
    assert set(label) == set(NLI_LABELS) and entry.engine == engine.FAILED
    assert engine.dispatcher_of(entry.runner.model) is None
    assert any("NLI: ONNX Runtime failed on a call, back on torch" in r.getMessage() for r in caplog.records)


def test_the_look_inside_views_run_on_torch_beside_the_engine(engines, monkeypatch):
    entry = _on_engine_now("SENTIMENT")
    dispatcher = engine.dispatcher_of(entry.runner.model)
    text = sentiment.EXAMPLES[0][0]
    steps = inside.steps("sentiment", text)
    assert dispatcher.engine_calls == 1  # the tab's own pass, which the steps read
    found = saliency.saliency("sentiment", text, method="gradient_x_input")  # gradients: torch's
    assert found["tokens"] and all(np.isfinite(token["score"]) for token in found["tokens"])
    weights = np.asarray(attention("sentiment", text, layer=1, head=1)["weights"])  # attentions: torch's
    assert weights.shape == (len(steps["ids"]),) * 2
    assert weights.sum(axis=1) == pytest.approx(np.ones(len(weights)), abs=1e-5)
    # transformers left its output recorders on the layers: the next click still runs on the engine.
    monkeypatch.setenv("JNLP_RESULT_CACHE", "0")
    before = dispatcher.engine_calls  # the removal check's passes (no gradients) ran on it too
    sentiment.sentiment(text)
    assert dispatcher.engine_calls == before + 1
    masked_lm = _on_engine_now("CONTEXTUAL")
    words = contextual.CONTEXTUAL.compute(masked_lm, *contextual.EXAMPLES[0])  # hidden states, from the engine
    assert len(words.labels) == 4 and words.matrix[0][1] < 1
    attention_of_fill_mask = attention("fill_mask", contextual.FILL_EXAMPLES[0][0], layer=1, head=1)
    assert np.asarray(attention_of_fill_mask["weights"]).sum(axis=1) == pytest.approx(1.0, abs=1e-5)
    assert engine.dispatcher_of(masked_lm.runner.model.base_model).engine_calls == 1


def _on_torch_then_engine(monkeypatch, key, answers):
    """``answers(entry)`` with the model on torch; then the model loaded afresh onto the engine, and its entry."""
    monkeypatch.setenv(engine.ENGINE_ENV, engine.TORCH)
    on_torch = answers(loader.load(key))
    loader.unload_all()
    monkeypatch.setenv(engine.ENGINE_ENV, engine.ONNXRUNTIME)
    return on_torch, _on_engine_now(key)


def _gpt2_answers(entry):
    """What the next-token and generation tabs show: the candidates, a greedy continuation, a seeded sample."""
    prompt = generation.EXAMPLES[0][0]
    candidates = generation.next_token_distribution(entry, prompt).candidates
    *_, greedy = generation.generate_stream(entry, prompt, 12)
    *_, sampled = generation.generate_stream(entry, prompt, 12, do_sample=True, temperature=1.5, top_p=0.95,
                                             top_k=0, seed=7)
    return [(c.token_id, c.probability) for c in candidates], greedy, sampled


def test_gpt2_steps_with_their_cache_give_torchs_tokens_on_onnx_runtime(engines, monkeypatch):
    import torch

    from models.engine_causal import EngineCache

    on_torch, entry = _on_torch_then_engine(monkeypatch, "GENERATION", _gpt2_answers)
    dispatcher = engine.dispatcher_of(entry.runner.model)
    candidates, greedy, sampled = _gpt2_answers(entry)
    assert [token for token, _ in candidates] == [token for token, _ in on_torch[0]]
    assert [p for _, p in candidates] == pytest.approx([p for _, p in on_torch[0]], abs=1e-5)
    assert (greedy, sampled) == on_torch[1:] and greedy
    assert dispatcher.engine_calls >= 1 + 2 * 12 - 2  # every step of both loops (one may end early)
    # A step that must run on torch (gradients on) after engine steps gets their keys and values as torch's cache.
    model, prompt = entry.runner.model, generation.encode_prompt(entry, "東京へ行く")
    with torch.inference_mode():
        first = model(input_ids=prompt, cache=None, use_cache=True)
        following = model(input_ids=prompt[:, :1], cache=first.cache, use_cache=True).logits
    assert isinstance(first.cache, EngineCache) and first.cache.get_seq_length() == prompt.shape[1]
    with torch.enable_grad():
        on_torch_after = model(input_ids=prompt[:, :1], cache=first.cache, use_cache=True).logits
    np.testing.assert_allclose(on_torch_after.detach().numpy(), following.numpy(), atol=1e-5)
    # The next token's look-inside views (gradients, attentions) run on torch beside it.
    calls = dispatcher.engine_calls
    steps = inside.steps("next_token", generation.EXAMPLES[0][0])
    assert steps["top"][0]["probability"] == pytest.approx(candidates[0][1], abs=1e-5)
    found = saliency.saliency("next_token", generation.EXAMPLES[0][0], method="gradient_x_input")
    assert found["tokens"] and all(np.isfinite(token["score"]) for token in found["tokens"])
    weights = np.asarray(attention("next_token", generation.EXAMPLES[0][0], layer=1, head=1)["weights"])
    assert weights.sum(axis=1) == pytest.approx(1.0, abs=1e-5) and np.allclose(np.triu(weights, 1), 0)
    assert dispatcher.engine_calls > calls  # the steps' own pass ran on the engine


def _summaries(entry):
    """What the summary tab shows for both examples, greedy and with four beams."""
    return [summarization.summarize_article(entry, article, 16, beams).text
            for (article,) in summarization.EXAMPLES for beams in (1, 4)]


def test_t5_encoder_and_decoder_steps_give_torchs_summaries_on_onnx_runtime(engines, monkeypatch):
    import torch
    from transformers import DynamicCache, EncoderDecoderCache

    on_torch, entry = _on_torch_then_engine(monkeypatch, "SUMMARIZATION", _summaries)
    model = entry.runner.model
    steps, encoder = engine.dispatcher_of(model), engine.dispatcher_of(model.get_encoder())
    assert _summaries(entry) == on_torch and all(on_torch)
    assert encoder.engine_calls == 4 and steps.engine_calls >= 4 * 16 - 4  # every step (a beam search may end early)
    # A step that must run on torch (gradients on) after engine steps reads their cache as torch's own.
    article = entry.tokenizer(summarization.EXAMPLES[0][0], return_tensors="pt")
    start = torch.zeros((1, 1), dtype=torch.long)

    def after_two_steps(grad):
        cache = EncoderDecoderCache(DynamicCache(config=model.config), DynamicCache(config=model.config))
        with torch.no_grad():
            encoded = model.get_encoder()(**article, return_dict=True)
            for token in (start, start + 5):
                model(decoder_input_ids=token, encoder_outputs=encoded, attention_mask=article["attention_mask"],
                      cache=cache, use_cache=True)
        with torch.set_grad_enabled(grad):
            return model(decoder_input_ids=start + 7, encoder_outputs=encoded, attention_mask=article["attention_mask"],
                         cache=cache, use_cache=True).logits.detach().numpy()

    calls = steps.engine_calls
    np.testing.assert_allclose(after_two_steps(grad=True), after_two_steps(grad=False), atol=1e-5)
    assert steps.engine_calls == calls + 2 * 2 + 1  # the last step of the first run went to torch


@pytest.mark.parametrize(("key", "module"), [("GENERATION", "engine_causal"), ("SUMMARIZATION", "engine_seq2seq")])
def test_an_export_unlike_torch_is_refused_and_generation_stays_on_torch(engines, monkeypatch, caplog, key, module):
    import importlib

    monkeypatch.setattr(importlib.import_module(f"models.{module}"), "PARITY_TOLERANCE", -1.0)  # as if it differed
    entry = loader.load(key)
    entry.engine_ready.wait(60)
    with caplog.at_level(logging.WARNING):
        engine.prepare(entry, build=engine.export)
    assert entry.engine == engine.FAILED and engine.dispatcher_of(entry.runner.model) is None
    assert "differ from torch's" in caplog.text
    assert not [path for path in engines.iterdir() if engine.is_built(path)]  # nothing kept
    if key == "GENERATION":
        *_, continuation = generation.generate_stream(entry, generation.EXAMPLES[0][0], 4)
    else:
        continuation = summarization.summarize_article(entry, summarization.EXAMPLES[0][0], 4).text
    assert continuation


def test_the_memory_cap_counts_the_engine_beside_the_torch_model(engines, monkeypatch):
    monkeypatch.setenv(engine.ENGINE_ENV, engine.TORCH)  # loaded on torch, then the engine comes
    nli_entry = loader.load("NLI")
    entry = loader.load("SENTIMENT")
    torch_bytes = entry.memory_bytes
    # Room for both torch models, not for the engine's copy too: NLI (least recently used) makes room.
    monkeypatch.setenv(loader.MEMORY_CAP_ENV, str(torch_bytes + nli_entry.memory_bytes + 1000))
    assert loader.loaded_keys() == ["NLI", "SENTIMENT"]
    monkeypatch.setenv(engine.ENGINE_ENV, engine.ONNXRUNTIME)
    _on_engine_now("SENTIMENT")
    assert entry.engine_bytes > 0.5 * torch_bytes
    assert entry.memory_bytes == torch_bytes + entry.engine_bytes
    assert loader.loaded_memory()["SENTIMENT"] == entry.memory_bytes
    assert loader.loaded_keys() == ["SENTIMENT"]


def test_prefetch_builds_the_exported_models_ahead_of_a_class(engines, monkeypatch, capsys):
    keys = ["SENTIMENT", "SIMCSE", "SUMMARIZATION"]
    assert prefetch.main(["--check", "--keys", *keys]) == 0  # --check builds nothing
    assert capsys.readouterr().out.count("not built yet (the first click builds it)") == 3
    assert prefetch.main(["--keys", *keys]) == 0  # local folders: nothing to download
    said = capsys.readouterr().out
    assert said.count("ONNX Runtime:") == 3 and said.count("built in") == 3, said
    assert len([path for path in engines.iterdir() if engine.is_built(path)]) == 3

    def no_build(*_):
        raise AssertionError("built again")

    monkeypatch.setattr(engine, "build_in_child", no_build)
    assert _on_engine_now("SIMCSE").engine == engine.ON_ENGINE  # found on disk


def test_int8_quantises_the_engines_copy_and_keeps_the_labels(engines, monkeypatch):
    monkeypatch.setenv("JNLP_RESULT_CACHE", "0")
    monkeypatch.setenv(engine.ENGINE_ENV, engine.TORCH)
    texts = [text for (text,) in sentiment.EXAMPLES] + [LONG]
    full = [sentiment.sentiment(text)[0] for text in texts]
    monkeypatch.setenv("JNLP_QUANTIZE", "int8")
    monkeypatch.setenv(engine.ENGINE_ENV, engine.ONNXRUNTIME)
    loader.unload_all()
    entry = _on_engine_now("SENTIMENT")
    # The torch model the look-inside views use keeps its float32 layers; the engine's are int8.
    assert not any(type(m).__module__.startswith("torch.ao") for m in entry.runner.model.modules())
    session = engine.dispatcher_of(entry.runner.model).session
    import onnx

    graph = onnx.load(str(next(p for p in engines.iterdir() if engine.is_built(p)) / engine.MODEL_FILE)).graph
    assert any(node.op_type in ("MatMulInteger", "DynamicQuantizeMatMul") for node in graph.node)
    int8 = [sentiment.sentiment(text)[0] for text in texts]
    assert session is not None
    for exact, quantized in zip(full, int8):
        assert max(exact, key=exact.get) == max(quantized, key=quantized.get)
        assert quantized == pytest.approx(exact, abs=0.05)


def test_the_engine_is_a_switchable_tuning_and_takes_its_models_off_onednn(monkeypatch):
    monkeypatch.setenv("JNLP_ONEDNN", "1")
    monkeypatch.setenv(engine.ENGINE_ENV, engine.TORCH)
    assert not tunings.is_on("engine") and not engine.wanted("text-classification")
    assert cpu_kernels.wanted("text-classification") == cpu_kernels.kernels_available()
    monkeypatch.setenv(engine.ENGINE_ENV, engine.ONNXRUNTIME)
    assert tunings.is_on("engine") and all(engine.wanted(task) for task in (
        "fill-mask", "text-generation", "summarization"))
    # The engine beat oneDNN's packed layers on every model: none is packed while it is on.
    assert not any(cpu_kernels.wanted(task) for task in cpu_kernels.KERNEL_TASKS)
    assert next(t for t in tunings.TUNINGS if t.name == "engine").bench == ("engines",)
