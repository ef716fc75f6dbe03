"""The benchmark's measurements; each returns plain data for the JSON report.

Every figure is measured beside its baseline in the same run, on the same
machine: the app's handler beside the bare model call, the lazy app beside the
eager one, batching on beside batching off, the app's word2vec beside gensim,
oneDNN's kernels beside torch's default ones.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass

import numpy as np

from bench import measure

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


# --- 1. page ready -------------------------------------------------------------------------------

def page_ready(env: dict[str, str], settings: Settings) -> dict:
    """Seconds from starting the server to the page answering: the app (lazy) vs the eager baseline,
    and beside them a Gradio app with one textbox (bench/minimal_app.py): Gradio's own floor here."""
    lazy_runs, eager_runs, eager_rss, minimal_runs = [], [], [], []
    for _ in range(1 if settings.quick else 3):  # alternately, and the median of each: starts vary by seconds
        server = measure.serve(measure.python("app.py"), env)
        lazy_runs.append(server.ready_s)
        server.stop()
        eager = measure.serve(measure.python("-m", "bench.eager_app"), env)
        eager_runs.append(eager.ready_s)
        eager_rss.append(measure.rss_mib(eager.process.pid, "VmHWM"))
        eager.stop()
        minimal = measure.serve(measure.python("-m", "bench.minimal_app"), env)
        minimal_runs.append(minimal.ready_s)
        minimal.stop()
    lazy_s, eager_s = float(np.median(lazy_runs)), float(np.median(eager_runs))
    return {"app_s": lazy_s, "eager_s": eager_s, "speedup": eager_s / lazy_s, "eager_peak_rss_mib": max(eager_rss),
            "app_runs_s": lazy_runs, "eager_runs_s": eager_runs, "minimal_gradio_s": float(np.median(minimal_runs)),
            "minimal_gradio_runs_s": minimal_runs}


# --- 2. per-request latency: handler vs bare model -----------------------------------------------

