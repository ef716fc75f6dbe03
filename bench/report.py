"""The benchmark's Markdown table, its target checks, and the docs page that shows it."""

from __future__ import annotations

import re
from pathlib import Path

# The page whose section between these markers shows the latest table (README.md stays a short
# student's page; the benchmark's figures and how to read them live here).
BENCHMARKS_PAGE = Path(__file__).resolve().parent.parent / "docs" / "benchmarks.md"
TABLE_START = "<!-- bench:start -->"
TABLE_END = "<!-- bench:end -->"


def targets(results: dict) -> list[tuple[str, bool | None, str]]:
    """(target, met or None when not measured, the figure) for each of the issue's targets."""
    checks: list[tuple[str, bool | None, str]] = []
    ready = results.get("page_ready")
    if ready:
        checks.append(("page ready ≥ 10× sooner than eager", ready["speedup"] >= 10, f"{ready['speedup']:.1f}×"))
        checks.append(("page ready < 5 s", ready["app_s"] < 5, f"{ready['app_s']:.2f} s"))
    rows = results.get("latency")
    if rows:
        worst = max(rows, key=lambda r: r["overhead_p50"])
        checks.append(("handler overhead ≤ 5 % at p50 (every endpoint)", worst["overhead_p50"] <= 0.05,
                       f"worst {worst['overhead_p50']:+.1%} ({worst['endpoint']}, {worst['input']}; "
                       "median of paired runs)"))
    batching = results.get("throughput")
    if batching:
        ceiling = batching.get("model_alone_gain")
        checks.append(("batching ≥ 2× throughput at 16 clients", batching["gain"] >= 2, f"{batching['gain']:.2f}×"
                       + (f" (model alone: {max(ceiling.values()):.2f}× at most)" if ceiling else "")))
    w2v = results.get("word2vec")
    if w2v:
        checks.append(("word2vec ≥ 0.9× gensim words/s", w2v["ratio"] >= 0.9, f"{w2v['ratio']:.2f}×"))
        checks.append(("default corpus click-to-plot ≤ 10 s", w2v["click_to_plot_s"] <= 10,
                       f"{w2v['click_to_plot_s']:.1f} s"))
    looked = results.get("inside")
    if looked:
        checks.append(("opening the steps ≤ 10 % of the tab's click", looked["steps"]["share_of_click_p50"] <= 0.10,
                       f"{looked['steps']['share_of_click_p50']:.1%}"))
        ig = looked["saliency"]
        checks.append((f"Integrated Gradients, 32 steps, {ig['tokens']} tokens ≤ 2 s", ig["integrated_gradients_s"] <= 2,
                       f"{ig['integrated_gradients_s']:.2f} s (its 32 passes alone: {ig['forward_backward_floor_s']:.2f} s; "
                       f"their {ig['floor_tflop']:.2f} TFLOP at this CPU's best rate: {ig['floor_at_peak_s']:.2f} s)"))
        seen = looked["attention"]
        checks.append((f"attention view, {seen['tokens']} tokens ≤ 1 s", seen["view_s"] <= 1, f"{seen['view_s']:.2f} s"))
    learning = results.get("skipgram")
    if learning:
        slowest = max(row["ours_ms"] for name, row in learning["steps"].items() if name.endswith("batch 1"))
        checks.append((f"a skip-gram step ≤ 5 ms ({learning['words']} words, D = {learning['dim']})", slowest <= 5,
                       f"{slowest:.3f} ms"))
    prompted = results.get("prompting")
    if prompted:
        worst = max(prompted["rows"].values(), key=lambda row: row["ratio"])
        checks.append((f"prompt classification ≤ {prompted['label_words']} × a next-token call", worst["ratio"] <=
                       prompted["label_words"], f"{worst['ratio']:.2f}× at most"))
    engines = results.get("engines")
    if engines:
        for length, ratio in engines["worst_ratio"].items():
            checks.append((f"encoder model call ≤ 1.0× ONNX Runtime fp32, {length} input (every model measured)",
                           ratio <= 1.0, f"{ratio:.2f}× at most"))
    return checks


