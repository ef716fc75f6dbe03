"""JNLP_MONITORING: Gradio's monitoring dashboard is opt-in, and without it the queue skips the
per-request summary that only the dashboard reads."""

import os
import time

import httpx
import pytest

import app
from tests.conftest import start_app, stop_app


def test_monitoring_is_off_unless_the_operator_asks():
    assert app.launch_settings({})["enable_monitoring"] is False
    assert app.launch_settings({"JNLP_MONITORING": "0"})["enable_monitoring"] is False
    assert app.launch_settings({"JNLP_MONITORING": "1"})["enable_monitoring"] is True


@pytest.mark.parametrize("value", ["true", "on", "2"])
def test_a_monitoring_value_that_is_not_0_or_1_stops_the_app_with_a_clear_message(value):
    with pytest.raises(ValueError, match=r"JNLP_MONITORING=.*use 1 to serve Gradio's monitoring dashboard"):
        app.launch_settings({"JNLP_MONITORING": value})


def _summary_after_one_request(blocks) -> dict:
    """What the app's queue makes of one finished /sentiment request, by Gradio's own bookkeeping
    (the calls its queue makes after each request; gradio 6.31)."""
    queue = blocks._queue
    queue.event_analytics["event"] = {"time": time.time(), "status": "success", "process_time": 0.05,
                                      "function": "sentiment", "session_hash": "s"}
    queue.events_recorded += 1
    queue.events_recorded_per_fn["sentiment"] += 1
    return queue.compute_analytics_summary(list(queue.event_analytics.values()))


@pytest.mark.parametrize("monitoring, summarised", [("", False), ("0", False), ("1", True)])
def test_the_queue_summarises_requests_only_for_the_dashboard(monkeypatch, monitoring, summarised):
    monkeypatch.setenv("JNLP_MONITORING", monitoring)
    monkeypatch.delenv(app.SUMMARY_EVERY_ENV, raising=False)
    blocks = app.build_app()
    assert ("sentiment" in _summary_after_one_request(blocks)["functions"]) is summarised
    assert app.SUMMARY_EVERY_ENV not in os.environ  # set for the queue only, not for child processes


def test_an_operators_own_summary_setting_is_kept(monkeypatch):
    monkeypatch.setenv(app.SUMMARY_EVERY_ENV, "1")
    monkeypatch.delenv("JNLP_MONITORING", raising=False)
    assert "sentiment" in _summary_after_one_request(app.build_app())["functions"]


def test_the_running_app_serves_no_monitoring_summary(running_app):
    assert httpx.get(running_app.url + "monitoring/summary", timeout=10).status_code == 403


def test_with_monitoring_on_the_summary_counts_requests(model_env, tmp_path):
    served = start_app({**model_env, "JNLP_MONITORING": "1"}, tmp_path / "app.log")
    try:
        served.client().predict("この映画は面白かった。", api_name="/sentiment")
        summary = httpx.get(served.url + "monitoring/summary", timeout=10).json()
    finally:
        stop_app(served)
    assert summary["functions"]["sentiment"]["total_requests"] == 1
