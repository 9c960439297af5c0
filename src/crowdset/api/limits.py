"""Request size limit: refuse large bodies before reading them (413 problem+json)."""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from crowdset.api.problems import problem


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