def _engine_lines(engines: dict) -> list[str]:
    """The engines section: each model's ratios, its answers, the build after its first click, and int8."""
    lines = [f"- Encoders on ONNX Runtime (`JNLP_ENGINE=onnxruntime`; median of {engines['repeats']} paired runs, "
             f"{engines['short_repeats']} for the short input, "
             "the app's model call against a plain `torch.onnx.export` on a default ONNX Runtime session, and "
             "against torch's eager forward on the same model): " + "; ".join(
                 f"{key} " + ", ".join(
                     f"{row['tokens']} tokens {row['app_p50_ms']:.0f} ms vs {row['onnxruntime_p50_ms']:.0f} ms "
                     f"({row['ratio_to_onnxruntime']:.2f}×; torch {row['torch_p50_ms']:.0f} ms, "
                     f"{row['ratio_to_torch']:.2f}×; answers within {row['largest_difference']:.0e})"
                     for row in model["inputs"].values())
                 for key, model in engines["models"].items()) + "."]
    lines.append("- The engine's build after a first click (child process: export, fusions, session), while the "
                 "click answers on torch: " + "; ".join(
                     f"{key} {model['build_s']:.0f} s ({model['engine_mib']:.0f} MiB on disk, counted by "
                     f"`JNLP_MAX_MODEL_MEMORY`{_resident(model)}; the first call on torch "
                     f"{model['first_call_on_torch_s'] * 1000:.0f} ms)"
                     for key, model in engines["models"].items()) + ".")
    if engines.get("generation"):
        lines.append("- GPT-2's generation steps on ONNX Runtime (with their cache; the app's loop, medians of "
                     "alternating whole generations) against torch's eager forward on the same model: " + "; ".join(
                         f"{key} one token {row['token_step_ms']['engine']:.0f} ms vs {row['token_step_ms']['torch']:.0f}"
                         f" ms ({row['token_ratio_to_torch']:.2f}×), the prompt {row['prompt_step_ms']['engine']:.0f} ms"
                         f" vs {row['prompt_step_ms']['torch']:.0f} ms ({row['prompt_ratio_to_torch']:.2f}×), "
                         f"{'the same text' if row['same_text'] else 'TEXT DIFFERS'} ({row['new_tokens']} tokens); "
                         f"built in {row['build_s']:.0f} s after the first click, {row['engine_mib']:.0f} MiB on disk, "
                         f"resident memory +{row['engine_resident_mib']:.0f} MiB"
                         for key, row in engines["generation"].items()) + ".")
    summary = engines.get("summary")
    if summary:
        lines.append(f"- T5's summary on ONNX Runtime (its encoder and decoder steps under `generate()`; "
                     f"{summary['article_tokens']}-token article, {summary['new_tokens']} tokens written, medians of "
                     "alternating whole summaries) against torch's eager forward on the same model: " + "; ".join(
                         f"{search} {row['engine_s'] * 1000:.0f} ms vs {row['torch_s'] * 1000:.0f} ms "
                         f"({row['ratio_to_torch']:.2f}×, {'the same text' if row['same_text'] else 'TEXT DIFFERS'})"
                         for search, row in summary["searches"].items())
                     + f"; built in {summary['build_s']:.0f} s after the first click, {summary['engine_mib']:.0f} MiB "
                     f"on disk, resident memory +{summary['engine_resident_mib']:.0f} MiB.")
    int8 = engines.get("int8")
    if int8:
        lines.append("- `JNLP_QUANTIZE=int8` through the engine, SENTIMENT: " + "; ".join(
            f"{row['tokens']} tokens {row['int8_p50_ms']:.0f} ms, {row['ratio_to_onnxruntime_fp32']:.2f}× ONNX "
            f"Runtime fp32, {row['ratio_to_torch_int8']:.2f}× torch's dynamic int8" for row in int8["inputs"].values())
            + f"; labels {'agree' if int8['labels_agree'] else 'DIFFER'} with fp32 on the examples (probabilities "
            f"within {int8['largest_probability_difference']:.3f}); built in {int8['build_s']:.0f} s.")
    return lines


def _resident(model: dict) -> str:
    """The engine's measured resident memory beside its files' size (results before 2026-12-07 have none)."""
    if "engine_resident_mib" not in model:
        return ""
    return f"; the server's resident memory grew {model['engine_resident_mib']:.0f} MiB with it"


def _overheads(row: dict) -> str:
    """A latency row's overhead at p50: the median of paired runs / the ratio of the two p50s."""
    if "overhead_of_p50s" not in row:  # results saved before 2026-11-30 kept the ratio of p50s only
        return f"– / {row['overhead_p50']:+.1%}"
    return f"{row['overhead_p50']:+.1%} / {row['overhead_of_p50s']:+.1%}"


