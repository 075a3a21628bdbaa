"""The local Live server: websockets endpoint, paths, auth, connection lifecycle, inspection.

:class:`LocalLiveServer` stands in for Gemini Live wherever there is no network (every
test, CI, offline demos).  It answers on the real paths (including the ``//ws/`` form the
SDKs produce), checks the key the way the real service does (accept the upgrade, then
close 1007), insists on ``setup`` first, sends binary camelCase JSON frames, and hands each
connection to a :class:`~.conversation.Conversation`.  Tests read what arrived
(``received``, ``images``, ``audio_bytes``, ``records``), wait on conditions with
:meth:`LocalLiveServer.wait_for` and inject faults (:mod:`.faults`).
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import re
import ssl
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from http import HTTPStatus
from types import TracebackType
from typing import Any
from urllib.parse import parse_qs

from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.datastructures import Headers
from websockets.exceptions import ConnectionClosed
from websockets.http11 import Request, Response

from gemini_live_tui.text_safety import RedactingLogger

from .contracts import refusal_for
from .conversation import Conversation, SessionState
from .faults import Fault, FaultKind, FaultPlan, Trigger
from .images import ReceivedImage
from .rules import (
    API_KEY_INVALID,
    API_KEY_MISSING,
    INVALID_ARGUMENT,
    ModelCatalog,
    Rejection,
    check_client_message,
    check_setup,
)
from .tls import LoopbackTLS, self_signed
from .wire import WireError, close_reason, duration, encode_frame, parse_frame

__all__ = ["ConnectionRecord", "LocalLiveServer", "Route"]

logger = logging.getLogger(__name__)

DEVELOPER_PATH = "/ws/google.ai.generativelanguage.v1beta.GenerativeService.BidiGenerateContent"
_DEVELOPER = re.compile(
    r"^/ws/google\.ai\.generativelanguage\.(v1|v1beta|v1alpha)\.GenerativeService\."
    r"(BidiGenerateContent|BidiGenerateContentConstrained)$"
)
_VERTEX = re.compile(
    r"^/ws/google\.cloud\.aiplatform\.(v1|v1beta1)\.LlmBidiService/BidiGenerateContent$"
)
_MAX_FRAME = 16 * 1024 * 1024
_GOAWAY_REASON = "The connection has reached its maximum lifetime."
_MALFORMED = b'{"serverContent": {"modelTurn": {"parts": [{"text": "trunc'


# A field of the wrong JSON type (a string where an object belongs, ...) surfaces as one of
# these deep inside the conversation; the real service calls that an invalid argument.
_WRONG_TYPES = (AttributeError, TypeError, ValueError, KeyError)


def _invalid_argument(exc: Exception) -> Rejection:
    logger.debug("local server: invalid client field", exc_info=exc)
    return Rejection(1007, INVALID_ARGUMENT)


@dataclass(frozen=True)
class Route:
    """What a request path names."""

    api_version: str
    vertex: bool
    constrained: bool


def route(path: str) -> Route | None:
    """Match a request path (query ignored, leading slashes collapsed) or return None."""
    # Not urlsplit: it would read the "ws" of "//ws/..." as a host name.
    clean = "/" + path.split("?", 1)[0].lstrip("/")
    if clean == "/ws":
        # Local shortcut: the project's own examples use Endpoint.custom("ws://host:port/ws").
        return Route("v1beta", vertex=False, constrained=False)
    match = _DEVELOPER.match(clean)
    if match:
        return Route(match.group(1), False, match.group(2).endswith("Constrained"))
    match = _VERTEX.match(clean)
    if match:
        return Route(match.group(1), vertex=True, constrained=False)
    return None


@dataclass
class ConnectionRecord:
    """Everything one connection did, for tests to inspect (no secrets kept)."""

    id: int
    path: str
    route: Route
    user_agent: str = ""
    setup: dict[str, Any] | None = None
    received: list[dict[str, Any]] = field(default_factory=list)
    sent: list[dict[str, Any]] = field(default_factory=list)
    audio_bytes: int = 0
    images: list[ReceivedImage] = field(default_factory=list)
    resumed: bool = False
    open: bool = True
    messages_received: int = 0
    messages_sent: int = 0
    close_code: int | None = None
    close_reason: str = ""
    session_id: int | None = None

    def keep_received(self, message: dict[str, Any], retain: int) -> None:
        self.messages_received += 1
        _append_bounded(self.received, message, retain)

    def keep_sent(self, message: dict[str, Any], retain: int) -> None:
        self.messages_sent += 1
        _append_bounded(self.sent, message, retain)


def _append_bounded(items: list[Any], item: Any, retain: int) -> None:
    # Long offline demos stream audio and screen frames for hours: keep memory bounded by
    # forgetting the oldest entries (counters keep counting).
    items.append(item)
    if len(items) > retain:
        del items[: len(items) - retain]


class LocalLiveServer:
    """A faithful local stand-in for the Gemini Live service.

    Args:
        host: interface to bind.
        port: TCP port; 0 picks a free one (read it back from ``port``).
        api_key: the one valid key; None accepts any credential (or none).
        goaway_after: seconds a connection lives before ``goAway`` (None: forever).
        goaway_grace: seconds between ``goAway`` and the 1008 close.
        models: replace the known-model list (see :class:`~.rules.ModelCatalog`).
        extra_models: names to accept in addition to the defaults.
        speed: how much faster than real time replies stream (``math.inf``: no pacing).
        chunk_ms: duration of each output audio chunk.
        tls: serve wss with a throwaway self-signed certificate (google-genai needs it);
            ``client_ssl_context`` trusts it.
        handle_ttl: seconds a resumption handle stays valid (the real service: 2 h).
        clock: monotonic clock, injectable for handle expiry tests.
        retain: messages kept per connection in ``received``/``sent`` (and images kept in
            ``images``) before the oldest are forgotten.
    """

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        api_key: str | None = None,
        goaway_after: float | None = None,
        goaway_grace: float = 2.0,
        models: Iterable[str] | None = None,
        extra_models: Iterable[str] = (),
        speed: float = 4.0,
        chunk_ms: int = 100,
        tls: bool = False,
        handle_ttl: float = 7200.0,
        clock: Callable[[], float] = time.monotonic,
        retain: int = 5000,
    ) -> None:
        self.host = host
        self._requested_port = port
        self._api_key = api_key
        self.goaway_after = goaway_after
        self.goaway_grace = goaway_grace
        self.catalog = ModelCatalog(models, extra_models)
        self.speed = speed
        self.chunk_ms = chunk_ms
        self.handle_ttl = handle_ttl
        self._clock = clock
        self.retain = max(1, retain)
        self._tls: LoopbackTLS | None = self_signed(host) if tls else None
        self.faults = FaultPlan()
        self.records: list[ConnectionRecord] = []
        self.images: list[ReceivedImage] = []
        self._server: Server | None = None
        self._ids = itertools.count(1)
        self._session_ids = itertools.count(1)
        self._handle_numbers = itertools.count(1)
        self._handles: dict[str, tuple[SessionState, int, float]] = {}
        self._live: dict[int, tuple[ServerConnection, Conversation | None]] = {}
        self._changed = asyncio.Event()
        self._waiters = 0
        self._tasks: set[asyncio.Task[Any]] = set()

    def __repr__(self) -> str:
        auth = "any key" if self._api_key is None else "key required"
        return f"<LocalLiveServer {self.url if self._server else 'stopped'} ({auth})>"

    # ------------------------------------------------------------------ lifecycle

    async def start(self) -> None:
        """Bind and start serving."""
        self._server = await serve(
            self._handle,
            self.host,
            self._requested_port,
            process_request=self._process_request,
            max_size=_MAX_FRAME,
            # The real service does not ping-kill busy clients; neither do we.
            ping_interval=None,
            compression=None,
            ssl=self._tls.server if self._tls else None,
            server_header="gemini-live-local",
            # websockets logs request headers at DEBUG: never the client's key.
            logger=RedactingLogger(logging.getLogger("websockets.server"), [self._api_key or ""]),
        )

    async def stop(self) -> None:
        """Close every connection (1001) and stop listening."""
        if self._server is None:
            return
        self._server.close(close_connections=True)
        await self._server.wait_closed()
        for task in list(self._tasks):
            task.cancel()
        self._server = None

    async def __aenter__(self) -> LocalLiveServer:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    async def serve_forever(self) -> None:
        """Run until cancelled (the CLI)."""
        if self._server is None:
            await self.start()
        assert self._server is not None
        await self._server.serve_forever()

    # ------------------------------------------------------------------ addresses

    @property
    def port(self) -> int:
        """The bound TCP port."""
        if self._server is None:
            raise RuntimeError("the local Live server is not running")
        socket = next(iter(self._server.sockets))
        return int(socket.getsockname()[1])

    @property
    def base_url(self) -> str:
        """``http(s)://host:port``: the ``base_url`` for google-genai's http_options."""
        scheme = "https" if self._tls else "http"
        return f"{scheme}://{self._host_for_url()}:{self.port}"

    @property
    def url(self) -> str:
        """The full WebSocket URL of the Developer API v1beta endpoint."""
        scheme = "wss" if self._tls else "ws"
        return f"{scheme}://{self._host_for_url()}:{self.port}{DEVELOPER_PATH}"

    @property
    def certificate_pem(self) -> bytes | None:
        """With ``tls=True``: the self-signed certificate, for ``SSL_CERT_FILE`` users."""
        return self._tls.certificate_pem if self._tls else None

    @property
    def client_ssl_context(self) -> ssl.SSLContext | None:
        """With ``tls=True``: a client context that trusts this server's certificate."""
        return self._tls.client if self._tls else None

    def _host_for_url(self) -> str:
        return f"[{self.host}]" if ":" in self.host else self.host

    # ------------------------------------------------------------------ inspection

    @property
    def connections(self) -> int:
        """How many connections were accepted so far."""
        return len(self.records)

    @property
    def open_connections(self) -> int:
        """How many connections are open now."""
        return sum(1 for record in self.records if record.open)

    @property
    def received(self) -> list[dict[str, Any]]:
        """Normalised client messages of all connections (the last ``retain`` of each)."""
        return [message for record in self.records for message in record.received]

    @property
    def sent(self) -> list[dict[str, Any]]:
        """Every server message sent, all connections."""
        return [message for record in self.records for message in record.sent]

    @property
    def audio_bytes(self) -> int:
        """PCM bytes received, all connections."""
        return sum(record.audio_bytes for record in self.records)

    def statistics(self) -> dict[str, int]:
        """Counters for tests and the CLI."""
        return {
            "connections": self.connections,
            "open_connections": self.open_connections,
            "messages_received": sum(r.messages_received for r in self.records),
            "messages_sent": sum(r.messages_sent for r in self.records),
            "audio_bytes_received": self.audio_bytes,
            "images_received": len(self.images),
            "resumed_connections": sum(1 for r in self.records if r.resumed),
            "handles_issued": len(self._handles),
        }

    async def wait_for(
        self,
        predicate: Callable[[], bool],
        timeout: float = 10.0,  # noqa: ASYNC109 - tests read better with the timeout inline
    ) -> None:
        """Wait until ``predicate()`` is true; it is re-checked on every server event.

        Raises:
            TimeoutError: the condition did not hold within ``timeout`` seconds.
        """
        try:
            async with asyncio.timeout(timeout):
                while not predicate():
                    self._waiters += 1
                    try:
                        await self._changed.wait()
                    finally:
                        self._waiters -= 1
        except TimeoutError:
            raise TimeoutError(f"local Live server: condition not met in {timeout} s") from None

    def _notify(self) -> None:
        # Wake every waiter, then arm a fresh event for the next change.  This runs for every
        # message, so skip the work when no test is waiting.
        if self._waiters:
            self._changed.set()
            self._changed = asyncio.Event()

    # ------------------------------------------------------------------ faults

    def arm(self, fault: Fault, trigger: Trigger = Trigger.NEXT_CONNECTION) -> None:
        """Make ``fault`` happen on the next connection or the next reply."""
        self.faults.arm(fault, trigger)

    async def inject(self, fault: Fault, connection: int | None = None) -> None:
        """Make ``fault`` happen now on every open connection (or the one with that id)."""
        targets = [
            (cid, ws)
            for cid, (ws, _conv) in list(self._live.items())
            if connection is None or cid == connection
        ]
        for cid, ws in targets:
            await self._apply(fault, cid, ws)

    async def _apply(self, fault: Fault, connection_id: int, ws: ServerConnection) -> None:
        logger.info("local server: fault %s on connection %d", fault.kind.value, connection_id)
        if fault.kind is FaultKind.DROP:
            ws.transport.abort()
        elif fault.kind is FaultKind.CLOSE:
            await ws.close(fault.code, close_reason(fault.reason))
        elif fault.kind is FaultKind.MALFORMED_FRAME:
            with contextlib.suppress(ConnectionClosed):
                await ws.send(_MALFORMED)
        elif fault.kind is FaultKind.GOAWAY:
            grace = self.goaway_grace if fault.delay is None else fault.delay
            self._spawn(self._go_away(connection_id, ws, grace))
        elif fault.kind is FaultKind.SLOW_SETUP and fault.delay:
            await asyncio.sleep(fault.delay)

    async def _reply_started(self, connection_id: int) -> None:
        fault = self.faults.take(Trigger.NEXT_REPLY)
        live = self._live.get(connection_id)
        if fault is not None and live is not None:
            await self._apply(fault, connection_id, live[0])

    # ------------------------------------------------------------------ conversation host

    def record_image(self, image: ReceivedImage) -> None:
        _append_bounded(self.images, image, self.retain)
        record = self._record(image.connection_id)
        if record is not None:
            _append_bounded(record.images, image, self.retain)
        self._notify()

    def record_audio(self, connection_id: int, size: int) -> None:
        record = self._record(connection_id)
        if record is not None:
            record.audio_bytes += size
        self._notify()

    def new_handle(self, state: SessionState) -> str:
        handle = f"local-session-{state.session_id}-turn-{state.turns}-{next(self._handle_numbers)}"
        self._handles[handle] = (state, state.turns, self._clock())
        return handle

    async def reply_started(self, connection_id: int) -> None:
        await self._reply_started(connection_id)

    def _record(self, connection_id: int) -> ConnectionRecord | None:
        for record in reversed(self.records):
            if record.id == connection_id:
                return record
        return None

    # ------------------------------------------------------------------ connections

    async def _process_request(
        self, connection: ServerConnection, request: Request
    ) -> Response | None:
        if route(request.path) is None:
            return connection.respond(HTTPStatus.NOT_FOUND, "Not Found\n")
        return None

    def _check_credentials(self, request: Request, target: Route) -> str | None:
        """The close reason if the request's credentials are wrong, else None."""
        if self._api_key is None:
            return None
        headers: Headers = request.headers
        query = parse_qs(request.path.partition("?")[2])
        offered: list[str] = []
        if headers.get("x-goog-api-key"):
            offered.append(headers["x-goog-api-key"])
        offered.extend(query.get("key", []))
        offered.extend(query.get("access_token", []))
        authorization = headers.get("authorization", "")
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() in {"token", "bearer"} and token:
            offered.append(token.strip())
        if not offered:
            return API_KEY_MISSING
        if all(value == self._api_key for value in offered):
            return None
        return API_KEY_INVALID

    async def _handle(self, ws: ServerConnection) -> None:
        target = route(ws.request.path) if ws.request else None
        if target is None or ws.request is None:  # process_request already answered 404
            return
        record = ConnectionRecord(
            id=next(self._ids),
            path=ws.request.path.split("?", 1)[0],
            route=target,
            user_agent=ws.request.headers.get("user-agent", ""),
        )
        self.records.append(record)
        self._live[record.id] = (ws, None)
        self._notify()

        async def emit(message: dict[str, Any]) -> None:
            record.keep_sent(message, self.retain)
            self._notify()
            with contextlib.suppress(ConnectionClosed):
                await ws.send(encode_frame(message))

        conversation: Conversation | None = None
        timers: list[asyncio.Task[Any]] = []
        try:
            first = await ws.recv()
            credentials_problem = self._check_credentials(ws.request, target)
            if credentials_problem is not None:
                raise Rejection(1007, credentials_problem)
            message = self._parse(first, record)
            if check_client_message(message) != "setup":
                raise Rejection(1007, INVALID_ARGUMENT)
            setup = message["setup"]
            check_setup(setup, self.catalog, target.api_version)
            refusal = refusal_for(setup)
            if refusal is not None and refusal.kind == "close":
                raise Rejection(refusal.code or 1007, refusal.reason)
            record.setup = setup
            if refusal is not None:  # no_setup_complete: the service stays silent
                async for frame in ws:  # read (kept for inspection) until the client gives up
                    self._parse(frame, record)
                return
            state = self._session_for(setup, record)
            fault = self.faults.take(Trigger.NEXT_CONNECTION)
            if fault is not None and fault.kind is FaultKind.SLOW_SETUP:
                await self._apply(fault, record.id, ws)
                fault = None
            complete: dict[str, Any] = {}
            if target.vertex:
                complete["sessionId"] = str(uuid.uuid4())
            await emit({"setupComplete": complete})
            try:
                conversation = Conversation(
                    connection_id=record.id,
                    setup=setup,
                    state=state,
                    emit=emit,
                    host=self,
                    vertex=target.vertex,
                    speed=self.speed,
                    chunk_ms=self.chunk_ms,
                )
            except _WRONG_TYPES as exc:
                raise _invalid_argument(exc) from exc
            self._live[record.id] = (ws, conversation)
            await conversation.start()
            if self.goaway_after is not None:
                timers.append(self._spawn(self._lifetime(record.id, ws, self.goaway_after)))
            if fault is not None:
                await self._apply(fault, record.id, ws)
            async for frame in ws:
                message = self._parse(frame, record)
                kind = check_client_message(message)
                try:
                    await conversation.handle(kind, message[kind])
                except _WRONG_TYPES as exc:
                    raise _invalid_argument(exc) from exc
        except Rejection as rejection:
            logger.info("local server: closing %d with %d", record.id, rejection.code)
            await ws.close(rejection.code, close_reason(rejection.reason))
        except ConnectionClosed:
            pass
        finally:
            for timer in timers:
                timer.cancel()
            if conversation is not None:
                await conversation.close()
            self._live.pop(record.id, None)
            record.open = False
            await self._note_close(ws, record)

    async def _note_close(self, ws: ServerConnection, record: ConnectionRecord) -> None:
        with contextlib.suppress(Exception):
            await asyncio.wait_for(ws.wait_closed(), timeout=ws.close_timeout or 10)
        if ws.close_code is not None:
            record.close_code = ws.close_code
            record.close_reason = ws.close_reason or ""
        self._notify()

    def _parse(self, frame: str | bytes, record: ConnectionRecord) -> dict[str, Any]:
        try:
            message = parse_frame(frame)
        except WireError as exc:
            raise Rejection(1007, INVALID_ARGUMENT) from exc
        record.keep_received(message, self.retain)
        self._notify()
        return message

    def _session_for(self, setup: dict[str, Any], record: ConnectionRecord) -> SessionState:
        resumption = setup.get("sessionResumption")
        handle = resumption.get("handle") if isinstance(resumption, dict) else None
        if not handle:
            state = SessionState(session_id=next(self._session_ids))
        else:
            known = self._handles.get(str(handle))
            if known is None or self._clock() - known[2] > self.handle_ttl:
                # Our choice (the real text is undocumented): an unknown or expired handle
                # is an invalid argument of the setup.
                raise Rejection(1007, INVALID_ARGUMENT)
            state, turns, _issued = known
            # Resuming from an older handle loses what came after it.
            state.turns = turns
            del state.transcript[turns:]
            record.resumed = True
        record.session_id = state.session_id
        return state

    async def _lifetime(self, connection_id: int, ws: ServerConnection, after: float) -> None:
        await asyncio.sleep(after)
        await self._go_away(connection_id, ws, self.goaway_grace)

    async def _go_away(self, connection_id: int, ws: ServerConnection, grace: float) -> None:
        record = self._record(connection_id)
        message = {"goAway": {"timeLeft": duration(grace)}}
        if record is not None:
            record.keep_sent(message, self.retain)
            self._notify()
        try:
            await ws.send(encode_frame(message))
            await asyncio.sleep(grace)
            await ws.close(1008, _GOAWAY_REASON)
        except ConnectionClosed:
            pass

    def _spawn(self, coroutine: Any) -> asyncio.Task[Any]:
        task: asyncio.Task[Any] = asyncio.create_task(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task
