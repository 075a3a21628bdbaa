"""Wire structs of the Gemini Live API (BidiGenerateContent), as msgspec Structs.

Every struct encodes to the camelCase JSON the service expects; Python names are the wire
names in snake_case.  Fields that are not set are omitted on the wire (``omit_defaults``), so
an empty struct such as ``SessionResumptionConfig()`` encodes as ``{}``, which is how a
client opts in to a feature with default settings.

Client-side enums are ``StrEnum`` so that configuration is checked; values the *server*
sends that Google may extend at any time (turn-complete reasons, interaction status, voice
activity types, token modalities, service tiers) are plain ``str``: an unknown value from a
newer server must never break decoding.  Free-form JSON (function args, schemas, grounding
metadata) stays ``dict[str, Any]``.

int64 fields are :data:`Int64`: the service writes them as JSON strings ("123"), so the codec
accepts a number or a decimal string; to type checkers they are plain ``int``.
"""

from __future__ import annotations

import enum
from typing import TYPE_CHECKING, Any

import msgspec

__all__ = [
    "ActivityEnd",
    "ActivityHandling",
    "ActivityStart",
    "AudioTranscriptionConfig",
    "AutomaticActivityDetection",
    "AvatarConfig",
    "Behavior",
    "Blob",
    "ClientContent",
    "ClientMessage",
    "CodeExecution",
    "CodeExecutionResult",
    "Content",
    "ContextUpdate",
    "ContextUpdateTools",
    "ContextWindowCompressionConfig",
    "CustomizedAvatar",
    "EndSensitivity",
    "ExecutableCode",
    "FileData",
    "FunctionCall",
    "FunctionDeclaration",
    "FunctionResponse",
    "FunctionResponsePart",
    "FunctionResponseScheduling",
    "GenerationConfig",
    "GoAway",
    "GoogleMaps",
    "GoogleSearch",
    "HistoryConfig",
    "Int64",
    "LanguageAuto",
    "LanguageHints",
    "MediaResolution",
    "Modality",
    "ModalityTokenCount",
    "Part",
    "PartialArg",
    "PrebuiltVoiceConfig",
    "ProactivityConfig",
    "RealtimeInput",
    "RealtimeInputConfig",
    "ReplicatedVoiceConfig",
    "SafetySetting",
    "ServerContent",
    "ServerMessage",
    "SessionResumptionConfig",
    "SessionResumptionUpdate",
    "SetupComplete",
    "SetupConfig",
    "SlidingWindow",
    "SpeechConfig",
    "StartSensitivity",
    "ThinkingConfig",
    "ThinkingLevel",
    "Tool",
    "ToolCall",
    "ToolCallCancellation",
    "ToolResponse",
    "Transcription",
    "TranscriptionMode",
    "TranslationConfig",
    "TurnCoverage",
    "UrlContext",
    "UsageMetadata",
    "VadSignal",
    "VoiceActivity",
    "VoiceConfig",
    "VoiceConsentSignature",
    "WordInfo",
]


if TYPE_CHECKING:
    Int64 = int
else:

    class Int64(int):
        """An int64 field: a JSON number or a decimal string on the wire (proto3 JSON)."""

        __slots__ = ()


class _Wire(msgspec.Struct, rename="camel", omit_defaults=True, kw_only=True):
    """Common options of every wire struct (inherited by subclasses)."""


# ---------------------------------------------------------------------------------------------
# Enums (client side; closed sets we validate)


class Modality(enum.StrEnum):
    """Response modality of a session (one per session in practice)."""

    MODALITY_UNSPECIFIED = "MODALITY_UNSPECIFIED"
    TEXT = "TEXT"
    IMAGE = "IMAGE"
    AUDIO = "AUDIO"
    VIDEO = "VIDEO"


