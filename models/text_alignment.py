"""Map tokens of a normalising tokenizer back to exact spans of the user's original text.

The book's BERT tokenizer (BertJapaneseTokenizer: MeCab + WordPiece) is a slow tokenizer: it gives no
character offsets, NFKC-normalises the text first (full-width letters become half-width, ｶﾞ becomes ガ,
㈱ becomes (株)) and drops whitespace. To highlight entities on the text the user typed, NFKC is applied
here cluster by cluster, so every normalised character knows the original characters it came from, and
each token is found in the normalised text in order.

Whatever the tokenizer, the spans handed out are repaired (``repair_spans``) so that they never overlap
and cover every non-space character exactly once (fast SentencePiece tokenizers overlap them).
"""

from __future__ import annotations

import bisect
import re
import unicodedata
from dataclasses import dataclass
from typing import Any

# Half-width katakana voicing marks: NFKC merges them with the preceding kana (ｶ + ﾞ -> ガ).
_HALFWIDTH_VOICING = {"\uff9e", "\uff9f"}


def _joins_previous(char: str) -> bool:
    """True when NFKC may merge this character into the one before it."""
    if char in _HALFWIDTH_VOICING:
        return True
    decomposed = unicodedata.normalize("NFKD", char)
    if decomposed and unicodedata.combining(decomposed[0]):
        return True
    # Hangul medial and final jamo compose with a leading jamo.
    code = ord(char)
    return 0x1160 <= code <= 0x11FF or 0xD7B0 <= code <= 0xD7FF


def _clusters(text: str) -> list[tuple[int, int]]:
    """Spans of the original text that NFKC normalises independently of each other."""
    if not text:
        return []
    starts = [0] + [i for i in range(1, len(text)) if not _joins_previous(text[i])]
    return list(zip(starts, [*starts[1:], len(text)]))


@dataclass(frozen=True)
class NormalizedText:
    """NFKC text with, for each of its characters, the original span it came from."""

    original: str
    text: str
    source_start: tuple[int, ...]
    source_end: tuple[int, ...]

    def to_original(self, start: int, end: int) -> tuple[int, int]:
        """The original span covering normalised characters [start, end)."""
        if end <= start:  # an empty span stays empty, at the right place
            position = self.source_start[start] if start < len(self.text) else len(self.original)
            return position, position
        return self.source_start[start], self.source_end[end - 1]


def _merge_mismatches(text: str, spans: list[tuple[int, int]], expected: str) -> list[tuple[int, int]]:
    """Merge neighbouring clusters until their NFKC pieces spell the whole-text NFKC. Only reached for
    rare scripts whose vowel signs compose with the letter before them; Japanese text never needs it."""
    merged: list[tuple[int, int]] = []
    cursor = 0
    i = 0
    while i < len(spans):
        start = spans[i][0]
        j = i
        while True:
            piece = unicodedata.normalize("NFKC", text[start : spans[j][1]])
            if j + 1 == len(spans):
                break
            # Stop once the piece matches the expected text and the next cluster does not compose into it.
            following = unicodedata.normalize("NFKC", text[start : spans[j + 1][1]])
            if expected.startswith(piece, cursor) and following.startswith(piece):
                break
            j += 1
        merged.append((start, spans[j][1]))
        cursor += len(piece)
        i = j + 1
    return merged


def normalize_with_map(text: str) -> NormalizedText:
    """NFKC-normalise ``text`` and remember where each normalised character came from."""
    expected = unicodedata.normalize("NFKC", text)
    spans = _clusters(text)
    pieces = [unicodedata.normalize("NFKC", text[s:e]) for s, e in spans]
    if "".join(pieces) != expected:
        spans = _merge_mismatches(text, spans, expected)
        pieces = [unicodedata.normalize("NFKC", text[s:e]) for s, e in spans]
    starts: list[int] = []
    ends: list[int] = []
    for (start, end), piece in zip(spans, pieces):
        if end - start > 1:
            # A cluster whose characters normalise one by one to the same text (ま + a combining
            # accent that has no precomposed form) maps character by character: MeCab may cut
            # between them, and each token then keeps a character of its own.
            singles = [unicodedata.normalize("NFKC", char) for char in text[start:end]]
            if "".join(singles) == piece:
                for offset, single in enumerate(singles):
                    starts.extend([start + offset] * len(single))
                    ends.extend([start + offset + 1] * len(single))
                continue
        starts.extend([start] * len(piece))
        ends.extend([end] * len(piece))
    normalized = "".join(pieces)
    if normalized != expected:  # last resort: never crash, map everything to the whole text
        normalized, starts, ends = expected, [0] * len(expected), [len(text)] * len(expected)
    return NormalizedText(text, normalized, tuple(starts), tuple(ends))


