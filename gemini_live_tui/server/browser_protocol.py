"""The browser side of the proxy: validate what a browser sends, shape what it receives.

Sans-I/O like ``protocol/``: plain functions from frames to typed commands and from Live
events to frames, so they are tested without sockets.

Browser to proxy:

* the first message is the setup object, ``{"setup": {...}}`` (or the bare object), with
  keys in snake_case or camelCase: ``generation_config`` (``response_modalities``,
  ``speech_config.voice_config.prebuilt_voice_config.voice_name``, ``language_code``,
  sampling numbers), ``voice`` (shortcut for the voice name), ``system_instruction`` (a
  string or ``{"parts": [{"text": ...}]}``), ``tools`` (``{"function_declarations": [...]}``
  or a list of those), ``input_audio_transcription`` / ``output_audio_transcription``
  (true or ``{}``).  The model is the server's choice, never the browser's.
* then binary frames of 16 kHz 16-bit mono PCM, and JSON ``{"type": "text", "text": ...}``,
  ``{"type": "image", "data": <base64>, "mime_type": "image/jpeg"}``,
  ``{"type": "tool_response", "function_responses": [{"id", "name", "response"}]}``,
  ``{"type": "audio_stream_end"}``.

Proxy to browser: binary frames of 24 kHz 16-bit mono PCM, and camelCase JSON shaped like
the Live API's own messages (``serverContent``, ``toolCall``, ...) plus ``goAway`` for the
proxy's own session time limit and ``error`` before a closing frame.

Anything wrong raises :class:`BrowserProtocolError` with one line naming the field and
the reason, and the close code the bridge should use.
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import math
import re
from collections.abc import Mapping
from typing import Any

import msgspec

from gemini_live_tui.errors import ProtocolError

__all__ = [
    "CLOSE_INVALID_DATA",
    "CLOSE_NORMAL",
    "CLOSE_POLICY",
    "CLOSE_TOO_BIG",
    "CLOSE_TRY_AGAIN_LATER",
    "CLOSE_UPSTREAM_ERROR",
    "AudioChunk",
    "AudioStreamEnd",
    "BrowserCommand",
    "BrowserProtocolError",
    "BrowserSetup",
    "FunctionDeclarationSpec",
    "ImageFrame",
    "TextMessage",
    "ToolResponse",
    "ToolResult",
    "encode_json",
    "error_message",
    "parse_command",
    "parse_setup",
    "time_limit_warning",
]

CLOSE_NORMAL = 1000
CLOSE_INVALID_DATA = 1007
CLOSE_POLICY = 1008
CLOSE_TOO_BIG = 1009
CLOSE_UPSTREAM_ERROR = 1011
CLOSE_TRY_AGAIN_LATER = 1013

MAX_TEXT_CHARS = 32_000
MAX_TOOLS = 128
_VOICE_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_-]{0,63}$")
_FUNCTION_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_.:-]{0,63}$")
_MODALITIES = frozenset({"AUDIO", "TEXT"})
_IMAGE_TYPES = {"image/jpeg": b"\xff\xd8\xff", "image/png": b"\x89PNG\r\n\x1a\n"}


class BrowserProtocolError(ProtocolError):
    """A browser message the proxy refuses.

    Args:
        message: one line naming the field and the reason; safe to show to the browser.
        close_code: the WebSocket close code to end the connection with.
    """

    def __init__(self, message: str, *, close_code: int = CLOSE_INVALID_DATA) -> None:
        super().__init__(message)
        self.close_code = close_code


@dataclasses.dataclass(frozen=True, slots=True)
class FunctionDeclarationSpec:
    """A function the browser offers to the model."""

    name: str
    description: str = ""
    parameters: dict[str, Any] | None = None


@dataclasses.dataclass(frozen=True, slots=True)
class BrowserSetup:
    """The validated first message of a browser connection."""

    response_modalities: tuple[str, ...] = ("AUDIO",)
    voice_name: str | None = None
    language_code: str | None = None
    temperature: float | None = None
    top_p: float | None = None
    top_k: int | None = None
    max_output_tokens: int | None = None
    seed: int | None = None
    system_instruction: str | None = None
    function_declarations: tuple[FunctionDeclarationSpec, ...] = ()
    input_transcription: bool = False
    output_transcription: bool = False


@dataclasses.dataclass(frozen=True, slots=True)
class AudioChunk:
    """16 kHz 16-bit mono PCM from the microphone."""

    data: bytes


@dataclasses.dataclass(frozen=True, slots=True)
class TextMessage:
    """A typed user message."""

    text: str


@dataclasses.dataclass(frozen=True, slots=True)
class ImageFrame:
    """One camera or screen frame."""

    data: bytes
    mime_type: str


@dataclasses.dataclass(frozen=True, slots=True)
class ToolResult:
    """The browser's answer to one function call."""

    id: str
    name: str
    response: dict[str, Any]