class MediaResolution(enum.StrEnum):
    """Token budget per image or video frame sent to the model."""

    MEDIA_RESOLUTION_UNSPECIFIED = "MEDIA_RESOLUTION_UNSPECIFIED"
    MEDIA_RESOLUTION_LOW = "MEDIA_RESOLUTION_LOW"
    MEDIA_RESOLUTION_MEDIUM = "MEDIA_RESOLUTION_MEDIUM"
    MEDIA_RESOLUTION_HIGH = "MEDIA_RESOLUTION_HIGH"


class ThinkingLevel(enum.StrEnum):
    """Thinking depth for models that take a level instead of a token budget."""

    THINKING_LEVEL_UNSPECIFIED = "THINKING_LEVEL_UNSPECIFIED"
    MINIMAL = "MINIMAL"
    LOW = "LOW"
    MEDIUM = "MEDIUM"
    HIGH = "HIGH"
    XHIGH = "XHIGH"


class StartSensitivity(enum.StrEnum):
    """How readily automatic activity detection commits a start of speech."""

    START_SENSITIVITY_UNSPECIFIED = "START_SENSITIVITY_UNSPECIFIED"
    START_SENSITIVITY_HIGH = "START_SENSITIVITY_HIGH"
    START_SENSITIVITY_LOW = "START_SENSITIVITY_LOW"


class EndSensitivity(enum.StrEnum):
    """How readily automatic activity detection commits an end of speech."""

    END_SENSITIVITY_UNSPECIFIED = "END_SENSITIVITY_UNSPECIFIED"
    END_SENSITIVITY_HIGH = "END_SENSITIVITY_HIGH"
    END_SENSITIVITY_LOW = "END_SENSITIVITY_LOW"


class ActivityHandling(enum.StrEnum):
    """Whether user activity interrupts the model (barge-in)."""

    ACTIVITY_HANDLING_UNSPECIFIED = "ACTIVITY_HANDLING_UNSPECIFIED"
    START_OF_ACTIVITY_INTERRUPTS = "START_OF_ACTIVITY_INTERRUPTS"
    NO_INTERRUPTION = "NO_INTERRUPTION"


class TurnCoverage(enum.StrEnum):
    """Which realtime input a user turn includes."""

    TURN_COVERAGE_UNSPECIFIED = "TURN_COVERAGE_UNSPECIFIED"
    TURN_INCLUDES_ONLY_ACTIVITY = "TURN_INCLUDES_ONLY_ACTIVITY"
    TURN_INCLUDES_ALL_INPUT = "TURN_INCLUDES_ALL_INPUT"
    TURN_INCLUDES_AUDIO_ACTIVITY_AND_ALL_VIDEO = "TURN_INCLUDES_AUDIO_ACTIVITY_AND_ALL_VIDEO"


class Behavior(enum.StrEnum):
    """Whether the model waits for a function's result (BLOCKING) or keeps talking."""

    UNSPECIFIED = "UNSPECIFIED"
    BLOCKING = "BLOCKING"
    NON_BLOCKING = "NON_BLOCKING"


class FunctionResponseScheduling(enum.StrEnum):
    """What the model does when a NON_BLOCKING function result arrives."""

    SCHEDULING_UNSPECIFIED = "SCHEDULING_UNSPECIFIED"
    SILENT = "SILENT"
    WHEN_IDLE = "WHEN_IDLE"
    INTERRUPT = "INTERRUPT"


class TranscriptionMode(enum.StrEnum):
    """Transcript style; SMART removes disfluencies (no timestamps or diarization)."""

    MODE_UNSPECIFIED = "MODE_UNSPECIFIED"
    VERBATIM = "VERBATIM"
    SMART = "SMART"


# ---------------------------------------------------------------------------------------------
# Content


class Blob(_Wire):
    """Inline bytes with their mime type; ``data`` is base64 on the wire."""

    mime_type: str | None = None
    data: bytes = b""
    display_name: str | None = None

    def __repr__(self) -> str:
        # Media payloads are large: show their size, not their bytes.
        return f"Blob(mime_type={self.mime_type!r}, data=<{len(self.data)} bytes>)"


class FileData(_Wire):
    """A reference to an uploaded file or URI."""

    mime_type: str | None = None
    file_uri: str | None = None
    display_name: str | None = None


