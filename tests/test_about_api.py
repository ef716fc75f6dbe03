"""The status endpoint through the API: one row per registry key, the ids the operator set, what is loaded."""

from demos import about
from models import cpu_kernels
from models.registry import MODELS


def _rows(client):
    models, environment = client.predict(api_name="/status")
    assert models["headers"] == about.MODEL_HEADERS
    assert environment["headers"] == about.ENVIRONMENT_HEADERS
    return {row[0]: dict(zip(about.MODEL_HEADERS, row)) for row in models["data"]}, environment["data"]


def test_status_names_every_key_with_the_ids_the_operator_set(client, model_env):
    rows, environment = _rows(client)
    assert list(rows) == list(MODELS)
    for key, row in rows.items():
        assert row["モデル / Model"] == model_env[f"JNLP_MODEL_{key}"]
        assert row["出どころ / Source"].endswith("overridden (local folder)")
        assert row["オフライン / Offline"].startswith("✅")  # the tiny checkpoints are complete folders
    settings = dict(environment)
    assert settings["HF_HUB_OFFLINE"].startswith("オン")  # the test environment never downloads
    assert settings["gradio"] and settings["torch"] != "未インストール / not installed"


def test_a_model_used_by_a_tab_reads_loaded(client):
    label, _ = client.predict("このイヤホンは最高です。", api_name="/sentiment")
    assert label["label"] == "positive"
    row = _rows(client)[0]["SENTIMENT"]
    assert row["読み込み / Loaded"] == "✅ 読み込み済み / loaded"
    assert row["メモリ / Memory"].endswith(("kB", "MB"))
    # The server inherits this process's environment (JNLP_ONEDNN unset: auto, decided by the CPU).
    on_onednn = cpu_kernels.wanted("text-classification")
    assert row["デバイス / Device"] == "cpu" + (about.ON_ONEDNN if on_onednn else "")
