"""The local server imitates per-model behaviour: turn ends, thoughts, usage per modality."""

from __future__ import annotations

import base64
import io
import math
from typing import Any

from PIL import Image

from gemini_live_tui.local import LocalLiveServer

from .helpers import audio_message, open_client, silence, tone, transcript_of

Message = dict[str, Any]


def _setup(model: str, modality: str = "AUDIO", **generation: Any) -> Message:
    return {
        "model": f"models/{model}",
        "generationConfig": {"responseModalities": [modality], **generation},
        "inputAudioTranscription": {},
        "outputAudioTranscription": {},
        "realtimeInputConfig": {"automaticActivityDetection": {"silenceDurationMs": 200}},
    }


def _usage(messages: list[Message]) -> Message:
    found = [m["usageMetadata"] for m in messages if "usageMetadata" in m]
    assert len(found) == 1, messages
    usage: Message = found[0]
    return usage


async def test_38_ignores_audio_stream_end_and_ends_on_trailing_silence() -> None:
    async with LocalLiveServer(speed=math.inf) as server:
        client = await open_client(server, _setup("gemini-3.8-live"))
        await client.send(audio_message(tone(0.4)))
        await client.send({"realtimeInput": {"audioStreamEnd": True}})
        # Messages are handled in order: once this one has arrived, audioStreamEnd was handled.
        await client.send(audio_message(silence(0.02)))
        record = server.records[0]
        await server.wait_for(lambda: record.messages_received == 4)
        ended = [m for m in record.sent if m.get("voiceActivity", {}).get("type") == "ACTIVITY_END"]
        assert ended == []
        await client.send(audio_message(silence(0.3)))
        messages = await client.until_turn_complete()
        assert transcript_of(messages, "inputTranscription") == "[speech 0.40 s]"
        await client.close()


async def test_31_ends_the_turn_on_audio_stream_end() -> None:
    async with LocalLiveServer(speed=math.inf) as server:
        client = await open_client(server, _setup("gemini-3.1-flash-live-preview"))
        await client.send(audio_message(tone(0.4)))
        await client.send({"realtimeInput": {"audioStreamEnd": True}})
        messages = await client.until_turn_complete()
        assert transcript_of(messages, "inputTranscription") == "[speech 0.40 s]"
        await client.close()


async def test_usage_counts_each_input_modality() -> None:
    async with LocalLiveServer(speed=math.inf) as server:
        client = await open_client(server, _setup("gemini-3.1-flash-live-preview"))
        await client.send(audio_message(tone(0.4) + silence(0.3)))
        usage = _usage(await client.until_turn_complete())
        assert usage["promptTokensDetails"] == [{"modality": "AUDIO", "tokenCount": 10}]
        assert usage["responseTokensDetails"][0]["modality"] == "AUDIO"
        buffer = io.BytesIO()
        Image.new("RGB", (8, 8), (255, 0, 0)).save(buffer, format="PNG")
        image = {"mimeType": "image/png", "data": base64.b64encode(buffer.getvalue()).decode()}
        parts = [{"text": "what is this?"}, {"inlineData": image}]
        turn = {"turns": [{"role": "user", "parts": parts}], "turnComplete": True}
        await client.send({"clientContent": turn})
        usage = _usage(await client.until_turn_complete())
        assert usage["promptTokensDetails"] == [
            {"modality": "TEXT", "tokenCount": 3},
            {"modality": "IMAGE", "tokenCount": 258},
        ]
        assert usage["promptTokenCount"] == 261
        assert usage["totalTokenCount"] == 261 + usage["responseTokenCount"] + usage.get(
            "thoughtsTokenCount", 0
        )
        await client.close()


async def test_a_tool_result_counts_as_tool_use_tokens() -> None:
    declaration = {"name": "get_time", "parameters": {"type": "OBJECT", "properties": {}}}
    setup = {
        "model": "models/gemini-3.1-flash-live-preview",
        "generationConfig": {"responseModalities": ["TEXT"]},
        "tools": [{"functionDeclarations": [declaration]}],
    }
    async with LocalLiveServer(speed=math.inf) as server:
        client = await open_client(server, setup)
        await client.send({"realtimeInput": {"text": "get_time please"}})
        call = (await client.until(lambda m: "toolCall" in m))[-1]["toolCall"]["functionCalls"][0]
        result = {"output": "noon, " * 20}
        response = {"id": call["id"], "name": "get_time", "response": result}
        await client.send({"toolResponse": {"functionResponses": [response]}})
        usage = _usage(await client.until_turn_complete())
        assert usage["toolUsePromptTokenCount"] == 33  # 134 JSON characters / 4
        assert usage["toolUsePromptTokensDetails"] == [{"modality": "TEXT", "tokenCount": 33}]
        await client.close()


async def test_thoughts_come_first_when_asked_for() -> None:
    async with LocalLiveServer(speed=math.inf) as server:
        setup = _setup(
            "gemini-2.5-flash-native-audio-preview-12-2025",
            thinkingConfig={"includeThoughts": True},
        )
        client = await open_client(server, setup)
        await client.send({"realtimeInput": {"text": "hi"}})
        messages = await client.until_turn_complete()
        parts = [
            part
            for m in messages
            for part in m.get("serverContent", {}).get("modelTurn", {}).get("parts", [])
        ]
        assert parts[0] == {
            "text": "Thinking about how to answer: You said: hi (turn 1)",
            "thought": True,
        }
        assert all("inlineData" in part for part in parts[1:])
        assert _usage(messages)["thoughtsTokenCount"] == 12  # 51 characters / 4
        await client.close()


async def test_no_thoughts_with_a_zero_budget_and_940_on_38() -> None:
    async with LocalLiveServer(speed=math.inf) as server:
        off = _setup(
            "gemini-2.5-flash-native-audio-preview-12-2025",
            thinkingConfig={"includeThoughts": True, "thinkingBudget": 0},
        )
        client = await open_client(server, off)
        await client.send({"realtimeInput": {"text": "hi"}})
        messages = await client.until_turn_complete()
        assert "thoughtsTokenCount" not in _usage(messages)
        assert not any(
            part.get("thought")
            for m in messages
            for part in m.get("serverContent", {}).get("modelTurn", {}).get("parts", [])
        )
        await client.close()
        client = await open_client(server, _setup("gemini-3.8-live"))
        await client.send({"realtimeInput": {"text": "hi"}})
        assert _usage(await client.until_turn_complete())["thoughtsTokenCount"] == 940
        await client.close()
