"""JNLP_MCP=1 serves every public endpoint as an MCP tool, described by its handler's docstring;
without it there is no MCP server.

The app runs as a user would start it (`python app.py`, tiny checkpoints); the tools are read
over MCP itself (the streamable HTTP transport, with the mcp client library) and from Gradio's
schema route, which also names each tool's endpoint.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import httpx
import pytest

from tests.conftest import RunningApp, run_coroutine, start_app, stop_app

MCP_PATH = "gradio_api/mcp/"


@pytest.fixture(scope="module")
def mcp_app(model_env, tmp_path_factory) -> Iterator[RunningApp]:
    app = start_app({**model_env, "JNLP_MCP": "1"}, tmp_path_factory.mktemp("mcp") / "app.log")
    yield app
    stop_app(app)


def _public_endpoints(url: str) -> set[str]:
    return set(httpx.get(url + "gradio_api/info", timeout=30).json()["named_endpoints"])


async def _over_mcp(url: str, tool: str, arguments: dict):
    from mcp import ClientSession
    from mcp.client.streamable_http import streamable_http_client

    async with streamable_http_client(url + MCP_PATH) as (read, write, _), ClientSession(read, write) as session:
        await session.initialize()
        tools = await session.list_tools()
        result = await session.call_tool(tool, arguments)
    return tools.tools, result


def test_every_public_endpoint_is_a_documented_tool(mcp_app):
    schema = httpx.get(mcp_app.url + MCP_PATH + "schema", timeout=30).json()
    endpoints = _public_endpoints(mcp_app.url)
    assert {"/" + tool["meta"]["endpoint_name"] for tool in schema} == endpoints
    for tool in schema:
        name = tool["name"]
        assert tool["description"].strip(), name
        for parameter, spec in tool["inputSchema"]["properties"].items():
            assert spec.get("type") or spec.get("anyOf"), (name, parameter)  # typed
            assert spec.get("description", "").strip(), (name, parameter)  # described by the docstring's Args


def test_the_tools_are_listed_and_run_over_mcp(mcp_app):
    tools, result = run_coroutine(_over_mcp(mcp_app.url, "sentiment", {"text": "とても良い商品でした。"}))
    listed = {tool.name: tool for tool in tools}
    schema = httpx.get(mcp_app.url + MCP_PATH + "schema", timeout=30).json()
    assert set(listed) == {tool["name"] for tool in schema}
    sentiment = listed["sentiment"]
    assert "MARC-ja" in sentiment.description
    assert sentiment.inputSchema["properties"]["text"]["type"] == "string"
    assert sentiment.inputSchema["required"] == ["text"]
    assert not result.isError, result
    answer = " ".join(part.text for part in result.content if part.type == "text")
    # The gr.Label value, as the tool's text: every label with its confidence.
    assert "positive" in answer and "negative" in answer and "confidence" in answer


def test_a_refused_input_is_an_mcp_error_with_the_bilingual_message(mcp_app):
    _, result = run_coroutine(_over_mcp(mcp_app.url, "sentiment", {"text": "   "}))
    assert result.isError
    message = json.dumps([part.model_dump() for part in result.content], ensure_ascii=False)
    assert "Please enter some text" in message and "入力してください" in message


def test_without_jnlp_mcp_there_is_no_mcp_server(running_app):
    assert httpx.get(running_app.url + MCP_PATH + "schema", timeout=30).status_code == 404
    assert httpx.post(running_app.url + MCP_PATH, json={}, timeout=30).status_code == 404
