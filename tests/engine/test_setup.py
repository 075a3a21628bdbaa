"""The setup builder: what the engine and the proxy send the server for given settings."""

from __future__ import annotations

from pathlib import Path

import pytest

from gemini_live_tui.config import load_settings
from gemini_live_tui.engine import build_session_config, build_setup
from gemini_live_tui.errors import ConfigError
from gemini_live_tui.protocol import codec, types
from tests.engine.conftest import engine_settings as local_settings


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