@dataclasses.dataclass(frozen=True, slots=True)
class ToolResponse:
    """Answers to one or more function calls."""

    results: tuple[ToolResult, ...]


@dataclasses.dataclass(frozen=True, slots=True)
class AudioStreamEnd:
    """The microphone was switched off."""


BrowserCommand = AudioChunk | TextMessage | ImageFrame | ToolResponse | AudioStreamEnd

_CAMEL = re.compile(r"(?<=[a-z0-9])([A-Z])")
_json_decoder = msgspec.json.Decoder()
_json_encoder = msgspec.json.Encoder()


def _snake(key: str) -> str:
    return _CAMEL.sub(r"_\1", key).lower()


def _object(value: object, where: str, allowed: frozenset[str]) -> dict[str, Any]:
    """``value`` as a dict with snake_case keys, refusing unknown or doubled keys."""
    if not isinstance(value, dict):
        raise BrowserProtocolError(f"{where}: expected an object, got {_kind(value)}")
    result: dict[str, Any] = {}
    for key, item in value.items():
        name = _snake(key)
        if name not in allowed:
            known = ", ".join(sorted(allowed))
            raise BrowserProtocolError(f"{where}: unknown field {key!r} (known: {known})")
        if name in result:
            raise BrowserProtocolError(f"{where}: field {name!r} given twice (snake and camel)")
        result[name] = item
    return result


def _kind(value: object) -> str:
    if value is None:
        return "null"
    return {
        bool: "a boolean",
        int: "a number",
        float: "a number",
        str: "a string",
        list: "a list",
        dict: "an object",
    }.get(type(value), type(value).__name__)


def _string(value: object, where: str, *, limit: int = MAX_TEXT_CHARS) -> str:
    if not isinstance(value, str):
        raise BrowserProtocolError(f"{where}: expected a string, got {_kind(value)}")
    if len(value) > limit:
        raise BrowserProtocolError(f"{where}: longer than {limit} characters")
    return value


def _number(value: object, where: str, low: float, high: float) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise BrowserProtocolError(f"{where}: expected a number, got {_kind(value)}")
    if not (math.isfinite(value) and low <= value <= high):
        raise BrowserProtocolError(f"{where}: {value} is outside {low}..{high}")
    return float(value)


