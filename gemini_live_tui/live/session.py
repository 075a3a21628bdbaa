"""The resilient Live session: setup, sends, event fan-out, reconnects, statistics.

A :class:`Session` owns one WebSocket at a time.  A supervisor task reads it, decodes
each frame once (:mod:`gemini_live_tui.protocol.codec`) and hands the typed events to
every subscriber.  When the line drops it reconnects with backoff; when the server says
``goAway`` it opens the next connection at once, while still reading the old one, and
resumes with the latest resumable handle.  Sends made while no connection is usable wait
in a bounded queue and go out, in order, after the resume: text, content and tool
responses are never dropped; realtime audio and video are dropped oldest-first when the
queue is full, and counted.

Event order seen by subscribers: the events of each server message in the order
:func:`codec.to_events` documents; ``Reconnecting`` before each attempt; a fresh
``SetupComplete`` then ``Reconnected`` after each successful reconnect; ``Closed`` exactly
once, last, when the session is finally over.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import dataclasses
import logging
import random
import weakref
from collections.abc import Awaitable, Callable, Iterable, Mapping
from typing import Any

import msgspec
from websockets.asyncio.client import ClientConnection
from websockets.exceptions import ConnectionClosed

from gemini_live_tui.errors import (
    ConfigError,
    ConnectionLost,
    LiveError,
    ProtocolError,
    SessionClosed,
    SetupRejected,
)
from gemini_live_tui.live.reconnect import FATAL_CLOSE_CODES, ReconnectPolicy, is_retryable
from gemini_live_tui.live.transport import TransportConfig, open_socket
from gemini_live_tui.protocol import codec, types
from gemini_live_tui.protocol import events as ev

__all__ = ["Session", "SessionConfig", "SessionStatistics"]

logger = logging.getLogger(__name__)

Opener = Callable[[TransportConfig], Awaitable[ClientConnection]]
Sleep = Callable[[float], Awaitable[None]]


@dataclasses.dataclass(frozen=True, slots=True)
class SessionConfig:
    """Everything a session needs.

    Args:
        transport: endpoint, credential and socket limits.
        setup: the ``setup`` message, re-sent (with the latest handle) on every reconnect.
        reconnect: backoff policy for lost connections.
        max_pending_media: realtime audio/video messages kept while reconnecting; beyond
            this the oldest are dropped (about 10 s of 40 ms audio chunks by default).
        max_pending_messages: other messages kept while reconnecting; beyond this a send
            waits for the connection instead of dropping anything.
    """

    transport: TransportConfig
    setup: types.SetupConfig
    reconnect: ReconnectPolicy = dataclasses.field(default_factory=ReconnectPolicy)
    max_pending_media: int = 250
    max_pending_messages: int = 1000

    def __post_init__(self) -> None:
        if not self.setup.model:
            raise ConfigError("setup.model is empty: name a model such as models/gemini-...")
        if self.max_pending_media < 1 or self.max_pending_messages < 1:
            raise ConfigError("pending queue limits must be at least 1")


@dataclasses.dataclass(slots=True)
class SessionStatistics:
    """Counters of a session's life so far (a snapshot; mutate nothing)."""

    messages_sent: int = 0
    bytes_sent: int = 0
    messages_received: int = 0
    bytes_received: int = 0
    reconnects: int = 0
    resumed_reconnects: int = 0
    dropped_media_messages: int = 0
    dropped_media_bytes: int = 0
    pending_messages: int = 0
    decode_errors: int = 0
    unclaimed_events_dropped: int = 0
    """Events lost because nobody called ``events()``/``next_event()`` for a long while."""
    last_round_trip: float | None = None
    resumable: bool = False

    @property
    def dropped_audio(self) -> int:
        """Realtime media messages dropped while reconnecting (oldest first)."""
        return self.dropped_media_messages


class _State:
    CONNECTED = "connected"
    RECONNECTING = "reconnecting"
    CLOSED = "closed"


