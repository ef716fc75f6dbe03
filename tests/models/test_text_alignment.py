import random
import unicodedata
from collections import Counter

import pytest

from demos.common import usable_text
from models.text_alignment import (MARKER, TokenSpan, align_first_tokens, align_tokens, is_marker, normalize_with_map,
                                   repair_spans)


def _sources(text):
    mapping = normalize_with_map(text)
    return mapping.text, [text[mapping.source_start[i] : mapping.source_end[i]] for i in range(len(mapping.text))]


@pytest.mark.parametrize(
    "text, normalized, sources",
    [
        ("ＡＢＣ", "ABC", ["Ａ", "Ｂ", "Ｃ"]),
        ("ｶﾞｷﾞ", "ガギ", ["ｶﾞ", "ｷﾞ"]),  # half-width kana + voicing mark merge into one character
        ("㈱x", "(株)x", ["㈱", "㈱", "㈱", "x"]),  # one character expands to three
        ("か\u3099", "が", ["か\u3099"]),  # combining voicing mark
        ("\u1100\u1161\u11a8", "각", ["\u1100\u1161\u11a8"]),  # Hangul jamo compose
        ("a\u3000b", "a b", ["a", "\u3000", "b"]),
        # A combining accent with no precomposed form: NFKC leaves both, each keeps its own source.
        ("ま\u0301", "ま\u0301", ["ま", "\u0301"]),
        ("ｶﾞｷ", "ガキ", ["ｶﾞ", "ｷ"]),
        ("😀👍🏻", "😀👍🏻", ["😀", "👍", "🏻"]),
        ("", "", []),
    ],
)
def test_normalisation_map_points_each_character_at_its_source(text, normalized, sources):
    assert _sources(text) == (normalized, sources)


def test_normalisation_map_matches_nfkc_on_random_text():
    rng = random.Random(7)
    pool = "ｱｶﾞﾊﾟﾞﾟ㈱①ＡＢｃ　 \n\t漢字かな\u3099\u309aé\u0301😀👩‍👧\u0cc6\u0cc2\u1100\u1161x"
    for _ in range(500):
        text = "".join(rng.choice(pool) for _ in range(rng.randint(0, 12)))
        mapping = normalize_with_map(text)
        assert mapping.text == unicodedata.normalize("NFKC", text)
        for i in range(len(mapping.text)):
            assert 0 <= mapping.source_start[i] < mapping.source_end[i] <= len(text)
        assert list(mapping.source_start) == sorted(mapping.source_start)


@pytest.fixture(scope="module")
def bert_tokenizer(tmp_path_factory):
    from fixtures.tiny import build_bert_tokenizer

    return build_bert_tokenizer(tmp_path_factory.mktemp("tokenizer"))


@pytest.mark.parametrize(
    "text",
    [
        "山田太郎さんは東京で働いています。",
        "ＡＢＣの山田　太郎さん",  # full-width letters and an ideographic space inside a name
        "東京と東京と東京",  # repeated strings
        "今日は\n\n天気が  良い😀ので",  # newlines, double half-width spaces, emoji
        "ｶﾞｲﾄﾞ㈱と①",
        "[CLS] 文中の特殊トークン [SEP]",
    ],
)
def test_token_spans_cover_their_tokens_in_the_original_text(bert_tokenizer, text):
    spans = align_tokens(bert_tokenizer, text)
    assert [s.token for s in spans] == bert_tokenizer.tokenize(text)
    for span in spans:
        if span.start == span.end:  # only the 2nd and 3rd token of ㈱ (NFKC: (株)), which has one character
            continue
        source = unicodedata.normalize("NFKC", text[span.start : span.end])
        if span.token != bert_tokenizer.unk_token:
            piece = span.token[2:] if span.token.startswith("##") else span.token
            assert piece in source
    assert_spells_text_once(text, spans)


def test_unknown_word_covers_the_whole_word(bert_tokenizer):
    text = "山田さんは犇犇で"  # 犇 is not in the fixture's vocab
    spans = align_tokens(bert_tokenizer, text)
    unknown = [s for s in spans if s.token == "[UNK]"]
    assert unknown and text[unknown[0].start : unknown[0].end].startswith("犇")


def test_random_text_always_aligns_in_order(bert_tokenizer):
    rng = random.Random(3)
    pool = list("山田太郎東京さんはでの。、ＡＢ　 \n😀ｶﾞ㈱今日天気良いabc123") + ["[UNK]", "##"]
    for _ in range(200):
        text = "".join(rng.choice(pool) for _ in range(rng.randint(1, 25)))
        spans = align_tokens(bert_tokenizer, text)
        assert [s.token for s in spans] == bert_tokenizer.tokenize(text)
        starts = [s.start for s in spans]
        assert starts == sorted(starts)
        assert all(0 <= s.start <= s.end <= len(text) for s in spans)


