"""JNLP_MCP: the opt-in switch for the MCP server, read by app.launch_settings like the other settings."""

import pytest

from app import launch_settings


def test_the_mcp_server_is_off_unless_the_operator_asks():
    assert launch_settings({})["mcp_server"] is False
    assert launch_settings({"JNLP_MCP": ""})["mcp_server"] is False
    assert launch_settings({"JNLP_MCP": "0"})["mcp_server"] is False
    assert launch_settings({"JNLP_MCP": "1"})["mcp_server"] is True


@pytest.mark.parametrize("value", ["true", "yes", "2", "1 please", "on"])
def test_a_value_that_is_not_0_or_1_stops_the_app_with_a_clear_message(value):
    with pytest.raises(ValueError, match=r"JNLP_MCP=.*use 1 to serve every tab as an MCP tool"):
        launch_settings({"JNLP_MCP": value})


def test_asking_for_mcp_without_the_mcp_package_says_what_to_install(monkeypatch):
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "mcp" else real(name, *a))
    with pytest.raises(ValueError, match=r"gradio\[mcp\]"):
        launch_settings({"JNLP_MCP": "1"})
    assert launch_settings({"JNLP_MCP": "0"})["mcp_server"] is False  # not needed when off