@dataclasses.dataclass(slots=True)
class _Outgoing:
    frame: bytes
    droppable: bool


class _EventStream:
    """One subscriber's unbounded, ordered view of the session's events."""

    def __init__(self) -> None:
        self._items: collections.deque[ev.Event] = collections.deque()
        self._waiter: asyncio.Future[None] | None = None
        self._finished = False

    def put(self, event: ev.Event, *, limit: int | None = None) -> bool:
        """Queue ``event``; returns whether the oldest event had to go to respect ``limit``."""
        if self._finished:
            return False
        self._items.append(event)
        overflowed = limit is not None and len(self._items) > limit
        if overflowed:
            self._items.popleft()
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_result(None)
        return overflowed

    def __aiter__(self) -> _EventStream:
        return self

    async def __anext__(self) -> ev.Event:
        while not self._items:
            if self._finished:
                raise StopAsyncIteration
            self._waiter = asyncio.get_running_loop().create_future()
            try:
                await self._waiter
            finally:
                self._waiter = None
        event = self._items.popleft()
        if isinstance(event, ev.Closed):
            self._finished = True
        return event

    async def aclose(self) -> None:
        """Stop receiving events."""
        self._finished = True
        self._items.clear()
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_result(None)


# An event stream nobody has claimed yet keeps at most this many events.
_BACKLOG_LIMIT = 10_000


