"""Replies of the local server: text, audio, VAD echo, interruption, images, tools."""

from __future__ import annotations

import base64
import io
import math

from PIL import Image

from gemini_live_tui.local import LocalLiveServer

from .helpers import (
    audio_message,
    audio_of,
    open_client,
    silence,
    text_of,
    tone,
    transcript_of,
)

AUDIO_SETUP = {
    "model": "models/gemini-3.1-flash-live-preview",
    "generationConfig": {"responseModalities": ["AUDIO"]},
    "inputAudioTranscription": {},
    "outputAudioTranscription": {},
    "realtimeInputConfig": {"automaticActivityDetection": {"silenceDurationMs": 200}},
}


def _content(message: dict[str, object]) -> dict[str, object]:
    content = message.get("serverContent", {})
    assert isinstance(content, dict)
    return content


async def test_text_reply_streams_in_several_chunks_then_completes() -> None:
    async with LocalLiveServer() as server:
        client = await open_client(server)
        await client.send({"realtimeInput": {"text": "hello there, local server"}})
        messages = await client.until_turn_complete()
        chunks = [m for m in messages if "modelTurn" in _content(m)]
        assert len(chunks) >= 2
        assert text_of(messages) == "You said: hello there, local server (turn 1)"
        assert _content(messages[-2]) == {"generationComplete": True}
        usage = messages[-1]["usageMetadata"]
        assert usage["totalTokenCount"] == usage["promptTokenCount"] + usage["responseTokenCount"]
        assert server.received[1] == {"realtimeInput": {"text": "hello there, local server"}}
        await client.close()


async def test_client_content_waits_for_turn_complete_and_counts_turns() -> None:
    async with LocalLiveServer() as server:
        client = await open_client(server)
        part = {"clientContent": {"turns": [{"role": "user", "parts": [{"text": "one"}]}]}}
        await client.send(part)
        await client.send(
            {
                "client_content": {
                    "turns": [{"role": "user", "parts": [{"text": "two"}]}],
                    "turn_complete": True,
                }
            }
        )
        first = await client.until_turn_complete()
        assert text_of(first) == "You said: one two (turn 1)"
        await client.send({"realtimeInput": {"text": "three"}})
        second = await client.until_turn_complete()
        assert text_of(second) == "You said: three (turn 2)"
        await client.close()


async def test_audio_modality_reply_is_24khz_pcm_with_transcription() -> None:
    async with LocalLiveServer(chunk_ms=100) as server:
        client = await open_client(server, AUDIO_SETUP)
        await client.send({"realtimeInput": {"text": "speak to me"}})
        messages = await client.until_turn_complete()
        parts = [
            part
            for m in messages
            for part in _content(m).get("modelTurn", {}).get("parts", [])  # type: ignore[attr-defined]
        ]
        assert len(parts) >= 3
        assert {part["inlineData"]["mimeType"] for part in parts} == {"audio/pcm;rate=24000"}
        sizes = [len(base64.b64decode(part["inlineData"]["data"])) for part in parts]
        assert all(size <= 4800 for size in sizes)  # 100 ms at 24 kHz, 16-bit
        assert all(size >= 960 for size in sizes[:-1])  # at least 20 ms each
        assert transcript_of(messages) == "You said: speak to me (turn 1)"
        pcm = audio_of(messages)
        assert len(pcm) / 2 / 24_000 > 0.5  # long enough to be heard, scales with text
        await client.close()


async def test_audio_is_detected_transcribed_and_echoed_back_at_24khz() -> None:
    async with LocalLiveServer() as server:
        client = await open_client(server, AUDIO_SETUP)
        speech = tone(0.6)
        # Chunks of 100 ms, in both base64 alphabets, as clients send them.
        stream = silence(0.3) + speech + silence(0.4)
        for index, start in enumerate(range(0, len(stream), 3200)):
            await client.send(audio_message(stream[start : start + 3200], urlsafe=index % 2 == 0))
        messages = await client.until_turn_complete()
        activity = [m["voiceActivity"] for m in messages if "voiceActivity" in m]
        assert [a["type"] for a in activity] == ["ACTIVITY_START", "ACTIVITY_END"]
        assert activity[0]["audioOffset"] == "0.300s"
        heard = transcript_of(messages, "inputTranscription")
        assert heard == "[speech 0.60 s]"
        echo = audio_of(messages)
        assert abs(len(echo) / 2 / 24_000 - 0.6) < 0.03
        assert "Echo of 0.60 s of speech (turn 1)" in transcript_of(messages)
        assert server.audio_bytes == len(stream)
        await client.close()


