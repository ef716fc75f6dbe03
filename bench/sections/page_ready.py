"""Page ready: seconds from starting the server to the page answering."""

from __future__ import annotations

import numpy as np

from bench import measure
from bench.sections.common import Settings


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