def _endpoint_calls(settings: Settings) -> dict[str, dict[str, tuple]]:
    """{endpoint: {input name: (handler call, bare call)}} on the app's own examples and a long input."""
    import torch

    from demos import contextual, generation, ner, nli, sentiment, similarity, summarization
    from models.loader import load as load_now

    def load(key):
        """A model on its final layers: a large one is packed in the background after it loads."""
        entry = load_now(key)
        entry.layers_final.wait()
        return entry

    calls: dict[str, dict[str, tuple]] = {}

    def classification(name, key, handler, bare_kwargs, examples):
        pipe = load(key).runner
        calls[name] = {}
        for label, args in examples.items():
            inputs = args[0] if len(args) == 1 else {"text": args[0], "text_pair": args[1]}
            calls[name][label] = (lambda a=args: handler(*a),
                                  lambda i=inputs: pipe(i, top_k=None, truncation=True, max_length=512, **bare_kwargs))

    bert_512 = fitting_text("SENTIMENT", 512)
    half = fitting_text("SENTIMENT", 256)  # a pair of these is about 512 tokens
    classification("sentiment", "SENTIMENT", sentiment.sentiment, {},
                   {"example": (sentiment.EXAMPLES[0][0],), "512 tokens": (bert_512,)})
    classification("nli", "NLI", nli.nli, {}, {"example": tuple(nli.EXAMPLES[0]), "512 tokens": (half, half)})
    classification("sts", "STS", similarity.sts, {"function_to_apply": "none"},
                   {"example": tuple(similarity.EXAMPLES[0]), "512 tokens": (half, half)})

    simcse_pipe = load("SIMCSE").runner

    def bare_simcse(a, b):
        outputs = simcse_pipe([a, b], tokenize_kwargs={"truncation": True, "max_length": 512})
        first, second = (np.asarray(o)[0][0] for o in outputs)
        return float(first @ second / (np.linalg.norm(first) * np.linalg.norm(second)))

    calls["simcse"] = {label: (lambda a=a, b=b: similarity.simcse(a, b), lambda a=a, b=b: bare_simcse(a, b))
                       for label, (a, b) in {"example": tuple(similarity.EXAMPLES[0]),
                                             "512 tokens": (bert_512, bert_512)}.items()}

    ner_pipe = load("NER").runner
    calls["ner"] = {label: (lambda t=text: ner.ner(t), lambda t=text: ner_pipe(t))
                    for label, text in {"example": ner.EXAMPLES[0][0], "512 tokens": bert_512}.items()}

    seq2seq = load("SUMMARIZATION").runner

    def bare_summary(article):
        inputs = seq2seq.tokenizer(article, truncation=True, max_length=512, return_tensors="pt").to(seq2seq.device)
        with torch.inference_mode():
            output = seq2seq.model.generate(**inputs, max_new_tokens=settings.new_tokens, num_beams=1, do_sample=False)
        return seq2seq.tokenizer.decode(output[0], skip_special_tokens=True)

    calls["summarize"] = {label: (lambda t=text: summarization.summarize(t, settings.new_tokens, 1),
                                  lambda t=text: bare_summary(t))
                          for label, text in {"example": summarization.EXAMPLES[0][0],
                                              "512 tokens": fitting_text("SUMMARIZATION", 512)}.items()}

    # The contextual tab: its model is the encoder, run on all the sentences at once with every
    # layer's hidden states; the handler adds finding the word, the cosines, a PCA, a table and two
    # figures. Fill-mask: the fill-mask pipeline itself is the bare call.
    bert = load("CONTEXTUAL")
    encoder, bert_tokenizer = bert.runner.model.base_model, bert.tokenizer

    def bare_contextual(sentences):
        encoded = bert_tokenizer(contextual.split_sentences(sentences), padding=True, truncation=True,
                                 max_length=512, return_tensors="pt").to(encoder.device)
        with torch.inference_mode():
            return encoder(**encoded, output_hidden_states=True).hidden_states[-1]

    # The tab reads at most 200 characters a sentence: its "512 tokens" are three sentences of about 170.
    long_sentences = "\n".join(["電話をかける。" + fitting_text("CONTEXTUAL", 160)] * 3)
    calls["contextual"] = {label: (lambda t=text, w=word: contextual.contextual(t, w), lambda t=text: bare_contextual(t))
                           for label, (text, word) in {"example": tuple(contextual.EXAMPLES[0]),
                                                       "512 tokens": (long_sentences, "かける")}.items()}

    def bare_fill(text, pipe=bert.runner):
        return pipe(text, top_k=5, tokenizer_kwargs={"truncation": True, "max_length": 512})

    long_masked = "図書館で[MASK]を借りた。" + fitting_text("CONTEXTUAL", 500)
    calls["fill_mask"] = {label: (lambda t=text: contextual.fill_mask(t, 5), lambda t=text: bare_fill(t))
                          for label, text in {"example": contextual.FILL_EXAMPLES[0][0],
                                              "512 tokens": long_masked}.items()}

    for key in generation.MODEL_KEYS:
        entry = load(key)
        lm, tokenizer = entry.runner.model, entry.runner.tokenizer

        def bare_next(prompt, lm=lm, tokenizer=tokenizer):
            ids = tokenizer(prompt, add_special_tokens=False, return_tensors="pt")["input_ids"].to(lm.device)
            with torch.inference_mode():
                probabilities = torch.softmax(lm(input_ids=ids).logits[0, -1].float(), dim=-1)
            return torch.topk(probabilities, generation.DEFAULT_TOP_K)

        def bare_generate(prompt, lm=lm, tokenizer=tokenizer):
            ids = tokenizer(prompt, add_special_tokens=False, return_tensors="pt")["input_ids"].to(lm.device)
            with torch.inference_mode():
                output = lm.generate(input_ids=ids, attention_mask=torch.ones_like(ids),
                                     max_new_tokens=settings.new_tokens, min_new_tokens=settings.new_tokens,
                                     do_sample=False, pad_token_id=tokenizer.pad_token_id)
            return tokenizer.decode(output[0, ids.shape[1]:], skip_special_tokens=True)

        def handler_generate(prompt, key=key):
            last = None
            for last in generation.generate(prompt, key, settings.new_tokens):
                pass
            return last

        prompt = generation.EXAMPLES[0][0]
        calls[f"next_token ({key})"] = {"example": (lambda p=prompt, k=key: generation.next_token(p, k),
                                                    lambda p=prompt, f=bare_next: f(p))}
        calls[f"generate ({key}, {settings.new_tokens} tokens)"] = {
            "example": (lambda p=prompt, f=handler_generate: f(p), lambda p=prompt, f=bare_generate: f(p))}
    return calls