class FunctionCall(_Wire):
    """A function the model asks the client to run (``args`` is free-form JSON)."""

    id: str | None = None
    name: str | None = None
    args: dict[str, Any] | None = None
    partial_args: list[PartialArg] | None = None
    will_continue: bool | None = None


class PartialArg(_Wire):
    """A streamed piece of function-call arguments (Vertex)."""

    json_path: str | None = None
    null_value: str | None = None
    number_value: float | None = None
    string_value: str | None = None
    bool_value: bool | None = None
    will_continue: bool | None = None


class FunctionResponsePart(_Wire):
    """A multimodal piece of a function result."""

    inline_data: Blob | None = None
    file_data: FileData | None = None


class FunctionResponse(_Wire):
    """The client's answer to a :class:`FunctionCall`; ``id`` must echo the call's id."""

    id: str | None = None
    name: str | None = None
    response: dict[str, Any] | None = None
    parts: list[FunctionResponsePart] | None = None
    will_continue: bool | None = None
    scheduling: FunctionResponseScheduling | None = None


class ExecutableCode(_Wire):
    """Code the model wrote for the code-execution tool."""

    code: str | None = None
    language: str | None = None
    id: str | None = None


class CodeExecutionResult(_Wire):
    """The result of running :class:`ExecutableCode`."""

    outcome: str | None = None
    output: str | None = None
    id: str | None = None


class Part(_Wire):
    """One piece of a :class:`Content`; normally exactly one field is set."""

    text: str | None = None
    inline_data: Blob | None = None
    thought: bool | None = None
    thought_signature: bytes | None = None
    function_call: FunctionCall | None = None
    function_response: FunctionResponse | None = None
    executable_code: ExecutableCode | None = None
    code_execution_result: CodeExecutionResult | None = None
    file_data: FileData | None = None
    # Part-level fields whose use in Live is undocumented (model-contracts.md §5 item 8): kept
    # so nothing is lost on decode; free-form where the SDK's shape is not needed here.
    audio_transcription: Transcription | None = None
    tool_call: ToolCall | None = None
    tool_response: ToolResponse | None = None
    video_metadata: dict[str, Any] | None = None
    media_resolution: dict[str, Any] | None = None
    part_metadata: dict[str, Any] | None = None
    document_metadata: dict[str, Any] | None = None
    spreadsheet_metadata: dict[str, Any] | None = None
    audio_metadata: dict[str, Any] | None = None


class Content(_Wire):
    """A turn: ``role`` is "user" or "model"."""

    role: str | None = None
    parts: list[Part] | None = None


# ---------------------------------------------------------------------------------------------
# Setup


class PrebuiltVoiceConfig(_Wire):
    """One of the service's named voices (e.g. "Kore", "Puck")."""

    voice_name: str | None = None


class VoiceConsentSignature(_Wire):
    """Proof that a replicated voice's consent audio was verified; reusable in later setups."""

    signature: str | None = None


class ReplicatedVoiceConfig(_Wire):
    """A voice cloned from a sample, with the speaker's consent."""

    mime_type: str | None = None
    voice_sample_audio: bytes | None = None
    consent_audio: bytes | None = None
    voice_consent_signature: VoiceConsentSignature | None = None


class VoiceConfig(_Wire):
    """Which voice speaks: a prebuilt one or a replicated one."""

    prebuilt_voice_config: PrebuiltVoiceConfig | None = None
    replicated_voice_config: ReplicatedVoiceConfig | None = None


class SpeechConfig(_Wire):
    """Voice and language of audio output."""

    voice_config: VoiceConfig | None = None
    language_code: str | None = None


class ThinkingConfig(_Wire):
    """Thinking controls (budget 0 = off, -1 = automatic; or a level on newer models)."""

    include_thoughts: bool | None = None
    thinking_budget: int | None = None
    thinking_level: ThinkingLevel | None = None


class TranslationConfig(_Wire):
    """Live-translate settings."""

    target_language_code: str | None = None
    echo_target_language: bool | None = None