class Session:
    """A live conversation with the model that survives reconnects.

    Create one with :meth:`connect`.  All methods must be called from the event loop
    the session was created on.
    """

    def __init__(
        self,
        config: SessionConfig,
        *,
        opener: Opener = open_socket,
        sleep: Sleep = asyncio.sleep,
        rng: Callable[[], float] = random.random,
    ) -> None:
        self._config = config
        self._opener = opener
        self._sleep = sleep
        self._rng = rng
        self._ws: ClientConnection | None = None
        self._state = _State.RECONNECTING
        self._handle: str | None = None
        self._pending: collections.deque[_Outgoing] = collections.deque()
        self._pending_media = 0
        self._ready = asyncio.Event()
        self._stats = SessionStatistics()
        self._streams: weakref.WeakSet[_EventStream] = weakref.WeakSet()
        self._backlog: _EventStream | None = _EventStream()
        self._next_stream: _EventStream | None = None
        self._final: ev.Closed | None = None
        self._supervisor: asyncio.Task[None] | None = None
        self._replacing: asyncio.Task[bool] | None = None
        self._background: set[asyncio.Task[Any]] = set()

    # ----------------------------------------------------------------- lifecycle

    @classmethod
    async def connect(
        cls,
        config: SessionConfig,
        *,
        opener: Opener = open_socket,
        sleep: Sleep = asyncio.sleep,
        rng: Callable[[], float] = random.random,
    ) -> Session:
        """Open the socket, send ``setup`` and wait for ``setupComplete``.

        Raises:
            SetupRejected: the server refused the setup (1007/1008 or an HTTP status).
            ConnectionLost: the server could not be reached or closed during setup.
            ConfigError: the credential could not be obtained.
        """
        session = cls(config, opener=opener, sleep=sleep, rng=rng)
        session._ws = await session._handshake(handle=None)
        session._state = _State.CONNECTED
        session._ready.set()
        session._supervisor = asyncio.create_task(session._supervise(), name="live-session")
        return session

    async def close(self) -> None:
        """End the session (close code 1000).  Safe to call more than once."""
        if self._state == _State.CLOSED:
            return
        self._finish(ev.Closed(code=1000, reason="closed by client"))
        current = asyncio.current_task()
        for task in (self._replacing, self._supervisor):
            if task is not None and task is not current and not task.done():
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task
        if self._background:
            await asyncio.gather(*self._background, return_exceptions=True)

    @property
    def closed(self) -> bool:
        """Whether the session is finally over."""
        return self._state == _State.CLOSED

    @property
    def connected(self) -> bool:
        """Whether a connection is usable right now (not reconnecting)."""
        return self._state == _State.CONNECTED

    @property
    def resumption_handle_available(self) -> bool:
        """Whether a resumable handle has been received (the handle itself stays private)."""
        return self._handle is not None

    @property
    def config(self) -> SessionConfig:
        """The configuration in force (changed by :meth:`reconfigure`)."""
        return self._config

    def statistics(self) -> SessionStatistics:
        """A snapshot of the session's counters."""
        stats = dataclasses.replace(self._stats)
        stats.pending_messages = len(self._pending)
        stats.resumable = self._handle is not None
        if self._ws is not None:
            latency = self._ws.latency
            stats.last_round_trip = latency if latency > 0 else stats.last_round_trip
        return stats

    async def reconfigure(self, setup: types.SetupConfig) -> bool:
        """Apply a new setup by reconnecting with the resumption handle.

        The conversation carries over.  Returns ``True`` once the new connection is up.

        Raises:
            LiveError: no resumable handle has been issued yet, or the model changed.
            SessionClosed: the session is over.
        """
        self._check_open()
        if setup.model != self._config.setup.model:
            raise ConfigError("the model cannot change within a session")
        if self._handle is None:
            raise LiveError("no resumption handle yet: the server issues one after the first turn")
        if self._replacing is not None and not self._replacing.done():
            await self._replacing
        self._config = dataclasses.replace(self._config, setup=setup)
        self._state = _State.RECONNECTING
        self._ready.clear()
        self._replacing = asyncio.create_task(
            self._replace(reason="settings changed", immediate=True, old=self._ws)
        )
        return await self._replacing

    # --------------------------------------------------------------------- events

    def events(self) -> _EventStream:
        """An async iterator over every event from now on (the first caller also gets the
        events since connect).  It ends after the final ``Closed`` event."""
        backlog = self._claim_backlog()
        stream = backlog or _EventStream()
        self._streams.add(stream)
        if self._final is not None and backlog is None:
            # A late subscriber still learns how the session ended (the backlog has it).
            stream.put(self._final)
        return stream

    async def next_event(self) -> ev.Event | None:
        """The next event, or ``None`` once the session is finally closed."""
        if self._next_stream is None:
            self._next_stream = self.events()
        try:
            return await self._next_stream.__anext__()
        except StopAsyncIteration:
            return None

    def _claim_backlog(self) -> _EventStream | None:
        backlog, self._backlog = self._backlog, None
        return backlog

    def _publish(self, event: ev.Event) -> None:
        if self._backlog is not None and self._backlog.put(event, limit=_BACKLOG_LIMIT):
            self._stats.unclaimed_events_dropped += 1
        for stream in list(self._streams):
            stream.put(event)

    # ---------------------------------------------------------------------- sends

    async def send_text(self, text: str) -> None:
        """Send realtime text input (part of the user's turn)."""
        if not isinstance(text, str) or not text:
            raise ProtocolError("text to send is empty")
        await self._send(types.RealtimeInput(text=text), droppable=False)

    async def send_audio(self, pcm: bytes, sample_rate: int = 16000, *, live: bool = True) -> None:
        """Send 16-bit little-endian mono PCM at ``sample_rate`` Hz.

        ``pcm`` may be any bytes-like object (an int16 numpy array too).  ``live`` audio
        (the microphone) may be dropped, oldest first and counted, while reconnecting;
        ``live=False`` marks audio the user sent on purpose (a file): it is never dropped.
        """
        data = bytes(pcm)  # a numpy array's len() counts samples, its bytes count bytes
        if not data or len(data) % 2:
            raise ProtocolError("audio must be 16-bit PCM: a non-empty, even number of bytes")
        if sample_rate <= 0:
            raise ProtocolError(f"sample rate {sample_rate} is not positive")
        await self._send_frame(codec.encode_audio(data, sample_rate), droppable=live)

    async def send_video(
        self, data: bytes, mime_type: str = "image/jpeg", *, live: bool = True
    ) -> None:
        """Send one image frame (JPEG or PNG).

        ``live`` frames (screen sharing) may be dropped while reconnecting; ``live=False``
        marks an image the user sent on purpose: it is never dropped.
        """
        if not mime_type.startswith("image/"):
            raise ProtocolError(f"video frame mime type {mime_type!r} is not image/*")
        if not data:
            raise ProtocolError("video frame is empty")
        blob = types.Blob(mime_type=mime_type, data=bytes(data))
        await self._send(types.RealtimeInput(video=blob), droppable=live)

    async def audio_stream_end(self) -> None:
        """Tell automatic activity detection the audio stream paused (mic off)."""
        await self._send(types.RealtimeInput(audio_stream_end=True), droppable=False)

    async def activity_start(self) -> None:
        """Mark the start of user speech (manual activity detection)."""
        await self._send(types.RealtimeInput(activity_start=types.ActivityStart()), droppable=False)

    async def activity_end(self) -> None:
        """Mark the end of user speech (manual activity detection)."""
        await self._send(types.RealtimeInput(activity_end=types.ActivityEnd()), droppable=False)

    async def send_client_content(self, content: types.ClientContent) -> None:
        """Append turns to the conversation (and start generation if ``turn_complete``)."""
        await self._send(content, droppable=False)

    async def send_tool_response(self, responses: Iterable[types.FunctionResponse]) -> None:
        """Answer tool calls; each response's ``id`` must echo the call's id."""
        items = list(responses)
        if not items:
            raise ProtocolError("a tool response needs at least one function response")
        await self._send(types.ToolResponse(function_responses=items), droppable=False)

    async def send_context_update(self, update: types.ContextUpdate) -> None:
        """Replace the system instruction and/or tools mid-session."""
        await self._send(update, droppable=False)

    async def send_raw(self, message: Any) -> None:
        """Send any client message: a ``types`` struct, a mapping, or pre-encoded JSON."""
        if isinstance(message, bytes | bytearray | memoryview):
            frame = bytes(message)
        elif isinstance(message, str):
            frame = message.encode()
        elif isinstance(message, Mapping):
            frame = msgspec.json.encode(message)
        else:
            frame = codec.encode(message)
        await self._send_frame(frame, droppable=False)

    async def _send(self, message: Any, *, droppable: bool) -> None:
        await self._send_frame(codec.encode(message), droppable=droppable)

    async def _send_frame(self, frame: bytes, *, droppable: bool) -> None:
        self._check_open()
        while (
            not droppable
            and self._state != _State.CONNECTED
            and len(self._pending) - self._pending_media >= self._config.max_pending_messages
        ):
            # Never drop text or tool responses: wait for the connection instead.
            await self._ready.wait()
            self._check_open()
        ws = self._ws
        if self._state != _State.CONNECTED or self._pending or ws is None:
            self._enqueue(_Outgoing(frame, droppable))
            return
        try:
            await ws.send(frame, text=True)
        except ConnectionClosed:
            # The supervisor sees the same close and reconnects; this goes out after.
            self._enqueue(_Outgoing(frame, droppable))
            return
        self._stats.messages_sent += 1
        self._stats.bytes_sent += len(frame)

    def _enqueue(self, item: _Outgoing) -> None:
        if item.droppable:
            if self._pending_media >= self._config.max_pending_media:
                self._drop_oldest_media()
            self._pending_media += 1
        self._pending.append(item)

    def _drop_oldest_media(self) -> None:
        for index, queued in enumerate(self._pending):
            if queued.droppable:
                del self._pending[index]
                self._pending_media -= 1
                self._stats.dropped_media_messages += 1
                self._stats.dropped_media_bytes += len(queued.frame)
                return

    async def _flush_pending(self, ws: ClientConnection) -> bool:
        while self._pending:
            item = self._pending[0]
            try:
                await ws.send(item.frame, text=True)
            except ConnectionClosed:
                return False
            self._pending.popleft()
            if item.droppable:
                self._pending_media -= 1
            self._stats.messages_sent += 1
            self._stats.bytes_sent += len(item.frame)
        return True

    def _check_open(self) -> None:
        if self._state == _State.CLOSED:
            reason = self._final.reason if self._final else "closed"
            raise SessionClosed(f"the session is closed ({reason})")

    # ----------------------------------------------------------------- connection

    def _setup_for(self, handle: str | None) -> types.SetupConfig:
        setup = self._config.setup
        if handle is None:
            return setup
        previous = setup.session_resumption
        resumption = types.SessionResumptionConfig(
            handle=handle, transparent=previous.transparent if previous else None
        )
        # History is already in the resumed session; re-sending historyConfig is refused.
        return msgspec.structs.replace(setup, session_resumption=resumption, history_config=None)

    async def _handshake(self, handle: str | None) -> ClientConnection:
        transport = self._config.transport
        ws = await self._opener(transport)
        try:
            await ws.send(
                codec.encode(types.ClientMessage(setup=self._setup_for(handle))), text=True
            )
            async with asyncio.timeout(transport.setup_timeout):
                while True:
                    message = self._decode(await ws.recv())
                    if message is None:
                        continue
                    if message.setup_complete is not None:
                        for event in codec.to_events(message):
                            self._publish(event)
                        return ws
                    self._dispatch(message)
        except ConnectionClosed as exc:
            code, reason = _close_info(exc)
            if code in FATAL_CLOSE_CODES:
                raise SetupRejected(code, reason) from exc
            raise ConnectionLost(code, reason) from exc
        except TimeoutError as exc:
            self._close_later(ws, 1000, "setup timeout")
            raise ConnectionLost(
                1006, f"no setupComplete within {transport.setup_timeout:g} s"
            ) from exc
        except BaseException:
            self._close_later(ws, 1000, "setup failed")
            raise

    def _decode(self, frame: str | bytes) -> types.ServerMessage | None:
        self._stats.messages_received += 1
        self._stats.bytes_received += len(frame)
        try:
            return codec.decode(frame)
        except codec.DecodeError as exc:
            # One bad frame must not end a conversation; count it and go on.
            self._stats.decode_errors += 1
            logger.warning("ignored a server frame that is not a Live message: %s", exc)
            return None

    def _dispatch(self, message: types.ServerMessage) -> bool:
        """Publish a message's events; returns whether it carried ``goAway``."""
        go_away = False
        for event in codec.to_events(message):
            if isinstance(event, ev.SessionResumptionUpdate):
                if event.resumable and event.new_handle:
                    self._handle = event.new_handle
            elif isinstance(event, ev.GoAway):
                go_away = True
            self._publish(event)
        return go_away

    async def _pump(self, ws: ClientConnection) -> ConnectionLost:
        """Read ``ws`` until it ends; start a replacement connection on ``goAway``."""
        while True:
            try:
                frame = await ws.recv()
            except ConnectionClosed as exc:
                code, reason = _close_info(exc)
                return ConnectionLost(code, reason)
            message = self._decode(frame)
            if message is None:
                continue
            if self._dispatch(message) and ws is self._ws and self._replacing is None:
                # From here on sends wait for the next connection: the old one is going.
                self._state = _State.RECONNECTING
                self._ready.clear()
                self._replacing = asyncio.create_task(
                    self._replace(reason="server goAway", immediate=True, old=ws)
                )

    async def _supervise(self) -> None:
        while self._state != _State.CLOSED:
            ws = self._ws
            assert ws is not None
            lost = await self._pump(ws)
            if self._state == _State.CLOSED:
                return
            if ws is not self._ws:
                continue  # replaced on purpose (goAway or reconfigure)
            if self._replacing is not None:
                # A goAway replacement is under way: its outcome decides, not this close.
                await asyncio.wait({self._replacing})
                if self._state == _State.CLOSED:
                    return
                if ws is not self._ws:
                    continue
            if not is_retryable(lost) or not self._config.reconnect.enabled:
                self._finish(ev.Closed(code=lost.code, reason=lost.reason))
                return
            self._replacing = asyncio.create_task(
                self._replace(reason=str(lost), immediate=False, old=None)
            )
            await asyncio.wait({self._replacing})

    async def _replace(self, *, reason: str, immediate: bool, old: ClientConnection | None) -> bool:
        """Open a new connection (resuming if a handle exists) and switch to it."""
        try:
            return await self._replace_inner(reason=reason, immediate=immediate, old=old)
        finally:
            if self._replacing is asyncio.current_task():
                self._replacing = None

    async def _replace_inner(
        self, *, reason: str, immediate: bool, old: ClientConnection | None
    ) -> bool:
        policy = self._config.reconnect
        self._state = _State.RECONNECTING
        self._ready.clear()
        attempt = 0
        last_code = 1006
        while True:
            attempt += 1
            if not policy.allows(attempt):
                self._finish(
                    ev.Closed(
                        code=last_code, reason=f"gave up after {attempt - 1} attempts: {reason}"
                    )
                )
                return False
            backoff_step = attempt - 1 if immediate else attempt
            delay = 0.0 if backoff_step == 0 else policy.delay(backoff_step, self._rng)
            self._publish(ev.Reconnecting(attempt=attempt, delay=delay, reason=reason))
            if delay > 0:
                await self._sleep(delay)
            if self._state == _State.CLOSED:
                return False
            handle = self._handle
            try:
                ws = await self._handshake(handle)
            except SetupRejected as exc:
                if handle is not None:
                    # The handle may have expired (they live about 2 h): start afresh once.
                    logger.info("resumption refused (%s); reconnecting without a handle", exc.code)
                    self._handle = None
                    reason = f"resumption refused: {exc.reason or exc.code}"
                    continue
                self._finish(ev.Closed(code=exc.code, reason=exc.reason))
                return False
            except LiveError as exc:
                if not is_retryable(exc):
                    code = exc.code if isinstance(exc, ConnectionLost) else 1006
                    self._finish(ev.Closed(code=code, reason=str(exc)))
                    return False
                last_code = exc.code if isinstance(exc, ConnectionLost) else 1006
                reason = str(exc)
                continue
            if self._state == _State.CLOSED:
                self._close_later(ws, 1000, "closed by client")
                return False
            self._ws = ws
            self._stats.reconnects += 1
            if handle is not None:
                self._stats.resumed_reconnects += 1
            if old is not None:
                self._close_later(old, 1000, "replaced")
            self._publish(ev.Reconnected(resumed=handle is not None))
            if await self._flush_pending(ws):
                self._state = _State.CONNECTED
                self._ready.set()
            return True

    def _finish(self, closed: ev.Closed) -> None:
        if self._state == _State.CLOSED:
            return
        self._state = _State.CLOSED
        self._final = closed
        self._ready.set()
        if self._ws is not None:
            self._close_later(self._ws, 1000, "session over")
        self._publish(closed)

    def _close_later(self, ws: ClientConnection, code: int, reason: str) -> None:
        task = asyncio.create_task(_quiet_close(ws, code, reason))
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    def __repr__(self) -> str:
        return f"<Session {self._config.setup.model} {self._state}>"


async def _quiet_close(ws: ClientConnection, code: int, reason: str) -> None:
    with contextlib.suppress(Exception):
        await ws.close(code, reason)


def _close_info(exc: ConnectionClosed) -> tuple[int, str]:
    """Close code and reason as the server sent them (1006 when no close frame came)."""
    if exc.rcvd is not None:
        return exc.rcvd.code, exc.rcvd.reason
    return 1006, "connection lost without a close frame"