def latency(settings: Settings) -> list[dict]:
    rows = []
    for endpoint, inputs in _endpoint_calls(settings).items():
        for label, (handler, bare) in inputs.items():
            repeats = settings.long_repeats if label != "example" or "generate" in endpoint else settings.repeats
            handler_times, bare_times = measure.time_pair(handler, bare, repeats)
            handler_stats, bare_stats = measure.summary(handler_times), measure.summary(bare_times)
            # The overhead of a request is its handler time over the bare call's run beside it; its
            # p50 is the median of those ratios. The ratio of the two p50s is kept beside it.
            rows.append({"endpoint": endpoint, "input": label, "handler": handler_stats, "bare": bare_stats,
                         "overhead_p50": measure.paired_overhead(handler_times, bare_times),
                         "overhead_of_p50s": handler_stats["p50_ms"] / bare_stats["p50_ms"] - 1,
                         "handler_ms": [round(1000 * t, 2) for t in handler_times],
                         "bare_ms": [round(1000 * t, 2) for t in bare_times]})
    return rows


def api_latency(server_url: str, settings: Settings) -> list[dict]:
    """End to end through the API, two ways: gradio_client (what Python users call), and plain HTTP
    on Gradio's /call/ route as curl would (one POST and one event stream). The handler's time plus
    the server's HTTP, queue and JSON is the plain figure; gradio_client's own work is the difference."""
    from gradio_client import Client

    from demos import contextual, generation, nli, sentiment, similarity, summarization

    client = Client(server_url, verbose=False)
    requests = {
        "sentiment": ((sentiment.EXAMPLES[0][0],), "/sentiment"),
        "nli": (tuple(nli.EXAMPLES[0]), "/nli"),
        "sts": (tuple(similarity.EXAMPLES[0]), "/sts"),
        "simcse": (tuple(similarity.EXAMPLES[0]), "/simcse"),
        "ner": (("田中美咲は日本銀行の会議に出席するため、名古屋から東京へ向かった。",), "/ner"),
        "summarize": ((summarization.EXAMPLES[0][0], settings.new_tokens, 1), "/summarize"),
        "next_token (GENERATION_SMALL)": ((generation.EXAMPLES[0][0], "GENERATION_SMALL", generation.DEFAULT_TOP_K),
                                          "/next_token"),
        "contextual": (tuple(contextual.EXAMPLES[0]), "/contextual"),
        "fill_mask": ((contextual.FILL_EXAMPLES[0][0], 5), "/fill_mask"),
    }
    rows = []
    for name, (args, api_name) in requests.items():
        client.predict(*args, api_name=api_name)  # warm
        times = []
        for _ in range(settings.repeats):
            started = time.perf_counter()
            client.predict(*args, api_name=api_name)
            times.append(time.perf_counter() - started)
        rows.append({"endpoint": name, "api": measure.summary(times),
                     "http": measure.summary(asyncio.run(_plain_http(server_url, api_name, list(args), settings)))})
    return rows


async def _plain_http(server_url: str, api_name: str, data: list, settings: Settings) -> list[float]:
    import httpx

    async with httpx.AsyncClient(base_url=server_url, timeout=600) as http:
        await measure.call_api(http, api_name.lstrip("/"), data, session="bench-http")  # warm: the session's state
        times = []
        for _ in range(settings.repeats):
            started = time.perf_counter()
            await measure.call_api(http, api_name.lstrip("/"), data, session="bench-http")
            times.append(time.perf_counter() - started)
    return times


# --- 3. throughput with 16 concurrent clients: batching on vs off --------------------------------

# Turns each server takes under load. With one 20 s window per server, one after the other, whole runs
# gave 1.23x, 1.41x and 1.52x: a slow spell of the machine (a neighbour on the host) hit one server's
# window and not the other's. Taking turns (ABC, BCA, CAB), each round's windows lie close together.
THROUGHPUT_ROUNDS = 3


