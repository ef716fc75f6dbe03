"""Tokenizer tab: MeCab morphemes and each family's tokens, with exact spans, safe HTML."""

import html
import random
import re

import gradio as gr
import pytest

from demos import tokenizer as tab
from models.morphology import morphemes

TEXTS = [
    "今日は天気が良いので、公園まで歩いて行きます。",
    "ＧＰＴと　BERT😀\n\n鬱蒼とした森 ㈱ｶﾞ",
    "<script>alert(1)</script> &amp; 東京",
]


@pytest.fixture
def results(load_model):  # load_model points every key at the tiny checkpoints
    def run(text):
        return tab.tokenize_all(text)

    return run


def test_morphemes_carry_part_of_speech_reading_and_lemma():
    found = morphemes("今日は天気が良い")
    assert [m.surface for m in found] == ["今日", "は", "天気", "が", "良い"]
    assert found[0].pos.startswith("名詞") and found[0].reading == "キョウ" and found[0].lemma == "今日"


@pytest.mark.parametrize("text", TEXTS)
def test_morpheme_spans_slice_the_original_text(text):
    for m in morphemes(text):
        assert text[m.start : m.end] == m.surface


@pytest.mark.parametrize("text", TEXTS)
def test_every_family_reconstructs_the_text_and_matches_its_own_encode(results, text):
    from transformers import AutoTokenizer
    from models.registry import get_spec

    _, tokenizations = results(text)
    assert [t.family.slug for t in tokenizations] == ["bert", "t5", "gpt2"]
    for result in tokenizations:
        assert result.error is None
        own = AutoTokenizer.from_pretrained(get_spec(result.family.key).resolve_id())
        assert [t.id for t in result.tokens] == own(text)["input_ids"]
        segments = tab.chip_segments(text, result.tokens)
        assert "".join(piece for piece, _ in segments) == text
        for token in result.tokens:
            if not token.special:
                assert 0 <= token.start <= token.end <= len(text)


def test_bert_marks_special_and_unknown_tokens(results):
    _, (bert, *_) = results("鬱蒼")  # not in the fixture's vocabulary
    assert bert.tokens[0].text == "[CLS]" and bert.tokens[0].special
    assert bert.tokens[-1].text == "[SEP]" and bert.tokens[-1].special
    assert any(t.unknown and t.text == "[UNK]" for t in bert.tokens)
    html = tab.chips_html("鬱蒼", bert)
    # Unknown tokens are outlined in red: their chips, and only theirs, have the class that does it.
    assert ".jnlp-chips span.unknown{background:#fecaca;outline:2px solid #dc2626}" in html
    unknown_chips = re.findall(r'<span class="unknown[^"]*" title="([^"]*) · id', html)
    assert unknown_chips and set(unknown_chips) == {"[UNK]"}
    assert "[CLS]" in html and "[CLS]" not in tab.chips_html("鬱蒼", bert, show_special=False)


def test_sentencepiece_appends_eos(results):
    _, (_, t5, gpt2) = results("今日は")
    assert t5.tokens[-1].text == "</s>" and t5.tokens[-1].special
    assert gpt2.tokens[-1].special


def test_html_in_input_and_tokens_is_shown_literally(results):
    text = TEXTS[2]
    _, tokenizations = results(text)
    for result in tokenizations:
        page = tab.chips_html(text, result, show_special=False)
        assert "<script" not in page and "&lt;" in page
        # Without the chips that name tokens, and without the tags, the page reads back as the input.
        page = re.sub(r'<style>.*?</style>|<span class="[^"]*jnlp-extra"[^>]*>.*?</span>', "", page)
        assert html.unescape(re.sub(r"<[^>]+>", "", page)) == text
    rows = tab.token_rows(tokenizations[0])
    assert all(isinstance(row[1], str) for row in rows)


def test_ids_toggle_shows_ids(results):
    _, (bert, *_) = results("今日は")
    assert f">{bert.tokens[1].id}</sub>" in tab.chips_html("今日は", bert, show_ids=True)
    assert "<sub" not in tab.chips_html("今日は", bert, show_ids=False)


