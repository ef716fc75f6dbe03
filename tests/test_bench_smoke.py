"""The benchmark harness runs end to end on small models (a smoke run, not a timing)."""

import json
import os
import subprocess
import sys

import pytest

from tests.conftest import REPO


def test_quick_benchmark_writes_its_json_and_table(tmp_path):
    env = {**os.environ, "JNLP_BENCH_CACHE": str(tmp_path / "cache"), "HF_HUB_OFFLINE": "1"}
    env = {k: v for k, v in env.items() if not k.startswith("JNLP_MODEL_")}
    result = subprocess.run(
        [sys.executable, "-m", "bench", "--quick", "--only", "latency", "api_latency", "throughput", "classroom", "tokenizer",
         "kernels", "engines", "inside", "skipgram", "prompting", "--out", str(tmp_path / "out")],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    (saved,) = (tmp_path / "out").glob("*.json")
    results = json.loads(saved.read_text(encoding="utf-8"))
    endpoints = {row["endpoint"] for row in results["latency"]}
    assert {"sentiment", "nli", "sts", "simcse", "ner", "summarize", "contextual", "fill_mask"} <= endpoints
    assert any(e.startswith("generate (GENERATION_SMALL") for e in endpoints)
    for row in results["latency"]:
        assert row["handler"]["p50_ms"] > 0 and row["bare"]["p50_ms"] > 0
        assert len(row["handler_ms"]) == len(row["bare_ms"]) == row["handler"]["n"]
        # A median of the pairs' ratios, which lie between the lowest and highest pair's. The saved times
        # are rounded to 0.01 ms, which moves a ratio of the quick run's tiny models (0.1-1 ms) a lot:
        # each pair's bounds allow for it.
        pairs = list(zip(row["handler_ms"], row["bare_ms"]))
        lowest = min((h - 0.005) / (b + 0.005) for h, b in pairs)
        highest = max((h + 0.005) / max(b - 0.005, 1e-6) for h, b in pairs)
        assert lowest - 1 <= row["overhead_p50"] <= highest - 1
        assert row["overhead_of_p50s"] == row["handler"]["p50_ms"] / row["bare"]["p50_ms"] - 1
    assert results["tokenizer"]["characters"] == 10_000
    looked = results["inside"]  # each figure beside its baseline: the click, the floor, the unbatched walk
    assert 0 < looked["steps"]["steps_p50_ms"] and 0 < looked["steps"]["share_of_click_p50"]
    ig = looked["saliency"]
    assert ig["tokens"] <= 64 and 0 < ig["forward_backward_floor_s"] and 0 < ig["integrated_gradients_s"]
    # The floor's counted arithmetic: the dense layers' multiply-adds, forward and backward to the inputs (the
    # weights' gradients are never asked for), for 32 inputs; the bound is that at the CPU's best dense rate.
    from transformers import AutoConfig

    from bench.sections.throughput import dense_layer_flops

    config = AutoConfig.from_pretrained(tmp_path / "cache" / "quick" / "sentiment")
    assert ig["floor_tflop"] * 1e12 == pytest.approx(2 * 32 * dense_layer_flops(config, ig["tokens"]), rel=0.05)
    assert ig["floor_at_peak_s"] == pytest.approx(ig["floor_tflop"] * 1e3 / ig["dense_layer_peak_gflops"])
    assert looked["attention"]["tokens"] <= 128 and looked["attention"]["view_s"] > 0
    learning = results["skipgram"]  # each step beside autograd's on the same loss, and steps through the API
    assert learning["words"] == 200 and set(learning["steps"]) == {f"{m}, batch {b}" for m in
                                                                    ("softmax", "negative_sampling") for b in (1, 16)}
    assert all(row["ours_ms"] > 0 and row["autograd_ms"] > 0 for row in learning["steps"].values())
    assert learning["api_steps_per_s"] > 0
    prompted = results["prompting"]  # a classification beside one next-token call on the same prompt
    assert set(prompted["rows"]) == {"zero_shot", "few_shot"} and prompted["label_words"] == 2
    assert all(row["ratio"] == row["classify_p50_ms"] / row["next_token_p50_ms"] for row in prompted["rows"].values())
    classroom = results["classroom"]  # both servers answered every student alike
    assert classroom["reused"]["same_answer"] and classroom["computed"]["same_answer"]
    assert 0 < classroom["reused"]["first_answer_s"] <= classroom["reused"]["last_answer_s"]
    for row in results["api_latency"]:  # every example endpoint through gradio_client and through plain HTTP
        assert row["api"]["p50_ms"] > 0 and row["http"]["p50_ms"] > 0, row
    assert {row["endpoint"] for row in results["api_latency"]} <= endpoints
    throughput = results["throughput"]
    for label in ("batched", "unbatched"):
        assert throughput[label]["requests_per_s"] > 0 and throughput[label]["failures"] == 0, throughput[label]
    # A quick run takes one turn per server: the gain is that round's ratio.
    assert throughput["batched"]["windows_requests_per_s"] == [throughput["batched"]["requests_per_s"]]
    assert throughput["gain"] == throughput["batched"]["requests_per_s"] / throughput["unbatched"]["requests_per_s"]
    assert set(throughput["model_alone_gain"]) == {"SENTIMENT", "NLI"}
    assert all(gain > 0 for gain in throughput["model_alone_gain"].values())
    rates = throughput["compute_rate"]
    assert rates["dense_layer_peak_gflops"] > 0
    for key in ("SENTIMENT", "NLI"):  # useful work of the same inputs: batched vs one at a time, as the gain says
        rate = rates[key]
        assert rate["batched_gflops"] / rate["one_by_one_gflops"] == pytest.approx(throughput["model_alone_gain"][key])
    mixed = throughput["mixed_lengths"]
    assert mixed["gain"] == mixed["one_padded_call_s"] / mixed["length_groups_s"] and mixed["length_groups_s"] > 0
    assert results["machine"]["cores"] >= 1 and results["quick"] is True
    engines = results["engines"]  # the app's call ran on the engine it built, beside a plain session, alike
    (model,) = engines["models"].values()
    assert model["build_s"] > 0 and model["engine_mib"] > 0 and "engine_resident_mib" in model
    for length, row in model["inputs"].items():
        assert row["largest_difference"] < 1e-4 and row["plain_onnxruntime_difference"] < 1e-4, length
        assert row["ratio_to_onnxruntime"] > 0 and row["ratio_to_torch"] > 0
        assert engines["worst_ratio"][length] == row["ratio_to_onnxruntime"]
    assert engines["int8"]["labels_agree"] and engines["int8"]["inputs"]["long"]["int8_p50_ms"] > 0
    (steps,) = engines["generation"].values()  # GPT-2's steps on the engine beside torch's, the same text
    assert steps["same_text"] and steps["token_ratio_to_torch"] > 0 and steps["prompt_step_ms"]["engine"] > 0
    summary = engines["summary"]  # T5's encoder and decoder steps on the engine under generate(), the same text
    assert set(summary["searches"]) == {"beams 1", "beams 4"} and summary["engine_steps"] >= summary["new_tokens"]
    assert all(row["same_text"] and row["ratio_to_torch"] > 0 for row in summary["searches"].values())
    kernels = results["kernels"]
    assert set(kernels["endpoints"]) == {"sentiment", "sentiment, 512 tokens", "nli", "sts", "simcse", "ner", "summarize",
                                         "next_token (GENERATION)", "generate (GENERATION, 8 tokens)",
                                         "generate (GENERATION_SMALL, 8 tokens)", "contextual", "fill_mask"}
    for name, row in kernels["endpoints"].items():  # both servers timed, and they answer alike
        assert row["largest_difference"] < 1e-4, (name, row)
        assert row["speedup"] == row["default_p50_ms"] / row["onednn_p50_ms"] and row["onednn_p50_ms"] > 0
        assert row["default_first_call_ms"] > 0 and row["onednn_first_call_ms"] > 0
    table = saved.with_suffix(".md").read_text(encoding="utf-8")
    assert "handler overhead ≤ 5 % at p50" in table and "| sentiment | example |" in table
    assert "overhead p50: paired / ratio of p50s" in table
    assert "in the app's groups of similar length" in table
    assert "Useful work of the model alone" in table
    assert "plain HTTP / gradio_client" in table
    assert "- Dense-layer kernels through the API" in table and "First call of each" in table
    assert "| sentiment | example |" in result.stdout


def test_the_minimal_gradio_app_serves_its_page():
    """The page-ready floor (bench/minimal_app.py) is a working Gradio app: its page and its one event answer."""
    import httpx

    from bench import measure

    server = measure.serve(measure.python("-m", "bench.minimal_app"), {})
    try:
        assert server.ready_s > 0
        assert "gradio" in httpx.get(server.url, timeout=10).text.lower()
        info = httpx.get(server.url + "gradio_api/info", timeout=10).json()
        assert len(info["named_endpoints"]) + len(info["unnamed_endpoints"]) == 1
    finally:
        server.stop()


def test_asking_for_cuda_without_a_gpu_says_so_and_saves_nothing(tmp_path):
    import torch

    if torch.cuda.is_available():
        pytest.skip("this machine has a CUDA device: --device cuda measures it")
    env = {**os.environ, "JNLP_BENCH_CACHE": str(tmp_path / "cache"), "HF_HUB_OFFLINE": "1"}
    result = subprocess.run([sys.executable, "-m", "bench", "--quick", "--device", "cuda", "--only", "tokenizer",
                             "--out", str(tmp_path / "out")], cwd=REPO, env=env, capture_output=True, text=True,
                            timeout=120)
    # CPU numbers saved under "cuda" would read as a GPU run.
    assert result.returncode == 2 and "no CUDA device" in result.stderr, result.stderr[-2000:]
    assert not (tmp_path / "out").exists()


def test_docs_refuses_a_run_of_some_sections_which_would_replace_the_whole_table(capsys):
    from bench.__main__ import main

    with pytest.raises(SystemExit) as exited:
        main(["--quick", "--only", "tokenizer", "--docs"])
    assert exited.value.code == 2 and "leave out --only" in capsys.readouterr().err


def test_the_table_goes_into_the_benchmarks_page_between_its_markers(tmp_path):
    """`--docs` writes the table into docs/benchmarks.md; the README (a short student's page) has no
    benchmark section, and the page's other text stays as it is."""
    from bench import report

    assert report.BENCHMARKS_PAGE == REPO / "docs" / "benchmarks.md"
    page_text = report.BENCHMARKS_PAGE.read_text(encoding="utf-8")
    assert page_text.count(report.TABLE_START) == page_text.count(report.TABLE_END) == 1
    assert report.TABLE_START not in (REPO / "README.md").read_text(encoding="utf-8")

    page = tmp_path / "benchmarks.md"
    page.write_text(f"# B\n\nbefore\n\n{report.TABLE_START}\nold\n{report.TABLE_END}\n\nafter\n", encoding="utf-8")
    report.update_page(page, "| new | table |\n")
    assert page.read_text(encoding="utf-8") == (
        f"# B\n\nbefore\n\n{report.TABLE_START}\n| new | table |\n{report.TABLE_END}\n\nafter\n")

    page.write_text("# no markers\n", encoding="utf-8")
    with pytest.raises(ValueError, match="bench:start"):
        report.update_page(page, "| t |\n")
