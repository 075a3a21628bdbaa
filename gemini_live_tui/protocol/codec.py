"""Encode client messages to JSON frames and decode server frames into typed messages and events.

Sans-I/O: bytes and strings in, bytes, structs and events out; nothing here touches a socket,
a clock or an event loop.

Decoding follows the facts of the live service (see ``docs/protocol.md``):

* frames may be text or binary, compact or pretty-printed UTF-8 JSON;
* unknown fields are ignored, so a newer server never breaks an older client;
* ``bytes`` fields are base64 in the standard alphabet, which msgspec decodes natively on the
  fast path; a frame using the URL-safe alphabet (or missing padding) fails that path and is
  decoded again by a slower, schema-aware pass that repairs only real ``bytes`` fields;
* int64 fields accept a JSON number or a decimal string; durations stay strings ("50s") in
  :mod:`~gemini_live_tui.protocol.types` and become float seconds in events;
* anything that is not a Live API server message raises :class:`DecodeError`, and nothing
  else: no msgspec, Unicode or value errors leak to the caller.

Encoding writes camelCase JSON with unset fields omitted and ``bytes`` as standard base64.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from typing import Any, Final, TypeVar

import msgspec
from msgspec import inspect as mi

from gemini_live_tui.errors import ProtocolError
from gemini_live_tui.protocol import events, types

__all__ = [
    "DecodeError",
    "decode",
    "decode_client",
    "encode",
    "encode_audio",
    "parse_duration",
    "sample_rate_of",
    "to_events",
]

_EXCERPT_CHARS: Final = 80
_DEFAULT_OUTPUT_RATE: Final = 24000

_T = TypeVar("_T")


class DecodeError(ProtocolError):
    """A frame that is not a valid Live API message.

    Attributes:
        reason: what is wrong, in a few words.
        excerpt: the start of the offending frame (at most 80 characters), for logs.
    """

    def __init__(self, reason: str, frame: object = b"") -> None:
        self.reason = reason
        self.excerpt = _excerpt(frame)
        super().__init__(f"undecodable frame: {reason} (frame starts {self.excerpt!r})")


def _excerpt(frame: object) -> str:
    if isinstance(frame, bytes | bytearray | memoryview):
        text = bytes(frame[: _EXCERPT_CHARS * 4]).decode("utf-8", "replace")
    elif isinstance(frame, str):
        text = frame[: _EXCERPT_CHARS * 4]
    else:
        text = f"<{type(frame).__name__}>"
    # Pretty-printed frames start with newlines and indents; squeeze them so the excerpt
    # shows content rather than whitespace.
    text = " ".join(text.split())
    if len(text) > _EXCERPT_CHARS:
        text = text[: _EXCERPT_CHARS - 3] + "..."
    return text


# ---------------------------------------------------------------------------------------------
# int64 fields (JSON number or decimal string)


def _dec_hook(tp: type, obj: Any) -> Any:
    if tp is types.Int64:
        # bool is an int subclass; a JSON true must not become 1.
        value: int | None = None
        if type(obj) is int:
            value = obj
        elif (type(obj) is str and _INT_RE.fullmatch(obj)) or (
            type(obj) is float and obj.is_integer()
        ):
            value = int(obj)
        if value is not None and _INT64_MIN <= value <= _UINT64_MAX:
            return types.Int64(value)
        raise ValueError(f"expected an int64 (number or decimal string), got {obj!r:.40}")
    raise NotImplementedError(f"no decoder for {tp!r}")


def _enc_hook(obj: Any) -> Any:
    if isinstance(obj, int):  # types.Int64 at run time
        return int(obj)
    raise NotImplementedError(f"cannot encode objects of type {type(obj).__name__}")


_INT_RE: Final = re.compile(r"-?[0-9]{1,20}")
# proto3 JSON int64 and uint64 fields share this type; accept the union of both ranges.
_INT64_MIN: Final = -(2**63)
_UINT64_MAX: Final = 2**64 - 1

_encoder: Final = msgspec.json.Encoder(enc_hook=_enc_hook)

_fast_b64encode: Callable[[bytes], bytes] | None
try:  # optional accelerator: a pure computation, so the layer stays sans-I/O
    from pybase64 import b64encode as _fast_b64encode
except ImportError:  # pragma: no cover - the base install carries it where wheels exist
    _fast_b64encode = None
_server_decoder: Final = msgspec.json.Decoder(types.ServerMessage, dec_hook=_dec_hook)
_generic_decoder: Final = msgspec.json.Decoder()


# ---------------------------------------------------------------------------------------------
# Encoding

_ENVELOPE: Final[dict[type, bytes]] = {
    types.SetupConfig: b'{"setup":',
    types.ClientContent: b'{"clientContent":',
    types.RealtimeInput: b'{"realtimeInput":',
    types.ToolResponse: b'{"toolResponse":',
    types.ContextUpdate: b'{"contextUpdate":',
}

_CLIENT_FIELDS: Final = tuple(f.name for f in msgspec.structs.fields(types.ClientMessage))


def encode(message: msgspec.Struct) -> bytes:
    """Encode one client message as a JSON frame (UTF-8 bytes; send it as a text frame).

    Args:
        message: a :class:`~types.ClientMessage` with exactly one field set, or one payload
            (``SetupConfig``, ``ClientContent``, ``RealtimeInput``, ``ToolResponse``,
            ``ContextUpdate``), which is wrapped in its envelope key.

    Raises:
        ProtocolError: the message is not a client message, has not exactly one field set,
            or holds values JSON cannot carry.
    """
    prefix = _ENVELOPE.get(type(message))
    try:
        if prefix is not None:
            # Wrapping by concatenation avoids building a ClientMessage per audio chunk.
            return prefix + _encoder.encode(message) + b"}"
        if isinstance(message, types.ClientMessage):
            _check_one_field(message)
            return _encoder.encode(message)
    except (msgspec.EncodeError, TypeError, ValueError, NotImplementedError) as exc:
        raise ProtocolError(f"cannot encode {type(message).__name__}: {exc}") from exc
    raise ProtocolError(f"cannot encode {type(message).__name__}: not a Live API client message")


def _check_one_field(message: types.ClientMessage) -> None:
    set_fields = [name for name in _CLIENT_FIELDS if getattr(message, name) is not None]
    if len(set_fields) != 1:
        found = ", ".join(set_fields) or "none"
        raise ProtocolError(f"a client message needs exactly one field set, found: {found}")


@functools.lru_cache(maxsize=16)
def _audio_prefix(sample_rate: int, mime_type: str | None) -> bytes:
    mime = mime_type if mime_type is not None else f"audio/pcm;rate={sample_rate}"
    return b'{"realtimeInput":{"audio":{"mimeType":' + _encoder.encode(mime) + b',"data":'


def encode_audio(pcm: bytes, sample_rate: int = 16000, *, mime_type: str | None = None) -> bytes:
    """Encode a ``realtimeInput.audio`` frame without building structs (the hot send path).

    Args:
        pcm: 16-bit little-endian mono PCM (or data of ``mime_type``).
        sample_rate: rate written into the default mime type ``audio/pcm;rate=N``.
        mime_type: overrides the mime type (e.g. ``audio/pcm`` or ``audio/ogg``).

    The result is byte-identical to
    ``encode(RealtimeInput(audio=Blob(mime_type="audio/pcm;rate=N", data=pcm)))``.
    """
    if sample_rate <= 0:
        raise ProtocolError(f"cannot encode audio: sample rate {sample_rate} is not positive")
    if _fast_b64encode is not None:
        # pybase64's SIMD encoder is ~8x faster than msgspec's on 100 ms chunks.
        return b"".join(
            (_audio_prefix(sample_rate, mime_type), b'"', _fast_b64encode(pcm), b'"}}}')
        )
    # msgspec writes bytes as a quoted standard-base64 string, a little faster than binascii.
    return b"".join((_audio_prefix(sample_rate, mime_type), _encoder.encode(pcm), b"}}}"))


# ---------------------------------------------------------------------------------------------
# Decoding


def decode(frame: bytes | bytearray | memoryview | str) -> types.ServerMessage:
    """Decode one server frame (text or binary) into a :class:`~types.ServerMessage`.

    Raises:
        DecodeError: the frame is not UTF-8 JSON, not an object, has fields of the wrong
            type, or has none of the server message keys (for example an ``{"error": ...}``
            object). Nothing else is raised.
    """
    try:
        message = _server_decoder.decode(frame)
    except msgspec.ValidationError as exc:
        if "base64" not in str(exc):
            raise DecodeError(_reason(exc), frame) from None
        message = _decode_repaired(frame, types.ServerMessage, allow_snake=False)
    except (msgspec.MsgspecError, ValueError, TypeError, RecursionError) as exc:
        raise DecodeError(_reason(exc), frame) from None
    if (
        message.server_content is None
        and message.usage_metadata is None
        and message.setup_complete is None
        and message.tool_call is None
        and message.tool_call_cancellation is None
        and message.go_away is None
        and message.session_resumption_update is None
        and message.voice_activity is None
        and message.voice_activity_detection_signal is None
    ):
        raise DecodeError("no Live API server message key in the object", frame)
    return message


def decode_client(frame: bytes | bytearray | memoryview | str) -> types.ClientMessage:
    """Decode a client frame, as the service does (for the local server and tests).

    Accepts what real clients send: camelCase or snake_case keys at any level (the Python SDK
    mixes them), and base64 in either alphabet. Exactly one top-level field must be set.

    Raises:
        DecodeError: the frame is not a valid client message.
    """
    message = _decode_repaired(frame, types.ClientMessage, allow_snake=True)
    set_fields = [name for name in _CLIENT_FIELDS if getattr(message, name) is not None]
    if len(set_fields) != 1:
        found = ", ".join(set_fields) or "none"
        raise DecodeError(f"a client message needs exactly one field set, found: {found}", frame)
    return message


def _reason(exc: BaseException) -> str:
    if isinstance(exc, RecursionError):
        return "JSON nested too deeply"
    text = str(exc) or type(exc).__name__
    return text[:200]


def _decode_repaired(
    frame: bytes | bytearray | memoryview | str, target: type[_T], *, allow_snake: bool
) -> _T:
    """Slow path: decode to plain JSON values, repair them along the schema, then convert.

    The repair renames snake_case keys to the wire names (when ``allow_snake``) and turns
    URL-safe or unpadded base64 in ``bytes`` fields into the standard form, touching only
    fields whose declared type is ``bytes``; free-form JSON (function args, schemas) is left
    exactly as sent.
    """
    try:
        raw = _generic_decoder.decode(frame)
        repaired = _repair(raw, _type_info(target), allow_snake)
        return msgspec.convert(repaired, target, dec_hook=_dec_hook)
    except (msgspec.MsgspecError, ValueError, TypeError, RecursionError) as exc:
        raise DecodeError(_reason(exc), frame) from None


_TYPE_INFO: Final[dict[object, mi.Type]] = {}


def _type_info(target: object) -> mi.Type:
    # A memo of schema walks: only our own struct types are ever looked up here.
    info = _TYPE_INFO.get(target)
    if info is None:
        info = _TYPE_INFO[target] = mi.type_info(target)
    return info


@functools.cache
def _field_table(struct: type, allow_snake: bool) -> dict[str, tuple[str, mi.Type]]:
    """Key -> (wire name, field type); snake_case keys too when ``allow_snake``."""
    info = _type_info(struct)
    assert isinstance(info, mi.StructType)
    table: dict[str, tuple[str, mi.Type]] = {}
    for field in info.fields:
        if allow_snake:
            table[field.name] = (field.encode_name, field.type)
        table[field.encode_name] = (field.encode_name, field.type)
    return table


_URLSAFE_TO_STD: Final = str.maketrans("-_", "+/")


def _repair(value: Any, tp: mi.Type, allow_snake: bool) -> Any:
    if isinstance(tp, mi.UnionType):
        for member in tp.types:
            if _fits(value, member):
                return _repair(value, member, allow_snake)
        return value
    if isinstance(tp, mi.StructType) and type(value) is dict:
        table = _field_table(tp.cls, allow_snake)
        out: dict[str, Any] = {}
        for key, item in value.items():
            entry = table.get(key)
            if entry is None:
                continue  # unknown: ignored, as on the fast path
            wire_name, field_type = entry
            out[wire_name] = _repair(item, field_type, allow_snake)
        return out
    if isinstance(tp, mi.ListType) and type(value) is list:
        return [_repair(item, tp.item_type, allow_snake) for item in value]
    if isinstance(tp, mi.BytesType) and type(value) is str:
        std = value.translate(_URLSAFE_TO_STD).strip()
        return std + "=" * (-len(std) % 4)
    return value


def _fits(value: Any, tp: mi.Type) -> bool:
    if isinstance(tp, mi.StructType):
        return type(value) is dict
    if isinstance(tp, mi.ListType):
        return type(value) is list
    if isinstance(tp, mi.BytesType):
        return type(value) is str
    return False


# ---------------------------------------------------------------------------------------------
# Values inside messages

_DURATION_RE: Final = re.compile(r"\s*(-?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+))s?\s*")


def parse_duration(text: str | None) -> float | None:
    """Seconds in a protobuf JSON duration such as ``"50s"`` or ``"1.5s"``; None if invalid."""
    if text is None:
        return None
    match = _DURATION_RE.fullmatch(text)
    if match is None:
        return None
    return float(match.group(1))


@functools.lru_cache(maxsize=32)
def sample_rate_of(mime_type: str | None) -> int:
    """The ``rate=`` parameter of an audio mime type; 24000 (the output rate) if absent.

    Vertex writes plain ``audio/pcm`` for its 24 kHz output, hence the default.
    """
    if mime_type:
        for param in mime_type.split(";")[1:]:
            key, _, value = param.partition("=")
            if key.strip().lower() == "rate":
                value = value.strip()
                if value.isdigit() and 0 < int(value) <= 1_000_000:
                    return int(value)
    return _DEFAULT_OUTPUT_RATE


# ---------------------------------------------------------------------------------------------
# Events

_VOICE_KINDS: Final = {
    "ACTIVITY_START": "start",
    "ACTIVITY_END": "end",
    "VAD_SIGNAL_TYPE_SOS": "start",
    "VAD_SIGNAL_TYPE_EOS": "end",
}


# interactionStatus values under which a turnComplete is not the end of the turn.  Only
# IN_PROGRESS is documented as busy; an unknown status falls back to turnComplete, so a value
# added later cannot leave the client waiting forever.
_STILL_BUSY: Final = frozenset({"IN_PROGRESS"})


def to_events(message: types.ServerMessage) -> list[events.Event]:
    """The events one server message carries, in this order.

    1. ``SetupComplete`` (with ``voiceConsentSignature``)
    2. ``VoiceActivity`` (with ``audioOffset`` in seconds) from ``voiceActivity``, then from
       ``voiceActivityDetectionSignal``
    3. from ``serverContent``:

       a. ``Interrupted`` (first, so playback is flushed before anything new is queued)
       b. ``InterimInputTranscription``, then ``InputTranscription`` (the user's words come
          before the answer to them)
       c. the model turn's parts in order: ``ModelText`` (``thought=True`` for thinking),
          ``ModelAudio`` for ``audio/*`` inline data, ``ModelInlineData`` for other inline
          data, ``OutputTranscription`` for a part's ``audioTranscription``
       d. ``OutputTranscription``
       e. ``Grounding``, then ``UrlContext``
       f. ``GenerationComplete``
       g. ``WaitingForInput``
       h. ``InteractionStatus``
       i. ``TurnComplete`` (with ``turnCompleteReason``).  The SDK's rule: when the message
          has ``interactionStatus``, the turn ends only on ``IDLE`` (``turnComplete`` with
          ``IN_PROGRESS`` is not the end; ``IDLE`` alone is); without it, on ``turnComplete``.
          An unknown status with ``turnComplete`` ends the turn (we never wait forever).

    4. ``ToolCall``
    5. ``ToolCallCancellation``
    6. ``SessionResumptionUpdate`` (with ``lastConsumedClientMessageIndex``)
    7. ``Usage``
    8. ``GoAway`` last, so everything the message carried is handled before reconnecting.

    Nothing here raises.  Not turned into events (still on the message): empty text parts,
    thought signatures, executable code and its results, function calls and tool messages
    inside parts, part metadata, unknown voice activity types, and transcriptions with
    neither text nor ``finished``.  A ``goAway`` without a readable ``timeLeft`` gives
    ``time_left=0.0``: the connection may end at any moment, so leave now.
    """
    out: list[events.Event] = []
    append = out.append
    if message.setup_complete is not None:
        done = message.setup_complete
        signature = done.voice_consent_signature
        append(events.SetupComplete(done.session_id, signature.signature if signature else None))
    if message.voice_activity is not None:
        kind = _VOICE_KINDS.get(message.voice_activity.type or "")
        if kind is not None:
            append(events.VoiceActivity(kind, parse_duration(message.voice_activity.audio_offset)))
    if message.voice_activity_detection_signal is not None:
        kind = _VOICE_KINDS.get(message.voice_activity_detection_signal.vad_signal_type or "")
        if kind is not None:
            append(events.VoiceActivity(kind))
    content = message.server_content
    if content is not None:
        _content_events(content, append)
    if message.tool_call is not None and message.tool_call.function_calls:
        append(events.ToolCall(tuple(message.tool_call.function_calls)))
    if message.tool_call_cancellation is not None and message.tool_call_cancellation.ids:
        append(events.ToolCallCancellation(tuple(message.tool_call_cancellation.ids)))
    update = message.session_resumption_update
    if update is not None:
        index = update.last_consumed_client_message_index
        append(
            events.SessionResumptionUpdate(
                update.new_handle or None,
                bool(update.resumable),
                int(index) if index is not None else None,
            )
        )
    if message.usage_metadata is not None:
        append(events.Usage(message.usage_metadata))
    if message.go_away is not None:
        seconds = parse_duration(message.go_away.time_left)
        append(events.GoAway(max(seconds, 0.0) if seconds is not None else 0.0))
    return out


def _output_transcription(transcript: types.Transcription) -> events.OutputTranscription:
    return events.OutputTranscription(
        transcript.text or "",
        bool(transcript.finished),
        transcript.language_code,
        transcript.speaker_label,
        tuple(transcript.words) if transcript.words else (),
    )


def _content_events(content: types.ServerContent, append: Callable[[events.Event], None]) -> None:
    if content.interrupted:
        append(events.Interrupted())
    transcript = content.interim_input_transcription
    if transcript is not None and transcript.text:
        append(
            events.InterimInputTranscription(
                transcript.text, transcript.language_code, transcript.speaker_label
            )
        )
    transcript = content.input_transcription
    if transcript is not None and (transcript.text or transcript.finished):
        append(
            events.InputTranscription(
                transcript.text or "",
                bool(transcript.finished),
                transcript.language_code,
                transcript.speaker_label,
                tuple(transcript.words) if transcript.words else (),
            )
        )
    turn = content.model_turn
    if turn is not None and turn.parts:
        for part in turn.parts:
            text = part.text
            if text:
                append(events.ModelText(text, bool(part.thought)))
            blob = part.inline_data
            if blob is not None:
                if blob.data:
                    mime = blob.mime_type or ""
                    if mime.startswith("audio/"):
                        append(events.ModelAudio(blob.data, sample_rate_of(mime)))
                    else:
                        append(events.ModelInlineData(mime, blob.data))
            elif text is None:
                # Rare and undocumented in Live; read only on parts with neither text nor
                # data, so the audio path pays nothing for it.
                transcript = part.audio_transcription
                if transcript is not None and (transcript.text or transcript.finished):
                    append(_output_transcription(transcript))
    transcript = content.output_transcription
    if transcript is not None and (transcript.text or transcript.finished):
        if transcript.language_code is None and transcript.speaker_label is None:
            # The common fragment, inline: this path runs for every caption of a reply.
            append(events.OutputTranscription(transcript.text or "", bool(transcript.finished)))
        else:
            append(_output_transcription(transcript))
    if content.grounding_metadata:
        append(events.Grounding(content.grounding_metadata))
    if content.url_context_metadata:
        append(events.UrlContext(content.url_context_metadata))
    if content.generation_complete:
        append(events.GenerationComplete())
    if content.waiting_for_input:
        append(events.WaitingForInput())
    status = content.interaction_status
    if status is None:
        if content.turn_complete:
            append(events.TurnComplete(content.turn_complete_reason))
    else:
        append(events.InteractionStatus(status, bool(content.turn_complete)))
        if status == "IDLE" or (content.turn_complete and status not in _STILL_BUSY):
            append(events.TurnComplete(content.turn_complete_reason))
