"""Conformance: the official google-genai SDK completes turns against the local server.

google-genai always connects with ``wss://`` (it rewrites the base URL's scheme), so the
server runs with a throwaway certificate and the SDK gets a context that trusts it.
"""

from __future__ import annotations

import asyncio
import math

import numpy as np
import pytest

from gemini_live_tui.local import LocalLiveServer

from .helpers import silence, tone

genai = pytest.importorskip("google.genai")
types = pytest.importorskip("google.genai.types")

MODEL = "gemini-3.1-flash-live-preview"


def _client(server: LocalLiveServer, api_version: str = "v1beta") -> object:
    return genai.Client(
        api_key="sdk-key",
        http_options={
            # A trailing slash, as the SDK's own default has: the path becomes "//ws/...".
            "base_url": server.base_url + "/",
            "api_version": api_version,
            "async_client_args": {"ssl": server.client_ssl_context},
        },
    )


async def _turn(session: object) -> list[object]:
    messages = []
    async for message in session.receive():  # type: ignore[attr-defined]
        messages.append(message)
    return messages


@pytest.mark.parametrize("api_version", ["v1beta", "v1"])
async def test_sdk_text_turn(api_version: str) -> None:
    async with LocalLiveServer(tls=True, api_key="sdk-key") as server:
        client = _client(server, api_version)
        config = types.LiveConnectConfig(response_modalities=["TEXT"])
        async with client.aio.live.connect(model=MODEL, config=config) as session:  # type: ignore[attr-defined]
            await session.send_realtime_input(text="hello from the sdk")
            messages = await _turn(session)
        text = "".join(
            m.text or "" for m in messages if m.server_content and m.server_content.model_turn
        )
        assert text == "You said: hello from the sdk (turn 1)"
        assert messages[-1].server_content.turn_complete
        assert messages[-1].usage_metadata.total_token_count > 0
        # The SDK's own path shape (doubled slash) and header reached us.
        assert server.records[0].path.startswith("//ws/")
        assert server.records[0].route.api_version == api_version


async def test_sdk_client_content_and_tool_call_round_trip() -> None:
    async with LocalLiveServer(tls=True) as server:
        client = _client(server)
        declaration = types.FunctionDeclaration(
            name="get_weather",
            description="Weather for a city",
            parameters=types.Schema(
                type="OBJECT",
                properties={"city": types.Schema(type="STRING")},
                required=["city"],
            ),
        )
        config = types.LiveConnectConfig(
            response_modalities=["TEXT"],
            tools=[types.Tool(function_declarations=[declaration])],
            session_resumption=types.SessionResumptionConfig(),
        )
        async with client.aio.live.connect(model=MODEL, config=config) as session:  # type: ignore[attr-defined]
            await session.send_client_content(
                turns=types.Content(role="user", parts=[types.Part(text="use get_weather")])
            )
            call = None
            async for message in session.receive():
                if message.tool_call:
                    call = message.tool_call.function_calls[0]
                    break
            assert call is not None and call.name == "get_weather"
            assert call.args == {"city": "example"}
            await session.send_tool_response(
                function_responses=[
                    types.FunctionResponse(id=call.id, name=call.name, response={"sky": "clear"})
                ]
            )
            messages = await _turn(session)
            text = "".join(
                m.text or "" for m in messages if m.server_content and m.server_content.model_turn
            )
            assert text == 'get_weather returned {"sky": "clear"} (turn 1)'
            # The SDK sends snake_case top-level keys; the server normalised them.
            kinds = [next(iter(m)) for m in server.received]
            assert kinds == ["setup", "clientContent", "toolResponse"]


