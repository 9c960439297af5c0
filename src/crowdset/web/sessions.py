"""Signed session cookies with the standard library (HMAC-SHA256), as ASGI middleware.

The whole session lives in the cookie: a small JSON object, signed so that nobody can forge or
alter it, sent ``HttpOnly`` (scripts cannot read it), ``SameSite=Lax`` (other sites' forms do not
carry it) and ``Secure`` unless the ``session_cookie_secure`` setting is off. The cookie's
``Max-Age`` ends it in the browser; :mod:`crowdset.web.deps` also refuses a login older than
``session_lifetime_minutes`` by the instance's clock, so a copied cookie dies too.

What a session holds: ``csrf`` (the form token), and once logged in ``uid`` and ``iat`` (the
login time, seconds since the epoch); ``flash`` carries one-time notices across a redirect.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from typing import Any

from starlette.datastructures import MutableHeaders
from starlette.requests import HTTPConnection
from starlette.types import ASGIApp, Message, Receive, Scope, Send


def _b64encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _b64decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class Signer:
    """``payload.mac``: base64url JSON and its HMAC-SHA256 under ``secret``."""

    def __init__(self, secret: bytes) -> None:
        self._secret = hashlib.sha256(b"crowdset web session\x00" + secret).digest()

    def _mac(self, payload: bytes) -> bytes:
        return hmac.new(self._secret, payload, hashlib.sha256).digest()

    def dumps(self, data: dict[str, Any]) -> str:
        payload = json.dumps(data, separators=(",", ":"), sort_keys=True).encode()
        return f"{_b64encode(payload)}.{_b64encode(self._mac(payload))}"

    def loads(self, value: str) -> dict[str, Any] | None:
        """The session, or ``None`` for a cookie that is malformed or not signed by us."""
        try:
            encoded, mac = value.split(".", 1)
            payload = _b64decode(encoded)
            if not hmac.compare_digest(_b64decode(mac), self._mac(payload)):
                return None
            data = json.loads(payload)
        except (ValueError, UnicodeDecodeError):
            return None
        return data if isinstance(data, dict) else None


class SessionMiddleware:
    """Puts ``scope["session"]`` (read by ``request.session``) and writes the cookie back when
    the session changed."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        secret: bytes,
        max_age_seconds: int,
        secure: bool,
    ) -> None:
        self.app = app
        self.signer = Signer(secret)
        self.max_age = max_age_seconds
        self.secure = secure
        # the __Host- prefix pins the cookie to this host and path "/" (needs Secure)
        self.cookie_name = "__Host-crowdset" if secure else "crowdset_session"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        raw = HTTPConnection(scope).cookies.get(self.cookie_name)
        loaded = self.signer.loads(raw) if raw else None
        scope["session"] = dict(loaded or {})
        before = json.dumps(loaded or {}, sort_keys=True)
        stale = raw is not None and loaded is None  # forged, altered or from an old key

        async def send_with_cookie(message: Message) -> None:
            if message["type"] == "http.response.start":
                session: dict[str, Any] = scope["session"]
                if stale or json.dumps(session, sort_keys=True) != before:
                    MutableHeaders(scope=message).append("Set-Cookie", self._cookie(session))
            await send(message)

        await self.app(scope, receive, send_with_cookie)

    def _cookie(self, session: dict[str, Any]) -> str:
        value, max_age = (self.signer.dumps(session), self.max_age) if session else ("", 0)
        attributes = [f"{self.cookie_name}={value}", "Path=/", f"Max-Age={max_age}"]
        attributes += ["HttpOnly", "SameSite=Lax"] + (["Secure"] if self.secure else [])
        return "; ".join(attributes)
