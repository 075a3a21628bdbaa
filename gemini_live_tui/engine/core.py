"""The app's engine: owns the live Session and publishes app-level events; no UI here.

One :class:`Engine` per run.  It builds the ``setup`` from :class:`~.config.Settings`,
starts the embedded local Live server when the backend is ``local``, connects, and pumps the
session's events to its listeners (the TUI subscribes one that posts Textual messages).  It
adds a few events of its own (:class:`Notice`, :class:`UserSent`, :class:`FileSent`,
:class:`FileSkipped`, :class:`StatusChanged`) and keeps a :class:`EngineStatus` snapshot the
status bar reads.

Its parts are composed explicitly: ``engine.audio`` (a
:class:`~gemini_live_tui.engine.voice.VoiceLink`: ``/mic``, ``/speak``, ``/devices``,
``/ptt``) and ``engine.screen`` (a :class:`~gemini_live_tui.engine.screen.ScreenLink`:
``/share-screen``, ``/snap``).  Each part gets the engine through the typed
:class:`~gemini_live_tui.engine.ports.EngineUplink` port (send media, raise a notice, say its
status word changed); the engine calls each part's own methods for the other direction:
model audio goes to :meth:`VoiceLink.play` only (never to the listeners: it arrives dozens
of times a second), barge-in and turn ends to the voice part, the status words and meter
levels are read from the parts, and :meth:`stop` closes them in order.  Hosts and tests
choose the parts by passing ``voice=`` / ``screen=`` factories.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import importlib
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AbstractAsyncContextManager
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from gemini_live_tui.config import Settings
from gemini_live_tui.engine.attachments import PreparedAttachment, parse_line, prepare_attachment
from gemini_live_tui.engine.events import (
    AppEvent,
    EngineStatistics,
    EngineStatus,
    FileSent,
    FileSkipped,
    Levels,
    Notice,
    Phase,
    StatusChanged,
    UserSent,
)
from gemini_live_tui.engine.ports import EngineUplink
from gemini_live_tui.engine.screen import ScreenLink
from gemini_live_tui.engine.setup import build_session_config, build_setup
from gemini_live_tui.engine.tracker import Tracker
from gemini_live_tui.engine.voice import VoiceLink
from gemini_live_tui.errors import LiveError, MediaError
from gemini_live_tui.protocol import events

if TYPE_CHECKING:
    # The session stack (websockets) loads in a thread when the engine connects, so the
    # app can draw its first frame without waiting for it.
    from gemini_live_tui.live import ReconnectPolicy, Session, SessionConfig

__all__ = [
    "AppEvent",
    "Engine",
    "EngineStatistics",
    "EngineStatus",
    "FileSent",
    "FileSkipped",
    "Levels",
    "Notice",
    "Phase",
    "StatusChanged",
    "UserSent",
    "build_session_config",
    "build_setup",
]

logger = logging.getLogger(__name__)

Listener = Callable[[AppEvent], None]
ServerFactory = Callable[[], AbstractAsyncContextManager[Any]]
Connector = Callable[["SessionConfig"], Awaitable["Session"]]
VoiceFactory = Callable[[EngineUplink], VoiceLink]
ScreenFactory = Callable[[EngineUplink], ScreenLink]


def _default_local_server() -> AbstractAsyncContextManager[Any]:
    from gemini_live_tui.local import LocalLiveServer

    return LocalLiveServer(port=0)


# ------------------------------------------------------------------------------------ engine


class Engine:
    """Owns the live session for one run of the app and publishes what happens.

    Args:
        settings: resolved settings (backend, model, voice, instruction ...).
        connector: opens a :class:`Session` (``Session.connect`` when None).
        local_server: builds the embedded local Live server's async context manager
            (``LocalLiveServer(port=0)`` by default; tests inject one with fault options).
        reconnect: backoff policy for lost connections.
        clock: monotonic clock for elapsed time, goAway countdown and latency.
        base_dir: directory that relative ``@file`` paths are read from (the cwd).
        voice: builds ``engine.audio`` from the engine's uplink (a
            :class:`~gemini_live_tui.engine.voice.VoiceLink` on the real devices by
            default; tests pass one with a fake audio backend).
        screen: builds ``engine.screen`` (a
            :class:`~gemini_live_tui.engine.screen.ScreenLink` on the real screen by
            default; tests pass one with a fake catalog and grabber).
    """

    def __init__(
        self,
        settings: Settings,
        *,
        # Escape hatches for tests and other hosts.
        connector: Connector | None = None,
        local_server: ServerFactory = _default_local_server,
        reconnect: ReconnectPolicy | None = None,
        clock: Callable[[], float] = time.monotonic,
        base_dir: Path | None = None,
        voice: VoiceFactory = VoiceLink,
        screen: ScreenFactory = ScreenLink,
    ) -> None:
        self.settings = settings
        self._connector = connector
        self._local_server_factory = local_server
        self._reconnect = reconnect
        self._clock = clock
        self._base_dir = base_dir
        self._listeners: list[Listener] = []
        self._session: Session | None = None
        self._local_cm: AbstractAsyncContextManager[Any] | None = None
        self.local_url: str | None = None
        self._phase = Phase.IDLE
        self._started_at: float | None = None
        # What the session's events mean for the status bar and the chat log.
        self._tracker = Tracker()
        self._voice = settings.voice
        self._system_instruction = settings.system_instruction
        self._send_lock = asyncio.Lock()
        # Set when the first connect attempt is over (either way): lines typed while
        # connecting wait for it instead of being refused.
        self._connect_done = asyncio.Event()
        self.audio: VoiceLink = voice(self)
        self.screen: ScreenLink = screen(self)

    # ------------------------------------------------------------------ subscriptions

    def subscribe(self, listener: Listener) -> Callable[[], None]:
        """Call ``listener`` with every app event; returns a function that unsubscribes."""
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener) if listener in self._listeners else None

    def status_changed(self) -> None:
        """A part's status word changed: tell the listeners to read :meth:`status` again."""
        self._publish(StatusChanged())

    def notice(self, text: str, level: Literal["info", "warning", "error"] = "info") -> None:
        """Publish a system line."""
        self._publish(Notice(text, level))

    # ------------------------------------------------------------------------ queries

    def status(self) -> EngineStatus:
        """The current status snapshot (cheap; called by a UI timer)."""
        features = (
            ("mic", self.audio.mic_word()),
            ("speak", self.audio.speak_word()),
            ("screen", self.screen.status_word()),
        )
        return EngineStatus(
            phase=self._phase,
            backend=self.settings.backend,
            model=self.settings.banner_model(),
            reconnect_attempt=self._tracker.attempt,
            reconnect_max=self._reconnect_max(),
            started_at=self._started_at,
            goaway_deadline=self._tracker.goaway_deadline,
            tokens=self._tracker.tokens,
            last_latency=self._tracker.latency,
            turn_running=self._tracker.turn_running,
            resumable=self._tracker.resumable,
            features=features,
            voice=self._voice,
        )

    def levels(self) -> Levels:
        """Current mic and speaker levels for the meters (both ``None`` without audio)."""
        try:
            return self.audio.levels()
        except Exception:  # a meter read must never break the UI timer
            logger.exception("reading the audio levels failed")
            return Levels()

    def _reconnect_max(self) -> int | None:
        if self._session is not None:
            return self._session.config.reconnect.max_attempts
        return self._reconnect.max_attempts if self._reconnect is not None else None

    @property
    def session(self) -> Session | None:
        """The live session, once connected."""
        return self._session

    @property
    def turn_running(self) -> bool:
        """Whether the model is (or is about to be) answering."""
        return self._tracker.turn_running

    @property
    def voice(self) -> str | None:
        """The voice in force (``None``: the server's default)."""
        return self._voice

    @property
    def system_instruction(self) -> str | None:
        """The system instruction in force."""
        return self._system_instruction

    @property
    def phase(self) -> Phase:
        """The connection phase."""
        return self._phase

    def statistics(self) -> EngineStatistics:
        """A snapshot of the engine's and the session's counters."""
        stats = dataclasses.replace(self._tracker.stats)
        stats.mic_chunks_dropped = self.audio.chunks_dropped
        stats.screen_frames_dropped_busy = self.screen.frames_dropped_busy
        if self._session is not None:
            stats.session_statistics = self._session.statistics()
        return stats

    # ---------------------------------------------------------------------- lifecycle

    async def run(self) -> None:
        """Connect and pump session events until the session ends or :meth:`stop` is called.

        Connection failures become :class:`Notice` events and the ``closed`` phase; nothing
        is raised, so the UI stays up to show them.
        """
        try:
            await self._connect()
            if self._session is None:
                return
            await self._pump(self._session)
        finally:
            if self._phase != Phase.CLOSED:
                self._set_phase(Phase.CLOSED)

    async def _connect(self) -> None:
        self._set_phase(Phase.CONNECTING)
        try:
            await self._connect_inner()
        finally:
            self._connect_done.set()

    async def _connect_inner(self) -> None:
        try:
            # Heavy imports happen off the event loop so the UI stays responsive meanwhile.
            live = await asyncio.to_thread(importlib.import_module, "gemini_live_tui.live")
            connector = self._connector or live.Session.connect
            if self.settings.backend == "local":
                await asyncio.to_thread(importlib.import_module, "gemini_live_tui.local")
                self._local_cm = self._local_server_factory()
                server = await self._local_cm.__aenter__()
                if self._tracker.stopping:  # quit while the server was starting
                    await self.stop_local_server()
                    return
                self.local_url = str(server.url)
                self.notice(
                    "offline: talking to the embedded local Live server (no key, no network); "
                    "replies are canned"
                )
            setup = build_setup(
                self.settings, voice=self._voice, system_instruction=self._system_instruction
            )
            config = build_session_config(
                self.settings, setup, local_url=self.local_url, reconnect=self._reconnect
            )
            session = await connector(config)
            if self._tracker.stopping:  # quit while connecting: do not leave a session behind
                await session.close()
                return
            self._session = session
        except (LiveError, OSError) as exc:
            logger.warning("connect failed: %s", exc)
            self.notice(f"not connected: {exc}", "error")
            self._set_phase(Phase.CLOSED)
            return
        self._started_at = self._clock()
        self._set_phase(Phase.CONNECTED)
        where = "local server" if self.settings.backend == "local" else self.settings.backend
        self.notice(f"connected to {where} · model {self.settings.banner_model()}")

    async def _pump(self, session: Session) -> None:
        while True:
            event = await session.next_event()
            if event is None:
                return
            self._dispatch(event)
            if isinstance(event, events.Closed):
                return

    async def stop(self) -> None:
        """Stop subsystems, close the session and the local server.  Safe to call twice."""
        if self._tracker.stopping:
            return
        self._tracker.stopping = True
        # Stop the parts' threads before the session closes under them.
        for part in (self.screen, self.audio):
            try:
                await part.close()
            except Exception:
                logger.exception("closing %s failed", type(part).__name__)
        if self._session is not None:
            with contextlib.suppress(LiveError, OSError):
                await self._session.close()
        await self.stop_local_server()
        self._set_phase(Phase.CLOSED)

    async def stop_local_server(self) -> None:
        """Stop the embedded local Live server, if one runs."""
        if self._local_cm is not None:
            cm, self._local_cm = self._local_cm, None
            with contextlib.suppress(Exception):
                await cm.__aexit__(None, None, None)

    # --------------------------------------------------------------------------- sends

    async def send_line(self, line: str) -> None:
        """Send a typed line: its ``@files`` first (each echoed or reported), then its text.

        A bad file is reported as :class:`FileSkipped` and the rest is still sent.
        """
        parsed = parse_line(line)
        prepared: list[PreparedAttachment] = []
        for path in parsed.files:
            try:
                prepared.append(
                    await asyncio.to_thread(prepare_attachment, path, base_dir=self._base_dir)
                )
            except MediaError as exc:
                self._tracker.stats.files_skipped += 1
                self._publish(FileSkipped(path, str(exc)))
        await self._wait_while_connecting()
        session = self._require_session()
        if session is None:
            return
        async with self._send_lock:
            try:
                for item in prepared:
                    await self._send_attachment(session, item)
                if parsed.text:
                    await session.send_text(parsed.text)
                    self._tracker.stats.lines_sent += 1
                    self._publish(UserSent(parsed.text))
            except LiveError as exc:
                self.notice(f"send failed: {exc}", "error")
                return
        if prepared or parsed.text:
            self.mark_input_end()
            self._tracker.turn_running = True
            self._publish(StatusChanged())

    async def _send_attachment(self, session: Session, item: PreparedAttachment) -> None:
        if item.kind == "image":
            # The user's own files are never dropped, unlike live mic and screen frames.
            await session.send_video(item.data, mime_type=item.mime_type, live=False)
        else:
            for chunk in item.chunks:
                await session.send_audio(chunk, sample_rate=item.sample_rate, live=False)
                self._tracker.stats.audio_chunks_sent += 1
            await session.audio_stream_end()
        self._tracker.stats.files_sent += 1
        self._publish(FileSent(item.name, item.kind, item.summary))

    async def send_text(self, text: str) -> None:
        """Send plain text (no ``@`` parsing)."""
        session = self._require_session()
        if session is None:
            return
        await session.send_text(text)
        self.mark_input_end()
        self._tracker.turn_running = True

    async def send_audio(self, pcm: bytes, *, sample_rate: int = 16000) -> None:
        """Send one realtime audio chunk (the mic pipeline)."""
        if self._session is not None and not self._session.closed:
            await self._session.send_audio(pcm, sample_rate=sample_rate)

    async def send_video(self, data: bytes, *, mime_type: str = "image/jpeg") -> None:
        """Send one realtime video frame (screen sharing)."""
        if self._session is not None and not self._session.closed:
            await self._session.send_video(data, mime_type=mime_type)

    async def audio_stream_end(self) -> None:
        """Tell the server the audio stream paused (the mic turned off)."""
        if self._session is not None and not self._session.closed:
            await self._session.audio_stream_end()
            self.mark_input_end()

    def mark_input_end(self) -> None:
        """Start the latency clock: the user's input just ended."""
        self._tracker.input_ended(self._clock())

    async def _wait_while_connecting(self) -> None:
        if self._phase is Phase.CONNECTING:
            await self._connect_done.wait()

    def _require_session(self) -> Session | None:
        if self._session is None or self._session.closed:
            self.notice("not connected: nothing was sent", "error")
            return None
        return self._session

    # ---------------------------------------------------------------- session settings

    async def set_voice(self, voice: str) -> bool:
        """Change the voice by reconnecting with the resumption handle.

        Returns ``True`` when applied.  When the server has not issued a handle yet, says so
        plainly and changes nothing.
        """
        if self.settings.response_modality != "audio":
            self.notice("voices apply to audio responses; this session answers in text", "warning")
            return False
        return await self._reconfigure(
            voice=voice, system_instruction=self._system_instruction, what=f"voice {voice}"
        )

    async def set_manual_activity(self, manual: bool) -> bool:
        """Turn automatic activity detection off (push-to-talk) or back on, resuming."""
        previous = self.settings
        vad = dataclasses.replace(previous.vad, disabled=manual)
        self.settings = dataclasses.replace(previous, vad=vad)
        ok = await self._reconfigure(
            voice=self._voice,
            system_instruction=self._system_instruction,
            what="push-to-talk on" if manual else "push-to-talk off",
        )
        if not ok:
            self.settings = previous
        return ok

    async def set_system_instruction(self, text: str | None) -> bool:
        """Replace (or with ``None`` clear) the system instruction, resuming the session."""
        what = "system instruction cleared" if text is None else "system instruction set"
        return await self._reconfigure(voice=self._voice, system_instruction=text, what=what)

    async def _reconfigure(
        self, *, voice: str | None, system_instruction: str | None, what: str
    ) -> bool:
        session = self._require_session()
        if session is None:
            return False
        if not session.resumption_handle_available:
            self.notice(
                f"not applied ({what}): the server has not issued a resumption handle yet, "
                "so reconnecting now would lose the conversation; send a message first",
                "warning",
            )
            return False
        setup = build_setup(self.settings, voice=voice, system_instruction=system_instruction)
        self._tracker.reconfiguring = True
        try:
            ok = await session.reconfigure(setup)
        except LiveError as exc:
            self._tracker.reconfiguring = False
            self.notice(f"not applied ({what}): {exc}", "error")
            return False
        # The flag is cleared by the Reconnected event (the pump may see it after we return).
        if not ok:
            self._tracker.reconfiguring = False
        if ok:
            self._voice, self._system_instruction = voice, system_instruction
            self.notice(f"{what}: reconnected with the resumption handle; conversation kept")
        else:
            self.notice(f"not applied ({what}): the reconnect failed", "error")
        self._publish(StatusChanged())
        return ok

    # ----------------------------------------------------------------- event handling

    def _dispatch(self, event: events.Event) -> None:
        outcome = self._tracker.apply(event, self._clock())
        # The parts hear what concerns them before the listeners do.
        match event:
            case events.TurnComplete():
                self.audio.turn_complete()
            case events.Interrupted():
                self.audio.interrupted()
            case events.ToolCall(calls=calls):
                for call in calls:
                    self.notice(f"tool call {call.name} ({call.id}) {call.args or {}}")
            case events.ToolCallCancellation(ids=ids):
                self.notice(f"tool calls cancelled: {', '.join(ids)}")
            case _:
                pass
        # The phase first: a UI that sees "reconnected" must already read the new status.
        if outcome.phase is not None:
            self._set_phase(outcome.phase)
        for line in outcome.notices:
            self._publish(line)
        if isinstance(event, events.ModelAudio):
            # The speaker's alone: dozens a second, never through the UI's queue.
            try:
                self.audio.play(event)
            except Exception:  # a device fault must not stop the conversation
                logger.exception("playing model audio failed")
        else:
            self._publish(event)
        if outcome.changed:
            self._publish(StatusChanged())

    def _set_phase(self, phase: Phase) -> None:
        if phase != self._phase:
            self._phase = phase
            self._publish(StatusChanged())

    def _publish(self, event: AppEvent) -> None:
        for listener in list(self._listeners):
            try:
                listener(event)
            except Exception:
                logger.exception("listener failed on %s", type(event).__name__)

    async def __aenter__(self) -> Engine:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    async def events(self) -> AsyncIterator[AppEvent]:
        """An async iterator over app events (for hosts without a UI, and tests)."""
        queue: asyncio.Queue[AppEvent] = asyncio.Queue()
        unsubscribe = self.subscribe(queue.put_nowait)
        try:
            while True:
                yield await queue.get()
        finally:
            unsubscribe()
