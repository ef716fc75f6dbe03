import random
import unicodedata

import pytest

from models.text_alignment import align_tokens, normalize_with_map


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
    from tests.checkpoints import build_bert_tokenizer

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
    previous_end = 0
    for span in spans:
        assert previous_end <= span.start < span.end <= len(text)
        source = unicodedata.normalize("NFKC", text[span.start : span.end])
        if span.token != bert_tokenizer.unk_token:
            piece = span.token[2:] if span.token.startswith("##") else span.token
            assert piece in source
        previous_end = span.start
    # nothing but whitespace is left out between tokens
    covered = set()
    for span in spans:
        covered.update(range(span.start, span.end))
    assert all(text[i].isspace() for i in range(len(text)) if i not in covered)


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


def test_fast_tokenizers_use_their_own_offsets(tmp_path):
    from transformers import AutoTokenizer

    from tests.checkpoints import build_t5

    tokenizer = AutoTokenizer.from_pretrained(build_t5(tmp_path / "t5"))
    assert tokenizer.is_fast
    text = "今日は　天気が良い"
    spans = align_tokens(tokenizer, text)
    assert [s.token for s in spans] == tokenizer.tokenize(text)
    assert all(0 <= s.start <= s.end <= len(text) for s in spans)
    covered = {i for s in spans for i in range(s.start, s.end)}
    assert covered == {i for i, char in enumerate(text) if not char.isspace()}