def test_fast_tokenizers_use_their_own_offsets(sentencepiece):
    tokenizer = sentencepiece["t5"]
    assert tokenizer.is_fast
    text = "今日は　天気が良い"
    spans = align_tokens(tokenizer, text)
    assert [s.token for s in spans] == tokenizer.tokenize(text)
    assert all(0 <= s.start <= s.end <= len(text) for s in spans)
    covered = {i for s in spans for i in range(s.start, s.end)}
    assert covered == {i for i, char in enumerate(text) if not char.isspace()}


# ---- every tokenizer's spans spell the text exactly once ---------------------------------------------------


def _reads_as_blank(tokenizer, char: str) -> bool:
    """What a "▁" may stand for: a space, a typed "▁", or a character the tokenizer's normaliser makes a space or
    deletes (zero-width space, BOM, a control character, U+FFFD for SentencePiece)."""
    if char.isspace() or char == MARKER:
        return True
    normalizer = getattr(getattr(tokenizer, "backend_tokenizer", None), "normalizer", None)
    return normalizer is not None and not normalizer.normalize_str(char).strip()


def assert_spells_text_once(text: str, spans: list[TokenSpan], tokenizer=None) -> None:
    """Spans sorted and never overlapping; each non-space character covered by exactly one token (when there
    are tokens at all); an empty span only for a "▁" marker, or for a further token of the characters of the
    token before it when NFKC turned them into several characters (㈱ → (株): three tokens, one character)."""
    shown = [(s.token, s.start, s.end) for s in spans]
    previous_end = 0
    last_filled: TokenSpan | None = None
    covered: Counter[int] = Counter()
    for span in spans:
        assert previous_end <= span.start <= span.end <= len(text), (text, shown)
        if span.start == span.end:
            if not is_marker(span.token):
                assert last_filled is not None and span.start == last_filled.end, (text, shown)
                source = text[last_filled.start : last_filled.end]
                assert unicodedata.normalize("NFKC", source) != source, (text, shown)
        else:
            last_filled = span
            if is_marker(span.token):
                assert all(_reads_as_blank(tokenizer, c) for c in text[span.start : span.end]), (text, shown)
        covered.update(range(span.start, span.end))
        previous_end = span.end
    if spans:
        twice_or_never = [i for i, c in enumerate(text) if not c.isspace() and covered[i] != 1]
        assert twice_or_never == [], (text, shown)


@pytest.fixture(scope="module")
def sentencepiece(tmp_path_factory):
    """The T5 and GPT-2 tokenizers as the app's test checkpoints build them, loaded as the app loads them."""
    from transformers import AutoTokenizer

    from fixtures.tiny import build_gpt2, build_t5

    base = tmp_path_factory.mktemp("sentencepiece")
    return {"t5": AutoTokenizer.from_pretrained(build_t5(base / "t5")),
            "gpt2": AutoTokenizer.from_pretrained(build_gpt2(base / "gpt2"))}


@pytest.fixture(scope="module")
def every_tokenizer(sentencepiece, bert_tokenizer):
    return {**sentencepiece, "bert": bert_tokenizer}


def test_the_classes_are_the_ones_the_app_meets(every_tokenizer):
    from transformers import BertJapaneseTokenizer, T5Tokenizer, T5TokenizerFast

    assert isinstance(every_tokenizer["t5"], (T5Tokenizer, T5TokenizerFast)) and every_tokenizer["t5"].is_fast
    assert isinstance(every_tokenizer["gpt2"], (T5Tokenizer, T5TokenizerFast))
    assert isinstance(every_tokenizer["bert"], BertJapaneseTokenizer) and not every_tokenizer["bert"].is_fast


@pytest.mark.parametrize("family", ["t5", "gpt2"])
def test_a_lone_word_start_mark_gets_an_empty_span_where_it_stands(sentencepiece, family):
    # The fast tokenizer says "▁" (3, 4) and "は" (3, 4): drawn as is, は showed twice.
    text = "今日 は天気"
    spans = align_tokens(sentencepiece[family], text)
    assert [(s.token, s.start, s.end) for s in spans][:5] == [
        ("▁", 0, 0), ("今", 0, 1), ("日", 1, 2), ("▁", 3, 3), ("は", 3, 4)]
    assert_spells_text_once(text, spans, sentencepiece[family])


@pytest.mark.parametrize("family", ["t5", "gpt2"])
@pytest.mark.parametrize("text", ["犇犇は", "ＧＰＴと鬱蒼とした森😀", "a b\u3000c", " 今日", "今日\u3000\u3000は", "は 😀 👩‍👧 ❤️"])
def test_an_unknown_piece_after_a_mark_keeps_its_own_characters(sentencepiece, family, text):
    spans = align_tokens(sentencepiece[family], text)
    unknown = [s for s in spans if s.token == "<unk>"]
    assert all(s.start < s.end for s in unknown)  # an <unk> covers what it replaced, the "▁" before it nothing
    assert all(s.start == s.end for s in spans if is_marker(s.token))
    assert_spells_text_once(text, spans, sentencepiece[family])


