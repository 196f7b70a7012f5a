"""textual-serve with a door: a per-run token and an Origin check.

Why: the browser app drives the real terminal app: whoever holds its WebSocket can read the
screen, type `/export` or answer a permission modal. Any web page the user has open can try
to open a WebSocket to 127.0.0.1 (browsers allow cross-origin WebSockets), so:

- each run makes a random token (like Jupyter's); the page is served only at `/?token=T`,
  and the socket lives at `/ws/T` (textual.js appends `?width=..` to the socket address, so
  the token goes in the path);
- a WebSocket upgrade is refused unless its Origin header is this server's own origin
  (a browser always sends it and a page cannot forge it), whatever the token.
Both comparisons are constant-time. Static files (the terminal's JS and CSS) stay open.
"""

from __future__ import annotations

import hmac
import secrets
from typing import Any
from urllib.parse import urlsplit

import aiohttp_jinja2
from aiohttp import web
from textual_serve.server import Server

LOOPBACK_NAMES = ("127.0.0.1", "localhost", "[::1]")


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()


class GuardedServer(Server):
    def __init__(self, *args: Any, token: str | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.token = token or secrets.token_urlsafe(24)
        origins = {_origin(self.public_url)}
        host = urlsplit(self.public_url).hostname or ""
        if host in ("127.0.0.1", "localhost", "::1"):  # the same server, as the user typed it
            origins |= {f"http://{name}:{self.port}" for name in LOOPBACK_NAMES}
        self.allowed_origins = frozenset(origins)

    @property
    def page_url(self) -> str:
        return f"{self.public_url}/?token={self.token}"

    def _token_ok(self, given: str | None) -> bool:
        return given is not None and hmac.compare_digest(given.encode(), self.token.encode())

    async def _make_app(self) -> web.Application:
        app = await super()._make_app()
        app.router.add_get("/ws/{token}", self._guarded_websocket, name="guarded-websocket")
        app.middlewares.append(self._door)
        return app

    @web.middleware
    async def _door(self, request: web.Request, handler: Any) -> web.StreamResponse:
        path = request.path
        if path == "/":
            if not self._token_ok(request.query.get("token")):
                raise web.HTTPForbidden(text="This address needs the token printed when "
                                        "backend-copilot --web started.\n")
        elif path == "/ws":
            raise web.HTTPForbidden(text="Use the address printed at start.\n")
        return await handler(request)

    async def _guarded_websocket(self, request: web.Request) -> web.StreamResponse:
        if not self._token_ok(request.match_info.get("token")):
            raise web.HTTPForbidden(text="wrong token\n")
        origin = (request.headers.get("Origin") or "").lower()
        if origin not in self.allowed_origins:
            raise web.HTTPForbidden(text="this page's origin may not drive the app\n")
        return await self.handle_websocket(request)

    @aiohttp_jinja2.template("app_index.html")
    async def handle_index(self, request: web.Request) -> dict[str, Any]:
        # The template gets the guarded socket address (ws://host:port/ws/TOKEN).
        context = await super().handle_index.__wrapped__(self, request)  # type: ignore[attr-defined]
        base = context["app_websocket_url"].rsplit("/ws", 1)[0]
        context["app_websocket_url"] = f"{base}/ws/{self.token}"
        return context

    async def on_startup(self, app: web.Application) -> None:
        """Quiet: serve() prints the one address to open (with its token)."""