def throughput(env: dict[str, str], settings: Settings, clients: int = 16) -> dict:
    """Requests per second from `clients` concurrent callers on /sentiment and /nli, batching on vs off.

    The callers are light: one asyncio loop speaking Gradio's HTTP API (the /call/ routes that
    curl users and gradio_client's queue use), each caller with its own session like a browser
    tab. A classroom's browsers run on their own machines; here the callers share the server's
    cores, so they must cost little (about 3 ms of CPU per request, where gradio_client threads
    cost about 50 ms and would measure the client instead of the server).

    The servers run side by side (the idle ones only poll their queues) and take turns under load,
    a window each per round. A server's requests/s counts all its windows; the gain is the median
    of the rounds' ratios, each from two windows close in time.
    """
    from demos import nli, sentiment
    from models import cpu_kernels

    calls = [("sentiment", [sentiment.EXAMPLES[1][0]]) if index % 2 else ("nli", list(nli.EXAMPLES[index % 3][:2]))
             for index in range(clients)]
    runs = {"batched": {"JNLP_BATCH_SIZE": "16"}, "unbatched": {"JNLP_BATCH_SIZE": "1"}}
    if cpu_kernels.wanted("text-classification"):  # the app uses oneDNN here: also without it (and unbatched)
        runs["unbatched_default_kernels"] = {"JNLP_BATCH_SIZE": "1", cpu_kernels.ONEDNN_ENV: "0"}
    rounds = 1 if settings.quick else THROUGHPUT_ROUNDS
    window_s = settings.seconds if settings.quick else 2 * settings.seconds / rounds
    servers: dict[str, measure.Server] = {}
    try:
        for label, settings_env in runs.items():
            servers[label] = measure.serve(measure.python("app.py"), {**env, **settings_env})
        windows: dict[str, list[dict]] = {label: [] for label in runs}
        labels = list(runs)
        for turn in range(rounds):
            for label in labels[turn % len(labels):] + labels[:turn % len(labels)]:
                windows[label].append(asyncio.run(_load(servers[label].url, calls, window_s)))
    finally:
        for server in servers.values():
            server.stop()
    results: dict[str, object] = {label: _over_windows(found) for label, found in windows.items()}
    results["gain"] = float(np.median([batched["requests_per_s"] / unbatched["requests_per_s"]
                                       for batched, unbatched in zip(windows["batched"], windows["unbatched"])]))
    results["model_alone_gain"], results["compute_rate"] = batching_ceiling(settings, clients)
    results["mixed_lengths"] = mixed_lengths(settings, clients)
    return results


def _over_windows(windows: list[dict]) -> dict:
    """One server's load windows together: requests/s over all of them, and each window's."""
    return {"requests_per_s": sum(w["requests"] for w in windows) / sum(w["seconds"] for w in windows),
            "windows_requests_per_s": [w["requests_per_s"] for w in windows],
            "failures": sum(w["failures"] for w in windows),
            "first_failure": next((w["first_failure"] for w in windows if w["first_failure"]), [])}


async def _load(url: str, calls: list[tuple[str, list]], seconds: float) -> dict:
    """Each caller repeats its call until the time is up; counts what completed, and what failed."""
    import httpx

    done = [0] * len(calls)
    failures: list[str] = []
    limits = httpx.Limits(max_connections=4 * len(calls), max_keepalive_connections=4 * len(calls))
    async with httpx.AsyncClient(base_url=url, timeout=120, limits=limits) as http:
        for index, (api_name, data) in enumerate(calls):  # warm: every model loaded before the clock starts
            await measure.call_api(http, api_name, data, session=f"warm-{index}")
        deadline = time.perf_counter() + seconds

        async def caller(index: int) -> None:
            api_name, data = calls[index]
            while time.perf_counter() < deadline:
                try:
                    await measure.call_api(http, api_name, data, session=f"caller-{index}")
                    done[index] += 1
                except Exception as exc:  # noqa: BLE001 - reported: a benchmark must not hide failures
                    failures.append(repr(exc))

        started = time.perf_counter()
        await asyncio.gather(*(caller(index) for index in range(len(calls))))
        elapsed = time.perf_counter() - started
    return {"requests_per_s": sum(done) / elapsed, "requests": sum(done), "seconds": elapsed,
            "failures": len(failures), "first_failure": failures[:1]}


def encoder_flops(config, tokens: int) -> int:
    """Floating-point operations of one forward pass of a BERT encoder over `tokens` tokens.

    Each multiply-add counts two. The dense layers (query, key, value and output projections,
    the two feed-forward layers) and the attention's two products (scores, weighted values) are
    counted; embeddings, norms and softmax are small beside them and left out.
    """
    hidden, inner, layers = config.hidden_size, config.intermediate_size, config.num_hidden_layers
    dense = 2 * tokens * (4 * hidden * hidden + 2 * hidden * inner)
    attention = 2 * 2 * tokens * tokens * hidden
    return layers * (dense + attention)


