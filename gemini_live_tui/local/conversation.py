"""One connection's conversation on the local Live server: input handling and replies.

A :class:`Conversation` receives normalised client messages after ``setup`` and answers
the way the real service does, deterministically:

- text (``realtimeInput.text`` or ``clientContent`` with ``turnComplete``) -> "You said: hi
  (turn 1)", streamed as several text parts (TEXT) or as 24 kHz PCM with output
  transcription (AUDIO);
- audio -> energy VAD (:mod:`.vad`), ``voiceActivity`` start/end, then the input
  transcription "[speech 1.23 s]" and an echo of the utterance at 24 kHz;
- images -> "I see image 640x480, mean colour #ff8800 (turn N)";
- a request for a declared tool ("list the files", "run ls", a function named word for
  word; :mod:`.tool_calls` plans it) -> ``toolCall``; once the ``toolResponse`` arrives, a
  reply that uses the result.  NON_BLOCKING calls do not hold the turn ("I'm on it") and
  their results follow ``scheduling``; realtime input during a BLOCKING call closes 1008
  on known model families, as the real service does;
- a web search when ``googleSearch`` is declared -> a reply with ``groundingMetadata``;
- new user activity during a reply -> ``interrupted`` then ``turnComplete`` (and
  ``toolCallCancellation`` for calls still open).

Every turn ends with ``generationComplete``, ``turnComplete`` + ``usageMetadata`` and, when
the setup asked for it, a ``sessionResumptionUpdate``.  The :class:`SessionState` outlives
the connection so a resumed connection continues the count of turns.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import math
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np

from gemini_live_tui.model_contracts import ModelContract, contract_for

from . import audio, tool_calls
from .images import ReceivedImage, describe
from .rules import ACTIVITY_CONTROL, INVALID_ARGUMENT, Rejection
from .tool_calls import ABORTED, Call, Search
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
# 3.8 Live spends about this many thought tokens per turn on its own (model-contracts.md
# section 1, measured by hermes-gemini-live).
_38_THOUGHT_TOKENS = 940


@dataclass
class SessionState:
    """A conversation that can span connections through resumption handles."""

    session_id: int
    turns: int = 0
    transcript: list[str] = field(default_factory=list)
    # Every function-call id this session issued: a late answer to one of them (cancelled,
    # lost in a resume) is ignored; an id never issued is an invalid argument.
    call_ids: set[str] = field(default_factory=set)


@dataclass(frozen=True)
class Prompt:
    """Prompt tokens of one reply, by where they came from."""

    text: int = 0
    image: int = 0
    audio: int = 0
    tool_use: int = 0  # function results fed back to the model


@dataclass
class OpenCall:
    """A function call waiting for its ``toolResponse``."""

    call: Call
    behavior: tool_calls.Behavior  # BLOCKING or NON_BLOCKING
    turn: int


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
        self._tools = tool_calls.declared(setup.get("tools"))
        self._contract = contract_for(str(setup.get("model") or ""))
        self._pending_input = tool_calls.pending_input_rule(self._contract)
        # 3.8 families end a turn on interactionStatus IDLE; while background (NON_BLOCKING)
        # work is outstanding their turnComplete says IN_PROGRESS.
        self._idle_status = self._contract is not None and (
            self._contract.turn_end == "interactionStatusIdle"
        )
        self._stream_end_ends_turn = (
            self._contract is None or self._contract.audio_stream_end_ends_turn
        )
        self._rng = random.Random(f"{connection_id}-{state.session_id}")
        thinking = generation.get("thinkingConfig") or {}
        self._thinking = _thinks(thinking, self._contract)
        self._show_thoughts = self._thinking and bool(thinking.get("includeThoughts"))
        history = setup.get("historyConfig") or {}
        self._seeding_history = bool(history.get("initialHistoryInClientContent"))
        self._pending = Turn()  # user input waiting for the end of its turn
        self._manual_audio: list[Samples] | None = None  # open activityStart window
        self._reply: asyncio.Task[None] | None = None  # the latest reply
        self._replies: list[asyncio.Task[None]] = []  # replies streaming or queued
        self._replying = False
        self._open_calls: dict[str, OpenCall] = {}
        self._results: list[tuple[OpenCall, Any, str]] = []  # answered BLOCKING calls
        self._reply_turn = 0  # the user turn the streaming reply belongs to
        self._consumed = 0  # client messages consumed, for transparent resumption
        self._image_turn: asyncio.TimerHandle | None = None
        self._image_task: asyncio.Task[None] | None = None

    # ------------------------------------------------------------------ lifecycle

    @property
    def busy(self) -> bool:
        """A reply is streaming or BLOCKING tool calls are open."""
        return self._replying or self._blocking_open()

    def _blocking_open(self) -> bool:
        return any(c.behavior == "BLOCKING" for c in self._open_calls.values())

    def _background_open(self) -> bool:
        return any(c.behavior == "NON_BLOCKING" for c in self._open_calls.values())

    async def start(self) -> None:
        """Called right after ``setupComplete``: hand out a first handle when asked to."""
        if self._resumption:
            await self._send_handle(resumable=True)

    async def close(self) -> None:
        """Stop any reply in progress (the connection is going away)."""
        if self._image_turn is not None:
            self._image_turn.cancel()
            self._image_turn = None
        for task in self._replies:
            task.cancel()
        for task in self._replies:
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
        text = body.get("text")
        if (
            (blobs or "activityStart" in body or (isinstance(text, str) and text))
            and self._pending_input == "abort"
            and self._blocking_open()
        ):
            # The service wants the toolResponse before more realtime input (model-contracts
            # section 2: a device streaming mic audio during a pending call was closed).
            raise Rejection(1008, ABORTED)
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
        if body.get("audioStreamEnd") and not self.manual_activity and self._stream_end_ends_turn:
            # 3.8 ignores audioStreamEnd as end of turn: only trailing silence ends it there.
            for event in self._vad.flush():
                await self._vad_event(event.kind, event.offset, event.utterance)
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
        blocking_answered = False
        for response in responses:
            if not isinstance(response, dict):
                raise Rejection(1007, INVALID_ARGUMENT)
            call_id = self._response_id(response)
            if call_id is None:
                continue  # cancelled, answered or lost in a resume: changes nothing
            open_call = self._open_calls[call_id]
            result = response.get("response", {})
            scheduling = tool_calls.scheduling_of(response)
            more = bool(response.get("willContinue"))
            if open_call.behavior == "BLOCKING":
                if more:
                    continue  # willContinue is for NON_BLOCKING calls; wait for the last one
                del self._open_calls[call_id]
                self._results.append((open_call, result, scheduling))
                blocking_answered = True
                continue
            if not more:
                del self._open_calls[call_id]
            await self._background_result(open_call, result, scheduling)
        if blocking_answered and not self._blocking_open():
            await self._blocking_results()

    def _response_id(self, response: dict[str, Any]) -> str | None:
        """The open call a response answers, None to ignore it, or a 1007 for a made-up id."""
        call_id = response.get("id")
        if not call_id:
            if not self._vertex:
                raise Rejection(1007, INVALID_ARGUMENT)  # the Developer API needs the id
            # Vertex does not require ids: match the oldest open call of that name.
            name = response.get("name")
            return next((i for i, c in self._open_calls.items() if c.call.name == name), None)
        call_id = str(call_id)
        if call_id in self._open_calls:
            return call_id
        if call_id in self.state.call_ids or self._vertex:
            return None
        # Our choice (the sheet documents no text): an id this session never issued is an
        # invalid argument, so a client that invents ids fails loudly.
        raise Rejection(1007, INVALID_ARGUMENT)

    async def _blocking_results(self) -> None:
        """Every BLOCKING call of the turn is answered: chain, stay silent or reply."""
        results, self._results = self._results, []
        turn = results[0][0].turn
        follow = [
            nxt
            for open_call, result, _ in results
            if (nxt := tool_calls.follow_up(open_call.call, result, self._tools)) is not None
        ]
        if follow:
            await self._call_tools(follow, turn)
            return
        if all(scheduling == "SILENT" for _, _, scheduling in results):
            # Kept from before scheduling was honoured per behaviour: the turn just ends.
            await self._finish_turn_events()
            return
        text = "; ".join(
            tool_calls.describe_result(c.call.name, c.call.args, result) for c, result, _ in results
        )
        used = sum(_tokens_of(result) for _, result, _ in results)
        self._start_reply(f"{text} (turn {turn})", None, Prompt(tool_use=used), turn=turn)

    async def _background_result(self, open_call: OpenCall, result: Any, scheduling: str) -> None:
        """A NON_BLOCKING call's (possibly partial) result, handled as ``scheduling`` says."""
        if scheduling == "SILENT":
            # Context only, no generation.  If that was the last background work and the
            # model is quiet, the interaction is idle now (3.8 says so on its own).
            if not self._replying and not self._open_calls:
                if self._idle_status:
                    await self._emit({"serverContent": {"interactionStatus": "IDLE"}})
                if self._resumption:
                    await self._send_handle(resumable=True)
            return
        text = tool_calls.describe_result(open_call.call.name, open_call.call.args, result)
        if scheduling == "INTERRUPT" and self._replying:
            # Stop the current output and speak about the result now.
            await self._cut_reply()
        # WHEN_IDLE (the default): _play waits for a reply still streaming to finish.
        self._start_reply(
            f"{text} (turn {open_call.turn})",
            None,
            Prompt(tool_use=_tokens_of(result)),
            turn=open_call.turn,
        )

    def _context_update(self, body: dict[str, Any]) -> None:
        tools = body.get("tools")
        if isinstance(tools, dict):
            self._tools = tool_calls.declared(tools.get("tools"))

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
        prompt_tokens = Prompt(
            text=len(text) // 4,
            image=len(turn.images) * _IMAGE_TOKENS,
            audio=math.ceil(seconds * _AUDIO_TOKENS_PER_SECOND),
        )
        planned = tool_calls.plan(text, self._tools)
        if isinstance(planned, Search):
            reply = f"{tool_calls.search_reply(planned.query)} (turn {number})"
            grounding = tool_calls.grounding_metadata(planned.query)
            self._start_reply(reply, None, prompt_tokens, turn=number, grounding=grounding)
            return
        if planned:
            callable_ = [c for c in planned if self._behavior(c) != "TEXT_ONLY"]
            if callable_:
                await self._call_tools(callable_, number)
                return
            # 3.8 extended thinking with BLOCKING (or JSON-schema) declarations: it planned
            # the tools as text instead of calling them.
            reply = f"{tool_calls.text_plan(planned)} (turn {number})"
            self._start_reply(reply, None, prompt_tokens, turn=number)
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
            " ".join([*sentences, pieces[-1]]) + f" (turn {number})",
            echo,
            prompt_tokens,
            turn=number,
        )

    def _behavior(self, call: Call) -> tool_calls.Behavior:
        function = self._tools.functions.get(call.name)
        if function is None:
            return "BLOCKING"
        return tool_calls.behavior_for(function, self._contract)

    async def _call_tools(self, calls: list[Call], number: int) -> None:
        entries = []
        opened: list[OpenCall] = []
        for call in calls:
            call_id = tool_calls.new_call_id(self._vertex, self._rng, self.state.call_ids)
            self.state.call_ids.add(call_id)
            open_call = OpenCall(call, self._behavior(call), number)
            self._open_calls[call_id] = open_call
            opened.append(open_call)
            entries.append({"id": call_id, "name": call.name, "args": dict(call.args)})
        if self._resumption:
            # Generating, then waiting on the client: no usable handle until the turn ends.
            await self._send_handle(resumable=False)
        await self._emit({"toolCall": {"functionCalls": entries}})
        if all(c.behavior == "NON_BLOCKING" for c in opened):
            # The call does not hold the turn: the model keeps talking while the client works.
            names = " and ".join(c.call.name for c in opened)
            filler = f"I'm on it: calling {names}. (turn {number})"
            self._start_reply(filler, None, Prompt(), turn=number)

    def _start_reply(
        self,
        text: str,
        pcm: bytes | None,
        prompt_tokens: Prompt,
        *,
        turn: int,
        grounding: dict[str, Any] | None = None,
    ) -> None:
        previous = self._reply
        self._replying = True
        self._reply = asyncio.create_task(
            self._play(text, pcm, prompt_tokens, previous, turn, grounding),
            name="local-live-reply",
        )
        self._replies.append(self._reply)

    async def _play(
        self,
        text: str,
        pcm: bytes | None,
        prompt_tokens: Prompt,
        previous: asyncio.Task[None] | None,
        turn: int,
        grounding: dict[str, Any] | None,
    ) -> None:
        if previous is not None and not previous.done():
            # NO_INTERRUPTION or a WHEN_IDLE result: the earlier reply finishes first.
            await asyncio.shield(previous)
        self._replying = True
        self._reply_turn = turn
        thought = f"Thinking about how to answer: {text[:60]}"
        if self._show_thoughts:
            # A thought summary comes before the answer, as its own text part.
            summary = {"text": thought, "thought": True}
            await self._emit({"serverContent": {"modelTurn": self._model_turn([summary])}})
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
                if index == 0 and grounding is not None:
                    content["groundingMetadata"] = grounding
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
                content = {"modelTurn": self._model_turn([{"text": part}])}
                if index == 0 and grounding is not None:
                    content["groundingMetadata"] = grounding
                await self._emit({"serverContent": content})
                await self._after_chunk(index, _TEXT_PART_SECONDS)
            response_tokens = max(1, len(text) // 4)
            modality = "TEXT"
        await self._emit({"serverContent": {"generationComplete": True}})
        usage = self._usage(prompt_tokens, response_tokens, modality)
        if self._thinking:
            thoughts = _38_THOUGHT_TOKENS if self._always_thinks() else max(1, len(thought) // 4)
            usage["thoughtsTokenCount"] = thoughts
            usage["totalTokenCount"] += thoughts
        await self._finish_turn_events(usage=usage)

    async def _after_chunk(self, index: int, seconds: float) -> None:
        if index == 0:
            await self._host.reply_started(self.connection_id)
        if math.isfinite(self._speed) and self._speed > 0:
            await asyncio.sleep(seconds / self._speed)

    async def _finish_turn_events(self, *, usage: dict[str, Any] | None = None) -> None:
        queued = self._queued_reply()
        # The fact sheet: interactionStatus always rides with turnComplete; IDLE = all done.
        # 3.8 families are not idle while background calls or a queued reply remain.
        busy = self._idle_status and (self._background_open() or queued)
        status = "IN_PROGRESS" if busy else "IDLE"
        message: dict[str, Any] = {
            "serverContent": {"turnComplete": True, "interactionStatus": status}
        }
        if usage is not None:
            message["usageMetadata"] = usage
        await self._emit(message)
        self._replying = queued
        if self._resumption and not self._open_calls and not queued:
            await self._send_handle(resumable=True)

    def _queued_reply(self) -> bool:
        """Another reply waits to stream after the current one (WHEN_IDLE, NO_INTERRUPTION)."""
        current = asyncio.current_task()
        self._replies = [t for t in self._replies if not t.done()]
        return any(t is not current for t in self._replies)

    async def _stop_replies(self) -> None:
        tasks, self._replies = self._replies, []
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._reply = None

    async def _cut_reply(self) -> None:
        """A result scheduled INTERRUPT: stop the output in progress, as a barge-in would."""
        await self._stop_replies()
        await self._emit({"serverContent": {"interrupted": True}})
        await self._finish_turn_events()

    async def _interrupt(self) -> None:
        """New user activity: cut the current reply and cancel the turn's open tool calls."""
        if not self._interrupts or not self.busy:
            return
        was_replying = self._replying
        await self._stop_replies()
        ids = [
            call_id
            for call_id, c in self._open_calls.items()
            if c.behavior == "BLOCKING" or (was_replying and c.turn == self._reply_turn)
        ]
        for call_id in ids:
            del self._open_calls[call_id]
        self._results.clear()
        if ids:
            await self._emit({"toolCallCancellation": {"ids": ids}})
        await self._emit({"serverContent": {"interrupted": True}})
        await self._finish_turn_events()

    # ------------------------------------------------------------------ helpers

    def _always_thinks(self) -> bool:
        return self._contract is not None and self._contract.family == "3.8 live"

    def _model_turn(self, parts: list[dict[str, Any]]) -> dict[str, Any]:
        # Vertex labels the model turn; the Developer API leaves the role out.
        return {"role": "model", "parts": parts} if self._vertex else {"parts": parts}

    def _usage(self, prompt: Prompt, response: int, modality: str) -> dict[str, Any]:
        """Per-turn counts with details per modality (live-protocol.md section 3.4)."""
        out = "candidates" if self._vertex else "response"
        details = [
            {"modality": name, "tokenCount": count}
            for name, count in (
                ("TEXT", prompt.text),
                ("IMAGE", prompt.image),
                ("AUDIO", prompt.audio),
            )
            if count
        ]
        total_prompt = prompt.text + prompt.image + prompt.audio
        usage: dict[str, Any] = {
            "promptTokenCount": total_prompt,
            f"{out}TokenCount": response,
            "promptTokensDetails": details or [{"modality": "TEXT", "tokenCount": 0}],
            f"{out}TokensDetails": [{"modality": modality, "tokenCount": response}],
        }
        total = total_prompt + response
        if prompt.tool_use:
            usage["toolUsePromptTokenCount"] = prompt.tool_use
            usage["toolUsePromptTokensDetails"] = [
                {"modality": "TEXT", "tokenCount": prompt.tool_use}
            ]
            total += prompt.tool_use
        usage["totalTokenCount"] = total
        return usage

    async def _send_handle(self, *, resumable: bool) -> None:
        # While generating or waiting on tools the real service sends no usable handle.
        update: dict[str, Any] = {
            "newHandle": self._host.new_handle(self.state) if resumable else "",
            "resumable": resumable,
        }
        if self._transparent:
            update["lastConsumedClientMessageIndex"] = str(self._consumed)
        await self._emit({"sessionResumptionUpdate": update})


def _thinks(config: dict[str, Any], contract: ModelContract | None) -> bool:
    """Whether the model thinks this session (live-protocol.md section 7, the contract table)."""
    budget = config.get("thinkingBudget")
    if budget == 0:
        return False  # 0 turns thinking off where a budget is honoured
    if contract is None:
        return bool(config.get("thinkingLevel") or budget)
    mode = contract.thinking.mode
    if mode == "forbidden":
        # 3.8 Live takes no thinkingConfig but reasons on its own ("interleaved reasoning").
        return contract.family == "3.8 live"
    return True  # 2.5 dynamic by default, 3.1 MINIMAL by default, extended thinking required


def _tokens_of(value: Any) -> int:
    """About four characters per token, as for text."""
    return max(1, len(json.dumps(value, default=str)) // 4)


def _spread(words: list[str], count: int) -> list[str]:
    """Share the words out over ``count`` audio chunks, in order; joined they give the text."""
    slots: list[list[str]] = [[] for _ in range(count)]
    for index, word in enumerate(words):
        slots[min(count - 1, index * count // max(1, len(words)))].append(word)
    last = max((i for i, slot in enumerate(slots) if slot), default=-1)
    return [" ".join(slot) + (" " if slot and i < last else "") for i, slot in enumerate(slots)]