def test_a_tokenizer_that_cannot_load_reports_in_its_own_column(results, monkeypatch, tmp_path):
    monkeypatch.setenv("JNLP_MODEL_GENERATION", str(tmp_path / "missing"))
    _, (bert, t5, gpt2) = results("今日は")
    assert bert.error is None and t5.error is None and bert.tokens
    assert gpt2.error and "JNLP_MODEL_GENERATION" in gpt2.error
    assert "JNLP_MODEL_GENERATION" in tab.chips_html("今日は", gpt2)


def test_stats_count_content_tokens(results):
    text = "今日は天気"
    _, (bert, *_) = results(text)
    content = [t for t in bert.tokens if not t.special]
    stats = tab.stats_markdown(text, bert)
    assert f"トークン {len(content)}" in stats and f"文字 {len(text)}" in stats


def test_json_result_is_plain_data(results):
    import json

    text = "今日は天気"
    found, tokenizations = results(text)
    data = tab.as_json(text, found, tokenizations)
    assert json.loads(json.dumps(data, ensure_ascii=False)) == data
    bert = data["tokenizers"]["bert"]
    assert len(bert["tokens"]) == len(bert["ids"]) == len(bert["spans"])
    assert bert["spans"][0] is None  # [CLS]
    assert data["mecab"][0]["surface"] == "今日"


