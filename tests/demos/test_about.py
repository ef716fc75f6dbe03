"""The status tab: what each key will use, whether it is on disk, what is loaded, and the environment,
all without loading a model or reaching the network."""

import socket

import gradio as gr
import pytest

from demos import about
from models import cpu_kernels, loader, tunings
from models.registry import MODELS

SENTIMENT_HUB_ID = MODELS["SENTIMENT"].hub_id


@pytest.fixture(autouse=True)
def nothing_loaded():
    loader.unload_all()
    yield
    loader.unload_all()


def _row(rows, key):
    return next(row for row in rows if row.key == key)


def _fake_cache(cache, repo_id, files):
    """The Hugging Face cache layout of one repository at one revision, holding ``files``."""
    repo = cache / ("models--" + repo_id.replace("/", "--"))
    (repo / "refs").mkdir(parents=True)
    (repo / "refs" / "main").write_text("0123abcd")
    snapshot = repo / "snapshots" / "0123abcd"
    snapshot.mkdir(parents=True)
    for name in files:
        (snapshot / name).write_text("{}")


def test_a_key_overridden_with_a_checkpoint_folder_is_overridden_and_available_offline(checkpoint_dir, tmp_path):
    folder = str(checkpoint_dir["SENTIMENT"])
    rows = about.model_rows({"JNLP_MODEL_SENTIMENT": folder}, cache_dir=tmp_path)
    assert [row.key for row in rows] == list(MODELS)
    row = _row(rows, "SENTIMENT")
    assert (row.model_id, row.source, row.available_offline) == (folder, about.LOCAL_FOLDER, True)
    cells = about.models_table(rows)[0]
    assert cells[:2] == ["SENTIMENT", folder]
    assert cells[2] == "上書き（フォルダ） / overridden (local folder)"
    assert cells[3].startswith("✅")
    # The other keys keep their default Hub ids, absent from this empty cache.
    nli = _row(rows, "NLI")
    assert (nli.model_id, nli.source, nli.offline) == (MODELS["NLI"].hub_id, about.DEFAULT, about.NOT_CACHED)


def test_an_incomplete_or_missing_folder_is_not_available_offline(tmp_path):
    config_only = tmp_path / "config-only"
    config_only.mkdir()
    (config_only / "config.json").write_text("{}")
    weights_only = tmp_path / "weights-only"
    weights_only.mkdir()
    (weights_only / "model.safetensors").write_text("")
    environ = {"JNLP_MODEL_SENTIMENT": str(config_only), "JNLP_MODEL_NLI": str(weights_only),
               "JNLP_MODEL_NER": str(tmp_path / "missing")}
    rows = about.model_rows(environ, cache_dir=tmp_path)
    states = {row.key: row.offline for row in rows if row.source == about.LOCAL_FOLDER}
    assert states == {"SENTIMENT": about.NO_WEIGHTS, "NLI": about.NO_CONFIG, "NER": about.NO_FOLDER}
    assert not any(row.available_offline for row in rows)
    assert all(cells[3].startswith(("❌", "⚠️")) for cells in about.models_table(rows))


def test_a_hub_id_missing_from_the_cache_is_not_cached(tmp_path, monkeypatch):
    from huggingface_hub import constants

    # huggingface_hub reads HF_HUB_CACHE / HF_HOME once, when imported, into constants.HF_HUB_CACHE, and the
    # lookup reads that constant at each call: patch it to check the path the app takes (cache_dir=None).
    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(tmp_path))
    row = _row(about.model_rows({}), "SENTIMENT")
    assert (row.model_id, row.source, row.offline) == (SENTIMENT_HUB_ID, about.DEFAULT, about.NOT_CACHED)
    assert "not in the cache" in about.models_table([row])[0][3]


def test_a_hub_id_in_the_cache_is_available_offline(tmp_path, monkeypatch):
    from huggingface_hub import constants

    _fake_cache(tmp_path, SENTIMENT_HUB_ID, ["config.json", "vocab.txt", "model.safetensors"])
    _fake_cache(tmp_path, "someone/a-config-only-model", ["config.json"])
    environ = {"JNLP_MODEL_NLI": "someone/a-config-only-model"}
    rows = about.model_rows(environ, cache_dir=tmp_path)
    assert _row(rows, "SENTIMENT").offline == about.READY
    nli = _row(rows, "NLI")
    assert (nli.model_id, nli.source, nli.offline) == ("someone/a-config-only-model", about.OVERRIDDEN, about.NO_WEIGHTS)
    assert about.models_table([nli])[0][2] == "上書き（Hub ID） / overridden (Hub id)"
    assert _row(rows, "STS").offline == about.NOT_CACHED
    # An override no Hub repository can have as its name is reported, not raised.
    row = _row(about.model_rows({"JNLP_MODEL_STS": "not a valid id"}, cache_dir=tmp_path), "STS")
    assert (row.source, row.offline) == (about.OVERRIDDEN, about.NOT_CACHED)
    # The same through the cache huggingface_hub uses by default.
    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(tmp_path))
    assert _row(about.model_rows(environ), "SENTIMENT").available_offline


