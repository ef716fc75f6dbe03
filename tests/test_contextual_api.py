"""Black-box tests of /contextual and /fill_mask: the app served by `python app.py`, called through gradio_client."""

import pytest
from gradio_client.exceptions import AppError

from demos import contextual


def _confidences(label_value):
    return {item["label"]: item["confidence"] for item in label_value["confidences"]}


def test_contextual_endpoint_first_output_is_the_similarity_matrix(client):
    table, heatmap, scatter, note = client.predict("ＡＢＣと東京\nABCとABCで\n私はABCへ", "ABC",
                                                   api_name="/contextual")
    labels = table["headers"][1:]
    assert [label.split(":")[0] for label in labels] == ["1", "2-1", "2-2", "3"]
    rows = table["data"]
    assert [row[0] for row in rows] == labels
    values = [row[1:] for row in rows]
    for i, row in enumerate(values):
        assert row[i] == pytest.approx(1.0, abs=1e-6)
        for j, value in enumerate(row):
            assert value == pytest.approx(values[j][i], abs=1e-6)
    assert "word2vec" in note


def test_contextual_endpoint_takes_a_layer(client):
    table, *_ = client.predict("ABCと東京\nABCで", "ABC", 0, api_name="/contextual")
    assert len(table["data"]) == 2


def test_contextual_endpoint_names_the_sentences_without_the_word(client):
    with pytest.raises(AppError) as error:
        client.predict("ABCと東京\n大阪です。\nABC", "ABC", api_name="/contextual")
    assert "sentence 2" in str(error.value) and "Traceback" not in str(error.value)


def test_fill_mask_endpoint_gives_fillers_and_the_completed_text(client):
    label, rows, completed = client.predict("今日は[MASK]に行きます。", api_name="/fill_mask")
    confidences = _confidences(label)
    assert len(confidences) == 5  # top_k defaults to 5
    assert [confidences[token] for token in ("東京", "大阪", "##ス")] == pytest.approx([0.5, 0.3, 0.2], abs=1e-6)
    assert sum(confidences.values()) == pytest.approx(1.0, abs=1e-5)
    assert completed == "今日は東京に行きます。"
    assert rows["headers"] == contextual.FILL_HEADERS


def test_fill_mask_endpoint_labels_several_masks(client):
    label, rows, completed = client.predict("ＡＢＣは＿へ、＊を見た。", 2, api_name="/fill_mask")
    assert label["label"] == "東京" and len(label["confidences"]) == 2
    assert [row[0] for row in rows["data"]] == ["マスク1 / mask 1"] * 2 + ["マスク2 / mask 2"] * 2
    assert completed == "ＡＢＣは東京へ、東京を見た。"


@pytest.mark.parametrize("args, message", [(("マスクのない文。",), "No mask"), (("＿" * 6,), "Too many masks"),
                                           (("  ",), "Please enter")])
def test_fill_mask_endpoint_refusals_are_clear(client, args, message):
    with pytest.raises(AppError) as error:
        client.predict(*args, api_name="/fill_mask")
    assert message in str(error.value) and "Traceback" not in str(error.value)
