"""Black-box tests: the app served by `python app.py`, called through gradio_client."""

import json

import pytest
from gradio_client.exceptions import AppError

from demos import ner, word2vec


def _confidences(label_value):
    return {item["label"]: item["confidence"] for item in label_value["confidences"]}


def test_sentiment_endpoint_returns_every_label(client):
    label, note = client.predict("このイヤホンは最高です。", api_name="/sentiment")
    assert label["label"] == "positive"
    assert _confidences(label) == pytest.approx({"positive": 0.75, "negative": 0.25}, abs=1e-6)
    assert note == ""


def test_nli_endpoint_takes_premise_then_hypothesis(client):
    label, _ = client.predict("公園で子どもが遊んでいる。", "子どもが外にいる。", api_name="/nli")
    assert _confidences(label) == pytest.approx({"entailment": 0.6, "contradiction": 0.3, "neutral": 0.1}, abs=1e-6)


def test_sts_endpoint_first_output_is_the_raw_score(client):
    score, _ = client.predict("犬と走った。", "犬を連れて走った。", api_name="/sts")
    assert score == pytest.approx(3.7, abs=1e-5)


def test_simcse_endpoint_gives_a_cosine(client):
    same, _ = client.predict("今日は天気が良い。", "今日は天気が良い。", api_name="/simcse")
    other, _ = client.predict("今日は天気が良い。", "この映画はつまらなかった。", api_name="/simcse")
    assert same == pytest.approx(1.0, abs=1e-6)
    assert -1.0 <= other < same


def test_ner_endpoint_highlights_the_original_text(client):
    text = "ＡＢＣの山田　太郎さんが\n東京😀と東京へ"
    highlights, table, summary = client.predict(text, api_name="/ner")
    assert "".join(item["token"] for item in highlights) == text
    assert [(h["token"], h["class_or_confidence"]) for h in highlights if h["class_or_confidence"]] == [
        ("ＡＢＣ", "法人名"), ("山田\u3000太郎", "人名"), ("東京", "地名"), ("東京", "地名")]
    assert table["headers"] == ner.TABLE_HEADERS
    assert [row[3:] for row in table["data"]] == [[0, 3], [4, 9], [13, 15], [17, 19]]
    assert "4" in summary


def test_summarize_endpoint_defaults_and_caps(client):
    article = "今日は天気が良いので、山田さんは東京の公園で散歩しました。"
    summary, note = client.predict(article, api_name="/summarize")
    assert isinstance(summary, str) and summary
    short, _ = client.predict(article, 8, 1, api_name="/summarize")
    assert summary.startswith(short) and len(short) <= 8 * 4


def test_long_input_is_truncated_with_a_note(client):
    label, note = client.predict("今日は天気が良いので散歩に行きます。" * 50, api_name="/sentiment")
    assert sum(_confidences(label).values()) == pytest.approx(1.0)
    assert "64 トークン" in note and "first 64 tokens" in note


@pytest.mark.parametrize(
    "api_name, args",
    [
        ("/sentiment", ("",)),
        ("/nli", ("前提です。", "  ")),
        ("/sts", ("\u3000", "文です。")),
        ("/simcse", ("文です。", "")),
        ("/ner", ("\n\n",)),
        ("/summarize", (" ",)),
    ],
)
def test_blank_input_gets_a_clear_bilingual_message(client, api_name, args):
    with pytest.raises(AppError) as error:
        client.predict(*args, api_name=api_name)
    message = str(error.value)
    assert "入力してください" in message and "Please enter" in message
    assert "Traceback" not in message


def test_tokenize_endpoint_returns_structured_tokens(client):
    text = "<b>今日</b>は天気"
    result = client.predict(text, api_name="/tokenize")[0]
    assert result["characters"] == len(text)
    assert "".join(m["surface"] for m in result["mecab"]) == text
    assert set(result["tokenizers"]) == {"bert", "t5", "gpt2"}
    for family in result["tokenizers"].values():
        assert family["error"] is None
        assert len(family["tokens"]) == len(family["ids"]) == len(family["spans"])
        for span, special in zip(family["spans"], family["special"]):
            assert (span is None) == special
    bert = result["tokenizers"]["bert"]
    assert bert["tokens"][0] == "[CLS]" and bert["tokens"][-1] == "[SEP]"


def test_next_token_endpoint_gives_sorted_probabilities(client):
    label, choices = client.predict("今日は天気が", api_name="/next_token")
    probabilities = [c["confidence"] for c in label["confidences"]]
    assert len(probabilities) == 10
    assert probabilities == sorted(probabilities, reverse=True)
    assert 0 < sum(probabilities) <= 1.0 + 1e-6


def test_generate_endpoint_streams_to_a_final_text_and_a_repeat_gets_it_at_once(client):
    prompt = "ストリーミングの試験：今日は天気が良いので"  # no other test sends it: the first call computes
    job = client.submit(prompt, "GENERATION_SMALL", 6, api_name="/generate")
    final = job.result()
    assert final.startswith(prompt) and len(final) > len(prompt)
    updates = job.outputs()
    assert len(updates) >= 2 and updates[-1] == final
    # The same request again (a class clicking the same example): the finished text in one update.
    again = client.submit(prompt, "GENERATION_SMALL", 6, api_name="/generate")
    assert again.result() == final and again.outputs() == [final]


def test_generate_refuses_a_model_outside_the_registry(client):
    with pytest.raises(AppError):
        client.predict("今日は", "someone/else", api_name="/generate")


def test_word2vec_endpoint_trains_on_pasted_text_and_finds_neighbours(client):
    corpus = "\n".join(["犬と猫が庭で遊ぶ。", "東京と大阪へ行く。"] * 20)
    table, figure, note = client.predict(corpus, "犬", api_name="/word2vec")
    assert table["headers"] == word2vec.TABLE_HEADERS
    assert {row[0] for row in table["data"]} == {"犬"}
    assert note == ""
    # The plot comes as Plotly's JSON: one point for the query and each neighbour, named in its hover text.
    points = [h.split(":")[0] for trace in json.loads(figure["plot"])["data"] for h in trace.get("hovertext", [])]
    assert sorted(points) == sorted({"犬", *(row[1] for row in table["data"])})
