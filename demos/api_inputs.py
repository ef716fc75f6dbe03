"""Plain HTTP calls (`curl` on /gradio_api/call/<api>) get the same defaults as gradio_client.

gradio_client fills the inputs a caller leaves out with their defaults before it sends
a request; Gradio's /call/ route does not, and a request with fewer inputs than its
event fails with an empty error (`{"error": null}`: Gradio's own message is hidden
from clients). This middleware completes such a request with the endpoint's
defaults, as the Python client would, and answers a request that leaves out a
required input, or sends too many, with a short bilingual message (422) instead.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

CALL_PREFIX = "/gradio_api/call/"
# Larger bodies (none of the app's inputs comes near) go to Gradio untouched.
MAX_INSPECTED_BYTES = 16 * 1024 * 1024


def complete_inputs(data: list, parameters: list[dict]) -> tuple[list | None, str | None]:
    """`data` with the missing trailing inputs set to their defaults, or None and the reason it can't be.

    `parameters` are the endpoint's, as Gradio's API info lists them (name, whether it has a
    default, the default).
    """
    if len(data) > len(parameters):
        return None, (f"この API の入力は {len(parameters)} 個までですが、{len(data)} 個送られました。"
                      f" / This endpoint takes at most {len(parameters)} input{'s' if len(parameters) != 1 else ''};"
                      f" the request sent {len(data)}.")
    missing = parameters[len(data):]
    required = [parameter["parameter_name"] for parameter in missing if not parameter.get("parameter_has_default")]
    if required:
        names = ", ".join(required)
        return None, (f"必須の入力がありません: {names}。 / Required inputs are missing: {names}.")
    return [*data, *(parameter.get("parameter_default") for parameter in missing)], None


class ApiInputsGuard:
    """ASGI middleware: completes /call/ requests with defaults, or refuses them with a clear message."""

    def __init__(self, app: Any, api_info: Callable[[], dict]):
        self.app = app
        self.api_info = api_info  # called once, on the first /call/ request: the UI is built by then
        self.parameters: dict[str, list[dict]] | None = None

    def _parameters(self, api_name: str) -> list[dict] | None:
        if self.parameters is None:
            endpoints = self.api_info().get("named_endpoints", {})
            self.parameters = {name.lstrip("/"): info.get("parameters", []) for name, info in endpoints.items()}
        return self.parameters.get(api_name)

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        path = scope.get("path", "") if scope["type"] == "http" else ""
        api_name = path[len(CALL_PREFIX):] if path.startswith(CALL_PREFIX) else ""
        if scope.get("method") != "POST" or not api_name or "/" in api_name:
            await self.app(scope, receive, send)
            return
        body, complete = b"", False
        while not complete:
            message = await receive()
            if message["type"] != "http.request":  # the client left
                return
            body += message.get("body", b"")
            complete = not message.get("more_body", False)
            if len(body) > MAX_INSPECTED_BYTES:
                break
        body = self._completed(api_name, body, complete)
        if isinstance(body, _Refusal):
            await body.send(send)
            return
        replayed = False

        async def replay() -> dict:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": not complete}
            return await receive()

        if complete:
            scope = {**scope, "headers": [(k, v) for k, v in scope.get("headers", []) if k.lower() != b"content-length"]
                     + [(b"content-length", str(len(body)).encode())]}
        await self.app(scope, replay, send)

    def _completed(self, api_name: str, body: bytes, complete: bool) -> bytes | _Refusal:
        """The body to pass on (completed with defaults when inputs are missing), or a refusal."""
        parameters = self._parameters(api_name) if complete else None
        if parameters is None:
            return body
        try:
            request = json.loads(body)
        except ValueError:
            return body  # not JSON: Gradio answers it
        if not isinstance(request, dict) or not isinstance(request.get("data"), list):
            return body
        data, problem = complete_inputs(request["data"], parameters)
        if problem is not None:
            return _Refusal(problem)
        if len(data) == len(request["data"]):
            return body
        return json.dumps({**request, "data": data}, ensure_ascii=False).encode("utf-8")


class _Refusal:
    def __init__(self, message: str):
        self.body = json.dumps({"error": message}, ensure_ascii=False).encode("utf-8")

    async def send(self, send: Any) -> None:
        await send({"type": "http.response.start", "status": 422,
                    "headers": [(b"content-type", b"application/json; charset=utf-8"),
                                (b"content-length", str(len(self.body)).encode())]})
        await send({"type": "http.response.body", "body": self.body})