def batching_ceiling(settings: Settings, size: int) -> tuple[dict[str, float], dict[str, object]]:
    """The most batching can give on this machine: the model alone, `size` inputs one at a time vs one batch.

    Same inputs as the clients send, same function as the app's batch worker, no HTTP and no
    other work on the cores: the ratio through the API cannot exceed this. Returned with the
    rate of useful work of each way (GFLOP/s of the inputs' real tokens, padding not counted)
    and the rate of the model's largest dense layer on 2048 tokens at once, about the best its
    kernels reach on this machine: batching can at most lift the one-at-a-time rate to that.
    """
    import torch

    from demos import common, nli, sentiment
    from models.loader import using

    inputs = {"SENTIMENT": [(text, None) for text, *_ in sentiment.EXAMPLES],
              "NLI": [(premise, hypothesis) for premise, hypothesis, *_ in nli.EXAMPLES]}
    gains: dict[str, float] = {}
    rates: dict[str, object] = {}
    for key, examples in inputs.items():
        batch = [examples[i % len(examples)] for i in range(size)]
        with using(key) as model:
            one_by_one, together = measure.time_pair(lambda: [common.classify_many(model, [item]) for item in batch],
                                                     lambda: common.classify_many(model, batch),
                                                     repeats=1 if settings.quick else 3)
            config = model.runner.model.config
            flops = sum(encoder_flops(config, len(model.tokenizer(text, pair, truncation=True,
                                                                  max_length=model.max_length)["input_ids"]))
                        for text, pair in batch)
        gains[key] = float(np.median(one_by_one) / np.median(together))
        rates[key] = {"one_by_one_gflops": flops / float(np.median(one_by_one)) / 1e9,
                      "batched_gflops": flops / float(np.median(together)) / 1e9}
    with using("SENTIMENT") as model, torch.inference_mode():
        layer = model.runner.model.base_model.encoder.layer[0].intermediate.dense
        config = model.runner.model.config
        tokens = torch.randn(2048, config.hidden_size)
        layer(tokens)  # warm
        times = []
        for _ in range(2 if settings.quick else 7):
            started = time.perf_counter()
            layer(tokens)
            times.append(time.perf_counter() - started)
        rates["dense_layer_peak_gflops"] = 2 * 2048 * config.hidden_size * config.intermediate_size / min(times) / 1e9
    return gains, rates


def mixed_lengths(settings: Settings, size: int) -> dict[str, float]:
    """A batch of `size` - 1 example reviews and one 512-token review, as a classroom might send them:
    one padded call (the pipeline's own batching: every input padded to 512 tokens) vs the app's
    batch function, which runs inputs of similar length together (models/batching.py)."""
    from demos import common, sentiment
    from models.loader import using

    examples = [text for text, *_ in sentiment.EXAMPLES]
    texts = [examples[i % len(examples)] for i in range(size - 1)] + [fitting_text("SENTIMENT", 512)]
    with using("SENTIMENT") as model:
        one_call, grouped = measure.time_pair(
            lambda: model.runner(texts, top_k=None, truncation=True, max_length=model.max_length, batch_size=size),
            lambda: common.classify_many(model, [(text, None) for text in texts]),
            repeats=1 if settings.quick else 3)
    return {"one_padded_call_s": float(np.median(one_call)), "length_groups_s": float(np.median(grouped)),
            "gain": float(np.median(one_call) / np.median(grouped))}


# --- 3b. a classroom clicking the same example --------------------------------------------------------

def classroom(env: dict[str, str], settings: Settings, students: int = 16) -> dict:
    """`students` clients send the same summary request at once, as a class does when the teacher says
    "click the first example": seconds until the last one has its answer, with recent answers reused
    (the app's default, models/recent.py) and with every request computed (JNLP_RESULT_CACHE=0)."""
    from demos import summarization
    from models import recent

    data = [summarization.EXAMPLES[0][0], settings.new_tokens, 1]
    warm = [summarization.EXAMPLES[1][0], settings.new_tokens, 1]  # loads the model, not this answer
    results: dict[str, object] = {"students": students, "endpoint": "summarize"}
    for label, value in (("reused", "1"), ("computed", "0")):
        server = measure.serve(measure.python("app.py"), {**env, recent.RESULT_CACHE_ENV: value})
        try:
            results[label] = asyncio.run(_all_at_once(server.url, "summarize", data, warm, students))
        finally:
            server.stop()
    results["gain"] = results["computed"]["last_answer_s"] / results["reused"]["last_answer_s"]
    return results


async def _all_at_once(url: str, api_name: str, data: list, warm: list, clients: int) -> dict:
    """`clients` callers send `data` together; when the last answer came, and whether all answers agree."""
    import httpx

    async with httpx.AsyncClient(base_url=url, timeout=600) as http:
        await measure.call_api(http, api_name, warm, session="warm")
        started = time.perf_counter()

        async def one(index: int) -> tuple[list, float]:
            answer = await measure.call_api(http, api_name, data, session=f"student-{index}")
            return answer, time.perf_counter() - started

        done = await asyncio.gather(*(one(index) for index in range(clients)))
    times = sorted(seconds for _, seconds in done)
    return {"first_answer_s": times[0], "last_answer_s": times[-1],
            "same_answer": all(answer == done[0][0] for answer, _ in done)}