class GenerationConfig(_Wire):
    """Generation settings of a session."""

    response_modalities: list[Modality] | None = None
    temperature: float | None = None
    top_p: float | None = None
    top_k: float | None = None
    max_output_tokens: int | None = None
    seed: int | None = None
    candidate_count: int | None = None
    presence_penalty: float | None = None
    frequency_penalty: float | None = None
    media_resolution: MediaResolution | None = None
    speech_config: SpeechConfig | None = None
    thinking_config: ThinkingConfig | None = None
    enable_affective_dialog: bool | None = None
    translation_config: TranslationConfig | None = None


class FunctionDeclaration(_Wire):
    """A client function the model may call.

    ``parameters``/``response`` are OpenAPI-subset schemas (uppercase types such as
    "OBJECT"); ``parameters_json_schema``/``response_json_schema`` are full JSON Schema and
    exclude the former.
    """

    name: str | None = None
    description: str | None = None
    parameters: dict[str, Any] | None = None
    parameters_json_schema: Any | None = None
    response: dict[str, Any] | None = None
    response_json_schema: Any | None = None
    behavior: Behavior | None = None


class GoogleSearch(_Wire):
    """The server-side Google Search tool."""

    exclude_domains: list[str] | None = None
    time_range_filter: dict[str, Any] | None = None


class CodeExecution(_Wire):
    """The server-side code-execution tool."""


class UrlContext(_Wire):
    """The server-side URL-context tool."""


class GoogleMaps(_Wire):
    """The server-side Google Maps tool."""

    enable_widget: bool | None = None


class Tool(_Wire):
    """A tool the model may use; the rarer kinds stay free-form JSON."""

    function_declarations: list[FunctionDeclaration] | None = None
    google_search: GoogleSearch | None = None
    code_execution: CodeExecution | None = None
    url_context: UrlContext | None = None
    google_maps: GoogleMaps | None = None
    google_search_retrieval: dict[str, Any] | None = None
    file_search: dict[str, Any] | None = None
    computer_use: dict[str, Any] | None = None
    mcp_servers: list[dict[str, Any]] | None = None
    retrieval: dict[str, Any] | None = None
    enterprise_web_search: dict[str, Any] | None = None
    parallel_ai_search: dict[str, Any] | None = None
    exa_ai_search: dict[str, Any] | None = None


class SessionResumptionConfig(_Wire):
    """Opt in to resumption (``{}``) or resume with ``handle``; ``transparent`` is Vertex-only."""

    handle: str | None = None
    transparent: bool | None = None


class SlidingWindow(_Wire):
    """Compression that keeps a suffix of the context, cut at a user turn."""

    target_tokens: Int64 | None = None


class ContextWindowCompressionConfig(_Wire):
    """Compress the context once it grows past ``trigger_tokens``."""

    trigger_tokens: Int64 | None = None
    sliding_window: SlidingWindow | None = None


class LanguageHints(_Wire):
    """Deprecated transcription language hints."""

    language_codes: list[str] | None = None


class LanguageAuto(_Wire):
    """An empty message: detect the language automatically (deprecated; the wire form is ``{}``)."""


class AudioTranscriptionConfig(_Wire):
    """Transcription settings; ``{}`` switches transcription on with defaults."""

    language_codes: list[str] | None = None
    custom_vocabulary: list[str] | None = None
    word_timestamp: bool | None = None
    diarization: bool | None = None
    mode: TranscriptionMode | None = None
    source_text: str | None = None
    language_auto: LanguageAuto | None = None
    language_hints: LanguageHints | None = None
    adaptation_phrases: list[str] | None = None


class AutomaticActivityDetection(_Wire):
    """Server-side voice activity detection; ``disabled=True`` means manual activity signals."""

    disabled: bool | None = None
    start_of_speech_sensitivity: StartSensitivity | None = None
    end_of_speech_sensitivity: EndSensitivity | None = None
    prefix_padding_ms: int | None = None
    silence_duration_ms: int | None = None


