"""What several benchmark sections use: the long input text, the text that fits a model, the run's settings."""

from __future__ import annotations

from dataclasses import dataclass

# A news-like paragraph written for the benchmark, repeated past BERT's 512 tokens.
LONG_TEXT = ("市の図書館は来月から開館時間を延長し、平日は午後九時まで利用できるようになる。"
             "担当者によると、仕事帰りの利用者から要望が多く、夜間は自習室も開放するという。") * 12


def fitting_text(key: str, tokens: int = 512) -> str:
    """The longest run of LONG_TEXT's characters that the model of `key` reads as at most `tokens` tokens
    (special tokens included): the "512-token input", with nothing for either side to cut."""
    from models.loader import load_tokenizer

    tokenizer = load_tokenizer(key).tokenizer
    low, high = 1, len(LONG_TEXT)
    while low < high:  # binary search on the length
        middle = (low + high + 1) // 2
        if len(tokenizer(LONG_TEXT[:middle])["input_ids"]) <= tokens:
            low = middle
        else:
            high = middle - 1
    return LONG_TEXT[:low]


@dataclass(frozen=True)
class Settings:
    quick: bool
    device: str

    @property
    def repeats(self) -> int:
        return 3 if self.quick else 15

    @property
    def long_repeats(self) -> int:
        # 20: with 10 the median of a 512-token row moved by several percent from run to run.
        return 2 if self.quick else 20

    @property
    def seconds(self) -> float:
        return 3.0 if self.quick else 20.0

    @property
    def new_tokens(self) -> int:
        return 8 if self.quick else 32


def dense_layer_peak_gflops(model, repeats: int) -> float:
    """This CPU's best rate on the model's own largest dense layer (the first feed-forward layer) over 2,048
    tokens: the GFLOPS its dense layers, which hold nearly all of an encoder's arithmetic, can reach at best."""
    import time

    import torch

    layer, config = model.base_model.encoder.layer[0].intermediate.dense, model.config
    tokens = torch.randn(2048, config.hidden_size)
    with torch.inference_mode():
        layer(tokens)  # warm
        times = []
        for _ in range(repeats):
            started = time.perf_counter()
            layer(tokens)
            times.append(time.perf_counter() - started)
    return 2 * 2048 * config.hidden_size * config.intermediate_size / min(times) / 1e9
