"""The Starlette application of ``gemini-live serve`` and the uvicorn runner.

Routes:

* ``GET /`` and ``/static/*``: the try-it page (plain JavaScript, AudioWorklet).
* ``POST /api/auth``: a one-time session token, rate-limited per client address.
* ``GET /api/health``: ``{"status": "ok", "model": ...}``.
* ``WS /ws?token=...``: the browser protocol (:mod:`.browser_protocol`), each connection
  served by a :class:`~.bridge.BrowserBridge`.

Security rules kept here: every request's ``Host`` must name this server (the loopback
names or the bound address with the listening port, or an ``ALLOWED_HOSTS`` entry), or it
is answered 421 before any route runs, so a DNS-rebound page cannot reach the API or the
socket; origins listed in ``ALLOWED_ORIGINS`` get CORS headers on the API; the page and
everything under ``/static/`` carry a script-from-self-only CSP with
``frame-ancestors 'none'``.  The ``Origin`` header is checked against ``ALLOWED_ORIGINS``
(same origin only by default) on the API and the socket; a socket with a bad origin is
refused at the handshake (HTTP 403), one with a missing, reused or expired token is
accepted only to be closed 1008 with a reason the page can show; no upstream session is
opened for either.  The API key lives in the settings object only, and uvicorn's log lines
have tokens masked.
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.datastructures import Headers, MutableHeaders
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, PlainTextResponse, Response
from starlette.routing import Mount, Route, WebSocketRoute
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from starlette.websockets import WebSocket

from gemini_live_tui.errors import ConfigError
from gemini_live_tui.live import Session, TransportConfig
from gemini_live_tui.server import browser_protocol as bp
from gemini_live_tui.server.bridge import (
    BridgeStatistics,
    BrowserBridge,
    SessionFactory,
    upstream_transport,
)
from gemini_live_tui.server.settings import ServerSettings
from gemini_live_tui.server.tokens import (
    RedisTokenStore,
    TokenStore,
    TokenStoreError,
    open_token_store,
)

__all__ = ["RedactTokens", "create_app", "run", "uvicorn_config"]

logger = logging.getLogger(__name__)

STATIC_DIR = Path(__file__).parent / "static"

# The page's script sources are our own files only; the socket goes back to this host.
_PAGE_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; connect-src 'self' ws: wss:; img-src 'self' data: blob:; "
        "media-src 'self' blob:; style-src 'self' 'unsafe-inline'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-cache",
}


@dataclasses.dataclass(slots=True)
class _State:
    """What the lifespan builds and the routes use (one per app, no globals)."""

    settings: ServerSettings
    tokens: TokenStore | None = None
    transport: TransportConfig | None = None
    statistics: BridgeStatistics = dataclasses.field(default_factory=BridgeStatistics)


def create_app(
    settings: ServerSettings,
    *,
    token_store: TokenStore | None = None,
    connect: SessionFactory = Session.connect,
    local_url: str = "",
) -> Starlette:
    """Build the proxy application.

    Args:
        settings: validated server settings.
        token_store: a store to use instead of the one ``TOKEN_STORE_URL`` names (tests
            inject one with a fake clock).
        connect: opens upstream sessions (``Session.connect``).
        local_url: the URL of an already running local Live server for
            ``LIVE_BACKEND=local``; when empty the app starts its own.
    """
    state = _State(settings=settings)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        async with contextlib.AsyncExitStack() as stack:
            store = token_store
            if store is None:
                store = open_token_store(
                    settings.token_store_url,
                    ttl=settings.token_ttl,
                    rate_limit=settings.auth_rate_limit,
                    rate_window=settings.auth_rate_window,
                )
                stack.push_async_callback(store.close)
            if isinstance(store, RedisTokenStore):
                await store.ping()  # fail at start, not at the first browser
            url = local_url
            if settings.backend == "local" and not url:
                from gemini_live_tui.local import LocalLiveServer

                local = await stack.enter_async_context(
                    LocalLiveServer(port=0, api_key=settings.api_key or None)
                )
                url = local.url
            state.tokens = store
            state.transport = upstream_transport(settings, local_url=url)
            yield

    async def page(request: Request) -> Response:
        return FileResponse(STATIC_DIR / "index.html", headers=_PAGE_HEADERS)

    async def health(request: Request) -> Response:
        body: dict[str, Any] = {
            "status": "ok",
            "model": settings.model,
            "active_sessions": state.statistics.active,
        }
        if isinstance(state.tokens, RedisTokenStore):
            # A process that cannot reach the shared store cannot admit anyone: say so,
            # so a load balancer takes it out of rotation.
            try:
                await state.tokens.ping()
            except TokenStoreError:
                body.update(status="error", error="token store unavailable")
                return JSONResponse(body, status_code=503)
        return JSONResponse(body)

    async def auth(request: Request) -> Response:
        if not _origin_ok(settings, request.headers, request.url.scheme):
            return _json_error(403, "origin not allowed")
        assert state.tokens is not None
        address = request.client.host if request.client else "unknown"
        try:
            if not await state.tokens.allow(address):
                return _json_error(
                    429,
                    "too many session tokens requested; try again later",
                    headers={"Retry-After": str(int(settings.auth_rate_window))},
                )
            token = await state.tokens.issue()
        except TokenStoreError as exc:
            logger.error("%s", exc)
            return _json_error(503, "token store unavailable")
        return JSONResponse(
            {"session_token": token, "session_time_limit": settings.session_time_limit},
            headers={"Cache-Control": "no-store"},
        )

    async def websocket_endpoint(websocket: WebSocket) -> None:
        if not _origin_ok(settings, websocket.headers, websocket.url.scheme):
            # Refused at the handshake: a foreign page learns nothing and costs nothing.
            await websocket.close(code=bp.CLOSE_POLICY)
            return
        assert state.tokens is not None and state.transport is not None
        token = websocket.query_params.get("token", "")
        try:
            valid = bool(token) and await state.tokens.consume(token)
        except TokenStoreError as exc:
            logger.error("%s", exc)
            await websocket.accept()
            await websocket.close(code=bp.CLOSE_UPSTREAM_ERROR, reason="token store unavailable")
            return
        await websocket.accept()
        if valid and state.statistics.active >= settings.max_sessions:
            # Checked after the token so a refused browser cannot probe the load for free.
            reason = "server busy; try again later"
            await websocket.send_text(bp.error_message(reason, code=bp.CLOSE_TRY_AGAIN_LATER))
            await websocket.close(code=bp.CLOSE_TRY_AGAIN_LATER, reason=reason)
            return
        if not valid:
            reason = (
                "session token missing" if not token else "session token invalid, expired or used"
            )
            await websocket.send_text(bp.error_message(reason, code=bp.CLOSE_POLICY))
            await websocket.close(code=bp.CLOSE_POLICY, reason=reason)
            return
        bridge = BrowserBridge(
            websocket,
            settings=settings,
            transport=state.transport,
            statistics=state.statistics,
            connect=connect,
        )
        await bridge.run()

    routes = [
        Route("/", page),
        Route("/api/health", health),
        Route("/api/auth", auth, methods=["POST"]),
        WebSocketRoute("/ws", websocket_endpoint),
        Mount(
            "/static",
            _WithHeaders(StaticFiles(directory=STATIC_DIR), _PAGE_HEADERS),
            name="static",
        ),
    ]
    # The Host check is outermost: a rebound request is refused before CORS or any route.
    middleware = [Middleware(_HostCheck, settings=settings)]
    if settings.allowed_origins:
        middleware.append(
            Middleware(
                CORSMiddleware,
                allow_origins=list(settings.allowed_origins),
                allow_methods=["GET", "POST"],
                allow_headers=["content-type"],
                max_age=600,
            )
        )
    app = Starlette(routes=routes, lifespan=lifespan, middleware=middleware)
    app.state.proxy = state
    return app


_HOST_REFUSED = "host not allowed (set ALLOWED_HOSTS)"


class _HostCheck:
    """Answers 421 to any request (HTTP or WebSocket upgrade) whose ``Host`` is not ours."""

    def __init__(self, app: ASGIApp, *, settings: ServerSettings) -> None:
        self._app = app
        self._settings = settings

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] in ("http", "websocket"):
            server = scope.get("server") or ("", 0)
            port = int(server[1] or self._settings.port) if len(server) > 1 else 0
            if not self._settings.host_allowed(Headers(scope=scope).get("host"), port):
                await self._refuse(scope, receive, send)
                return
        await self._app(scope, receive, send)

    @staticmethod
    async def _refuse(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "websocket" and "websocket.http.response" not in scope.get(
            "extensions", {}
        ):
            # A server without denial responses: refuse the handshake (HTTP 403).
            await send({"type": "websocket.close", "code": bp.CLOSE_POLICY})
            return
        # A Starlette response answers a WebSocket upgrade with a plain HTTP response too.
        await PlainTextResponse(_HOST_REFUSED, status_code=421)(scope, receive, send)


class _WithHeaders:
    """Adds fixed headers to every HTTP response of the wrapped app (the static files)."""

    def __init__(self, app: ASGIApp, headers: dict[str, str]) -> None:
        self._app = app
        self._headers = headers

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                MutableHeaders(scope=message).update(self._headers)
            await send(message)

        await self._app(scope, receive, send_with_headers)


def _origin_ok(settings: ServerSettings, headers: Any, scheme: str) -> bool:
    return settings.origin_allowed(headers.get("origin"), headers.get("host"), scheme)


def _json_error(status: int, message: str, *, headers: dict[str, str] | None = None) -> Response:
    return JSONResponse({"error": message}, status_code=status, headers=headers)


_TOKEN_IN_TEXT = re.compile(r"(token=)[^&\s\"']+")


class RedactTokens(logging.Filter):
    """Masks ``token=...`` in log records (uvicorn logs request paths with their query)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple) and record.args:
            record.args = tuple(
                _TOKEN_IN_TEXT.sub(r"\1***", arg) if isinstance(arg, str) else arg
                for arg in record.args
            )
        if isinstance(record.msg, str) and "token=" in record.msg:
            record.msg = _TOKEN_IN_TEXT.sub(r"\1***", record.msg)
        return True