class RealtimeInputConfig(_Wire):
    """How realtime input is turned into user turns."""

    automatic_activity_detection: AutomaticActivityDetection | None = None
    activity_handling: ActivityHandling | None = None
    turn_coverage: TurnCoverage | None = None
    interim_transcript_timestamp_enabled: bool | None = None


class ProactivityConfig(_Wire):
    """Let the model decide on its own whether to answer (audio) or comment (video)."""

    proactive_audio: bool | None = None
    proactive_video: bool | None = None


class HistoryConfig(_Wire):
    """With ``initial_history_in_client_content`` the first clientContent seeds history."""

    initial_history_in_client_content: bool | None = None


class CustomizedAvatar(_Wire):
    """A custom avatar image (9:16, at least 704x1280)."""

    image_mime_type: str | None = None
    image_data: bytes | None = None


class AvatarConfig(_Wire):
    """Avatar (video output) settings."""

    avatar_name: str | None = None
    customized_avatar: CustomizedAvatar | None = None
    audio_bitrate_bps: int | None = None
    video_bitrate_bps: int | None = None


class SafetySetting(_Wire):
    """A harm category and its block threshold (open enums, kept as strings)."""

    category: str | None = None
    threshold: str | None = None
    method: str | None = None


class SetupConfig(_Wire):
    """The ``setup`` message: the first client message, sent once per connection."""

    model: str
    generation_config: GenerationConfig | None = None
    system_instruction: Content | None = None
    tools: list[Tool] | None = None
    session_resumption: SessionResumptionConfig | None = None
    context_window_compression: ContextWindowCompressionConfig | None = None
    input_audio_transcription: AudioTranscriptionConfig | None = None
    output_audio_transcription: AudioTranscriptionConfig | None = None
    realtime_input_config: RealtimeInputConfig | None = None
    proactivity: ProactivityConfig | None = None
    explicit_vad_signal: bool | None = None
    history_config: HistoryConfig | None = None
    avatar_config: AvatarConfig | None = None
    safety_settings: list[SafetySetting] | None = None
    labels: dict[str, str] | None = None


# ---------------------------------------------------------------------------------------------
# Other client messages


class ClientContent(_Wire):
    """Ordered turns appended to the history; ``turn_complete=True`` starts generation."""

    turns: list[Content] | None = None
    turn_complete: bool | None = None


class ActivityStart(_Wire):
    """Manual activity detection: the user starts speaking."""


class ActivityEnd(_Wire):
    """Manual activity detection: the user stopped speaking."""


class RealtimeInput(_Wire):
    """Streaming input; normally one field per message."""

    audio: Blob | None = None
    video: Blob | None = None
    text: str | None = None
    activity_start: ActivityStart | None = None
    activity_end: ActivityEnd | None = None
    audio_stream_end: bool | None = None
    media_chunks: list[Blob] | None = None


class ToolResponse(_Wire):
    """Results of function calls."""

    function_responses: list[FunctionResponse] | None = None


class ContextUpdateTools(_Wire):
    """Replacement tool list; an empty list clears every tool."""

    tools: list[Tool]


class ContextUpdate(_Wire):
    """Change the system instruction or tools mid-session; unset fields stay as they are."""

    system_instruction: Content | None = None
    tools: ContextUpdateTools | None = None


class ClientMessage(_Wire):
    """The client envelope: exactly one field is set (checked by the codec)."""

    setup: SetupConfig | None = None
    client_content: ClientContent | None = None
    realtime_input: RealtimeInput | None = None
    tool_response: ToolResponse | None = None
    context_update: ContextUpdate | None = None


# ---------------------------------------------------------------------------------------------
# Server messages


class SetupComplete(_Wire):
    """The setup was accepted; Vertex adds a session id."""

    session_id: str | None = None
    voice_consent_signature: VoiceConsentSignature | None = None


class WordInfo(_Wire):
    """One word of a transcription with its offsets (durations such as "1.5s")."""

    word: str | None = None
    start_offset: str | None = None
    end_offset: str | None = None