def identity_map(text: str) -> NormalizedText:
    """The mapping for a tokenizer that does not normalise."""
    return NormalizedText(text, text, tuple(range(len(text))), tuple(range(1, len(text) + 1)))


@dataclass(frozen=True)
class TokenSpan:
    token: str
    start: int  # in the original text
    end: int


def _word_tokenizer(tokenizer: Any) -> Any:
    return getattr(tokenizer, "word_tokenizer", None) if getattr(tokenizer, "do_word_tokenize", False) else None


_SPACE = re.compile(r"\s+")


def _word_spans(tokenizer: Any, normalized: str, fold: bool) -> list[tuple[int, int]]:
    """Spans of the words WordPiece is given: MeCab's words in the normalised text, each split at
    whitespace as WordPiece splits it (MeCab may keep a control character such as U+001F, which
    Python counts as whitespace, inside a word: 😀 U+001F U+FEFF is then two [UNK]s)."""
    word_tokenizer = _word_tokenizer(tokenizer)
    if word_tokenizer is None:
        return [m.span() for m in re.finditer(r"\S+", normalized)]
    haystack = normalized.lower() if fold else normalized
    spans = []
    cursor = 0
    for word in word_tokenizer.tokenize(normalized):
        found = haystack.find(word.lower() if fold else word, cursor)
        if found < 0:
            continue
        spans.extend((found + m.start(), found + m.end()) for m in re.finditer(r"\S+", word))
        cursor = found + len(word)
    return spans


# SentencePiece writes a word boundary (a space, or the start of the text) as "▁". A piece
# made of nothing else is a marker: it may stand for a space of the input, never for a letter.
MARKER = "\u2581"


def is_marker(token: str) -> bool:
    """True for a SentencePiece piece that is only the word-boundary mark ("▁")."""
    return bool(token) and token.strip(MARKER) == ""


def repair_spans(text: str, spans: list[TokenSpan]) -> list[TokenSpan]:
    """The same tokens with spans that are sorted, never overlap and cover every non-space character of
    ``text`` exactly once (when there is at least one token).

    - A marker ("▁") whose span holds a character other than a space gets an empty span where it stands:
      a fast SentencePiece tokenizer reports "▁" (2, 3) and "は" (2, 3) for the "は" of 今日は.
    - Any other span is cut where it overlaps the span before it (an <unk> after such a marker, a
      byte-fallback piece after the first piece of the same character).
    - Non-space characters no token covers (a control or zero-width character the tokenizer dropped or
      read as a space) go to the next token, or the last one, so the chips always spell the whole text.
    """
    length = len(text)
    cut: list[list[int]] = []
    cursor = 0
    for span in spans:
        start = min(max(span.start, 0), length)
        end = min(max(span.end, start), length)
        # A marker may stand for a space, or for a "▁" the user typed (read as a space), never for a letter.
        stray_marker = is_marker(span.token) and not all(c.isspace() or c == MARKER for c in text[start:end])
        start = max(start, cursor)
        end = start if stray_marker else max(end, start)
        cut.append([start, end])
        cursor = end

    cursor = 0
    for bounds in cut:
        start, end = bounds
        if start > cursor:
            dropped = next((i for i in range(cursor, start) if not text[i].isspace()), None)
            if dropped is not None:
                bounds[0] = dropped
        cursor = max(cursor, end)
    if cut:
        rest = [i for i in range(cursor, length) if not text[i].isspace()]
        if rest:
            last = cut[-1]
            if last[0] == last[1]:
                last[0] = rest[0]
            last[1] = rest[-1] + 1
    return [TokenSpan(span.token, start, end) for span, (start, end) in zip(spans, cut)]


