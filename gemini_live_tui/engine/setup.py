"""The one setup builder: what a conversation asks for, to the ``setup`` message.

Both front ends go through :func:`setup_for`: the terminal app from its
:class:`~gemini_live_tui.config.Settings` (:func:`build_setup`), the browser proxy from its
server settings and the page's validated setup.  So a setup field is added once, and the
proxy gets the same context-window compression and VAD settings as the app.  The module
imports neither the engine's core nor its parts, so the proxy can use it without loading
the app.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING

from gemini_live_tui.config import CompressionSettings, Settings, VadSettings
from gemini_live_tui.errors import ConfigError
from gemini_live_tui.protocol import types

if TYPE_CHECKING:
    from gemini_live_tui.live import ReconnectPolicy, SessionConfig

__all__ = [
    "ConversationOptions",
    "build_session_config",
    "build_setup",
    "setup_for",
]


@dataclasses.dataclass(frozen=True, kw_only=True)
class ConversationOptions:
    """What one conversation asks of the model, whichever front end builds it.

    ``model`` is the name as the backend wants it (see :func:`qualified_model_name`).
    Resumption is always on: it is what carries a conversation across connections.
    """

    model: str
    response_modalities: tuple[types.Modality, ...] = (types.Modality.AUDIO,)
    voice: str | None = None
    language_code: str | None = None
    system_instruction: str | None = None
    temperature: float | None = None
    top_p: float | None = None
    top_k: float | None = None
    max_output_tokens: int | None = None
    seed: int | None = None
    vad: VadSettings = dataclasses.field(default_factory=VadSettings)
    compression: CompressionSettings = dataclasses.field(default_factory=CompressionSettings)
    input_transcription: bool = True
    output_transcription: bool = True
    tools: tuple[types.Tool, ...] = ()


def build_setup(
    settings: Settings,
    *,
    voice: str | None = None,
    system_instruction: str | None = None,
) -> types.SetupConfig:
    """The terminal app's ``setup`` for ``settings`` with the current voice and instruction."""
    audio = settings.response_modality == "audio"
    return setup_for(
        ConversationOptions(
            model=settings.model,
            response_modalities=(types.Modality.AUDIO if audio else types.Modality.TEXT,),
            voice=voice if audio else None,
            system_instruction=system_instruction,
            vad=settings.vad,
            compression=settings.compression,
            input_transcription=True,
            output_transcription=audio,
        )
    )


def setup_for(options: ConversationOptions) -> types.SetupConfig:
    """The ``setup`` message for one conversation."""
    speech: types.SpeechConfig | None = None
    if options.voice or options.language_code:
        speech = types.SpeechConfig(
            voice_config=(
                types.VoiceConfig(
                    prebuilt_voice_config=types.PrebuiltVoiceConfig(voice_name=options.voice)
                )
                if options.voice
                else None
            ),
            language_code=options.language_code,
        )
    generation = types.GenerationConfig(
        response_modalities=list(options.response_modalities),
        temperature=options.temperature,
        top_p=options.top_p,
        top_k=options.top_k,
        max_output_tokens=options.max_output_tokens,
        seed=options.seed,
        speech_config=speech,
    )
    return types.SetupConfig(
        model=options.model,
        generation_config=generation,
        system_instruction=(
            types.Content(parts=[types.Part(text=options.system_instruction)])
            if options.system_instruction
            else None
        ),
        tools=list(options.tools) or None,
        session_resumption=types.SessionResumptionConfig(),
        context_window_compression=_compression(options.compression),
        input_audio_transcription=(
            types.AudioTranscriptionConfig() if options.input_transcription else None
        ),
        output_audio_transcription=(
            types.AudioTranscriptionConfig() if options.output_transcription else None
        ),
        realtime_input_config=_realtime_input(options.vad),
    )


def _realtime_input(vad: VadSettings) -> types.RealtimeInputConfig | None:
    if vad.is_default():
        return None
    return types.RealtimeInputConfig(
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


def _compression(settings: CompressionSettings) -> types.ContextWindowCompressionConfig | None:
    if not settings.enabled:
        return None
    return types.ContextWindowCompressionConfig(
        trigger_tokens=settings.trigger_tokens,
        sliding_window=types.SlidingWindow(target_tokens=settings.target_tokens),
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
