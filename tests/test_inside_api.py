"""/saliency and /attention through gradio_client, as a Python user calls them: the JSON the API page
describes, and a bilingual message (no traceback) for what a student can fix."""

import numpy as np
import pytest
from gradio_client.exceptions import AppError


def test_saliency_returns_scores_on_the_typed_text(client):
    text = "この本は　ＡＢＣ 良い😀。"
    found = client.predict("sentiment", text, api_name="/saliency")
    assert found["method"] == "integrated_gradients" and found["target"] in ("positive", "negative")
    for token in found["tokens"]:
        assert (token["start"] is None) == (token["token"] in ("[CLS]", "[SEP]"))
    assert all(text[word["start"]:word["end"]] == word["word"] for word in found["words"])
    assert found["faithfulness"]["top"] is not None


def test_attention_rows_sum_to_one_and_gpt2_never_looks_ahead(client):
    found = client.predict("next_token", "今日は天気が良いので", model_key="GENERATION_SMALL", layer=1, head=1,
                           api_name="/attention")
    weights = np.asarray(found["weights"])
    assert weights.sum(axis=1) == pytest.approx(np.ones(len(weights)), abs=1e-5)
    assert found["causal"] and np.triu(weights, k=1).max() == 0 and found["layer"] == 1


@pytest.mark.parametrize("api_name, args, japanese, english", [
    ("/saliency", ("ner", "東京"), "タスクは", "Choose the task"),
    ("/saliency", ("sentiment", "良い本", "", "joy"), "ラベルは", "Choose the label"),
    ("/attention", ("nli", "前提です。", "仮説です。", 99), "層は", "The layers are"),
    ("/attention", ("sentiment", "  "), "入力してください", "Please enter"),
])
def test_what_a_student_can_fix_gets_a_bilingual_message(client, api_name, args, japanese, english):
    with pytest.raises(AppError) as error:
        client.predict(*args, api_name=api_name)
    message = str(error.value)
    assert japanese in message and english in message and "Traceback" not in message