@pytest.mark.parametrize("family", ["t5", "gpt2"])
def test_control_characters_first_do_not_shift_the_offsets(sentencepiece, family):
    # The tokenizers library shifts every offset by the characters its normaliser deletes at the start.
    text = "\x0c\x1f今日 は"
    spans = align_tokens(sentencepiece[family], text)
    assert [text[s.start : s.end] for s in spans if not is_marker(s.token)] == ["今", "日", "は"]
    assert_spells_text_once(text, spans, sentencepiece[family])


def test_a_typed_mark_is_a_character_of_the_text(every_tokenizer):
    text = "a▁b"
    for tokenizer in every_tokenizer.values():
        spans = align_tokens(tokenizer, text)
        assert "▁" in [text[s.start : s.end] for s in spans]
        assert_spells_text_once(text, spans, tokenizer)


# Characters the chips must spell: kanji the tiny vocabularies know and do not know, kana, half- and full-width
# letters and spaces, emoji (with a skin tone, a family joined by ZWJ, a variation selector), NFKC-changed
# characters (ｶﾞ, ㈱, ①), combining marks, invisible and control characters, a typed "▁", newlines and tabs.
_POOL = (list("今日は天気が良いので公園まで歩いて行きます。、東京山田ＧＰＴＢＥＲＴgptbert123 　\t\n")
         + ["😀", "👍🏻", "👩\u200d👧", "❤\ufe0f", "鬱蒼", "犇", "ｶﾞ", "㈱", "①", "か\u3099", "ま\u0301",
            "\u200b", "\ufeff", "\x00", "\x0c", "\x1f", "\x85", "\u2028", "\u00ad", "\ufffd", MARKER,
            "  ", "\u3000\u3000", "\r\n"])


def _random_texts(seed: int, count: int) -> list[str]:
    rng = random.Random(seed)
    # As the app gives them: a NUL (MeCab stops there) comes as U+FFFD (demos/common.usable_text).
    return [usable_text("".join(rng.choice(_POOL) for _ in range(rng.randint(0, 18)))) for _ in range(count)]


@pytest.mark.parametrize("family, seed", [("t5", 1), ("gpt2", 2), ("bert", 3)])
def test_spans_spell_any_text_exactly_once(every_tokenizer, family, seed):
    tokenizer = every_tokenizer[family]
    for text in _random_texts(seed, count=1500):
        spans = align_tokens(tokenizer, text)
        if tokenizer.is_fast:
            assert [s.token for s in spans] == tokenizer.convert_ids_to_tokens(tokenizer(text)["input_ids"][:-1])
        else:
            assert [s.token for s in spans] == tokenizer.tokenize(text)
        assert_spells_text_once(text, spans, tokenizer)


def test_repair_spans_on_made_up_offsets():
    text = "今日は犇"
    # The fast-tokenizer shape: a mark on the character after it, byte pieces all on one character.
    raw = [TokenSpan("▁", 0, 1), TokenSpan("今日", 0, 2), TokenSpan("▁", 2, 3), TokenSpan("は", 2, 3),
           TokenSpan("<0xE7>", 3, 4), TokenSpan("<0x8A>", 3, 4), TokenSpan("<0x87>", 3, 4)]
    assert [(s.start, s.end) for s in repair_spans(text, raw)] == [(0, 0), (0, 2), (2, 2), (2, 3), (3, 4), (4, 4),
                                                                    (4, 4)]
    # A character no token covers goes to the next token (or, at the end, to the last one).
    assert [(s.start, s.end) for s in repair_spans("\u200bは\u200b", [TokenSpan("は", 1, 2)])] == [(0, 3)]
    assert [(s.start, s.end) for s in repair_spans("a \x01b", [TokenSpan("a", 0, 1), TokenSpan("▁", 3, 3),
                                                                  TokenSpan("b", 3, 4)])] == [(0, 1), (2, 3), (3, 4)]
    # A mark over a real space may keep it; spans out of range are brought back inside the text.
    assert [(s.start, s.end) for s in repair_spans("a b", [TokenSpan("a", 0, 1), TokenSpan("▁", 1, 2),
                                                           TokenSpan("b", 2, 9)])] == [(0, 1), (1, 2), (2, 3)]
    assert repair_spans("", []) == []


@pytest.mark.parametrize("count", [1, 40, 300])
def test_the_first_tokens_of_a_long_text_align_as_in_the_whole_text(bert_tokenizer, count):
    # A pasted article of which the model read its first tokens: only a prefix is aligned, and what
    # comes back is what aligning the whole text gives for those tokens.
    text = ("ＡＢＣ社の　新製品😀は東京で発表された。ｶﾞｲﾄﾞも読みやすい。 " * 400)
    whole = align_tokens(bert_tokenizer, text)
    first = align_first_tokens(bert_tokenizer, text, count)
    assert first == whole[:count] and len(first) == count
    short = "今日は晴れ。"
    assert align_first_tokens(bert_tokenizer, short, 50) == align_tokens(bert_tokenizer, short)
