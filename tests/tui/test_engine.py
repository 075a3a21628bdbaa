"""The engine without a UI: setup building, credentials, events, hooks and status."""

from __future__ import annotations

import asyncio
import math
from pathlib import Path

import pytest

from gemini_live_tui.config import load_settings
from gemini_live_tui.engine import (
    Engine,
    Levels,
    Phase,
    UserSent,
    build_session_config,
    build_setup,
)
from gemini_live_tui.errors import ConfigError
from gemini_live_tui.live import ReconnectPolicy
from gemini_live_tui.local import LocalLiveServer
from gemini_live_tui.protocol import codec, events, types
from tests.tui.conftest import local_settings


def test_default_setup_is_audio_with_transcriptions_resumption_and_compression(
    tmp_path: Path,
) -> None:
    setup = build_setup(local_settings(tmp_path), voice="Puck", system_instruction="be kind")
    assert setup.generation_config is not None
    assert setup.generation_config.response_modalities == [types.Modality.AUDIO]
    speech = setup.generation_config.speech_config
    assert speech is not None and speech.voice_config is not None
    assert speech.voice_config.prebuilt_voice_config == types.PrebuiltVoiceConfig(voice_name="Puck")
    assert setup.input_audio_transcription is not None
    assert setup.output_audio_transcription is not None
    assert setup.session_resumption == types.SessionResumptionConfig()
    assert setup.context_window_compression is not None
    assert setup.context_window_compression.sliding_window is not None
    assert setup.system_instruction is not None
    assert setup.realtime_input_config is None
    wire = (
        codec.encode(types.ClientMessage(setup=setup)) if hasattr(types, "ClientMessage") else b""
    )
    assert wire == b"" or b"slidingWindow" in wire


def test_text_setup_and_vad(tmp_path: Path) -> None:
    (tmp_path / "config").mkdir()
    (tmp_path / "config" / "config.toml").write_text(
        '[vad]\nstart_sensitivity = "low"\nsilence_duration_ms = 700\n'
        "[compression]\nenabled = false\n"
    )
    setup = build_setup(local_settings(tmp_path, text=True), voice="Puck")
    assert setup.generation_config is not None
    assert setup.generation_config.response_modalities == [types.Modality.TEXT]
    assert setup.generation_config.speech_config is None  # voices are for audio replies
    assert setup.output_audio_transcription is None
    assert setup.context_window_compression is None
    vad = setup.realtime_input_config
    assert vad is not None and vad.automatic_activity_detection is not None
    assert vad.automatic_activity_detection.start_of_speech_sensitivity == (
        types.StartSensitivity.START_SENSITIVITY_LOW
    )
    assert vad.automatic_activity_detection.silence_duration_ms == 700


def test_session_config_per_backend(tmp_path: Path) -> None:
    env = {"GEMINI_LIVE_CONFIG_DIR": str(tmp_path), "GEMINI_API_KEY": "k-123"}
    gemini = load_settings({}, env=env)
    config = build_session_config(gemini, build_setup(gemini))
    assert "generativelanguage.googleapis.com" in config.transport.endpoint.url_for(
        config.transport.auth
    )
    assert "k-123" not in repr(config)
    vertex = load_settings({"backend": "vertex"}, env={"GEMINI_LIVE_CONFIG_DIR": str(tmp_path)})
    with pytest.raises(ConfigError, match="VERTEX_LOCATION"):
        build_session_config(vertex, build_setup(gemini))
    with pytest.raises(ConfigError, match="embedded server"):
        build_session_config(local_settings(tmp_path), build_setup(gemini))


async def test_engine_round_trip_hooks_and_status(tmp_path: Path) -> None:
    settings = local_settings(tmp_path)
    engine = Engine(
        settings,
        local_server=lambda: LocalLiveServer(port=0, speed=math.inf),
        reconnect=ReconnectPolicy(base_delay=0.01, max_delay=0.05),
    )
    audio: list[events.ModelAudio] = []
    engine.on(events.ModelAudio, audio.append)
    engine.add_feature_provider("mic", lambda: "on")
    engine.set_level_source(lambda: Levels(mic=0.5, speaker=None))
    seen = engine.events()
    async with engine:
        run = asyncio.create_task(engine.run())
        async for _event in seen:
            if engine.phase is Phase.CONNECTED:
                break
        await engine.send_line("hello engine")
        got_sent = False
        async for event in seen:
            got_sent = got_sent or isinstance(event, UserSent)
            if isinstance(event, events.TurnComplete):
                break
        assert got_sent and audio and audio[0].sample_rate == 24000
        status = engine.status()
        assert ("mic", "on") in status.features and status.tokens > 0
        assert status.last_latency is not None and not status.turn_running
        assert engine.levels() == Levels(mic=0.5, speaker=None)
        assert engine.statistics().lines_sent == 1
    await run
    assert engine.phase is Phase.CLOSED


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
    engine = Engine(local_settings(tmp_path))
    assert engine.statistics().mic_chunks_dropped == 0
    # No session yet: the voice part has nobody to hand a mic chunk to, and says so.
    engine.audio._enqueue(b"\0\0" * 640)
    stats = engine.statistics()
    assert stats.mic_chunks_dropped == 1
    assert stats.screen_frames_dropped_busy == engine.screen.frames_dropped_busy == 0