def test_a_loaded_model_shows_its_memory_and_device(load_model, tmp_path, monkeypatch):
    monkeypatch.setenv(cpu_kernels.ONEDNN_ENV, "0")  # torch's own layers: the device alone
    entry = load_model("SENTIMENT")
    rows = about.model_rows(cache_dir=tmp_path)
    row = _row(rows, "SENTIMENT")
    assert row.model_loaded and not row.tokenizer_loaded
    assert row.memory_bytes == loader.loaded_memory()["SENTIMENT"] > 0
    assert row.device == str(entry.runner.device) == "cpu"
    cells = about.models_table([row])[0]
    assert cells[4] == "✅ 読み込み済み / loaded" and cells[5] == about.human_bytes(row.memory_bytes) and cells[6] == "cpu"
    assert not _row(rows, "NLI").model_loaded
    assert about.models_table([_row(rows, "NLI")])[0][4:] == [about._NOT_LOADED, "—", "—"]


def test_the_device_says_when_a_model_runs_on_onednn_and_while_it_is_being_prepared(load_model, tmp_path,
                                                                                     monkeypatch):
    import threading

    monkeypatch.setenv(cpu_kernels.ONEDNN_ENV, "1")
    load_model("SENTIMENT")  # small: packed while it loads
    sentiment = _row(about.model_rows(cache_dir=tmp_path), "SENTIMENT")
    assert sentiment.kernels == tunings.ONEDNN_KERNELS
    assert about.models_table([sentiment])[0][6] == "cpu（oneDNN）"
    # A large model answers at once and is packed in the background: "preparing" until the swap.
    monkeypatch.setattr(tunings, "PACK_IN_BACKGROUND_BYTES", 0)
    may_pack = threading.Event()
    real_packed_layers = cpu_kernels.packed_layers
    monkeypatch.setattr(cpu_kernels, "packed_layers", lambda model: may_pack.wait(30) and real_packed_layers(model))
    entry = load_model("GENERATION")
    try:
        cells = about.models_table([_row(about.model_rows(cache_dir=tmp_path), "GENERATION")])[0]
        assert cells[6] == "cpu（oneDNN を準備中 / preparing oneDNN）"
    finally:
        may_pack.set()
    assert entry.layers_final.wait(30)
    cells = about.models_table([_row(about.model_rows(cache_dir=tmp_path), "GENERATION")])[0]
    assert cells[6] == "cpu（oneDNN）"


def test_a_tokenizer_alone_is_reported_as_such(load_model, tmp_path):
    load_model("SENTIMENT")  # sets the JNLP_MODEL_* variables (and loads one model)
    loader.load_tokenizer("SUMMARIZATION")
    row = _row(about.model_rows(cache_dir=tmp_path), "SUMMARIZATION")
    assert row.tokenizer_loaded and not row.model_loaded
    assert (row.memory_bytes, row.device) == (0, None)
    cells = about.models_table([row])[0]
    assert "tokenizer only" in cells[4] and cells[5] == "—" and "tokenizer only" in cells[6]


def test_the_environment_names_the_installed_versions():
    import torch
    import transformers

    env = about.environment_rows()
    table = dict(about.environment_table(env))
    assert table["torch"] == torch.__version__
    assert table["transformers"] == transformers.__version__
    assert table["gradio"] == gr.__version__
    assert table["torch スレッド数 / torch threads"] == str(torch.get_num_threads())
    assert env.cuda == torch.cuda.is_available()
    assert table["HF_HUB_OFFLINE"].startswith("オン")  # tests/conftest.py sets HF_HUB_OFFLINE=1
    assert next(iter(table)) == "Python" and all(name in table for name in about.PACKAGES)