# --- 4. cold tabs and peak memory ------------------------------------------------------------------

def cold_tabs(env: dict[str, str], settings: Settings) -> dict:
    """First request of each tab on a fresh app (load + infer), then the server's peak memory."""
    from gradio_client import Client

    from demos import contextual, generation, ner, nli, sentiment, similarity, summarization

    server = measure.serve(measure.python("app.py"), env)
    try:
        client = Client(server.url, verbose=False)
        requests = [
            ("sentiment", (sentiment.EXAMPLES[0][0],)), ("nli", tuple(nli.EXAMPLES[0])),
            ("sts", tuple(similarity.EXAMPLES[0])), ("simcse", tuple(similarity.EXAMPLES[0])),
            ("ner", (ner.EXAMPLES[0][0],)), ("summarize", (summarization.EXAMPLES[0][0], settings.new_tokens, 1)),
            ("tokenize", ("今日は天気が良いので散歩に行きます。",)),
            ("next_token", (generation.EXAMPLES[0][0], "GENERATION_SMALL")),
            ("next_token", (generation.EXAMPLES[0][0], "GENERATION")),
            ("contextual", tuple(contextual.EXAMPLES[0])),
        ]
        rows = []
        baseline = measure.rss_mib(server.process.pid)
        for name, args in requests:
            started = time.perf_counter()
            client.predict(*args, api_name=f"/{name}")
            rows.append({"endpoint": name if name != "next_token" else f"next_token ({args[1]})",
                         "first_request_s": time.perf_counter() - started})
        # The large GPT-2's layers are packed in the background after its first click: the peak includes it.
        packing_wait = asyncio.run(measure.wait_for_packed_layers(server.url))
        peak = measure.rss_mib(server.process.pid, "VmHWM")
        settled = measure.rss_mib(server.process.pid)
    finally:
        server.stop()
    return {"first_requests": rows, "packing_after_last_click_s": packing_wait,
            "rss_at_ready_mib": baseline, "peak_rss_all_loaded_mib": peak,
            "rss_all_loaded_mib": settled, "first_click_after_reading": _first_click_after_reading(env)}


def _first_click_after_reading(env: dict[str, str], reading_s: float = 8.0) -> dict:
    """The first sentiment request on a fresh app whose page has been open `reading_s` seconds.

    The app imports torch and transformers in the background after launch (loader.
    warm_up_in_background): a student who reads the page before clicking finds them in.
    """
    from gradio_client import Client

    from demos import sentiment

    server = measure.serve(measure.python("app.py"), env)
    try:
        client = Client(server.url, verbose=False)
        time.sleep(max(0.0, reading_s - (time.perf_counter() - server.started)))
        started = time.perf_counter()
        client.predict(sentiment.EXAMPLES[0][0], api_name="/sentiment")
        first_s = time.perf_counter() - started
        rss = measure.rss_mib(server.process.pid)
    finally:
        server.stop()
    return {"reading_s": reading_s, "sentiment_s": first_s, "rss_after_mib": rss}


# --- 5. generation streaming ------------------------------------------------------------------------

def streaming(settings: Settings) -> list[dict]:
    from demos import generation
    from models import loader

    rows = []
    for key in generation.MODEL_KEYS:
        prompt = generation.EXAMPLES[0][0]
        for _ in generation.generate(prompt, key, 2):  # warm
            pass
        loader.load(key).layers_final.wait()  # a large model is packed in the background after it loads
        first_token, stamps = [], []
        for _ in range(settings.long_repeats):
            started = time.perf_counter()
            times = []
            for index, _text in enumerate(generation.generate(prompt, key, settings.new_tokens)):
                if index:  # the first yield echoes the prompt
                    times.append(time.perf_counter() - started)
            first_token.append(times[0])
            stamps.append((len(times) - 1) / (times[-1] - times[0]) if len(times) > 1 else float("nan"))
        rows.append({"model": key, "time_to_first_token_ms": 1000 * float(np.median(first_token)),
                     "tokens_per_s": float(np.median(stamps)), "new_tokens": settings.new_tokens})
    return rows


# --- 6. tokenizer tab and word2vec -------------------------------------------------------------------

def tokenizer_tab(settings: Settings) -> dict:
    from demos import tokenizer as tab
    from models.loader import load_tokenizer
    from models.morphology import morphemes

    text = (LONG_TEXT * 20)[:10_000]
    tokenizers = [load_tokenizer(family.key).tokenizer for family in tab.FAMILIES]

    def bare():
        morphemes(text)
        for tokenizer in tokenizers:
            tokenizer(text, return_offsets_mapping=getattr(tokenizer, "is_fast", False))

    handler_times, bare_times = measure.time_pair(lambda: tab.tokenize(text), bare, settings.long_repeats)
    return {"characters": len(text), "handler": measure.summary(handler_times), "bare": measure.summary(bare_times)}