class Transcription(_Wire):
    """An incremental transcript fragment of user input or model output."""

    text: str | None = None
    finished: bool | None = None
    language_code: str | None = None
    speaker_label: str | None = None
    words: list[WordInfo] | None = None
    start_offset: str | None = None
    end_offset: str | None = None


class ServerContent(_Wire):
    """Model output and turn state."""

    model_turn: Content | None = None
    turn_complete: bool | None = None
    interrupted: bool | None = None
    generation_complete: bool | None = None
    grounding_metadata: dict[str, Any] | None = None
    url_context_metadata: dict[str, Any] | None = None
    input_transcription: Transcription | None = None
    output_transcription: Transcription | None = None
    interim_input_transcription: Transcription | None = None
    turn_complete_reason: str | None = None
    waiting_for_input: bool | None = None
    interaction_status: str | None = None


class ToolCall(_Wire):
    """Functions the client should run now."""

    function_calls: list[FunctionCall] | None = None


class ToolCallCancellation(_Wire):
    """Calls that should be treated as never executed (after an interruption)."""

    ids: list[str] | None = None


class GoAway(_Wire):
    """The server will cut this connection after ``time_left`` (a duration such as "50s")."""

    time_left: str | None = None


class SessionResumptionUpdate(_Wire):
    """A new resumption handle; empty while the session is not resumable."""

    new_handle: str | None = None
    resumable: bool | None = None
    last_consumed_client_message_index: Int64 | None = None


class ModalityTokenCount(_Wire):
    """Tokens of one modality (modality is an open enum, kept as a string)."""

    modality: str | None = None
    token_count: int | None = None


class UsageMetadata(_Wire):
    """Token accounting, with the Developer API's names.

    Vertex writes ``candidatesTokenCount``/``candidatesTokensDetails`` where the Developer API
    writes ``responseTokenCount``/``responseTokensDetails``; decoding folds the Vertex fields
    into the ``response_*`` ones, so ``candidates_*`` are always None after decoding.
    """

    prompt_token_count: int | None = None
    cached_content_token_count: int | None = None
    response_token_count: int | None = None
    tool_use_prompt_token_count: int | None = None
    thoughts_token_count: int | None = None
    total_token_count: int | None = None
    prompt_tokens_details: list[ModalityTokenCount] | None = None
    cache_tokens_details: list[ModalityTokenCount] | None = None
    response_tokens_details: list[ModalityTokenCount] | None = None
    tool_use_prompt_tokens_details: list[ModalityTokenCount] | None = None
    service_tier: str | None = None
    traffic_type: str | None = None
    candidates_token_count: int | None = None
    candidates_tokens_details: list[ModalityTokenCount] | None = None

    def __post_init__(self) -> None:
        # Normalise the Vertex names once, at decode time, so nothing downstream needs to
        # know which backend it talks to.
        if self.candidates_token_count is not None:
            if self.response_token_count is None:
                self.response_token_count = self.candidates_token_count
            self.candidates_token_count = None
        if self.candidates_tokens_details is not None:
            if self.response_tokens_details is None:
                self.response_tokens_details = self.candidates_tokens_details
            self.candidates_tokens_details = None


class VoiceActivity(_Wire):
    """Server voice activity: ``type`` is ACTIVITY_START or ACTIVITY_END (open enum)."""

    type: str | None = None
    audio_offset: str | None = None


class VadSignal(_Wire):
    """The allowlisted ``voiceActivityDetectionSignal``: VAD_SIGNAL_TYPE_SOS / _EOS."""

    vad_signal_type: str | None = None


class ServerMessage(_Wire):
    """The server envelope; several fields may be set at once (e.g. content plus usage)."""

    setup_complete: SetupComplete | None = None
    server_content: ServerContent | None = None
    tool_call: ToolCall | None = None
    tool_call_cancellation: ToolCallCancellation | None = None
    go_away: GoAway | None = None
    session_resumption_update: SessionResumptionUpdate | None = None
    usage_metadata: UsageMetadata | None = None
    voice_activity: VoiceActivity | None = None
    voice_activity_detection_signal: VadSignal | None = None
