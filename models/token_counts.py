"""How many tokens a model accepts, how many it would see for an input, and whether it would cut it (cheaply)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from models.loader import LoadedModel

# A tokenizer that does not know its limit reports a huge placeholder (transformers' VERY_LARGE_INTEGER).
_UNKNOWN_LIMIT = 1_000_000
_FALLBACK_LIMIT = 512


def input_limit(tokenizer: Any, config: Any) -> int:
    """How many tokens the model accepts (the smallest known limit); also sets it on the tokenizer, since
    a config that lacks ``model_max_length`` (or states more than the model's positions) would let the
    pipelines pass a long text uncut, overflowing BERT's position embeddings."""
    stated = (getattr(tokenizer, "model_max_length", None), getattr(config, "max_position_embeddings", None),
              getattr(config, "n_positions", None))
    known = [value for value in stated if isinstance(value, int) and 0 < value <= _UNKNOWN_LIMIT]
    limit = min(known) if known else _FALLBACK_LIMIT
    tokenizer.model_max_length = limit
    return limit


def count_tokens(entry: LoadedModel, text: str, text_pair: str | None = None) -> int:
    """Tokens the model would see for this input (special tokens included), before truncation."""
    encoded = entry.tokenizer(text, text_pair) if text_pair is not None else entry.tokenizer(text)
    return len(encoded["input_ids"])


# exceeds_limit reads this many characters per token of the limit before counting a whole long input.
HEAD_CHARACTERS_PER_TOKEN_LIMIT = 8


def exceeds_limit(entry: LoadedModel, text: str, text_pair: str | None = None) -> bool:
    """Whether the model would cut this input (more tokens than it accepts).

    Counting tokenizes the text a second time (the pipeline did once), so a cheap bound answers first: no
    tokenizer here makes more tokens than twice the UTF-8 bytes of the normalised, lower-cased text
    (WordPiece makes at most one per character, SentencePiece one per byte plus a word marker), plus a few
    special tokens. Only inputs near the limit are counted in full.
    """
    import unicodedata

    pieces = [text] if text_pair is None else [text, text_pair]
    bound = sum(2 * len(unicodedata.normalize("NFKC", piece).lower().encode("utf-8")) for piece in pieces) + 8
    if bound <= entry.max_length:
        return False
    # Far over the limit (a pasted article), the start decides: if its head already makes twice the limit
    # in tokens, the whole input makes more (cutting inside a word changes the count only there).
    head = HEAD_CHARACTERS_PER_TOKEN_LIMIT * entry.max_length
    if any(len(piece) > head for piece in pieces):
        start = count_tokens(entry, text[:head], None if text_pair is None else text_pair[:head])
        if start > 2 * entry.max_length:
            return True
    return count_tokens(entry, text, text_pair) > entry.max_length
