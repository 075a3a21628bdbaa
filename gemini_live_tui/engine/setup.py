"""The one setup builder: settings to the ``setup`` message and the session configuration.

It imports neither the engine's core nor its parts, so any front end can build a session's
``setup`` and transport from :class:`~gemini_live_tui.config.Settings` without loading the
app.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from gemini_live_tui.config import Settings
from gemini_live_tui.errors import ConfigError
from gemini_live_tui.protocol import types

if TYPE_CHECKING:
    from gemini_live_tui.live import ReconnectPolicy, SessionConfig

__all__ = ["build_session_config", "build_setup"]


def build_setup(
    settings: Settings,
    *,
    voice: str | None = None,
    system_instruction: str | None = None,
) -> types.SetupConfig:
    """The ``setup`` message for ``settings`` with the current voice and instruction."""
    audio = settings.response_modality == "audio"
    speech: types.SpeechConfig | None = None
    if voice and audio:
        speech = types.SpeechConfig(
            voice_config=types.VoiceConfig(
                prebuilt_voice_config=types.PrebuiltVoiceConfig(voice_name=voice)
            )
        )
    generation = types.GenerationConfig(
        response_modalities=[types.Modality.AUDIO if audio else types.Modality.TEXT],
        speech_config=speech,
    )
    vad = settings.vad
    realtime: types.RealtimeInputConfig | None = None
    if not vad.is_default():
        realtime = types.RealtimeInputConfig(
            automatic_activity_detection=types.AutomaticActivityDetection(
                disabled=vad.disabled or None,
                start_of_speech_sensitivity=(
                    types.StartSensitivity(f"START_SENSITIVITY_{vad.start_sensitivity.upper()}")
                    if vad.start_sensitivity
                    else None
                ),
                end_of_speech_sensitivity=(
                    types.EndSensitivity(f"END_SENSITIVITY_{vad.end_sensitivity.upper()}")
                    if vad.end_sensitivity
                    else None
                ),
                prefix_padding_ms=vad.prefix_padding_ms,
                silence_duration_ms=vad.silence_duration_ms,
            )
        )
    compression: types.ContextWindowCompressionConfig | None = None
    if settings.compression.enabled:
        compression = types.ContextWindowCompressionConfig(
            trigger_tokens=settings.compression.trigger_tokens,
            sliding_window=types.SlidingWindow(target_tokens=settings.compression.target_tokens),
        )
    return types.SetupConfig(
        model=settings.model,
        generation_config=generation,
        system_instruction=(
            types.Content(parts=[types.Part(text=system_instruction)])
            if system_instruction
            else None
        ),
        session_resumption=types.SessionResumptionConfig(),
        context_window_compression=compression,
        input_audio_transcription=types.AudioTranscriptionConfig(),
        output_audio_transcription=(types.AudioTranscriptionConfig() if audio else None),
        realtime_input_config=realtime,
    )


def build_session_config(
    settings: Settings,
    setup: types.SetupConfig,
    *,
    local_url: str | None = None,
    reconnect: ReconnectPolicy | None = None,
) -> SessionConfig:
    """Endpoint and credential for the chosen backend, plus the setup and reconnect policy.

    Raises:
        ConfigError: the backend cannot authenticate (see :func:`credentials_help`).
    """
    from gemini_live_tui.live import Auth, Endpoint, ReconnectPolicy, SessionConfig, TransportConfig

    if settings.backend == "local":
        if local_url is None:
            raise ConfigError("the local backend needs its embedded server's URL")
        endpoint, auth = Endpoint.custom(local_url), Auth.none()
    elif settings.backend == "gemini":
        settings.check_credentials()
        endpoint = Endpoint.custom(settings.endpoint) if settings.endpoint else Endpoint.gemini()
        auth = Auth.api_key(settings.api_key.reveal()) if settings.api_key else Auth.none()
    else:
        settings.check_credentials()
        if settings.endpoint:
            endpoint = Endpoint.custom(settings.endpoint)
        else:
            assert settings.vertex_location is not None  # check_credentials made sure
            endpoint = Endpoint.vertex(settings.vertex_location)
        if settings.vertex_auth == "adc":
            auth = Auth.vertex_adc()
        else:
            assert settings.vertex_access_token is not None
            auth = Auth.bearer_token(settings.vertex_access_token.reveal())
    return SessionConfig(
        transport=TransportConfig(endpoint=endpoint, auth=auth),
        setup=setup,
        reconnect=reconnect or ReconnectPolicy(),
    )
