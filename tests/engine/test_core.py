"""The engine without a UI: its parts, events, status, sends and connect failures."""

from __future__ import annotations

import asyncio
import dataclasses
import struct
import wave
from collections.abc import Awaitable
from pathlib import Path

from gemini_live_tui.config import load_settings
from gemini_live_tui.engine import Engine, Levels, Phase, UserSent
from gemini_live_tui.engine.ports import EngineUplink
from gemini_live_tui.engine.voice import VoiceLink
from gemini_live_tui.live import Session, SessionConfig
from gemini_live_tui.local import Fault
from gemini_live_tui.protocol import events
from tests.engine.conftest import engine_settings, started_engine
from tests.waiting import eventually


class RecordingVoice(VoiceLink):
    """The real voice part, recording what the engine hands it (no devices opened)."""

    def __init__(self, uplink: EngineUplink) -> None:
        super().__init__(uplink)
        self.played: list[events.ModelAudio] = []
        self.turns_completed = 0

    def play(self, event: events.ModelAudio) -> None:
        self.played.append(event)

    def turn_complete(self) -> None:
        self.turns_completed += 1

    def levels(self) -> Levels:
        return Levels(mic=0.5, speaker=None)


async def test_engine_round_trip_parts_and_status(tmp_path: Path) -> None:
    voice: list[RecordingVoice] = []

    def make_voice(uplink: EngineUplink) -> VoiceLink:
        voice.append(RecordingVoice(uplink))
        return voice[0]

    async with started_engine(tmp_path, voice=make_voice) as running:
        engine = running.engine
        assert engine.audio is voice[0]
        await engine.send_line("hello engine")
        await running.first(lambda e: isinstance(e, events.TurnComplete), "the reply")
        assert any(isinstance(e, UserSent) for e in running.seen)
        # Model audio went to the voice part, and to nobody else.
        played = voice[0].played
        assert played and played[0].sample_rate == 24000
        assert not any(isinstance(e, events.ModelAudio) for e in running.seen)
        assert voice[0].turns_completed == 1
        status = engine.status()
        assert dict(status.features) == {"mic": "off", "speak": "off", "screen": "off"}
        assert status.tokens > 0
        assert status.last_latency is not None and not status.turn_running
        assert engine.levels() == Levels(mic=0.5, speaker=None)
        assert engine.statistics().lines_sent == 1
    assert engine.phase is Phase.CLOSED


async def test_a_long_wav_sent_while_reconnecting_arrives_whole(tmp_path: Path) -> None:
    """``@talk.wav`` typed while the engine reconnects reaches the server in full.

    The session's bound on live media while reconnecting is 20 messages here; the file is
    60 chunks.  A user's own file waits for the connection instead of losing its start.
    """
    wav = tmp_path / "talk.wav"
    with wave.open(str(wav), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(16000)
        out.writeframes(struct.pack("<h", 1000) * 16000 * 6)  # 6 s
    release = asyncio.Event()

    async def held_sleep(delay: float) -> None:
        await release.wait()  # hold the reconnect until the file is queued

    def connector(config: SessionConfig) -> Awaitable[Session]:
        bounded = dataclasses.replace(config, max_pending_media=20)
        return Session.connect(bounded, sleep=held_sleep)

    async with started_engine(tmp_path, connector=connector, flags={"text": True}) as running:
        engine, server = running.engine, running.server
        await engine.send_line("one")
        await running.first(lambda e: isinstance(e, events.TurnComplete), "the first reply")
        await server.wait_for(lambda: server.statistics()["handles_issued"] >= 1)
        await server.inject(Fault.drop())
        await eventually(lambda: engine.phase is Phase.RECONNECTING, what="reconnecting")
        sending = asyncio.create_task(engine.send_line("@talk.wav"))
        # Past the live-media bound: a droppable lane would be losing the start by now.
        await eventually(lambda: engine.statistics().audio_chunks_sent >= 20, what="queued")
        release.set()
        await sending
        await eventually(lambda: engine.phase is Phase.CONNECTED, what="reconnected")
        await server.wait_for(lambda: server.records[-1].audio_bytes >= 16000 * 6 * 2)
        assert engine.statistics().files_sent == 1
        session_stats = engine.statistics().session_statistics
        assert session_stats is not None and session_stats.dropped_media_messages == 0


async def test_connect_failure_is_a_notice_not_a_crash(tmp_path: Path) -> None:
    settings = load_settings(
        {"endpoint": "ws://127.0.0.1:9/nothing-listens-here"},
        env={"GEMINI_LIVE_CONFIG_DIR": str(tmp_path), "GEMINI_API_KEY": "k"},
    )
    engine = Engine(settings)
    notes: list[str] = []
    engine.subscribe(lambda e: notes.append(getattr(e, "text", "")))
    await engine.run()
    assert engine.phase is Phase.CLOSED
    assert any(n.startswith("not connected: ") for n in notes)
    assert all(n != "k" for n in notes)


def test_every_drop_counter_is_in_the_engine_statistics(tmp_path: Path) -> None:
    engine = Engine(engine_settings(tmp_path))
    assert engine.statistics().mic_chunks_dropped == 0
    # No session yet: the voice part has nobody to hand a mic chunk to, and says so.
    engine.audio._enqueue(b"\0\0" * 640)
    stats = engine.statistics()
    assert stats.mic_chunks_dropped == 1
    assert stats.screen_frames_dropped_busy == engine.screen.frames_dropped_busy == 0