async def test_audio_stream_end_closes_the_utterance() -> None:
    async with LocalLiveServer() as server:
        setup = {**AUDIO_SETUP, "realtimeInputConfig": {}}
        client = await open_client(server, setup)
        await client.send(audio_message(tone(0.4, rate=8000), rate=8000))
        await client.send({"realtimeInput": {"audioStreamEnd": True}})
        messages = await client.until_turn_complete()
        assert transcript_of(messages, "inputTranscription") == "[speech 0.40 s]"
        await client.close()


async def test_low_start_sensitivity_ignores_quiet_sound() -> None:
    async with LocalLiveServer() as server:
        setup = {
            **AUDIO_SETUP,
            "realtimeInputConfig": {
                "automaticActivityDetection": {"startOfSpeechSensitivity": "START_SENSITIVITY_LOW"}
            },
        }
        client = await open_client(server, setup)
        quiet = tone(0.5, amplitude=0.01)  # about -43 dBFS: speech only to a HIGH detector
        await client.send(audio_message(quiet))
        await client.send({"realtimeInput": {"text": "marker"}})
        messages = await client.until_turn_complete()
        assert not any("voiceActivity" in m for m in messages)
        await client.close()


async def test_manual_activity_signals_bracket_the_utterance() -> None:
    async with LocalLiveServer() as server:
        setup = {
            **AUDIO_SETUP,
            "realtimeInputConfig": {"automaticActivityDetection": {"disabled": True}},
        }
        client = await open_client(server, setup)
        await client.send(audio_message(tone(0.3)))  # outside the window: ignored
        await client.send({"realtimeInput": {"activityStart": {}}})
        await client.send(audio_message(tone(0.5)))
        await client.send({"realtimeInput": {"activityEnd": {}}})
        messages = await client.until_turn_complete()
        assert transcript_of(messages, "inputTranscription") == "[speech 0.50 s]"
        assert not any("voiceActivity" in m for m in messages)
        await client.close()


async def test_activity_signals_with_automatic_detection_close_1007() -> None:
    async with LocalLiveServer() as server:
        client = await open_client(server, AUDIO_SETUP)
        await client.send({"realtimeInput": {"activityStart": {}}})
        await server.wait_for(lambda: server.records[0].close_code is not None)
        assert server.records[0].close_code == 1007


async def test_speech_during_a_reply_interrupts_it() -> None:
    async with LocalLiveServer(speed=1.0) as server:
        client = await open_client(server, AUDIO_SETUP)
        await client.send({"realtimeInput": {"text": "please tell me a long story " * 3}})
        await client.until(lambda m: "modelTurn" in m.get("serverContent", {}))
        await client.send(audio_message(tone(0.3)))
        messages = await client.until_turn_complete()
        contents = [_content(m) for m in messages if "serverContent" in m]
        assert {"interrupted": True} in contents
        assert not any(c.get("generationComplete") for c in contents)
        assert any("voiceActivity" in m for m in messages)
        await client.close()


async def test_no_interruption_lets_the_reply_finish() -> None:
    async with LocalLiveServer(speed=8.0) as server:
        setup = {
            **AUDIO_SETUP,
            "realtimeInputConfig": {
                "activityHandling": "NO_INTERRUPTION",
                "automaticActivityDetection": {"silenceDurationMs": 100},
            },
        }
        client = await open_client(server, setup)
        await client.send({"realtimeInput": {"text": "a fairly long answer please"}})
        await client.until(lambda m: "modelTurn" in m.get("serverContent", {}))
        await client.send(audio_message(tone(0.2)))
        messages = await client.until_turn_complete()
        assert not any(_content(m).get("interrupted") for m in messages)
        assert any(_content(m).get("generationComplete") for m in messages)
        await client.close()


def _png(width: int, height: int, colour: tuple[int, int, int]) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), colour).save(buffer, format="PNG")
    return buffer.getvalue()


async def test_video_frame_gets_a_reply_naming_size_and_mean_colour() -> None:
    async with LocalLiveServer() as server:
        client = await open_client(server)
        frame = _png(64, 48, (255, 136, 0))
        blob = {"mimeType": "image/png", "data": base64.urlsafe_b64encode(frame).decode()}
        await client.send({"realtimeInput": {"video": blob}})
        messages = await client.until_turn_complete()
        assert text_of(messages) == "I see image 64x48, mean colour #ff8800 (turn 1)"
        assert server.images[0].data == frame
        assert (server.images[0].width, server.images[0].height) == (64, 48)
        await client.close()