def word2vec(settings: Settings) -> dict:
    from gensim.models import Word2Vec

    from demos import word2vec as tab
    from models import corpus
    from models import word2vec as w2v

    sentences = w2v.tokenize_corpus(corpus.default_corpus(), False, True)
    if settings.quick:
        sentences = sentences[:3000]
    params = w2v.checked_params()
    words = sum(len(s) for s in sentences) * params.epochs

    def through_app():
        w2v.train(sentences, params)

    def gensim_directly():
        model = Word2Vec(vector_size=params.vector_size, window=params.window, min_count=params.min_count,
                         sg=params.sg, negative=params.negative, seed=params.seed, workers=params.workers)
        model.build_vocab(sentences)
        model.train(sentences, total_examples=model.corpus_count, epochs=params.epochs)

    app_times, gensim_times = measure.time_pair(through_app, gensim_directly, 1 if settings.quick else 3, warmup=0)

    # Click to plot, cold: corpus generation, MeCab, training, neighbours and the 3D PCA figure.
    corpus.default_corpus.cache_clear()
    w2v._tokenized.cache_clear()
    w2v.CACHE.clear()
    started = time.perf_counter()
    rows, figure, _ = tab.explore("", "犬 東京")
    click_to_plot = time.perf_counter() - started
    assert rows and figure is not None
    return {"words_per_s_app": words / float(np.median(app_times)),
            "words_per_s_gensim": words / float(np.median(gensim_times)),
            "ratio": float(np.median(gensim_times)) / float(np.median(app_times)),
            "click_to_plot_s": click_to_plot}


# --- optional: int8 dynamic quantisation of the BERT models on the CPU -----------------------------

def quantization(settings: Settings) -> dict:
    """Sentiment and NLI handlers with full-precision weights and with JNLP_QUANTIZE=int8, and whether
    their labels agree on the app's examples."""
    import os
    import statistics

    from demos import nli, sentiment
    from models import loader

    inputs = {"sentiment": [(text,) for (text,) in sentiment.EXAMPLES] + [(fitting_text("SENTIMENT", 512),)],
              "nli": [tuple(pair) for pair in nli.EXAMPLES]}
    handlers = {"sentiment": sentiment.sentiment, "nli": nli.nli}
    runs: dict[str, dict] = {}
    previous = os.environ.get(loader.QUANTIZE_ENV)
    try:
        for mode in ("fp32", "int8"):
            os.environ[loader.QUANTIZE_ENV] = "int8" if mode == "int8" else ""
            loader.unload_all()
            runs[mode] = {}
            for name, handler in handlers.items():
                labels, times = [], []
                for args in inputs[name]:
                    handler(*args)  # warm (and load)
                    for _ in range(settings.long_repeats):
                        started = time.perf_counter()
                        label, _ = handler(*args)
                        times.append(time.perf_counter() - started)
                    labels.append(max(label, key=label.get))
                runs[mode][name] = {"labels": labels, "p50_ms": 1000 * statistics.median(times)}
    finally:
        os.environ[loader.QUANTIZE_ENV] = previous or ""
        loader.unload_all()
    return {name: {"fp32_p50_ms": runs["fp32"][name]["p50_ms"], "int8_p50_ms": runs["int8"][name]["p50_ms"],
                   "speedup": runs["fp32"][name]["p50_ms"] / runs["int8"][name]["p50_ms"],
                   "labels_agree": runs["fp32"][name]["labels"] == runs["int8"][name]["labels"]}
            for name in handlers}


# --- dense-layer kernels: torch's default (MKL) vs oneDNN ------------------------------------------

