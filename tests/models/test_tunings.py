"""The speed tunings (models/tunings.py): listed in one place, run by the loader at fixed points, switched by
their settings, and never able to break a load: a failing hook is logged once and turned off."""

import logging

import pytest

from bench.__main__ import SECTIONS
from demos import sentiment
from demos.common import classify
from models import cpu_kernels, loader, openmp, settings, tunings


@pytest.fixture(autouse=True)
def fresh_state(monkeypatch):
    monkeypatch.setattr(tunings, "_off", set())  # tunings this file turns off come back on for the other tests
    loader.unload_all()
    yield
    loader.unload_all()


def _with_tuning(monkeypatch, name, hooks):
    """Add a tuning, switched by a setting that is always on, behind the app's own."""
    tuning = tunings.Tuning(name, "JNLP_GC_FREEZE", lambda current: True, hooks, ())
    monkeypatch.setattr(tunings, "TUNINGS", (*tunings.TUNINGS, tuning))


def test_each_tuning_names_its_setting_its_bench_section_and_its_phases():
    phases = {tunings.LAUNCH, tunings.IMPORTED, tunings.BUILT, tunings.CACHED, tunings.CALL_ENDED, tunings.EVICTED}
    names = [tuning.name for tuning in tunings.TUNINGS]
    assert len(set(names)) == len(names)
    assert {"engine", "onednn", "int8", "keep_freed_memory", "gc_freeze", "openmp_release", "shared_vocabulary",
            "warm_up"} == set(names)
    for tuning in tunings.TUNINGS:
        assert tuning.setting in settings.BY_NAME, tuning.name
        assert set(tuning.bench) <= set(SECTIONS), tuning.name
        assert tuning.hooks and set(tuning.hooks) <= phases, tuning.name
        assert isinstance(tuning.on(settings.read({})), bool)
    # The defaults: every tuning on but int8, as before they were hooks (JNLP_ONEDNN=auto asks the CPU).
    defaults = settings.read({})
    assert [t.name for t in tunings.TUNINGS if not t.on(defaults)] == ["int8"]


def test_the_loader_runs_the_phases_at_its_fixed_points_in_order(load_model, monkeypatch):
    seen = []
    phases = (tunings.BUILT, tunings.CACHED, tunings.CALL_ENDED, tunings.EVICTED)
    _with_tuning(monkeypatch, "recorder", {phase: (lambda entry, phase=phase: seen.append((phase, entry)))
                                           for phase in phases})
    entry = load_model("SENTIMENT")
    with loader.using("SENTIMENT"):
        pass
    loader.unload_all()
    assert seen == [(tunings.BUILT, entry), (tunings.CACHED, entry), (tunings.CALL_ENDED, entry),
                    (tunings.EVICTED, None)]
    assert entry.unloaded.is_set()  # the loader told the entry it was let go


def test_a_failing_hook_never_breaks_loading_and_is_off_afterwards(load_model, monkeypatch, caplog):
    """As if a torch upgrade removed the private operator oneDNN's packing uses."""
    calls = []

    def operator_gone(model):
        calls.append(model)
        raise AttributeError("'_OpNamespace' 'mkldnn' object has no attribute '_reorder_linear_weight'")

    monkeypatch.setenv(cpu_kernels.ONEDNN_ENV, "1")
    monkeypatch.setattr(cpu_kernels, "packed_layers", operator_gone)
    assert tunings.is_on("onednn")
    with caplog.at_level(logging.WARNING, logger="models.tunings"):
        entry = load_model("SENTIMENT")
    assert classify(entry, sentiment.EXAMPLES[0][0]).probabilities  # loaded, and it answers
    assert tunings.kernels(entry) == tunings.TORCH_KERNELS
    assert not tunings.is_on("onednn")
    lines = [record.getMessage() for record in caplog.records if "onednn" in record.getMessage()]
    assert lines == ["tuning onednn failed and is off until restart: AttributeError: '_OpNamespace' 'mkldnn' "
                     "object has no attribute '_reorder_linear_weight'"]
    load_model("NLI")
    assert len(calls) == 1  # off: the next load does not try again
    others = [t.name for t in tunings.TUNINGS if t.name != "onednn" and t.on(settings.current())]
    assert others and all(tunings.is_on(name) for name in others)  # the other tunings stay on


def test_a_hook_that_fails_after_a_call_fails_no_call(load_model, monkeypatch, caplog):
    calls = []

    def broken(entry):
        calls.append(entry)
        raise RuntimeError("broken hook")

    _with_tuning(monkeypatch, "broken", {tunings.CALL_ENDED: broken})
    for _ in range(2):
        with caplog.at_level(logging.WARNING, logger="models.tunings"), loader.using("SENTIMENT") as entry:
            assert entry.runner("良い商品でした。", top_k=None)
    assert len(calls) == 1 and not tunings.is_on("broken")
    assert "tuning broken failed and is off until restart: RuntimeError: broken hook" in caplog.text


def test_a_failure_while_packing_in_the_background_keeps_torchs_layers_and_turns_packing_off(load_model,
                                                                                             monkeypatch):
    monkeypatch.setenv(cpu_kernels.ONEDNN_ENV, "1")
    monkeypatch.setattr(tunings, "PACK_IN_BACKGROUND_BYTES", 0)  # the tiny GPT-2 counts as large

    def operator_gone(model):
        raise AttributeError("no _reorder_linear_weight")

    monkeypatch.setattr(cpu_kernels, "packed_layers", operator_gone)
    entry = load_model("GENERATION")
    assert entry.layers_final.wait(30)
    assert tunings.kernels(entry) == tunings.TORCH_KERNELS and not tunings.is_on("onednn")


@pytest.mark.parametrize("value, releases", [("1", 1), ("0", 0)])
def test_a_tunings_setting_switches_it(load_model, monkeypatch, value, releases):
    released = []
    monkeypatch.setattr(openmp, "release_thread_team", lambda: released.append("released"))
    monkeypatch.setenv("JNLP_OPENMP_RELEASE", value)
    load_model("SENTIMENT")
    with loader.using("SENTIMENT"):
        pass
    assert len(released) == releases


def test_vocabularies_are_not_shared_when_switched_off(load_model, monkeypatch):
    monkeypatch.setenv("JNLP_SHARED_VOCABULARY", "0")
    assert load_model("SENTIMENT").tokenizer.vocab is not load_model("NLI").tokenizer.vocab