async def test_inline_image_in_client_content_and_legacy_media_chunks() -> None:
    async with LocalLiveServer() as server:
        client = await open_client(server)
        frame = _png(10, 20, (0, 0, 255))
        inline = {"inlineData": {"mimeType": "image/png", "data": base64.b64encode(frame).decode()}}
        turn = {"role": "user", "parts": [{"text": "what is this?"}, inline]}
        await client.send({"clientContent": {"turns": [turn], "turnComplete": True}})
        messages = await client.until_turn_complete()
        assert text_of(messages) == (
            "You said: what is this? I see image 10x20, mean colour #0000ff (turn 1)"
        )
        chunk = {"mimeType": "image/jpeg", "data": base64.b64encode(frame).decode()}
        await client.send({"realtimeInput": {"mediaChunks": [chunk]}})
        messages = await client.until_turn_complete()
        assert "image 10x20" in text_of(messages)
        assert len(server.images) == 2
        await client.close()


TOOL_SETUP = {
    "model": "models/x",
    "generationConfig": {"responseModalities": ["TEXT"]},
    "tools": [
        {
            "functionDeclarations": [
                {
                    "name": "get_weather",
                    "description": "Weather for a city",
                    "parameters": {
                        "type": "OBJECT",
                        "properties": {
                            "city_name": {"type": "STRING"},
                            "days": {"type": "INTEGER"},
                        },
                        "required": ["city_name", "days"],
                    },
                }
            ]
        }
    ],
    "sessionResumption": {},
}


async def test_tool_call_round_trip() -> None:
    async with LocalLiveServer() as server:
        client = await open_client(server, TOOL_SETUP)
        await client.send({"realtimeInput": {"text": "call get_weather for Paris"}})
        messages = await client.until(lambda m: "toolCall" in m)
        call = messages[-1]["toolCall"]["functionCalls"][0]
        assert call["name"] == "get_weather"
        assert call["id"].startswith("function-call-") and call["id"][14:].isdigit()
        assert call["args"] == {"city_name": "example", "days": 1}
        updates = [
            m["sessionResumptionUpdate"] for m in client.seen if "sessionResumptionUpdate" in m
        ]
        assert updates[-1] == {"resumable": False, "newHandle": ""}
        response = {"id": call["id"], "name": "get_weather", "response": {"temp_c": 21}}
        await client.send({"tool_response": {"function_responses": [response]}})
        reply = await client.until_turn_complete()
        assert text_of(reply) == 'get_weather returned {"temp_c": 21} (turn 1)'
        update = (await client.recv())["sessionResumptionUpdate"]
        assert update["resumable"] is True and update["newHandle"]
        await client.close()


async def test_interruption_cancels_an_open_tool_call() -> None:
    async with LocalLiveServer() as server:
        setup = {**TOOL_SETUP, "generationConfig": {"responseModalities": ["AUDIO"]}}
        client = await open_client(server, setup)
        await client.send({"realtimeInput": {"text": "get_weather please"}})
        messages = await client.until(lambda m: "toolCall" in m)
        call_id = messages[-1]["toolCall"]["functionCalls"][0]["id"]
        await client.send(audio_message(tone(0.2)))
        messages = await client.until_turn_complete()
        cancellations = [m["toolCallCancellation"] for m in messages if "toolCallCancellation" in m]
        assert cancellations == [{"ids": [call_id]}]
        assert any(_content(m).get("interrupted") for m in messages)
        await client.close()


async def test_pacing_speed_controls_reply_duration() -> None:
    async with LocalLiveServer(speed=math.inf) as server:
        client = await open_client(server, AUDIO_SETUP)
        await client.send({"realtimeInput": {"text": "quick"}})
        messages = await client.until_turn_complete()
        assert audio_of(messages)
        await client.close()


async def test_explicit_vad_signal_adds_start_and_end_of_speech_signals() -> None:
    async with LocalLiveServer() as server:
        client = await open_client(server, {**AUDIO_SETUP, "explicitVadSignal": True})
        await client.send(audio_message(tone(0.3) + silence(0.3)))
        messages = await client.until_turn_complete()
        signals = [
            m["voiceActivityDetectionSignal"]["vadSignalType"]
            for m in messages
            if "voiceActivityDetectionSignal" in m
        ]
        assert signals == ["VAD_SIGNAL_TYPE_SOS", "VAD_SIGNAL_TYPE_EOS"]
        await client.close()
