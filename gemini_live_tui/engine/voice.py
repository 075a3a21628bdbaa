"""Voice wired into the engine: ``/mic``, ``/speak``, ``/devices``, ``/ptt`` on the event loop.

:class:`VoiceLink` sits beside the :class:`~gemini_live_tui.engine.Engine` (which creates
one as ``engine.audio``).  It owns an :class:`~gemini_live_tui.audio.pipeline.AudioPipeline`
(created on first use, so the app starts without touching PortAudio) and bridges it:

* mic chunks arrive on the audio worker thread and hop to the loop with
  ``call_soon_threadsafe`` into a small queue that one task drains into
  ``engine.send_audio``; when the queue backs up (reconnecting) the oldest chunk goes;
* the engine hands it model audio (:meth:`play`; audio never reaches the engine's other
  listeners), barge-in (:meth:`interrupted`, flushes the speaker) and the end of a reply
  (:meth:`turn_complete`, lets a short last bit play out under the pre-roll);
* the meters pull :meth:`levels` (dBFS mapped to 0..1) from the UI timer;
* device failures become one notice line; the app keeps running.

Push-to-talk: ``/ptt`` reconnects with automatic activity detection off; then
:meth:`toggle_talk` (a key in the app) sends ``activityStart`` / ``activityEnd`` and only
the audio in between.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import deque
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from gemini_live_tui.engine.events import Levels, Phase
from gemini_live_tui.errors import AudioError, LiveError
from gemini_live_tui.protocol import events

if TYPE_CHECKING:
    from gemini_live_tui.audio.devices import AudioBackend
    from gemini_live_tui.audio.pipeline import AudioPipeline
    from gemini_live_tui.engine.ports import EngineUplink

__all__ = ["VoiceLink", "level_fraction"]

logger = logging.getLogger(__name__)

MAX_QUEUED_CHUNKS = 25  # about one second of 40 ms chunks


def level_fraction(dbfs: float, floor_db: float = -60.0) -> float:
    """A dBFS reading as a meter fill in [0, 1] (``floor_db`` and below read empty)."""
    return max(0.0, min(1.0, (dbfs - floor_db) / -floor_db))


class VoiceLink:
    """Mic, speaker and push-to-talk for one engine.

    Args:
        engine: the engine whose session gets the mic and whose audio is played.
        backend: audio device backend (PortAudio by default; a fake in tests).
        clock: monotonic clock for the pipeline (the fake backend's in tests).
        start_worker: run the pipeline's worker thread (tests may pump by hand).
    """

    def __init__(
        self,
        engine: EngineUplink,
        *,
        backend: AudioBackend | None = None,
        clock: Callable[[], float] = time.monotonic,
        start_worker: bool = True,
    ) -> None:
        self._engine = engine
        self._backend = backend
        self._clock = clock
        self._start_worker = start_worker
        self._pipeline: AudioPipeline | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._chunks: deque[bytes] = deque()
        self._wake: asyncio.Event | None = None
        self._sender: asyncio.Task[None] | None = None
        self.ptt = False
        self.talking = False
        self.chunks_dropped = 0
        self._in_flight = 0  # a chunk popped from the queue whose send has not returned

    # ------------------------------------------------------------------ state words

    @property
    def capturing(self) -> bool:
        return self._pipeline is not None and self._pipeline.capturing

    @property
    def speaking(self) -> bool:
        return self._pipeline is not None and self._pipeline.playing_enabled

    @property
    def pending_chunks(self) -> int:
        """Mic chunks taken from the device and not yet handed to the session."""
        return len(self._chunks) + self._in_flight

    def speak_word(self) -> str:
        return "on" if self.speaking else "off"

    def mic_word(self) -> str:
        if not self.capturing:
            return "ptt" if self.ptt else "off"
        if self.ptt:
            return "talking" if self.talking else "ptt"
        return "on"

    def levels(self) -> Levels:

        pipe = self._pipeline
        if pipe is None:
            return Levels()
        mic, speaker = pipe.levels()
        return Levels(
            mic=level_fraction(mic.rms_dbfs) if pipe.capturing else None,
            speaker=level_fraction(speaker.rms_dbfs) if pipe.playing_enabled else None,
        )

    def statistics(self) -> dict[str, Any] | None:
        return None if self._pipeline is None else self._pipeline.statistics()

    # --------------------------------------------------------------------- commands

    async def toggle_mic(self) -> None:
        """``/mic``: start capturing, or stop and tell the server the stream paused."""
        if self.capturing:
            await self._stop_mic()
            return
        pipe = self._ensure()
        if pipe is None:
            return
        try:
            await asyncio.to_thread(pipe.start_capture)
        except AudioError as exc:
            self._engine.notice(f"mic: {exc}", "error")
            return
        self._engine.notice(self._mic_notice())
        self._engine.status_changed()

    async def toggle_speak(self) -> None:
        """``/speak``: play the model's audio, or stop playing it (transcripts still show)."""
        pipe = self._ensure()
        if pipe is None:
            return
        if pipe.playing_enabled:
            await asyncio.to_thread(pipe.stop_playback)
            self._engine.notice("speaker off: replies still show as text")
        else:
            try:
                await asyncio.to_thread(pipe.start_playback)
            except AudioError as exc:
                self._engine.notice(f"speaker: {exc}", "error")
                return
            self._engine.notice("speaker on")
        self._engine.status_changed()

    async def list_devices(self) -> None:
        """``/devices``: one line per input and output device (``*`` marks the defaults)."""
        from gemini_live_tui.audio.devices import SoundDeviceBackend, format_devices

        backend = self._backend or SoundDeviceBackend()
        try:
            devices = await asyncio.to_thread(backend.list_devices)
        except AudioError as exc:
            self._engine.notice(str(exc), "error")
            return
        if not devices:
            self._engine.notice("no audio devices found", "warning")
            return
        self._engine.notice(
            "audio devices (* = default; pick with --input-device/--output-device):"
        )
        for line in format_devices(devices):
            self._engine.notice(line)

    async def toggle_ptt(self) -> None:
        """``/ptt``: switch between automatic and manual (push-to-talk) activity detection."""
        want = not self.ptt
        if self.talking:
            await self.toggle_talk()
        if not await self._engine.set_manual_activity(want):
            return
        self.ptt = want
        self._engine.notice(
            "push-to-talk on: press F4 to start talking and F4 again to stop"
            if want
            else "push-to-talk off: the server detects speech by itself"
        )
        self._engine.status_changed()

    async def toggle_talk(self) -> None:
        """The push-to-talk key: ``activityStart`` (mic on if needed) or ``activityEnd``."""
        if not self.ptt:
            self._engine.notice("push-to-talk is off: /ptt turns it on", "warning")
            return
        session = self._engine.session
        if session is None or session.closed:
            self._engine.notice("not connected: nothing was sent", "error")
            return
        try:
            if not self.talking:
                if not self.capturing:
                    await self.toggle_mic()
                    if not self.capturing:
                        return
                self._chunks.clear()
                await session.activity_start()
                self.talking = True
            else:
                self.talking = False
                await self._drain()
                await session.activity_end()
                self._engine.mark_input_end()
        except LiveError as exc:
            self._engine.notice(f"push-to-talk: {exc}", "error")
        self._engine.status_changed()

    async def close(self) -> None:
        """Stop both streams and the worker thread (the engine calls this when it stops)."""
        pipe, self._pipeline = self._pipeline, None
        if pipe is not None:
            await asyncio.to_thread(pipe.close)
        if self._sender is not None:
            self._sender.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._sender
            self._sender = None

    # ---------------------------------------------------------------------- plumbing

    def _mic_notice(self) -> str:
        settings = self._pipeline.settings if self._pipeline is not None else None
        if settings is None:
            return "mic on"
        aec = "echo cancellation on" if settings.aec else "echo cancellation off"
        duplex = (
            "; half duplex (mic muted while the model speaks)" if settings.duplex == "half" else ""
        )
        return f"mic on: {aec}{duplex}; /mic again to stop"

    async def _stop_mic(self) -> None:
        pipe = self._pipeline
        if pipe is None:
            return
        await asyncio.to_thread(pipe.stop_capture)
        await self._drain()
        if self.talking:
            self.talking = False
            session = self._engine.session
            if session is not None and not session.closed:
                with contextlib.suppress(LiveError):
                    await session.activity_end()
        elif not self.ptt:
            with contextlib.suppress(LiveError):
                await self._engine.audio_stream_end()
        self._engine.notice("mic off")
        self._engine.status_changed()

    def _ensure(self) -> AudioPipeline | None:
        if self._pipeline is not None:
            return self._pipeline
        from gemini_live_tui.audio.pipeline import AudioPipeline, AudioSettings

        s = self._engine.settings
        try:
            settings = AudioSettings(
                input_device=s.input_device,
                output_device=s.output_device,
                aec=s.aec,
                duplex=s.duplex,
                chunk_ms=s.audio_chunk_ms,
            )
        except AudioError as exc:
            self._engine.notice(f"audio settings: {exc}", "error")
            return None
        self._loop = asyncio.get_running_loop()
        self._wake = asyncio.Event()
        self._sender = asyncio.create_task(self._send_loop(), name="voice-sender")
        self._pipeline = AudioPipeline(
            self._from_worker,
            settings,
            backend=self._backend,
            on_error=self._error_from_worker,
            clock=self._clock,
            start_worker=self._start_worker,
        )
        return self._pipeline

    def _from_worker(self, chunk: bytes) -> None:
        loop = self._loop
        if loop is not None and not loop.is_closed():
            loop.call_soon_threadsafe(self._enqueue, chunk)

    def _enqueue(self, chunk: bytes) -> None:
        if self.ptt and not self.talking:
            return  # push-to-talk: only the audio between the key presses goes out

        if self._engine.phase not in (Phase.CONNECTED, Phase.RECONNECTING):
            self.chunks_dropped += 1  # no session to hand it to
            return
        # While reconnecting the chunk goes on to the session, whose outbox alone decides
        # what live audio to keep (the newest, bounded) and counts what it drops.
        if len(self._chunks) >= MAX_QUEUED_CHUNKS:
            self._chunks.popleft()  # stay real time: the oldest audio is the least useful
            self.chunks_dropped += 1
        self._chunks.append(chunk)
        if self._wake is not None:
            self._wake.set()

    async def _send_loop(self) -> None:
        assert self._wake is not None
        while True:
            await self._wake.wait()
            self._wake.clear()
            await self._drain()

    async def _drain(self) -> None:
        while self._chunks:
            chunk = self._chunks.popleft()
            self._in_flight = 1
            try:
                await self._engine.send_audio(chunk, sample_rate=16000)
            except LiveError as exc:
                logger.info("mic chunk not sent: %s", exc)
                self.chunks_dropped += 1
            finally:
                self._in_flight = 0

    def _error_from_worker(self, message: str) -> None:
        loop = self._loop
        if loop is not None and not loop.is_closed():
            loop.call_soon_threadsafe(self._device_failed, message)

    def _device_failed(self, message: str) -> None:
        self._engine.notice(f"{message}; /devices lists what is there", "error")
        self._engine.status_changed()

    def play(self, event: events.ModelAudio) -> None:
        """Model audio: to the speaker when it is on (the engine calls this, not a hook)."""
        pipe = self._pipeline
        if pipe is not None and pipe.playing_enabled:
            pipe.play(event.data, sample_rate=event.sample_rate)

    def interrupted(self) -> None:
        """Barge-in: drop what the speaker has not played yet."""
        if self._pipeline is not None:
            self._pipeline.flush()

    def turn_complete(self) -> None:
        """The reply is complete: let its short last bit play out."""
        if self._pipeline is not None:
            self._pipeline.end_of_reply()