def kernels(env: dict[str, str], settings: Settings) -> dict:
    """Every model's endpoints through two servers, one on torch's default kernels (JNLP_ONEDNN=0) and one
    on oneDNN's packed layers (JNLP_ONEDNN=1), called alternately over plain HTTP, and whether their
    answers agree. The first call of each (it loads the model, and packs its layers) is kept apart.

    Measured through the server, not in-process: there the handler shares the cores with the
    server's own work, which is what a user's click meets. Also what the app picks on this machine
    by itself (JNLP_ONEDNN=auto, the default)."""
    from demos import contextual, generation, nli, sentiment, similarity, summarization
    from models import cpu_kernels

    requests = {
        "sentiment": ("sentiment", [sentiment.EXAMPLES[0][0]]),
        "sentiment, 512 tokens": ("sentiment", [fitting_text("SENTIMENT", 512)]),
        "nli": ("nli", list(nli.EXAMPLES[0][:2])),
        "sts": ("sts", list(similarity.EXAMPLES[0][:2])),
        "simcse": ("simcse", list(similarity.EXAMPLES[0][:2])),
        "ner": ("ner", ["田中美咲は日本銀行の会議に出席するため、名古屋から東京へ向かった。"]),
        "summarize": ("summarize", [summarization.EXAMPLES[0][0], settings.new_tokens, 1]),
        "next_token (GENERATION)": ("next_token", [generation.EXAMPLES[0][0], "GENERATION", generation.DEFAULT_TOP_K]),
        "contextual": ("contextual", list(contextual.EXAMPLES[0])),
        "fill_mask": ("fill_mask", [contextual.FILL_EXAMPLES[0][0], 5]),
    }
    for key in generation.MODEL_KEYS:
        requests[f"generate ({key}, {settings.new_tokens} tokens)"] = (
            "generate", [generation.EXAMPLES[0][0], key, settings.new_tokens, False, 1.0, 0.95, 50, 0])
    servers = {setting: measure.serve(measure.python("app.py"), {**env, cpu_kernels.ONEDNN_ENV: setting})
               for setting in ("0", "1")}
    try:
        # The generators' calls take seconds: fewer of them.
        repeats = {name: settings.long_repeats if settings.quick else 7 if api_name in ("summarize", "generate")
                   else settings.repeats for name, (api_name, _) in requests.items()}
        rows = asyncio.run(_alternate(servers["0"].url, servers["1"].url, requests, repeats))
    finally:
        for server in servers.values():
            server.stop()
    return {"auto_uses_onednn": cpu_kernels.wanted("text-classification"), "endpoints": rows}


# Outputs whose numbers are compared between the two servers, where not all: the contextual tab's
# figures are JSON text drawn from its first output, the cosine table.
COMPARED_OUTPUTS = {"contextual": 1}


async def _alternate(default_url: str, onednn_url: str, requests: dict[str, tuple[str, list]],
                     repeats: dict[str, int]) -> dict[str, dict]:
    import httpx

    rows = {}
    async with (httpx.AsyncClient(base_url=default_url, timeout=600) as default,
                httpx.AsyncClient(base_url=onednn_url, timeout=600) as onednn):
        for name, (api_name, data) in requests.items():
            answers, first_calls = [], []
            for http in (default, onednn):  # the first call loads the model (the next_token call loads GENERATION)
                started = time.perf_counter()
                answer = await measure.call_api(http, api_name, data, session="kernels")
                answers.append(answer[:COMPARED_OUTPUTS.get(api_name, len(answer))])
                first_calls.append(time.perf_counter() - started)
            # A large model (the large GPT-2) is packed in the background after it loads (3-7 s here):
            # the timed calls start once the oneDNN server runs on its packed layers.
            await measure.wait_for_packed_layers(onednn_url)
            timed = await measure.time_pair_async(  # alternately, starting with each server in turn
                lambda: measure.call_api(default, api_name, data, session="kernels"),
                lambda: measure.call_api(onednn, api_name, data, session="kernels"), repeats[name])
            default_s, onednn_s = (float(np.median(times)) for times in timed)
            rows[name] = {"default_p50_ms": 1000 * default_s, "onednn_p50_ms": 1000 * onednn_s,
                          "speedup": default_s / onednn_s, "largest_difference": _largest_difference(*answers),
                          "default_first_call_ms": 1000 * first_calls[0], "onednn_first_call_ms": 1000 * first_calls[1]}
    return rows


def _largest_difference(first, second) -> float:
    """The largest difference between the numbers of two API answers of the same shape; inf if anything
    else (a label, a word, the shape) differs."""
    if isinstance(first, (bool, str)) or isinstance(second, (bool, str)) or first is None or second is None:
        return 0.0 if type(first) is type(second) and first == second else float("inf")
    if isinstance(first, (int, float)) and isinstance(second, (int, float)):
        return abs(first - second)
    if isinstance(first, dict) and isinstance(second, dict) and first.keys() == second.keys():
        return max((_largest_difference(first[key], second[key]) for key in first), default=0.0)
    if isinstance(first, list) and isinstance(second, list) and len(first) == len(second):
        return max((_largest_difference(a, b) for a, b in zip(first, second)), default=0.0)
    return float("inf")
