"""The resilient Live session: the asyncio pump around the sans-I/O conversation.

A :class:`Session` does no deciding of its own.  Every question (which handle, what the
setup says, whether to replace a connection, whether to retry and after how long, what
may wait, what may be dropped) is answered by its
:class:`~gemini_live_tui.protocol.conversation.Conversation`.  The session feeds it what
the sockets say, writes what it says to write, sleeps the delays it returns, opens and
closes the connections it names, and publishes the events it yields to every subscriber
(:mod:`gemini_live_tui.live.fanout`).  One task reads each connection; when the server
says ``goAway`` the next connection is opened at once while the old one is still read.

Sends made while no connection is usable wait in the conversation's outbox and go out, in
order, after the resume: live microphone and screen frames may be dropped, oldest first and
counted; everything the user sent on purpose (text, files, content, tool responses,
activity signals) never is (past the bound the sender waits).

Event order seen by subscribers: the events of each server message in the order
:func:`codec.to_events` documents; ``Reconnecting`` before each attempt; a fresh
``SetupComplete`` then ``Reconnected`` after each successful reconnect; ``Closed`` exactly
once, last, when the session is finally over.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import random
from collections.abc import Awaitable, Callable, Coroutine, Iterable, Mapping
from typing import Any

import msgspec
from websockets.asyncio.client import ClientConnection
from websockets.exceptions import ConnectionClosed

from gemini_live_tui.errors import (
    ConfigError,
    ConnectionLost,
    FrameTooLarge,
    LiveError,
    ProtocolError,
    SessionClosed,
    SetupRejected,
)
from gemini_live_tui.live.fanout import EventStream, Fanout
from gemini_live_tui.live.reconnect import FATAL_CLOSE_CODES, ReconnectPolicy, is_retryable
from gemini_live_tui.live.transport import TransportConfig, open_socket
from gemini_live_tui.live.wire_log import WireLog
from gemini_live_tui.protocol import codec, types
from gemini_live_tui.protocol import events as ev
from gemini_live_tui.protocol.conversation import (
    Action,
    Connect,
    Conversation,
    ConversationStatistics,
    Disconnect,
    Lane,
    Note,
    Phase,
    SendOutcome,
)

__all__ = ["Session", "SessionConfig", "SessionStatistics"]

logger = logging.getLogger(__name__)

Opener = Callable[[TransportConfig], Awaitable[ClientConnection]]
Sleep = Callable[[float], Awaitable[None]]

# An event stream nobody has claimed yet keeps at most this many events.
_BACKLOG_LIMIT = 10_000
# A subscriber this far behind is coalesced and dropped for (live.fanout): about 40 s of
# 20 ms audio chunks, a few MB.
_SUBSCRIBER_LIMIT = 2000


@dataclasses.dataclass(frozen=True, slots=True)
class SessionConfig:
    """Everything a session needs.

    Args:
        transport: endpoint, credential and socket limits.
        setup: the ``setup`` message, re-sent (with the latest handle) on every reconnect.
        reconnect: backoff policy for lost connections.
        max_pending_media: live microphone chunks kept while reconnecting; beyond this the
            oldest are dropped (about 10 s of 40 ms chunks by default).
        max_pending_live_video: live screen frames kept while reconnecting: the latest one
            by default, since a stale screen tells the model nothing the newest does not.
        max_pending_messages: other messages kept while reconnecting; beyond this a send
            waits for the connection instead of dropping anything.
    """

    transport: TransportConfig
    setup: types.SetupConfig
    reconnect: ReconnectPolicy = dataclasses.field(default_factory=ReconnectPolicy)
    max_pending_media: int = 250
    max_pending_messages: int = 1000
    max_pending_live_video: int = 1

    def __post_init__(self) -> None:
        if not self.setup.model:
            raise ConfigError("setup.model is empty: name a model such as models/gemini-...")
        limits = (self.max_pending_media, self.max_pending_messages, self.max_pending_live_video)
        if min(limits) < 1:
            raise ConfigError("pending queue limits must be at least 1")


@dataclasses.dataclass(slots=True)
class SessionStatistics(ConversationStatistics):
    """Counters of a session's life so far (a snapshot; mutate nothing).

    ``dropped_media_messages`` / ``dropped_media_bytes`` are the sums of the live audio and
    live video drops.
    """

    unclaimed_events_dropped: int = 0
    """Events lost because nobody called ``events()``/``next_event()`` for a long while."""
    events_dropped_slow_subscriber: int = 0
    """Events (audio, voice activity, usage) dropped for a subscriber that fell behind."""
    events_coalesced_slow_subscriber: int = 0
    """Text deltas merged into an earlier one for a subscriber that fell behind."""
    last_round_trip: float | None = None

    @property
    def dropped_audio(self) -> int:
        """Live media messages dropped while reconnecting (oldest first)."""
        return self.dropped_media_messages


@dataclasses.dataclass(frozen=True, slots=True)
class _Jittered:
    """The policy's backoff with the session's random source."""

    policy: ReconnectPolicy
    rng: Callable[[], float]

    def allows(self, attempt: int) -> bool:
        return self.policy.allows(attempt)

    def delay(self, attempt: int) -> float:
        return self.policy.delay(attempt, self.rng)


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
        wire_log: WireLog | None = None,
    ) -> None:
        self._config = config
        self._wire = wire_log
        self._opener = opener
        self._sleep = sleep
        self._machine = Conversation(
            config.setup,
            is_retryable=is_retryable,
            backoff=_Jittered(config.reconnect, rng),
            max_pending_live_audio=config.max_pending_media,
            max_pending_live_video=config.max_pending_live_video,
            max_pending_messages=config.max_pending_messages,
        )
        self._sockets: dict[int, ClientConnection] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self._background: set[asyncio.Task[None]] = set()
        self._watchers: list[asyncio.Future[None]] = []
        self._write_lock = asyncio.Lock()
        self._fanout = Fanout(backlog_limit=_BACKLOG_LIMIT, subscriber_limit=_SUBSCRIBER_LIMIT)
        self._next_stream: EventStream | None = None
        self._supervisor: asyncio.Task[None] | None = None
        self._last_round_trip: float | None = None

    # ----------------------------------------------------------------- lifecycle

    @classmethod
    async def connect(
        cls,
        config: SessionConfig,
        *,
        opener: Opener = open_socket,
        sleep: Sleep = asyncio.sleep,
        rng: Callable[[], float] = random.random,
        wire_log: WireLog | None = None,
    ) -> Session:
        """Open the socket, send ``setup`` and wait for ``setupComplete``.

        ``wire_log`` records every frame and reconnect decision (``--wire-log``); the
        caller owns it and closes it.

        Raises:
            SetupRejected: the server refused the setup (1007/1008 or an HTTP status).
            ConnectionLost: the server could not be reached or closed during setup.
            ConfigError: the credential could not be obtained.
        """
        session = cls(config, opener=opener, sleep=sleep, rng=rng, wire_log=wire_log)
        first = session._machine.start()
        if wire_log is not None:
            wire_log.decision(f"connect {first.conn} to {config.transport.url}")
        ws = await session._handshake(first.conn)
        session._supervisor = asyncio.create_task(session._supervise(), name="live-session")
        session._spawn(session._read(first.conn, ws))
        return session

    async def close(self) -> None:
        """End the session (close code 1000).  Safe to call more than once."""
        if self.closed:
            return
        self._act(self._machine.close())
        current = asyncio.current_task()
        for task in [self._supervisor, *self._tasks]:
            if task is not None and task is not current and not task.done():
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task
        if self._background:
            await asyncio.gather(*self._background, return_exceptions=True)

    @property
    def closed(self) -> bool:
        """Whether the session is finally over."""
        return self._machine.phase is Phase.CLOSED

    @property
    def connected(self) -> bool:
        """Whether a connection is usable right now (not reconnecting)."""
        return self._machine.phase is Phase.OPEN

    @property
    def resumption_handle_available(self) -> bool:
        """Whether a resumable handle has been received (the handle itself stays private)."""
        return self._machine.resumable

    @property
    def config(self) -> SessionConfig:
        """The configuration in force (changed by :meth:`reconfigure`)."""
        return self._config

    def statistics(self) -> SessionStatistics:
        """A snapshot of the session's counters."""
        current = self._machine.current
        ws = self._sockets.get(current) if current is not None else None
        if ws is not None and ws.latency > 0:
            self._last_round_trip = ws.latency
        return SessionStatistics(
            **dataclasses.asdict(self._machine.statistics()),
            unclaimed_events_dropped=self._fanout.unclaimed_dropped,
            events_dropped_slow_subscriber=self._fanout.slow_dropped,
            events_coalesced_slow_subscriber=self._fanout.slow_coalesced,
            last_round_trip=self._last_round_trip,
        )

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
        if not self._machine.resumable:
            raise LiveError("no resumption handle yet: the server issues one after the first turn")
        await self._wait_until(lambda: self._machine.phase in (Phase.OPEN, Phase.CLOSED))
        self._check_open()
        before = self._machine.statistics().reconnects
        self._config = dataclasses.replace(self._config, setup=setup)
        self._act(self._machine.reconfigure(setup))
        await self._wait_until(
            lambda: self.closed or self._machine.statistics().reconnects > before
        )
        return not self.closed

    # --------------------------------------------------------------------- events

    def events(self) -> EventStream:
        """An async iterator over every event from now on (the first caller also gets the
        events since connect).  It ends after the final ``Closed`` event.

        The stream is bounded: a subscriber that falls far behind gets text deltas
        coalesced and audio dropped (counted; see :mod:`gemini_live_tui.live.fanout`)."""
        return self._fanout.subscribe()

    async def next_event(self) -> ev.Event | None:
        """The next event, or ``None`` once the session is finally closed."""
        if self._next_stream is None:
            self._next_stream = self.events()
        try:
            return await self._next_stream.__anext__()
        except StopAsyncIteration:
            return None

    # ---------------------------------------------------------------------- sends

    async def send_text(self, text: str) -> None:
        """Send realtime text input (part of the user's turn)."""
        if not isinstance(text, str) or not text:
            raise ProtocolError("text to send is empty")
        await self._send(types.RealtimeInput(text=text))

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
        lane = Lane.LIVE_AUDIO if live else Lane.KEPT
        await self._send_frame(codec.encode_audio(data, sample_rate), lane)

    async def send_video(
        self, data: bytes, mime_type: str = "image/jpeg", *, live: bool = True
    ) -> None:
        """Send one image frame (JPEG or PNG).

        ``live`` frames (screen sharing) may be dropped while reconnecting (only the latest
        ``max_pending_live_video`` are kept); ``live=False`` marks an image the user sent on
        purpose: it is never dropped.
        """
        if not mime_type.startswith("image/"):
            raise ProtocolError(f"video frame mime type {mime_type!r} is not image/*")
        if not data:
            raise ProtocolError("video frame is empty")
        blob = types.Blob(mime_type=mime_type, data=bytes(data))
        await self._send(types.RealtimeInput(video=blob), Lane.LIVE_VIDEO if live else Lane.KEPT)

    async def audio_stream_end(self) -> None:
        """Tell automatic activity detection the audio stream paused (mic off)."""
        await self._send(types.RealtimeInput(audio_stream_end=True))

    async def activity_start(self) -> None:
        """Mark the start of user speech (manual activity detection)."""
        await self._send(types.RealtimeInput(activity_start=types.ActivityStart()))

    async def activity_end(self) -> None:
        """Mark the end of user speech (manual activity detection)."""
        await self._send(types.RealtimeInput(activity_end=types.ActivityEnd()))

    async def send_client_content(self, content: types.ClientContent) -> None:
        """Append turns to the conversation (and start generation if ``turn_complete``)."""
        await self._send(content)

    async def send_tool_response(self, responses: Iterable[types.FunctionResponse]) -> None:
        """Answer tool calls; each response's ``id`` must echo the call's id."""
        items = list(responses)
        if not items:
            raise ProtocolError("a tool response needs at least one function response")
        await self._send(types.ToolResponse(function_responses=items))

    async def send_context_update(self, update: types.ContextUpdate) -> None:
        """Replace the system instruction and/or tools mid-session."""
        await self._send(update)

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
        await self._send_frame(frame, Lane.KEPT)

    async def _send(self, message: Any, lane: Lane = Lane.KEPT) -> None:
        await self._send_frame(codec.encode(message), lane)

    async def _send_frame(self, frame: bytes, lane: Lane) -> None:
        self._check_open()
        while self._machine.send(frame, lane) is SendOutcome.WAIT:
            # Never drop what the user sent on purpose: wait for the connection instead.
            await self._wait_until(lambda: self._machine.phase in (Phase.OPEN, Phase.CLOSED))
            self._check_open()
        await self._drain()

    async def _drain(self) -> None:
        """Write what the conversation says to write, one message at a time, in order."""
        async with self._write_lock:
            while (step := self._machine.next_to_write()) is not None:
                conn, item = step
                ws = self._sockets.get(conn)
                if ws is None:
                    return
                try:
                    await ws.send(item.frame, text=True)
                except ConnectionClosed:
                    return  # the reader sees the same close; the message stays queued
                if self._wire is not None:
                    self._wire.sent(conn, item.frame)
                self._machine.written(conn, item)

    def _check_open(self) -> None:
        if self.closed:
            final = self._machine.final
            raise SessionClosed(f"the session is closed ({final.reason if final else 'closed'})")

    # ------------------------------------------------------------------- the pump

    def _act(self, actions: list[Action]) -> None:
        """Carry out what the conversation answered, in order."""
        wire = self._wire
        for action in actions:
            if wire is not None and isinstance(action, Connect | Disconnect | Note):
                wire.decision(_describe(action))
            if isinstance(action, Connect):
                self._spawn(self._attempt(action))
            elif isinstance(action, Disconnect):
                ws = self._sockets.pop(action.conn, None)
                if ws is not None:
                    self._close_later(ws, action.code, action.reason)
            elif isinstance(action, Note):
                logger.log(logging.WARNING if action.warning else logging.INFO, "%s", action.text)
            else:
                if isinstance(action, ev.Closed):
                    for ws in self._sockets.values():
                        self._close_later(ws, 1000, "session over")
                    self._sockets.clear()
                self._fanout.publish(action)
        watchers, self._watchers = self._watchers, []
        for watcher in watchers:
            if not watcher.done():
                watcher.set_result(None)

    async def _wait_until(self, condition: Callable[[], bool]) -> None:
        """Wait until ``condition`` holds; it is checked after each step of the pump."""
        while not condition():
            watcher = asyncio.get_running_loop().create_future()
            self._watchers.append(watcher)
            await watcher

    async def _supervise(self) -> None:
        """Lives as long as the session: ends once the conversation is finally over."""
        await self._wait_until(lambda: self.closed)

    def _spawn(self, work: Coroutine[Any, Any, None]) -> None:
        task = asyncio.create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _attempt(self, connect: Connect) -> None:
        """One reconnect attempt: sleep, open, set up, flush the outbox, then read."""
        try:
            if connect.delay > 0:
                await self._sleep(connect.delay)
            ws = await self._handshake(connect.conn)
        except SessionClosed:
            return
        except LiveError as exc:
            self._lost(connect.conn, exc)
            return
        except (OSError, TimeoutError) as exc:  # an opener that did not translate its error
            self._lost(
                connect.conn, ConnectionLost(1006, f"could not connect: {type(exc).__name__}")
            )
            return
        await self._drain()
        await self._read(connect.conn, ws)

    async def _handshake(self, conn: int) -> ClientConnection:
        setup = self._machine.setup_frame(conn)
        if setup is None:
            raise SessionClosed("the session closed before the connection opened")
        transport = self._config.transport
        ws = await self._opener(transport)
        self._sockets[conn] = ws
        try:
            await ws.send(setup, text=True)
            if self._wire is not None:
                self._wire.sent(conn, setup)
            async with asyncio.timeout(transport.setup_timeout):
                while not self._machine.is_open(conn):
                    self._check_open()
                    self._act(self._receive(conn, await ws.recv()))
            return ws
        except ConnectionClosed as exc:
            self._sockets.pop(conn, None)
            lost = _lost_by(exc, transport.max_message_size)
            if lost.code in FATAL_CLOSE_CODES and not isinstance(lost, FrameTooLarge):
                raise SetupRejected(lost.code, lost.reason) from exc
            raise lost from exc
        except TimeoutError as exc:
            self._forget(conn, ws, "setup timeout")
            raise ConnectionLost(
                1006, f"no setupComplete within {transport.setup_timeout:g} s"
            ) from exc
        except BaseException:
            self._forget(conn, ws, "setup failed")
            raise

    async def _read(self, conn: int, ws: ClientConnection) -> None:
        """Read ``conn`` until it ends, feeding every frame to the conversation."""
        while True:
            try:
                frame = await ws.recv()
            except ConnectionClosed as exc:
                lost = _lost_by(exc, self._config.transport.max_message_size)
                break
            self._act(self._receive(conn, frame))
        self._sockets.pop(conn, None)
        self._lost(conn, lost)

    def _receive(self, conn: int, frame: bytes | str) -> list[Action]:
        if self._wire is not None:
            self._wire.received(conn, frame)
        return self._machine.receive(conn, frame)

    def _lost(self, conn: int, error: LiveError) -> None:
        if self._wire is not None:
            self._wire.decision(f"lost {conn}: {error}")
        self._act(self._machine.lost(conn, error))

    def _forget(self, conn: int, ws: ClientConnection, reason: str) -> None:
        if self._sockets.get(conn) is ws:
            del self._sockets[conn]
        self._close_later(ws, 1000, reason)

    def _close_later(self, ws: ClientConnection, code: int, reason: str) -> None:
        task = asyncio.create_task(_quiet_close(ws, code, reason))
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    def __repr__(self) -> str:
        return f"<Session {self._config.setup.model} {self._machine.phase.name.lower()}>"


async def _quiet_close(ws: ClientConnection, code: int, reason: str) -> None:
    with contextlib.suppress(Exception):
        await ws.close(code, reason)


def _describe(action: Connect | Disconnect | Note) -> str:
    """A decision as one wire-log line."""
    if isinstance(action, Connect):
        return f"connect {action.conn} in {action.delay:.2f} s"
    if isinstance(action, Disconnect):
        return f"disconnect {action.conn} with {action.code}: {action.reason}"
    return action.text


def _lost_by(exc: ConnectionClosed, limit: int) -> ConnectionLost:
    """What ended a connection: the server's close, or our 1009 for an oversized message."""
    if exc.sent is not None and exc.sent.code == 1009:
        return FrameTooLarge(limit)
    return ConnectionLost(*_close_info(exc))


def _close_info(exc: ConnectionClosed) -> tuple[int, str]:
    """Close code and reason as the server sent them (1006 when no close frame came)."""
    if exc.rcvd is not None:
        return exc.rcvd.code, exc.rcvd.reason
    return 1006, "connection lost without a close frame"
