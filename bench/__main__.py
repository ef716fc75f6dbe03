"""`python -m bench`: build or reuse the benchmark checkpoints, measure, and report.

    python -m bench [--quick] [--device cpu|cuda] [--only SECTION ...] [--docs]

Results go to bench/results/<date>.json and .md (and are printed); --docs puts
the table into docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import sys
import time
from pathlib import Path

SECTIONS = ("page_ready", "latency", "api_latency", "throughput", "classroom", "cold_tabs", "streaming", "tokenizer",
            "word2vec", "kernels", "engines", "quantization", "inside", "skipgram", "prompting")


def _cuda_available() -> bool:
    import torch

    return torch.cuda.is_available()


def _engines_built(paths: dict) -> None:
    """Each model's export for ONNX Runtime, built before any section runs (as `python -m models.prefetch` does
    before a class): otherwise a model's first load in a section starts its build in the background, and the
    build's minute of work runs beside that section's timings. (The engines section builds its own, cold.)"""
    from models import engine
    from models.registry import MODELS

    for key, folder in paths.items():
        if engine.wanted(MODELS[key].task):
            print(f"{key}: {engine.prefetch(MODELS[key].task, str(folder))}", file=sys.stderr, flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small models and few repeats (a smoke run)")
    parser.add_argument("--device", choices=("cpu", "cuda"), default="cpu")
    parser.add_argument("--only", nargs="+", choices=SECTIONS, help="run these sections only")
    parser.add_argument("--cache", type=Path, help="checkpoint cache (default $JNLP_BENCH_CACHE or ~/.cache/jnlp-bench)")
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent / "results")
    parser.add_argument("--docs", action="store_true", help="write the table into docs/benchmarks.md")
    args = parser.parse_args(argv)
    if args.docs and args.only and set(args.only) != set(SECTIONS):
        # The page's table is one run's: a few sections would replace it all. Their lines go in by hand.
        parser.error("--docs writes the whole table of a full run: leave out --only (or give every section)")

    os.environ.setdefault("HF_HUB_OFFLINE", "1")  # benchmarks never download
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
    # Repeated requests time the models, not the app's reuse of a recent answer (models/recent.py);
    # the classroom section measures that reuse on its own.
    from models.recent import RESULT_CACHE_ENV

    os.environ[RESULT_CACHE_ENV] = "0"
    if args.device == "cpu":
        os.environ["CUDA_VISIBLE_DEVICES"] = ""  # the app picks the GPU when it sees one
    elif not _cuda_available():  # else every number would be the CPU's, saved under "cuda"
        print("--device cuda: torch sees no CUDA device on this machine (torch.cuda.is_available() is False).",
              file=sys.stderr)
        return 2
    from bench import measure, report, sections
    from fixtures import sized

    paths = sized.build_all(args.cache, quick=args.quick)
    env = sized.model_env(paths)
    os.environ.update(env)
    _engines_built(paths)
    settings = sections.Settings(quick=args.quick, device=args.device)
    wanted = args.only or SECTIONS
    results: dict = {"date": datetime.date.today().isoformat(), "device": args.device, "quick": args.quick,
                     "machine": measure.machine()}
    for name in SECTIONS:
        if name not in wanted:
            continue
        print(f"[bench] {name} …", file=sys.stderr, flush=True)
        started = time.monotonic()
        if name == "page_ready":
            results[name] = sections.page_ready(env, settings)
        elif name == "latency":
            results[name] = sections.latency(settings)
        elif name == "api_latency":
            server = measure.serve(measure.python("app.py"), env)
            try:
                results[name] = sections.api_latency(server.url, settings)
            finally:
                server.stop()
        elif name == "throughput":
            results[name] = sections.throughput(env, settings)
        elif name == "classroom":
            results[name] = sections.classroom(env, settings)
        elif name == "cold_tabs":
            results[name] = sections.cold_tabs(env, settings)
        elif name == "streaming":
            results[name] = sections.streaming(settings)
        elif name == "tokenizer":
            results[name] = sections.tokenizer_tab(settings)
        elif name == "word2vec":
            results[name] = sections.word2vec(settings)
        elif name == "kernels":
            results[name] = sections.kernels(env, settings)
        elif name == "engines":
            results[name] = sections.engines(settings)
        elif name == "quantization":
            results[name] = sections.quantization(settings)
        elif name == "inside":
            results[name] = sections.inside(settings)
        elif name == "skipgram":
            results[name] = sections.skipgram(env, settings)
        elif name == "prompting":
            results[name] = sections.prompting(settings)
        print(f"[bench] {name} took {time.monotonic() - started:.0f} s", file=sys.stderr, flush=True)
    table = report.markdown(results)
    args.out.mkdir(parents=True, exist_ok=True)
    stem = f"{results['date']}-{'quick' if args.quick else 'full'}-{args.device}"
    (args.out / f"{stem}.json").write_text(json.dumps(results, indent=2, ensure_ascii=False), encoding="utf-8")
    (args.out / f"{stem}.md").write_text(table, encoding="utf-8")
    print(table)
    print(f"saved {args.out / stem}.json and .md", file=sys.stderr)
    if args.docs:
        report.update_page(report.BENCHMARKS_PAGE, table)
    return 0


if __name__ == "__main__":
    sys.exit(main())
