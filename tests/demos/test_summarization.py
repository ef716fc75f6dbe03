import math

import pytest
import torch

from demos import summarization

ARTICLE = "今日は天気が良いので、山田さんは東京の公園で散歩しました。公園の景色はとても美しい。"


def test_summary_is_what_generate_gives_for_the_same_checkpoint(load_model, checkpoint_dir):
    from transformers import AutoModelForSeq2SeqLM, AutoTokenizer

    summary = summarization.summarize_article(load_model("SUMMARIZATION"), ARTICLE, max_new_tokens=12)

    tokenizer = AutoTokenizer.from_pretrained(checkpoint_dir["SUMMARIZATION"])
    model = AutoModelForSeq2SeqLM.from_pretrained(checkpoint_dir["SUMMARIZATION"]).eval()
    with torch.no_grad():
        output = model.generate(**tokenizer(ARTICLE, return_tensors="pt"), max_new_tokens=12, do_sample=False)
    assert summary.text == tokenizer.decode(output[0], skip_special_tokens=True).strip()
    assert summary.text  # the fixture never stops early, so the text is not empty
    assert not summary.truncated


def test_max_new_tokens_bounds_the_length(load_model):
    model = load_model("SUMMARIZATION")
    short = summarization.summarize_article(model, ARTICLE, max_new_tokens=3)
    longer = summarization.summarize_article(model, ARTICLE, max_new_tokens=10)
    # Greedy decoding: the longer run continues the shorter one.
    assert longer.text.startswith(short.text) and len(short.text) < len(longer.text)
    # At most 3 pieces of at most 4 characters (the fixture's SentencePiece limit).
    assert 0 < len(short.text) <= 12


@pytest.mark.parametrize(
    "value, expected", [(math.nan, 64), (None, 64), (-5, 8), (0, 8), (10**9, 256), (12.7, 12)]
)
def test_generation_length_is_clamped(value, expected):
    assert summarization.SUMMARIZE.input("max_new_tokens").check(value) == expected


def test_long_article_is_truncated_and_said_so(load_model):
    model = load_model("SUMMARIZATION")
    summary = summarization.summarize_article(model, ARTICLE * 60, max_new_tokens=4)
    assert summary.truncated and summary.limit == 512
    assert summary.text


def test_beam_search_runs(load_model):
    summary = summarization.summarize_article(load_model("SUMMARIZATION"), ARTICLE, max_new_tokens=5, num_beams=3)
    assert summary.text


def test_a_repeated_summary_request_runs_the_model_once(load_model, count_forward, monkeypatch):
    monkeypatch.delenv("JNLP_RESULT_CACHE", raising=False)
    load_model("SUMMARIZATION")
    calls = count_forward("summarize")
    first = summarization.summarize(ARTICLE, 8, 1)
    assert summarization.summarize(ARTICLE, 8, 1) == first and len(calls) == 1
    summarization.summarize(ARTICLE, 8, 2)  # another beam width: another summary
    summarization.summarize(ARTICLE + "。", 8, 1)
    assert len(calls) == 3