def test_a_long_text_is_tokenized_up_to_the_cap_and_says_so(load_model):
    sentence = "今日は天気が良いので散歩に行きます。"
    text = sentence * (tab.MAX_TOKENIZE_CHARS // len(sentence) + 50)
    outputs = tab.tokenize(text)
    summary, rows = outputs[0], outputs[1]
    assert summary["characters"] == len(text) and summary["tokenized_characters"] == tab.MAX_TOKENIZE_CHARS
    assert rows[-1][5] <= tab.MAX_TOKENIZE_CHARS  # the last morpheme ends inside the tokenized part
    for stats in outputs[3::3]:
        assert f"{len(text):,}" in stats and "only its first 10,000" in stats and "最初の 10,000 文字" in stats


def test_a_text_just_under_the_cap_is_tokenized_whole_without_a_note(load_model):
    text = "猫" * tab.MAX_TOKENIZE_CHARS
    outputs = tab.tokenize(text)
    assert outputs[0]["tokenized_characters"] == outputs[0]["characters"] == len(text)
    assert "⚠️" not in outputs[3]


def test_blanks_before_a_long_text_do_not_hide_it(load_model):
    text = " " * (tab.MAX_TOKENIZE_CHARS + 5) + "東京へ行く。"
    summary = tab.tokenize(text)[0]
    assert [m["surface"] for m in summary["mecab"]][:2] == ["東京", "へ"]


# ---- the chips spell the text exactly once (issue 20) -----------------------------------------------------


def _read_back(page: str) -> str:
    """The text a page of chips shows, less the chips that name a token rather than show characters."""
    page = re.sub(r'<style>.*?</style>|<span class="[^"]*jnlp-extra"[^>]*>.*?</span>', "", page)
    return html.unescape(re.sub(r"<[^>]+>", "", page))


def _assert_spells_once(text: str, data: dict) -> None:
    """In /tokenize's JSON: the text's own tokens in order, never overlapping, each non-space character covered
    once; an empty span only for a "▁" mark (or a further token of one character NFKC made several of: ㈱)."""
    covered = [0] * len(text)
    previous_end = 0
    for token, span, special in zip(data["tokens"], data["spans"], data["special"]):
        if special:
            continue
        start, end = span
        assert previous_end <= start <= end <= len(text), (text, data["tokens"], data["spans"])
        if start == end:
            assert set(token) == {"▁"} or start == previous_end, (text, token, span)
        for i in range(start, end):
            covered[i] += 1
        previous_end = end
    if any(not special for special in data["special"]):
        assert [i for i, c in enumerate(text) if not c.isspace() and covered[i] != 1] == [], (text, data)


def test_a_word_start_mark_is_drawn_as_a_marker_not_as_a_copy_of_its_neighbour(results):
    text = "今日 は天気"
    found, tokenizations = results(text)
    data = tab.as_json(text, found, tokenizations)
    for family in ("t5", "gpt2"):
        pairs = list(zip(data["tokenizers"][family]["tokens"], data["tokenizers"][family]["spans"]))
        assert ("▁", [3, 3]) in pairs and ("は", [3, 4]) in pairs  # the fast tokenizer said ▁ (3, 4)
        _assert_spells_once(text, data["tokenizers"][family])
    for result in tokenizations[1:]:
        page = tab.chips_html(text, result, show_special=False)
        assert _read_back(page) == text  # は once, not twice
        markers = re.findall(r'<span class="marker jnlp-extra" title="([^"]*)">▁</span>', page)
        assert len(markers) == sum(t.marker for t in result.tokens) == 2
        assert all("単語の始まりの印（文字なし） / marks the start of a word (no character)" in m for m in markers)
        # Each mark stands right before the characters of the word it starts.
        segments = tab.chip_segments(text, result.tokens)
        at = [k for k, (piece, index) in enumerate(segments) if index is not None and result.tokens[index].marker]
        assert [segments[k + 1][0] for k in at] == ["今", "は"]
    # The marker chips have a look of their own, dark on pale (readable in dark mode too).
    assert ".jnlp-chips span.marker{background:#f9fafb;color:#374151;" in tab._CHIP_STYLE


@pytest.mark.parametrize("seed", [1, 2])
def test_every_family_spells_any_text_exactly_once(results, seed):
    from demos.common import blank, usable_text

    rng = random.Random(seed)
    pool = (list("今日は天気が良いので公園まで歩いて行きます。、東京山田ＧＰＴＢＥＲＴgpt123 　\t\n<>&\"'")
            + ["😀", "👍🏻", "👩\u200d👧", "❤\ufe0f", "鬱蒼", "犇", "ｶﾞ", "㈱", "①", "\u200b", "\ufeff", "\x00",
               "\x0c", "▁", "  ", "\u3000\u3000"])
    for _ in range(60):
        text = usable_text("".join(rng.choice(pool) for _ in range(rng.randint(1, 20))))
        if blank(text):  # the tab asks for some text instead
            continue
        found, tokenizations = results(text)
        data = tab.as_json(text, found, tokenizations)
        for result in tokenizations:
            _assert_spells_once(text, data["tokenizers"][result.family.slug])
            for show_special in (True, False):
                assert _read_back(tab.chips_html(text, result, show_special, show_ids=True).replace(
                    "<sub>", '<span class="jnlp-extra">').replace("</sub>", "</span>")) == text


def test_the_legend_explains_the_marker_in_both_languages():
    from demos import i18n

    japanese, english = i18n.catalog()["tokenizer.legend"]
    assert "▁" in japanese and "単語の始まりの印（文字なし）" in japanese
    assert "▁" in english and "start of a word (no character)" in english
    with gr.Blocks():
        tab.build()
        legend = [block for block in gr.context.Context.root_block.blocks.values()
                  if isinstance(block, gr.Markdown) and i18n.key_of(block.value) == "tokenizer.legend"]
    assert len(legend) == 1


def test_a_tokenizer_that_fails_on_the_text_reports_in_its_own_column(results, monkeypatch):
    real = tab.tokenize_with

    def failing_for_t5(tokenizer, text):
        if "t5" in str(tokenizer.name_or_path):
            raise RuntimeError("broken")
        return real(tokenizer, text)

    monkeypatch.setattr(tab, "tokenize_with", failing_for_t5)
    found, (bert, t5, gpt2) = results("今日は")
    assert found and bert.tokens and gpt2.tokens and not t5.tokens
    assert "RuntimeError" in t5.error and "could not split" in t5.error


def test_mecab_still_shows_when_no_tokenizer_loads(load_model, monkeypatch, tmp_path):
    for family in tab.FAMILIES:
        monkeypatch.setenv(f"JNLP_MODEL_{family.key}", str(tmp_path / f"missing-{family.slug}"))
    outputs = tab.tokenize("今日は天気")
    assert [row[0] for row in outputs[1]] == ["今日", "は", "天気"]  # MeCab's table
    for family, chips in zip(tab.FAMILIES, outputs[2::3]):
        assert f"JNLP_MODEL_{family.key}" in chips and "⚠️" in chips
