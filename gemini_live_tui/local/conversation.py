"""One connection's conversation on the local Live server: input handling and replies.

A :class:`Conversation` receives normalised client messages after ``setup`` and answers
the way the real service does, deterministically:

- text (``realtimeInput.text`` or ``clientContent`` with ``turnComplete``) -> "You said: hi
  (turn 1)", streamed as several text parts (TEXT) or as 24 kHz PCM with output
  transcription (AUDIO);
- audio -> energy VAD (:mod:`.vad`), ``voiceActivity`` start/end, then the input
  transcription "[speech 1.23 s]" and an echo of the utterance at 24 kHz;
- images -> "I see image 640x480, mean colour #ff8800 (turn N)";
- a declared function named in the text -> ``toolCall``, then the result once the
  ``toolResponse`` arrives;
- new user activity during a reply -> ``interrupted`` then ``turnComplete`` (and
  ``toolCallCancellation`` for calls still open).

Every turn ends with ``generationComplete``, ``turnComplete`` + ``usageMetadata`` and, when
the setup asked for it, a ``sessionResumptionUpdate``.  The :class:`SessionState` outlives
the connection so a resumed connection continues the count of turns.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import math
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np

from . import audio
from .images import ReceivedImage, describe
from .rules import ACTIVITY_CONTROL, INVALID_ARGUMENT, Rejection
from .vad import EnergyVad, Samples, VadSettings
from .wire import WireError, b64decode, b64encode, duration

__all__ = ["Conversation", "ConversationHost", "SessionState", "Turn"]

# The rate voice detection and the manual-activity buffer work at (what clients send).
_VAD_RATE = 16_000
# How long an image on an idle line waits for text or more images before it is answered.
IMAGE_QUIET_SECONDS = 0.25

Emit = Callable[[dict[str, Any]], Awaitable[None]]

# Seconds of "speech" a text part stands for when pacing TEXT replies.
_TEXT_PART_SECONDS = 0.08
_WORDS_PER_TEXT_PART = 3
_AUDIO_TOKENS_PER_SECOND = 25  # the published billing rate, both directions
_IMAGE_TOKENS = 258
_call_numbers = itertools.count(1_000_001)


@dataclass
class SessionState:
    """A conversation that can span connections through resumption handles."""

    session_id: int
    turns: int = 0
    transcript: list[str] = field(default_factory=list)


@dataclass
class Turn:
    """What the user contributed to one turn."""

    texts: list[str] = field(default_factory=list)
    images: list[ReceivedImage] = field(default_factory=list)
    speech: Samples | None = None

    def empty(self) -> bool:
        return not self.texts and not self.images and self.speech is None


class ConversationHost(Protocol):
    """What a conversation needs from the server that owns it."""

    def record_image(self, image: ReceivedImage) -> None:
        """Keep an image that arrived, for tests."""

    def record_audio(self, connection_id: int, size: int) -> None:
        """Count PCM bytes that arrived."""

    def new_handle(self, state: SessionState) -> str:
        """Issue a resumption handle for the state as it is now."""

    async def reply_started(self, connection_id: int) -> None:
        """A reply has sent its first chunk (fires NEXT_REPLY faults)."""


class Conversation:
    """Per-connection conversation logic; the server feeds it messages and closes it."""

    def __init__(
        self,
        *,
        connection_id: int,
        setup: dict[str, Any],
        state: SessionState,
        emit: Emit,
        host: ConversationHost,
        vertex: bool = False,
        speed: float = 4.0,
        chunk_ms: int = 100,
    ) -> None:
        self.connection_id = connection_id
        self.setup = setup
        self.state = state
        self._emit = emit
        self._host = host
        self._vertex = vertex
        self._speed = speed
        self._chunk_ms = chunk_ms
        generation = setup.get("generationConfig") or {}
        modalities = [str(m).upper() for m in generation.get("responseModalities") or []]
        # Vertex forces AUDIO when unset (the SDKs do so too); the Developer API defaults to it.
        self.audio_out = modalities != ["TEXT"]
        self._input_transcription = "inputAudioTranscription" in setup
        self._output_transcription = "outputAudioTranscription" in setup
        resumption = setup.get("sessionResumption")
        self._resumption = isinstance(resumption, dict)
        self._transparent = bool(self._resumption and (resumption or {}).get("transparent"))
        realtime = setup.get("realtimeInputConfig") or {}
        detection = realtime.get("automaticActivityDetection") or {}
        self.manual_activity = bool(detection.get("disabled"))
        # Vertex's allow-listed explicitVadSignal: start/end-of-speech signals besides
        # voiceActivity.
        self._explicit_vad_signal = bool(setup.get("explicitVadSignal"))
        self._interrupts = str(realtime.get("activityHandling") or "").upper() != "NO_INTERRUPTION"
        # Detection runs at 16 kHz, the rate clients send, so the common case needs no
        # resampling per chunk; utterances become 24 kHz once, when they are answered.
        self._vad = EnergyVad(VadSettings.from_config(detection), _VAD_RATE)
        self._functions = _declared_functions(setup.get("tools"))
        history = setup.get("historyConfig") or {}
        self._seeding_history = bool(history.get("initialHistoryInClientContent"))
        self._pending = Turn()  # user input waiting for the end of its turn
        self._manual_audio: list[Samples] | None = None  # open activityStart window
        self._reply: asyncio.Task[None] | None = None
        self._replying = False
        self._open_calls: dict[str, str] = {}  # id -> function name
        self._results: list[tuple[str, Any]] = []
        self._tool_turn = 0
        self._consumed = 0  # client messages consumed, for transparent resumption
        self._image_turn: asyncio.TimerHandle | None = None
        self._image_task: asyncio.Task[None] | None = None

    # ------------------------------------------------------------------ lifecycle

    @property
    def busy(self) -> bool:
        """A reply is streaming or tool calls are open."""
        return self._replying or bool(self._open_calls)

    async def start(self) -> None:
        """Called right after ``setupComplete``: hand out a first handle when asked to."""
        if self._resumption:
            await self._send_handle(resumable=True)

    async def close(self) -> None:
        """Stop any reply in progress (the connection is going away)."""
        if self._image_turn is not None:
            self._image_turn.cancel()
            self._image_turn = None
        task = self._reply
        if task is not None and not task.done():
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task

    # ------------------------------------------------------------------ input

    async def handle(self, kind: str, body: Any) -> None:
        """One client message after setup; raises :class:`Rejection` to close the socket."""
        self._consumed += 1
        if not isinstance(body, dict):
            raise Rejection(1007, INVALID_ARGUMENT)
        try:
            if kind == "realtimeInput":
                await self._realtime_input(body)
            elif kind == "clientContent":
                await self._client_content(body)
            elif kind == "toolResponse":
                await self._tool_response(body)
            elif kind == "contextUpdate":
                self._context_update(body)
            else:  # a second setup
                raise Rejection(1007, INVALID_ARGUMENT)
        except WireError as exc:
            raise Rejection(1007, INVALID_ARGUMENT) from exc

    async def _realtime_input(self, body: dict[str, Any]) -> None:
        blobs: list[Any] = []
        for key in ("audio", "video"):
            if key in body:
                blobs.append(body[key])
        blobs.extend(body.get("mediaChunks") or [])
        if not all(isinstance(blob, dict) for blob in blobs):
            raise Rejection(1007, INVALID_ARGUMENT)
        for blob in blobs:
            mime = str(blob.get("mimeType") or "")
            data = b64decode(str(blob.get("data") or ""))
            if mime.startswith("audio/"):
                await self._audio(data, audio.rate_from_mime(mime))
            elif mime.startswith(("image/", "video/")):
                await self._video_frame(data, mime)
            else:
                raise Rejection(1007, INVALID_ARGUMENT)
        if "activityStart" in body:
            await self._activity_start()
        if "activityEnd" in body:
            await self._activity_end()
        if body.get("audioStreamEnd") and not self.manual_activity:
            for event in self._vad.flush():
                await self._vad_event(event.kind, event.offset, event.utterance)
        text = body.get("text")
        if isinstance(text, str) and text:
            await self._interrupt()
            self._pending.texts.append(text)
            await self._end_of_turn()

    async def _audio(self, pcm: bytes, rate: int) -> None:
        self._host.record_audio(self.connection_id, len(pcm))
        samples = audio.resample(audio.pcm16_to_float(pcm), rate, _VAD_RATE)
        if self.manual_activity:
            # Only audio inside activityStart/activityEnd is processed in manual mode.
            if self._manual_audio is not None:
                self._manual_audio.append(samples)
            return
        for event in self._vad.feed(samples):
            await self._vad_event(event.kind, event.offset, event.utterance)

    async def _vad_event(self, kind: str, offset: float, utterance: Samples) -> None:
        activity = "ACTIVITY_START" if kind == "start" else "ACTIVITY_END"
        await self._emit({"voiceActivity": {"type": activity, "audioOffset": duration(offset)}})
        if self._explicit_vad_signal:
            signal = "VAD_SIGNAL_TYPE_SOS" if kind == "start" else "VAD_SIGNAL_TYPE_EOS"
            await self._emit({"voiceActivityDetectionSignal": {"vadSignalType": signal}})
        if kind == "start":
            await self._interrupt()
            return
        self._pending.speech = audio.resample(utterance, _VAD_RATE, audio.OUTPUT_RATE)
        await self._end_of_turn()

    async def _activity_start(self) -> None:
        if not self.manual_activity:
            raise Rejection(1007, ACTIVITY_CONTROL)
        self._manual_audio = []
        await self._interrupt()

    async def _activity_end(self) -> None:
        if not self.manual_activity:
            raise Rejection(1007, ACTIVITY_CONTROL)
        parts, self._manual_audio = self._manual_audio, None
        if parts is None:
            return
        heard = np.concatenate(parts) if parts else np.zeros(0, dtype=np.float32)
        self._pending.speech = audio.resample(heard, _VAD_RATE, audio.OUTPUT_RATE)
        await self._end_of_turn()

    async def _video_frame(self, data: bytes, mime: str) -> None:
        image = describe(data, mime, self.connection_id)
        self._host.record_image(image)
        self._pending.images.append(image)
        # A frame on an idle line gets its own answer, after a short quiet period, so image
        # round trips are testable: text or more images arriving within it (``@a.png @b.jpg
        # describe these``) join the same turn and one reply names them all.  Frames during
        # speech or a reply simply join the next turn, as context would.
        if not self.busy and not self._vad.speaking and self._manual_audio is None:
            if self._image_turn is not None:
                self._image_turn.cancel()
            loop = asyncio.get_running_loop()
            self._image_turn = loop.call_later(IMAGE_QUIET_SECONDS, self._image_turn_due)

    def _image_turn_due(self) -> None:
        self._image_turn = None
        self._image_task = asyncio.create_task(self._end_of_turn(), name="local-live-image-turn")

    async def _client_content(self, body: dict[str, Any]) -> None:
        turns = body.get("turns") or []
        if not isinstance(turns, list):
            raise Rejection(1007, INVALID_ARGUMENT)
        for content in turns:
            if not isinstance(content, dict):
                raise Rejection(1007, INVALID_ARGUMENT)
            role = str(content.get("role") or "user")
            for part in content.get("parts") or []:
                if not isinstance(part, dict):
                    raise Rejection(1007, INVALID_ARGUMENT)
                if role != "user":
                    continue
                if isinstance(part.get("text"), str):
                    self._pending.texts.append(part["text"])
                inline = part.get("inlineData")
                if isinstance(inline, dict):
                    mime = str(inline.get("mimeType") or "")
                    data = b64decode(str(inline.get("data") or ""))
                    if mime.startswith("image/"):
                        image = describe(data, mime, self.connection_id)
                        self._host.record_image(image)
                        self._pending.images.append(image)
        if not body.get("turnComplete"):
            return
        if self._seeding_history:
            # Initial history: it fills the context and does not start a generation.
            self._seeding_history = False
            self.state.transcript.extend(self._pending.texts)
            self._pending = Turn()
            return
        await self._interrupt()
        await self._end_of_turn()

    async def _tool_response(self, body: dict[str, Any]) -> None:
        responses = body.get("functionResponses") or []
        if not isinstance(responses, list):
            raise Rejection(1007, INVALID_ARGUMENT)
        silent = True
        answered = False
        for response in responses:
            if not isinstance(response, dict):
                raise Rejection(1007, INVALID_ARGUMENT)
            call_id = response.get("id")
            if not call_id and not self._vertex:
                raise Rejection(1007, INVALID_ARGUMENT)
            name = self._open_calls.get(str(call_id)) if call_id else None
            if name is None:
                continue  # an answer to a cancelled or unknown call changes nothing
            if response.get("willContinue"):
                continue  # more responses to this call will follow
            del self._open_calls[str(call_id)]
            answered = True
            result = response.get("response", {})
            self._results.append((name, result))
            scheduling = str(response.get("scheduling") or "").upper()
            if isinstance(result, dict) and not scheduling:
                scheduling = str(result.get("scheduling") or "").upper()
            silent = silent and scheduling == "SILENT"
        if not answered or self._open_calls:
            return
        results, self._results = self._results, []
        if silent:
            await self._finish_turn_events()
            return
        text = "; ".join(
            f"{name} returned {json.dumps(result, sort_keys=True)}" for name, result in results
        )
        self._start_reply(f"{text} (turn {self._tool_turn})", None, prompt_tokens=len(text) // 4)

    def _context_update(self, body: dict[str, Any]) -> None:
        tools = body.get("tools")
        if isinstance(tools, dict):
            self._functions = _declared_functions(tools.get("tools"))

    # ------------------------------------------------------------------ turns

    async def _end_of_turn(self) -> None:
        if self._image_turn is not None:
            self._image_turn.cancel()
            self._image_turn = None
        turn, self._pending = self._pending, Turn()
        if turn.empty():
            return
        self.state.turns += 1
        number = self.state.turns
        text = " ".join(turn.texts)
        seconds = 0.0 if turn.speech is None else turn.speech.size / audio.OUTPUT_RATE
        if turn.speech is not None and self._input_transcription:
            heard = f"[speech {seconds:.2f} s]"
            await self._emit({"serverContent": {"inputTranscription": {"text": heard}}})
            await self._emit(
                {"serverContent": {"inputTranscription": {"text": "", "finished": True}}}
            )
        self.state.transcript.append(text or f"[speech {seconds:.2f} s]")
        prompt_tokens = (
            len(text) // 4
            + len(turn.images) * _IMAGE_TOKENS
            + math.ceil(seconds * _AUDIO_TOKENS_PER_SECOND)
        )
        called = [name for name in self._functions if name in text]
        if called:
            await self._call_tools(called, number)
            return
        pieces: list[str] = []
        if text:
            pieces.append(f"You said: {text}")
        pieces.extend(f"I see {image.describe()}" for image in turn.images)
        echo: bytes | None = None
        if turn.speech is not None:
            if self.audio_out:
                pieces.append(f"Echo of {seconds:.2f} s of speech")
                echo = audio.float_to_pcm16(turn.speech)
            else:
                pieces.append(f"Heard {seconds:.2f} s of speech")
        sentences = [p if p.endswith((".", "?", "!")) else p + "." for p in pieces[:-1]]
        self._start_reply(
            " ".join([*sentences, pieces[-1]]) + f" (turn {number})", echo, prompt_tokens
        )

    async def _call_tools(self, names: list[str], number: int) -> None:
        calls = []
        for name in names:
            call_id = str(uuid.uuid4()) if self._vertex else f"function-call-{next(_call_numbers)}"
            self._open_calls[call_id] = name
            calls.append({"id": call_id, "name": name, "args": self._functions[name]})
        self._tool_turn = number
        if self._resumption:
            # Generating, then waiting on the client: no usable handle until the turn ends.
            await self._send_handle(resumable=False)
        await self._emit({"toolCall": {"functionCalls": calls}})

    def _start_reply(self, text: str, pcm: bytes | None, prompt_tokens: int) -> None:
        previous = self._reply
        self._replying = True
        self._reply = asyncio.create_task(
            self._play(text, pcm, prompt_tokens, previous), name="local-live-reply"
        )

    async def _play(
        self, text: str, pcm: bytes | None, prompt_tokens: int, previous: asyncio.Task[None] | None
    ) -> None:
        if previous is not None and not previous.done():
            # NO_INTERRUPTION: the earlier reply finishes first.
            await asyncio.shield(previous)
        self._replying = True
        if self._resumption:
            await self._send_handle(resumable=False)
        words = text.split(" ")
        if self.audio_out:
            voice = pcm if pcm is not None else audio.synthesize(text)
            chunks = audio.chunk_bytes(voice, audio.OUTPUT_RATE, self._chunk_ms)
            fragments = _spread(words, len(chunks))
            mime = "audio/pcm" if self._vertex else f"audio/pcm;rate={audio.OUTPUT_RATE}"
            for index, chunk in enumerate(chunks):
                content: dict[str, Any] = {
                    "modelTurn": self._model_turn(
                        [{"inlineData": {"mimeType": mime, "data": b64encode(chunk)}}]
                    )
                }
                if self._output_transcription and fragments[index]:
                    content["outputTranscription"] = {"text": fragments[index]}
                await self._emit({"serverContent": content})
                await self._after_chunk(index, len(chunk) / 2 / audio.OUTPUT_RATE)
            response_tokens = math.ceil(len(voice) / 2 / audio.OUTPUT_RATE * 25)
            modality = "AUDIO"
        else:
            parts = [
                " ".join(words[start : start + _WORDS_PER_TEXT_PART])
                + (" " if start + _WORDS_PER_TEXT_PART < len(words) else "")
                for start in range(0, len(words), _WORDS_PER_TEXT_PART)
            ]
            for index, part in enumerate(parts):
                await self._emit(
                    {"serverContent": {"modelTurn": self._model_turn([{"text": part}])}}
                )
                await self._after_chunk(index, _TEXT_PART_SECONDS)
            response_tokens = max(1, len(text) // 4)
            modality = "TEXT"
        await self._emit({"serverContent": {"generationComplete": True}})
        await self._finish_turn_events(usage=self._usage(prompt_tokens, response_tokens, modality))

    async def _after_chunk(self, index: int, seconds: float) -> None:
        if index == 0:
            await self._host.reply_started(self.connection_id)
        if math.isfinite(self._speed) and self._speed > 0:
            await asyncio.sleep(seconds / self._speed)

    async def _finish_turn_events(self, *, usage: dict[str, Any] | None = None) -> None:
        # The fact sheet: interactionStatus always rides with turnComplete; IDLE = all done.
        message: dict[str, Any] = {
            "serverContent": {"turnComplete": True, "interactionStatus": "IDLE"}
        }
        if usage is not None:
            message["usageMetadata"] = usage
        await self._emit(message)
        self._replying = False
        if self._resumption and not self._open_calls:
            await self._send_handle(resumable=True)

    async def _interrupt(self) -> None:
        """New user activity: cut the current reply and cancel open tool calls."""
        if not self._interrupts or not self.busy:
            return
        task = self._reply
        if task is not None and not task.done():
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._reply = None
        if self._open_calls:
            ids = list(self._open_calls)
            self._open_calls.clear()
            self._results.clear()
            await self._emit({"toolCallCancellation": {"ids": ids}})
        await self._emit({"serverContent": {"interrupted": True}})
        await self._finish_turn_events()

    # ------------------------------------------------------------------ helpers

    def _model_turn(self, parts: list[dict[str, Any]]) -> dict[str, Any]:
        # Vertex labels the model turn; the Developer API leaves the role out.
        return {"role": "model", "parts": parts} if self._vertex else {"parts": parts}

    def _usage(self, prompt: int, response: int, modality: str) -> dict[str, Any]:
        out = "candidates" if self._vertex else "response"
        return {
            "promptTokenCount": prompt,
            f"{out}TokenCount": response,
            "totalTokenCount": prompt + response,
            "promptTokensDetails": [{"modality": "TEXT", "tokenCount": prompt}],
            f"{out}TokensDetails": [{"modality": modality, "tokenCount": response}],
        }

    async def _send_handle(self, *, resumable: bool) -> None:
        # While generating or waiting on tools the real service sends no usable handle.
        update: dict[str, Any] = {
            "newHandle": self._host.new_handle(self.state) if resumable else "",
            "resumable": resumable,
        }
        if self._transparent:
            update["lastConsumedClientMessageIndex"] = str(self._consumed)
        await self._emit({"sessionResumptionUpdate": update})


def _declared_functions(tools: Any) -> dict[str, dict[str, Any]]:
    """Function name -> arguments to call it with (simple values for required params)."""
    functions: dict[str, dict[str, Any]] = {}
    if not isinstance(tools, list):
        return functions
    for tool in tools:
        if not isinstance(tool, dict):
            continue
        for declaration in tool.get("functionDeclarations") or []:
            if isinstance(declaration, dict) and isinstance(declaration.get("name"), str):
                schema = declaration.get("parameters") or declaration.get("parametersJsonSchema")
                functions[declaration["name"]] = _example_args(schema)
    return functions


def _example_args(schema: Any) -> dict[str, Any]:
    if not isinstance(schema, dict):
        return {}
    properties = schema.get("properties") or {}
    required = schema.get("required") or []
    args: dict[str, Any] = {}
    for name in required:
        spec = properties.get(name) if isinstance(properties, dict) else None
        args[name] = _example_value(spec if isinstance(spec, dict) else {})
    return args


def _example_value(spec: dict[str, Any]) -> Any:
    if isinstance(spec.get("enum"), list) and spec["enum"]:
        return spec["enum"][0]
    kind = str(spec.get("type") or "STRING").upper()
    examples: dict[str, Any] = {
        "STRING": "example",
        "NUMBER": 1.5,
        "INTEGER": 1,
        "BOOLEAN": True,
        "ARRAY": [],
        "OBJECT": {},
    }
    return examples.get(kind, "example")


def _spread(words: list[str], count: int) -> list[str]:
    """Share the words out over ``count`` audio chunks, in order; joined they give the text."""
    slots: list[list[str]] = [[] for _ in range(count)]
    for index, word in enumerate(words):
        slots[min(count - 1, index * count // max(1, len(words)))].append(word)
    last = max((i for i, slot in enumerate(slots) if slot), default=-1)
    return [" ".join(slot) + (" " if slot and i < last else "") for i, slot in enumerate(slots)]