def markdown(results: dict) -> str:
    machine = results["machine"]
    lines = [f"Measured {results['date']} on {machine['cpu']} ({machine['cores']} cores, torch threads "
             f"{machine['torch_threads']}{', ' + machine['gpu'] if 'gpu' in machine else ''}), device "
             f"`{results['device']}`, {'quick (small) models' if results['quick'] else 'full-size models'}.", ""]
    lines += ["| target | result | |", "|---|---|---|"]
    for name, met, figure in targets(results):
        lines.append(f"| {name} | {figure} | {'✅' if met else '❌' if met is False else '–'} |")
    ready = results.get("page_ready")
    if ready:
        runs = ""
        if len(ready.get("eager_runs_s", [])) > 1:
            runs = (" Medians of alternate starts: app " + ", ".join(f"{s:.2f}" for s in ready["app_runs_s"])
                    + " s; eager " + ", ".join(f"{s:.1f}" for s in ready["eager_runs_s"]) + " s.")
        lines += ["", f"Page ready: app {ready['app_s']:.2f} s, eager baseline {ready['eager_s']:.1f} s "
                      f"(peak {ready['eager_peak_rss_mib']:.0f} MiB).{runs}"]
        if "minimal_gradio_s" in ready:
            lines.append(f"A Gradio app with one textbox, imported the same lean way, is ready in "
                         f"{ready['minimal_gradio_s']:.2f} s here (runs: "
                         + ", ".join(f"{s:.2f}" for s in ready["minimal_gradio_runs_s"])
                         + f" s): 10× sooner than the eager baseline would be {ready['eager_s'] / 10:.2f} s.")
    if results.get("latency"):
        api = {row["endpoint"]: row for row in results.get("api_latency", [])}
        lines += ["", "| endpoint | input | handler p50 / p95 (ms) | bare model p50 / p95 (ms) "
                      "| overhead p50: paired / ratio of p50s | API p50 (ms): plain HTTP / gradio_client |",
                  "|---|---|---|---|---|---|"]
        for row in results["latency"]:
            h, b = row["handler"], row["bare"]
            through_api = api.get(row["endpoint"]) if row["input"] == "example" else None
            lines.append(f"| {row['endpoint']} | {row['input']} | {h['p50_ms']:.1f} / {h['p95_ms']:.1f} | "
                         f"{b['p50_ms']:.1f} / {b['p95_ms']:.1f} | {_overheads(row)} | "
                         f"{'' if through_api is None else _api_figure(through_api)} |")
    batching = results.get("throughput")
    if batching:
        lines += ["", f"16 concurrent clients on /sentiment and /nli: {batching['batched']['requests_per_s']:.1f} "
                      f"requests/s batched, {batching['unbatched']['requests_per_s']:.1f} unbatched "
                      f"({batching['gain']:.2f}×; failures {batching['batched']['failures']} / "
                      f"{batching['unbatched']['failures']})."]
        turns = len(batching["batched"].get("windows_requests_per_s", []))
        if turns > 1:
            lines[-1] += (f" The servers took turns, {turns} windows each; the gain is the median of the rounds' "
                          "ratios (batched windows: " + ", ".join(
                              f"{rate:.1f}" for rate in batching["batched"]["windows_requests_per_s"])
                          + "; unbatched: " + ", ".join(
                              f"{rate:.1f}" for rate in batching["unbatched"]["windows_requests_per_s"]) + ").")
        plain = batching.get("unbatched_default_kernels")
        if plain:
            lines.append(f"Unbatched and on torch's default kernels (`JNLP_ONEDNN=0`): {plain['requests_per_s']:.1f} "
                         f"requests/s, so oneDNN's kernels and batching together give "
                         f"{batching['batched']['requests_per_s'] / plain['requests_per_s']:.2f}× "
                         f"(failures {plain['failures']}).")
        ceiling = batching.get("model_alone_gain")
        if ceiling:
            lines.append("The model alone, the same 16 inputs one at a time vs as one batch (no HTTP, nothing else "
                         "running): " + ", ".join(f"{key.lower()} {gain:.2f}×" for key, gain in ceiling.items())
                         + ", the most batching can give on this machine.")
        rates = batching.get("compute_rate")
        if rates:
            peak = rates["dense_layer_peak_gflops"]
            lines.append("Useful work of the model alone (GFLOP/s of the inputs' own tokens), one at a time → batched: "
                         + ", ".join(f"{key.lower()} {rate['one_by_one_gflops']:.0f} → {rate['batched_gflops']:.0f}"
                                     for key, rate in rates.items() if key != "dense_layer_peak_gflops")
                         + f". The model's largest dense layer on 2048 tokens at once runs at {peak:.0f} GFLOP/s, "
                         f"about the most its kernels do on this machine: batching can lift sentiment's one-at-a-time "
                         f"rate {peak / rates['SENTIMENT']['one_by_one_gflops']:.2f}× at most.")
        mixed = batching.get("mixed_lengths")
        if mixed:
            lines.append(f"Fifteen example reviews and one 512-token review in one batch: "
                         f"{mixed['one_padded_call_s']:.2f} s as one padded call, "
                         f"{mixed['length_groups_s']:.2f} s in the app's groups of similar length "
                         f"({mixed['gain']:.1f}×).")
    classroom = results.get("classroom")
    if classroom:
        reused, computed = classroom["reused"], classroom["computed"]
        agree = "the same answer for all" if reused["same_answer"] and computed["same_answer"] else "answers differ!"
        lines += ["", f"A class of {classroom['students']} sending the same /{classroom['endpoint']} request at once "
                      f"(the first example): the last answer after {reused['last_answer_s']:.1f} s with recent answers "
                      f"reused (the default), {computed['last_answer_s']:.1f} s computing each one "
                      f"(`JNLP_RESULT_CACHE=0`): {classroom['gain']:.1f}× sooner; {agree}."]
    cold = results.get("cold_tabs")
    if cold:
        firsts = ", ".join(f"{r['endpoint']} {r['first_request_s']:.1f} s" for r in cold["first_requests"])
        lines += ["", f"First request of a cold tab (load + infer): {firsts}. Server memory: "
                      f"{cold['rss_at_ready_mib']:.0f} MiB at ready, peak {cold['peak_rss_all_loaded_mib']:.0f} MiB "
                      f"with every tab loaded"
                      + (f", {cold['rss_all_loaded_mib']:.0f} MiB once loaded." if "rss_all_loaded_mib" in cold else ".")]
        if cold.get("packing_after_last_click_s"):
            lines[-1] += (f" The large GPT-2's layers were packed for oneDNN in the background "
                          f"{cold['packing_after_last_click_s']:.1f} s after its first click had answered.")
        later = cold.get("first_click_after_reading")
        if later:
            lines.append(f"The first sentiment click on a page open for {later['reading_s']:.0f} s (torch and "
                         f"transformers imported in the background meanwhile): {later['sentiment_s']:.1f} s; "
                         f"server memory then {later['rss_after_mib']:.0f} MiB.")
    for row in results.get("streaming", []):
        lines.append(f"- Streaming {row['model']}: first token {row['time_to_first_token_ms']:.0f} ms, "
                     f"{row['tokens_per_s']:.1f} tokens/s.")
    tok = results.get("tokenizer")
    if tok:
        lines.append(f"- Tokenizer tab on {tok['characters']:,} characters: {tok['handler']['p50_ms']:.0f} ms "
                     f"(MeCab and the three tokenizers alone: {tok['bare']['p50_ms']:.0f} ms).")
    w2v = results.get("word2vec")
    if w2v:
        lines.append(f"- word2vec: {w2v['words_per_s_app']:,.0f} words/s through the app, "
                     f"{w2v['words_per_s_gensim']:,.0f} with gensim directly; default corpus click to plot "
                     f"{w2v['click_to_plot_s']:.1f} s.")
    kernels = results.get("kernels")
    if kernels:
        lines.append("- Dense-layer kernels through the API (plain HTTP, p50), torch's default "
                     "(`JNLP_ONEDNN=0`) → oneDNN's packed layers (`JNLP_ONEDNN=1`): " + "; ".join(
                         f"{name} {row['default_p50_ms']:.0f} → {row['onednn_p50_ms']:.0f} ms ({row['speedup']:.2f}×"
                         + (", same answer" if row["largest_difference"] == 0 else
                            f", answers within {row['largest_difference']:.0e}"
                            if row["largest_difference"] < 1e-3 else ", ANSWERS DIFFER") + ")"
                         for name, row in kernels["endpoints"].items())
                     + ". First call of each (loads the model; with oneDNN also packs its layers): " + "; ".join(
                         f"{name} {row['default_first_call_ms'] / 1000:.1f} → {row['onednn_first_call_ms'] / 1000:.1f} s"
                         for name, row in kernels["endpoints"].items() if "default_first_call_ms" in row)
                     + ". With `JNLP_ONEDNN=auto` (the default) T5 uses "
                     + ("oneDNN's" if kernels["auto_uses_onednn"] else "torch's default") + " kernels here.")
    if results.get("engines"):
        lines += _engine_lines(results["engines"])
    for name, row in results.get("quantization", {}).items():
        lines.append(f"- Optional int8 (`JNLP_QUANTIZE=int8`), {name}: {row['fp32_p50_ms']:.0f} ms → "
                     f"{row['int8_p50_ms']:.0f} ms p50 ({row['speedup']:.2f}×), labels on the examples "
                     f"{'agree' if row['labels_agree'] else 'DIFFER'}.")
    looked = results.get("inside")
    if looked:
        ig, seen = looked["saliency"], looked["attention"]
        lines.append(f"- Look inside: the click {looked['steps']['click_p50_ms']:.0f} ms, then the steps "
                     f"{looked['steps']['steps_p50_ms']:.1f} ms (p50). Integrated Gradients ({ig['steps']} steps, "
                     f"{ig['tokens']} tokens): {ig['integrated_gradients_s']:.2f} s batched, "
                     f"{ig['captum_unbatched_s']:.2f} s one step at a time; the 32 forward and backward passes "
                     f"alone {ig['forward_backward_floor_s']:.2f} s ({ig['floor_tflop']:.2f} TFLOP: "
                     f"{ig['floor_at_peak_s']:.2f} s even at the {ig['dense_layer_peak_gflops']:.0f} GFLOPS "
                     f"this CPU's dense layers reach at best); gradient × input view "
                     f"{ig['gradient_x_input_view_s']:.2f} s. Attention on {seen['tokens']} tokens "
                     f"{seen['view_s']:.2f} s (the click on them: {seen['click_s']:.2f} s).")
    learning = results.get("skipgram")
    if learning:
        lines.append(f"- Skip-gram by hand (|V| = {learning['words']}, D = {learning['dim']}), one step, p50: " + "; ".join(
            f"{name} {row['ours_ms']:.3f} ms (torch autograd on the same loss: {row['autograd_ms']:.3f} ms)"
            for name, row in learning["steps"].items())
            + f". Through /skipgram_steps (|V| = {learning['api_words']}, D = 10): {learning['api_steps_per_s']:,.0f}"
            f" steps/s ({learning['api_steps']:,} steps in {learning['api_s']:.2f} s, JSON included).")
    prompted = results.get("prompting")
    if prompted:
        lines.append(f"- Prompting as a classifier (GENERATION_SMALL, {prompted['label_words']} label words in one batch): "
                     + "; ".join(f"{name} prompt ({row['prompt_tokens']} tokens) {row['classify_p50_ms']:.0f} ms, one "
                                 f"next-token call on it {row['next_token_p50_ms']:.0f} ms ({row['ratio']:.2f}×)"
                                 for name, row in prompted["rows"].items()) + ".")
    return "\n".join(lines) + "\n"


def update_page(page: Path, table: str) -> None:
    """Replace the section between the markers of `page` with `table`; the rest stays as it is."""
    text = page.read_text(encoding="utf-8")
    block = f"{TABLE_START}\n{table}{TABLE_END}"
    pattern = re.compile(re.escape(TABLE_START) + ".*?" + re.escape(TABLE_END), re.DOTALL)
    if not pattern.search(text):
        raise ValueError(f"{page} has no {TABLE_START} … {TABLE_END} section")
    page.write_text(pattern.sub(lambda _: block, text), encoding="utf-8")


def _api_figure(row: dict) -> str:
    """"plain HTTP / gradio_client" p50s of an api_latency row (older results have no plain figure)."""
    client = f"{row['api']['p50_ms']:.1f}"
    return f"{row['http']['p50_ms']:.1f} / {client}" if "http" in row else client
