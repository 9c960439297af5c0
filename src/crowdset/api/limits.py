"""Request limits: refuse large bodies before reading them (413 problem+json), and JSON
bodies that nest too deeply or hold NUL characters (422) before a route parses them."""

from __future__ import annotations

import re

from fastapi.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from crowdset.api.problems import problem
from crowdset.core.documents import MAX_DEPTH, nesting_depth


class BodySizeLimit:
    """Checks Content-Length up front and counts streamed bytes for chunked bodies."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        declared = headers.get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > self.max_bytes):
            await self._refuse(scope, receive, send)
            return
        seen = 0

        async def counting_receive() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_bytes:
                    raise _TooLarge
            return message

        try:
            await self.app(scope, counting_receive, send)
        except _TooLarge:
            await self._refuse(scope, receive, send)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send) -> None:
        response = problem(
            413,
            "Request too large",
            f"the request body is larger than {self.max_bytes} bytes: send less, or raise "
            "CROWDSET_MAX_REQUEST_BYTES",
            "too_large",
            limit=self.max_bytes,
        )
        await response(scope, receive, send)


class _TooLarge(Exception):
    pass


_ESCAPED_NUL = re.compile(rb"(?<!\\)(?:\\\\)*\\u0000")


class JsonBodyLimits:
    """Refuses a JSON body that nests deeper than ``MAX_DEPTH`` (the parser recurses) or holds
    a NUL character (PostgreSQL's text cannot store it) with a 422 naming the limit, before any
    route parses it. The body is already bounded by :class:`BodySizeLimit` around this."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        headers = dict(scope.get("headers") or []) if scope["type"] == "http" else {}
        if b"json" not in headers.get(b"content-type", b"").lower():
            await self.app(scope, receive, send)
            return
        chunks: list[bytes] = []
        while True:
            message = await receive()
            if message["type"] != "http.request":
                await self.app(scope, _replay([message]), send)
                return
            chunks.append(message.get("body", b""))
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        refusal = _refusal(body)
        if refusal is not None:
            await refusal(scope, receive, send)
            return
        await self.app(scope, _replay([{"type": "http.request", "body": body}], receive), send)


def _refusal(body: bytes) -> JSONResponse | None:
    if nesting_depth(body) > MAX_DEPTH:
        detail = (
            f"the JSON body nests arrays or objects deeper than the limit of {MAX_DEPTH} "
            "levels: flatten it"
        )
        return problem(422, "Invalid input", detail, "invalid_input", field="body", limit=MAX_DEPTH)
    if b"\x00" in body or _ESCAPED_NUL.search(body):
        detail = "a text in the JSON body holds a NUL character (\\u0000): remove it"
        return problem(422, "Invalid input", detail, "invalid_input", field="body")
    return None


def _replay(messages: list[Message], then: Receive | None = None) -> Receive:
    """A ``receive`` that hands out ``messages`` first, then waits on ``then``."""
    pending = list(messages)

    async def receive() -> Message:
        if pending:
            return pending.pop(0)
        if then is not None:
            return await then()
        return {"type": "http.disconnect"}

    return receive