async def test_sdk_audio_turn_echo() -> None:
    async with LocalLiveServer(tls=True) as server:
        client = _client(server)
        config = types.LiveConnectConfig(
            response_modalities=["AUDIO"],
            input_audio_transcription=types.AudioTranscriptionConfig(),
            output_audio_transcription=types.AudioTranscriptionConfig(),
            realtime_input_config=types.RealtimeInputConfig(
                automatic_activity_detection=types.AutomaticActivityDetection(
                    silence_duration_ms=200
                )
            ),
        )
        async with client.aio.live.connect(model=MODEL, config=config) as session:  # type: ignore[attr-defined]
            stream = tone(0.5) + silence(0.3)
            for start in range(0, len(stream), 3200):
                await session.send_realtime_input(
                    audio=types.Blob(
                        data=stream[start : start + 3200], mime_type="audio/pcm;rate=16000"
                    )
                )
            messages = await asyncio.wait_for(_turn(session), timeout=20)
        pcm = b"".join(
            m.data or b"" for m in messages if m.server_content and m.server_content.model_turn
        )
        samples = np.frombuffer(pcm, dtype="<i2")
        assert abs(samples.size / 24_000 - 0.5) < 0.03
        heard = "".join(
            m.server_content.input_transcription.text or ""
            for m in messages
            if m.server_content and m.server_content.input_transcription
        )
        assert heard == "[speech 0.50 s]"
        assert server.audio_bytes == len(stream)


@pytest.mark.filterwarnings("ignore:The SDK.s ephemeral token support")
async def test_sdk_ephemeral_token_uses_the_constrained_method() -> None:
    token = "auth_tokens/local-test-token"
    async with LocalLiveServer(tls=True, api_key=token) as server:
        client = genai.Client(
            api_key=token,
            http_options={
                "base_url": server.base_url + "/",
                "api_version": "v1alpha",
                "async_client_args": {"ssl": server.client_ssl_context},
            },
        )
        config = types.LiveConnectConfig(response_modalities=["TEXT"])
        async with client.aio.live.connect(model=MODEL, config=config) as session:  # type: ignore[attr-defined]
            await session.send_realtime_input(text="token")
            messages = await _turn(session)
        assert messages[-1].server_content.turn_complete
        assert server.records[0].route.constrained
        assert server.records[0].route.api_version == "v1alpha"


async def test_sdk_non_blocking_tool_turn_on_native_audio() -> None:
    """NON_BLOCKING: the SDK sees the call, a filler turn, then the result in its own turn."""
    async with LocalLiveServer(tls=True, speed=math.inf) as server:
        client = _client(server)
        declaration = types.FunctionDeclaration(
            name="list_files",
            description="List a folder",
            parameters=types.Schema(
                type="OBJECT", properties={"path": types.Schema(type="STRING")}
            ),
            behavior=types.Behavior.NON_BLOCKING,
        )
        config = types.LiveConnectConfig(
            response_modalities=["AUDIO"],
            output_audio_transcription=types.AudioTranscriptionConfig(),
            tools=[types.Tool(function_declarations=[declaration])],
        )
        model = "gemini-2.5-flash-native-audio-preview-12-2025"
        async with client.aio.live.connect(model=model, config=config) as session:  # type: ignore[attr-defined]
            await session.send_realtime_input(text="list the files")
            call = None
            filler = ""
            async for message in session.receive():
                if message.tool_call:
                    call = message.tool_call.function_calls[0]
                content = message.server_content
                if content and content.output_transcription:
                    filler += content.output_transcription.text or ""
            assert call is not None and call.name == "list_files" and call.args == {"path": "."}
            assert filler == "I'm on it: calling list_files. (turn 1)"
            await session.send_tool_response(
                function_responses=[
                    types.FunctionResponse(
                        id=call.id,
                        name=call.name,
                        response={"ok": True, "result": {"path": ".", "entries": []}},
                        scheduling=types.FunctionResponseScheduling.WHEN_IDLE,
                    )
                ]
            )
            said = "".join(
                m.server_content.output_transcription.text or ""
                for m in await _turn(session)
                if m.server_content and m.server_content.output_transcription
            )
        assert said == "The folder . is empty (turn 1)"
        sent = [m for m in server.received if "toolResponse" in m]
        assert sent[0]["toolResponse"]["functionResponses"][0]["scheduling"] == "WHEN_IDLE"