def uvicorn_config(settings: ServerSettings, app: ASGIApp, **options: Any) -> Any:
    """A ``uvicorn.Config`` for the proxy with its size limits and token redaction."""
    import uvicorn

    redactor = RedactTokens()
    for name in ("uvicorn.error", "uvicorn.access"):
        target = logging.getLogger(name)
        if not any(isinstance(f, RedactTokens) for f in target.filters):
            target.addFilter(redactor)
    values: dict[str, Any] = {
        "host": settings.host,
        "port": settings.port,
        "ws_max_size": settings.max_message_bytes,
        "ws": "websockets-sansio",
        "lifespan": "on",
        "log_level": "info",
        "server_header": False,
    }
    values.update(options)
    return uvicorn.Config(app, **values)


def run(settings: ServerSettings) -> None:
    """Serve until interrupted (the body of ``gemini-live serve``).

    Raises:
        ConfigError: the settings cannot work (checked before listening).
    """
    import uvicorn

    if settings.backend == "vertex":
        try:
            import google.auth  # noqa: F401  # the vertex extra
        except ImportError as exc:
            raise ConfigError(
                "PROJECT_ID: Vertex needs the vertex extra (pip install 'gemini-live[vertex]')"
            ) from exc
    app = create_app(settings)
    import os

    server = uvicorn.Server(
        uvicorn_config(settings, app, ws=os.environ.get("XWS", "websockets-sansio"))
    )
    server.run()