def _deleted_prefix(tokenizer: Any, text: str) -> int:
    """How many characters at the start of ``text`` the fast tokenizer's normaliser deletes."""
    normalizer = getattr(getattr(tokenizer, "backend_tokenizer", None), "normalizer", None)
    if normalizer is None:
        return 0
    count = 0
    while count < len(text) and not normalizer.normalize_str(text[count]):
        count += 1
    return count


def align_tokens(tokenizer: Any, text: str) -> list[TokenSpan]:
    """The tokenizer's tokens for ``text`` (as ``tokenizer.tokenize`` gives them, or for a fast tokenizer as
    its ids name them), each with its exact span in ``text``, repaired (``repair_spans``). An unknown-word
    token ([UNK]) covers the whole word it replaced."""
    if getattr(tokenizer, "is_fast", False):
        # A fast tokenizer knows its offsets into the original text: use them, repaired. Characters
        # its normaliser deletes at the very start (a control character such as a form feed) shift
        # every offset after them in the tokenizers library; without them the ids are the same
        # (they were deleted anyway) and the offsets right, once moved back by their count.
        skip = _deleted_prefix(tokenizer, text)
        encoding = tokenizer(text[skip:], add_special_tokens=False, return_offsets_mapping=True)
        tokens = tokenizer.convert_ids_to_tokens(encoding["input_ids"])
        spans = [TokenSpan(t, s + skip, e + skip) for t, (s, e) in zip(tokens, encoding["offset_mapping"])]
    else:
        spans = _align_slow(tokenizer, text)
    return repair_spans(text, spans)


def align_first_tokens(tokenizer: Any, text: str, count: int) -> list[TokenSpan]:
    """At least the first ``count`` tokens of ``text`` with their spans, aligning only as much of a long text
    as it takes (a pasted article of which a model read 512 tokens): prefixes of growing length, until one
    yields a few tokens more than wanted, so that where the prefix was cut changes none of those kept."""
    length = max(256, 16 * count)
    while True:
        spans = align_tokens(tokenizer, text[:length])
        if length >= len(text):
            return spans
        if len(spans) > count + 8:
            return spans[:count]
        length *= 2


def _align_slow(tokenizer: Any, text: str) -> list[TokenSpan]:
    """Spans for a slow tokenizer (the book's BERT): each token found in the normalised text in order. A
    token that cannot be found (never seen with the book's tokenizers) gets an empty span there, not an error."""
    tokens = tokenizer.tokenize(text)
    normalizes = getattr(_word_tokenizer(tokenizer), "normalize_text", False)
    mapping = normalize_with_map(text) if normalizes else identity_map(text)
    fold = bool(getattr(tokenizer, "do_lower_case", False))
    haystack = mapping.text.lower() if fold else mapping.text
    unk = getattr(tokenizer, "unk_token", None)
    words: list[tuple[int, int]] | None = None  # computed only when an [UNK] needs it
    word_starts: list[int] = []

    result: list[TokenSpan] = []
    cursor = 0
    for token in tokens:
        space = _SPACE.match(haystack, cursor)
        if space:
            cursor = space.end()
        if token == unk:
            if words is None:
                words = _word_spans(tokenizer, mapping.text, fold)
                word_starts = [s for s, _ in words]
            # The word that contains the cursor: the last one starting at or before it (words are in order).
            index = bisect.bisect_right(word_starts, cursor) - 1
            inside = index >= 0 and words[index][0] <= cursor < words[index][1]
            end = words[index][1] if inside else min(cursor + 1, len(haystack))
            start = cursor
        else:
            piece = token[2:] if token.startswith("##") and len(token) > 2 else token
            piece = piece.lower() if fold else piece
            start = cursor if haystack.startswith(piece, cursor) else haystack.find(piece, cursor)
            if start < 0:
                result.append(TokenSpan(token, *mapping.to_original(cursor, cursor)))
                continue
            end = start + len(piece)
        result.append(TokenSpan(token, *mapping.to_original(start, end)))
        cursor = end
    return result
