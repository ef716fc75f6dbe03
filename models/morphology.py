"""MeCab morphemes (fugashi + unidic-lite) with exact spans in the original text.

fugashi's nodes are views into the tagger's last parse and a tagger is not thread-safe, so each thread
keeps its own tagger and every feature is copied out at once. A tagger also interns every surface it has
seen, so it is replaced now and then to keep memory flat on a long-running server.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

_PARSES_PER_TAGGER = 5_000
_local = threading.local()


@dataclass(frozen=True)
class Morpheme:
    surface: str
    pos: str  # part of speech, e.g. 名詞-普通名詞
    reading: str  # katakana reading, "" when MeCab does not know it
    lemma: str  # dictionary form as written (UniDic orthBase): 走っ -> 走る
    start: int
    end: int
    unknown: bool  # not in the dictionary


def tagger():
    """This thread's MeCab tagger (unidic-lite), replaced after a number of parses."""
    import fugashi

    uses = getattr(_local, "uses", _PARSES_PER_TAGGER)
    if uses >= _PARSES_PER_TAGGER:
        _local.tagger = fugashi.Tagger()
        uses = 0
    _local.uses = uses + 1
    return _local.tagger


def _field(feature, name: str) -> str:
    value = getattr(feature, name, None)
    return "" if value in (None, "*") else str(value)


def morphemes(text: str) -> list[Morpheme]:
    """MeCab's analysis of ``text`` as it is (MeCab itself does no NFKC)."""
    result = []
    cursor = 0
    for node in tagger()(text):
        cursor += len(node.white_space)  # MeCab skips whitespace before a morpheme
        feature = node.feature
        pos = "-".join(p for p in (_field(feature, "pos1"), _field(feature, "pos2")) if p)
        start, cursor = cursor, cursor + len(node.surface)
        result.append(
            Morpheme(node.surface, pos, _field(feature, "kana"), _field(feature, "orthBase") or node.surface,
                     start, cursor, bool(node.is_unk))
        )
    return result
