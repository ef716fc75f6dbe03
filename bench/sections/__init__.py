"""The benchmark's measurements; each returns plain data for the JSON report.

Every figure is measured beside its baseline in the same run, on the same
machine: the app's handler beside the bare model call, the lazy app beside the
eager one, batching on beside batching off, the app's word2vec beside gensim,
oneDNN's kernels beside torch's default ones, the encoders' engine beside a
plain ONNX Runtime.

One module per section (`python -m bench --only SECTION`); what several use is
in common.py. Each section's function is imported here under its old name.
"""

from __future__ import annotations

from bench.sections.api_latency import api_latency
from bench.sections.classroom import classroom
from bench.sections.cold_tabs import cold_tabs
from bench.sections.common import LONG_TEXT, Settings, fitting_text
from bench.sections.engines import engines
from bench.sections.inside import inside
from bench.sections.kernels import _largest_difference, kernels
from bench.sections.latency import latency
from bench.sections.page_ready import page_ready
from bench.sections.prompting import prompting
from bench.sections.quantization import quantization
from bench.sections.skipgram import skipgram
from bench.sections.streaming import streaming
from bench.sections.throughput import batching_ceiling, encoder_flops, mixed_lengths, throughput
from bench.sections.tokenizer import tokenizer_tab
from bench.sections.word2vec import word2vec

__all__ = ["LONG_TEXT", "Settings", "fitting_text", "page_ready", "latency", "api_latency", "throughput",
           "encoder_flops", "batching_ceiling", "mixed_lengths", "classroom", "cold_tabs", "streaming",
           "tokenizer_tab", "word2vec", "quantization", "kernels", "engines", "_largest_difference", "inside", "skipgram", "prompting"]