def test_the_environment_shows_the_operators_settings(monkeypatch):
    monkeypatch.setenv(loader.MEMORY_CAP_ENV, "4GB")
    monkeypatch.setenv("JNLP_BATCH_SIZE", "1")
    monkeypatch.setenv(cpu_kernels.QUANTIZE_ENV, "int8")
    monkeypatch.setenv(cpu_kernels.ONEDNN_ENV, "0")
    monkeypatch.setenv("JNLP_RESULT_CACHE", "0")
    recent_answers = "JNLP_RESULT_CACHE（同じリクエストに直近の答え / recent answers for repeated requests）"
    table = dict(about.environment_table(about.environment_rows()))
    assert table["JNLP_ONEDNN（oneDNN の計算 / oneDNN kernels）"] == "0 → オフ / off"
    assert table[recent_answers] == "オフ / off"
    assert table["JNLP_MAX_MODEL_MEMORY（メモリ上限 / memory cap）"] == "4.0 GB"
    assert "no batching" in table["JNLP_BATCH_SIZE（バッチサイズ / batch size）"]
    assert table["JNLP_QUANTIZE（int8 量子化 / int8 quantisation）"] == "オン / on"
    for name in (loader.MEMORY_CAP_ENV, "JNLP_BATCH_SIZE", cpu_kernels.QUANTIZE_ENV, cpu_kernels.ONEDNN_ENV,
                 "JNLP_RESULT_CACHE"):
        monkeypatch.delenv(name)
    table = dict(about.environment_table(about.environment_rows()))
    # By default the CPU decides (AMD processors with AVX-512: on), and the row says what it decided.
    on_here = cpu_kernels.wanted("text-classification")
    assert table["JNLP_ONEDNN（oneDNN の計算 / oneDNN kernels）"] == (
        f"auto → {'オン / on' if on_here else 'オフ / off'}（この CPU で / on this CPU）")
    assert table["JNLP_MAX_MODEL_MEMORY（メモリ上限 / memory cap）"] == "なし / none"
    assert table["JNLP_BATCH_SIZE（バッチサイズ / batch size）"] == "16"
    assert table["JNLP_QUANTIZE（int8 量子化 / int8 quantisation）"] == "オフ / off"
    assert table[recent_answers] == "オン / on"


def test_a_missing_package_reads_not_installed():
    assert about.package_version("no-such-distribution-jnlp") is None
    env = about.environment_rows()
    env.versions["sentencepiece"] = None
    assert dict(about.environment_table(env))["sentencepiece"] == "未インストール / not installed"


@pytest.mark.parametrize("size, text", [(0, "0 B"), (999, "999 B"), (418_000, "418 kB"), (418_300_000, "418 MB"),
                                        (3_100_000_000, "3.1 GB")])
def test_sizes_read_like_the_memory_cap(size, text):
    assert about.human_bytes(size) == text


def test_the_status_loads_no_model_and_opens_no_connection(load_model, monkeypatch):
    load_model("NLI")  # one model loaded before: it stays, and nothing else loads
    before = loader.loaded_keys()

    def no_network(*args, **kwargs):
        raise AssertionError("the status tab tried to open a connection")

    monkeypatch.setattr(socket.socket, "connect", no_network)
    monkeypatch.setattr(socket, "create_connection", no_network)
    models, environment = about.status()
    assert loader.loaded_keys() == before == ["NLI"]
    assert [cells[0] for cells in models] == list(MODELS)
    assert [cells[0] for cells in models if cells[4].startswith("✅")] == ["NLI"]
    assert all(len(cells) == len(about.MODEL_HEADERS) for cells in models)
    assert all(len(cells) == 2 for cells in environment)


def test_the_status_runs_when_the_tab_opens_and_on_refresh():
    with gr.Blocks() as blocks:
        with gr.Tabs():
            with gr.Tab(about.TITLE) as tab:
                about.build()
    [dependency] = [d for d in blocks.get_config_file()["dependencies"] if d.get("api_name") == "status"]
    refresh = next(b for b in blocks.blocks.values() if isinstance(b, gr.Button))
    assert sorted(dependency["targets"]) == sorted([(tab._id, "select"), (refresh._id, "click")])
    assert dependency["inputs"] == [] and dependency["api_visibility"] == "public"
    tables = [blocks.blocks[i] for i in dependency["outputs"]]
    assert [table.headers for table in tables] == [about.MODEL_HEADERS, about.ENVIRONMENT_HEADERS]
    assert all(" / " in header for header in about.MODEL_HEADERS + about.ENVIRONMENT_HEADERS)
    assert loader.loaded_keys() == []


def test_built_outside_a_tab_it_runs_when_the_page_loads():
    with gr.Blocks() as blocks:
        about.build()
    [dependency] = [d for d in blocks.get_config_file()["dependencies"] if d.get("api_name") == "status"]
    assert ("load" in [event for _, event in dependency["targets"]])