def _integer(value: object, where: str, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise BrowserProtocolError(f"{where}: expected a whole number, got {_kind(value)}")
    if not low <= value <= high:
        raise BrowserProtocolError(f"{where}: {value} is outside {low}..{high}")
    return value


def _switch(value: object, where: str) -> bool:
    """Transcription switches: true/false, or an (empty) config object meaning on."""
    if isinstance(value, bool):
        return value
    if isinstance(value, dict):
        _object(value, where, frozenset())
        return True
    raise BrowserProtocolError(f"{where}: expected true, false or {{}}, got {_kind(value)}")


def _parse_json(frame: str | bytes, where: str) -> Any:
    try:
        return _json_decoder.decode(frame)
    except msgspec.DecodeError:
        raise BrowserProtocolError(f"{where}: not valid JSON") from None


_SETUP_FIELDS = frozenset(
    {
        "generation_config",
        "voice",
        "system_instruction",
        "tools",
        "input_audio_transcription",
        "output_audio_transcription",
    }
)
_GENERATION_FIELDS = frozenset(
    {
        "response_modalities",
        "speech_config",
        "temperature",
        "top_p",
        "top_k",
        "max_output_tokens",
        "seed",
    }
)


def parse_setup(frame: str | bytes) -> BrowserSetup:
    """Validate the browser's first message.

    Raises:
        BrowserProtocolError: the message is not a valid setup object.
    """
    if isinstance(frame, bytes):
        raise BrowserProtocolError(
            "setup: the first message must be the JSON setup object, got a binary frame"
        )
    message = _parse_json(frame, "setup")
    if not isinstance(message, dict):
        raise BrowserProtocolError(f"setup: expected a JSON object, got {_kind(message)}")
    if "setup" in message and len(message) > 1:
        extra = ", ".join(sorted(repr(k) for k in message if k != "setup"))
        raise BrowserProtocolError(f"setup: unexpected field {extra} next to 'setup'")
    body = message.get("setup", message)
    setup = _object(body, "setup", _SETUP_FIELDS)
    values: dict[str, Any] = {}

    generation = _object(
        setup.get("generation_config", {}), "setup.generation_config", _GENERATION_FIELDS
    )
    if "response_modalities" in generation:
        values["response_modalities"] = _modalities(generation["response_modalities"])
    for name, low, high in (("temperature", 0.0, 2.0), ("top_p", 0.0, 1.0)):
        if generation.get(name) is not None:
            values[name] = _number(generation[name], f"setup.generation_config.{name}", low, high)
    for name, ilow, ihigh in (
        ("top_k", 1, 1000),
        ("max_output_tokens", 1, 1_000_000),
        ("seed", -(2**31), 2**31 - 1),
    ):
        if generation.get(name) is not None:
            values[name] = _integer(
                generation[name], f"setup.generation_config.{name}", ilow, ihigh
            )
    if "speech_config" in generation:
        voice, language = _speech_config(generation["speech_config"])
        if voice is not None:
            values["voice_name"] = voice
        if language is not None:
            values["language_code"] = language
    if setup.get("voice") is not None:
        values["voice_name"] = _voice(setup["voice"], "setup.voice")
    if setup.get("system_instruction") is not None:
        values["system_instruction"] = _instruction(setup["system_instruction"])
    if setup.get("tools") is not None:
        values["function_declarations"] = _tools(setup["tools"])
    for name, field in (
        ("input_audio_transcription", "input_transcription"),
        ("output_audio_transcription", "output_transcription"),
    ):
        if name in setup:
            values[field] = _switch(setup[name], f"setup.{name}")
    return BrowserSetup(**values)


def _modalities(value: object) -> tuple[str, ...]:
    where = "setup.generation_config.response_modalities"
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or len(value) != 1:
        raise BrowserProtocolError(f'{where}: expected one of ["AUDIO"] or ["TEXT"]')
    modality = _string(value[0], where, limit=16).upper()
    if modality not in _MODALITIES:
        raise BrowserProtocolError(f"{where}: {value[0]!r} is not AUDIO or TEXT")
    return (modality,)


def _voice(value: object, where: str) -> str:
    name = _string(value, where, limit=64)
    if not _VOICE_NAME.match(name):
        raise BrowserProtocolError(f"{where}: {name!r} is not a voice name")
    return name


def _speech_config(value: object) -> tuple[str | None, str | None]:
    where = "setup.generation_config.speech_config"
    speech = _object(value, where, frozenset({"voice_config", "language_code"}))
    language = None
    if speech.get("language_code") is not None:
        language = _string(speech["language_code"], f"{where}.language_code", limit=35)
    voice = None
    if speech.get("voice_config") is not None:
        config = _object(
            speech["voice_config"], f"{where}.voice_config", frozenset({"prebuilt_voice_config"})
        )
        if config.get("prebuilt_voice_config") is not None:
            prebuilt = _object(
                config["prebuilt_voice_config"],
                f"{where}.voice_config.prebuilt_voice_config",
                frozenset({"voice_name"}),
            )
            if prebuilt.get("voice_name") is not None:
                voice = _voice(
                    prebuilt["voice_name"],
                    f"{where}.voice_config.prebuilt_voice_config.voice_name",
                )
    return voice, language


def _instruction(value: object) -> str:
    where = "setup.system_instruction"
    if isinstance(value, str):
        return _string(value, where)
    content = _object(value, where, frozenset({"parts", "role"}))
    parts = content.get("parts")
    if not isinstance(parts, list) or not parts:
        raise BrowserProtocolError(f"{where}.parts: expected a non-empty list of text parts")
    texts = []
    for index, part in enumerate(parts):
        fields = _object(part, f"{where}.parts[{index}]", frozenset({"text"}))
        texts.append(_string(fields.get("text"), f"{where}.parts[{index}].text"))
    text = "\n".join(texts)
    if len(text) > MAX_TEXT_CHARS:
        raise BrowserProtocolError(f"{where}: longer than {MAX_TEXT_CHARS} characters")
    return text


def _tools(value: object) -> tuple[FunctionDeclarationSpec, ...]:
    where = "setup.tools"
    groups = value if isinstance(value, list) else [value]
    declarations: list[FunctionDeclarationSpec] = []
    for group_index, group in enumerate(groups):
        group_where = f"{where}[{group_index}]" if isinstance(value, list) else where
        tool = _object(group, group_where, frozenset({"function_declarations"}))
        items = tool.get("function_declarations", [])
        if not isinstance(items, list):
            raise BrowserProtocolError(f"{group_where}.function_declarations: expected a list")
        for index, item in enumerate(items):
            declarations.append(_declaration(item, f"{group_where}.function_declarations[{index}]"))
    if len(declarations) > MAX_TOOLS:
        raise BrowserProtocolError(f"{where}: more than {MAX_TOOLS} functions")
    names = [d.name for d in declarations]
    if len(set(names)) != len(names):
        raise BrowserProtocolError(f"{where}: two functions share a name")
    return tuple(declarations)


def _declaration(value: object, where: str) -> FunctionDeclarationSpec:
    fields = _object(value, where, frozenset({"name", "description", "parameters"}))
    name = _string(fields.get("name"), f"{where}.name", limit=64)
    if not _FUNCTION_NAME.match(name):
        raise BrowserProtocolError(f"{where}.name: {name!r} is not a valid function name")
    description = ""
    if fields.get("description") is not None:
        description = _string(fields["description"], f"{where}.description", limit=4000)
    parameters = fields.get("parameters")
    if parameters is not None and not isinstance(parameters, dict):
        raise BrowserProtocolError(f"{where}.parameters: expected a JSON schema object")
    # The schema's own keys (property names) belong to the page and are passed as given.
    return FunctionDeclarationSpec(name=name, description=description, parameters=parameters)


_COMMAND_FIELDS = {
    "text": frozenset({"type", "text"}),
    "image": frozenset({"type", "data", "mime_type"}),
    "tool_response": frozenset({"type", "function_responses"}),
    "audio_stream_end": frozenset({"type"}),
}


def parse_command(frame: str | bytes, *, max_audio_bytes: int) -> BrowserCommand:
    """Turn one browser frame after the setup into a command.

    Raises:
        BrowserProtocolError: the frame is malformed, of an unknown type, or too big.
    """
    if isinstance(frame, bytes):
        if len(frame) > max_audio_bytes:
            raise BrowserProtocolError(
                f"audio frame: {len(frame)} bytes is over the {max_audio_bytes}-byte limit",
                close_code=CLOSE_TOO_BIG,
            )
        if len(frame) % 2:
            raise BrowserProtocolError("audio frame: odd byte count; expected 16-bit PCM")
        return AudioChunk(frame)
    message = _parse_json(frame, "message")
    if not isinstance(message, dict):
        raise BrowserProtocolError(f"message: expected a JSON object, got {_kind(message)}")
    kind = message.get("type")
    if not isinstance(kind, str) or _snake(kind) not in _COMMAND_FIELDS:
        raise BrowserProtocolError(
            f"message.type: {kind!r} is not text, image, tool_response or audio_stream_end"
        )
    kind = _snake(kind)
    fields = _object(message, f"{kind} message", _COMMAND_FIELDS[kind])
    if kind == "text":
        text = _string(fields.get("text"), "text message.text")
        if not text.strip():
            raise BrowserProtocolError("text message.text: empty")
        return TextMessage(text)
    if kind == "image":
        return _image(fields)
    if kind == "tool_response":
        return _tool_response(fields.get("function_responses"))
    return AudioStreamEnd()


def _image(fields: Mapping[str, Any]) -> ImageFrame:
    mime_type = "image/jpeg"
    if fields.get("mime_type") is not None:
        mime_type = _string(fields["mime_type"], "image message.mime_type", limit=32).lower()
    if mime_type not in _IMAGE_TYPES:
        raise BrowserProtocolError(f"image message.mime_type: {mime_type!r} is not JPEG or PNG")
    encoded = _string(fields.get("data"), "image message.data", limit=1 << 30)
    if encoded.startswith("data:") and "," in encoded:
        encoded = encoded.split(",", 1)[1]  # a canvas data URL: keep the payload only
    try:
        # Either base64 alphabet: translate URL-safe characters to the standard ones.
        data = base64.b64decode(encoded.translate(_URLSAFE), validate=True)
    except (binascii.Error, ValueError):
        raise BrowserProtocolError("image message.data: not valid base64") from None
    if not data.startswith(_IMAGE_TYPES[mime_type]):
        raise BrowserProtocolError(f"image message.data: not a {mime_type} image")
    return ImageFrame(data=data, mime_type=mime_type)


_URLSAFE = str.maketrans("-_", "+/")


def _tool_response(value: object) -> ToolResponse:
    where = "tool_response message.function_responses"
    if not isinstance(value, list) or not value:
        raise BrowserProtocolError(f"{where}: expected a non-empty list")
    results = []
    for index, item in enumerate(value):
        fields = _object(item, f"{where}[{index}]", frozenset({"id", "name", "response"}))
        call_id = _string(fields.get("id"), f"{where}[{index}].id", limit=256)
        name = _string(fields.get("name"), f"{where}[{index}].name", limit=64)
        response = fields.get("response", {})
        if not isinstance(response, dict):
            raise BrowserProtocolError(f"{where}[{index}].response: expected an object")
        results.append(ToolResult(id=call_id, name=name, response=response))
    return ToolResponse(tuple(results))


def encode_json(message: object) -> str:
    """JSON text for a browser frame."""
    return _json_encoder.encode(message).decode("utf-8")


def error_message(message: str, *, code: int) -> str:
    """The ``error`` frame sent just before the proxy closes the connection."""
    return encode_json({"error": {"code": code, "message": message}})


def time_limit_warning(time_left: float) -> str:
    """The ``goAway`` frame announcing the end of the proxy's session time limit."""
    return encode_json(
        {"goAway": {"timeLeft": f"{max(time_left, 0.0):.0f}s", "reason": "session time limit"}}
    )
