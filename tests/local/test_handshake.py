"""The local server's admission rules: paths, credentials, setup-first, model names."""

from __future__ import annotations

import asyncio
import json

import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

from gemini_live_tui.local import LocalLiveServer

from .helpers import open_client

PATHS = [
    "/ws/google.ai.generativelanguage.v1beta.GenerativeService.BidiGenerateContent",
    "/ws/google.ai.generativelanguage.v1.GenerativeService.BidiGenerateContent",
    "/ws/google.ai.generativelanguage.v1alpha.GenerativeService.BidiGenerateContent",
    "/ws/google.ai.generativelanguage.v1alpha.GenerativeService.BidiGenerateContentConstrained",
    "//ws/google.ai.generativelanguage.v1beta.GenerativeService.BidiGenerateContent",
    "/ws",
]


async def closed_with(client_ws: object) -> tuple[int, str]:
    """Read until the server closes; return its close code and reason."""
    with pytest.raises(ConnectionClosed) as info:
        async with asyncio.timeout(10):
            while True:
                await client_ws.recv()  # type: ignore[attr-defined]
    received = info.value.rcvd
    assert received is not None, "expected a close frame"
    return received.code, received.reason


@pytest.mark.parametrize("path", PATHS)
async def test_setup_completes_on_every_developer_path(path: str) -> None:
    async with LocalLiveServer(api_key="test-key") as server:
        url = f"ws://127.0.0.1:{server.port}{path}"
        client = await open_client(server, url=url)
        await client.close()
        assert server.records[0].setup is not None
        assert server.records[0].setup["model"] == "models/x"


async def test_setup_complete_is_an_empty_binary_json_object() -> None:
    async with LocalLiveServer() as server:
        client = await open_client(server, expect_setup_complete=False)
        frame = await client.ws.recv(decode=False)
        assert isinstance(frame, bytes)
        assert json.loads(frame) == {"setupComplete": {}}
        await client.close()


async def test_vertex_path_with_bearer_token_gets_a_session_id() -> None:
    async with LocalLiveServer(api_key="tok") as server:
        url = (
            f"ws://127.0.0.1:{server.port}"
            "//ws/google.cloud.aiplatform.v1beta1.LlmBidiService/BidiGenerateContent"
        )
        setup = {
            "model": "projects/p/locations/us-central1/publishers/google/models/"
            "gemini-live-2.5-flash-native-audio",
            "generationConfig": {"responseModalities": ["AUDIO"]},
        }
        client = await open_client(
            server,
            setup,
            url=url,
            headers={"Authorization": "Bearer tok"},
            expect_setup_complete=False,
        )
        first = await client.recv()
        assert len(first["setupComplete"]["sessionId"]) == 36
        assert server.records[0].route.vertex
        await client.close()


async def test_key_in_query_string_is_accepted() -> None:
    async with LocalLiveServer(api_key="qk") as server:
        client = await open_client(server, url=server.url + "?key=qk", headers={})
        await client.close()


async def test_ephemeral_token_header_on_constrained_path() -> None:
    async with LocalLiveServer(api_key="auth_tokens/abc") as server:
        url = server.url.replace("v1beta", "v1alpha") + "Constrained"
        client = await open_client(
            server, url=url, headers={"Authorization": "Token auth_tokens/abc"}
        )
        assert server.records[0].route.constrained
        await client.close()


async def test_unknown_path_is_rejected_with_http_404() -> None:
    async with LocalLiveServer() as server:
        with pytest.raises(InvalidStatus) as info:
            await connect(f"ws://127.0.0.1:{server.port}/ws/other.Service")
        assert info.value.response.status_code == 404
        assert server.connections == 0


async def test_wrong_key_closes_1007_with_the_real_text() -> None:
    async with LocalLiveServer(api_key="right") as server:
        client = await open_client(
            server, headers={"x-goog-api-key": "wrong"}, expect_setup_complete=False
        )
        code, reason = await closed_with(client.ws)
        assert (code, reason) == (1007, "API key not valid. Please pass a valid API key.")
        assert server.records[0].setup is None  # nothing was accepted


async def test_missing_key_closes_1007() -> None:
    async with LocalLiveServer(api_key="right") as server:
        client = await open_client(server, headers={}, expect_setup_complete=False)
        code, reason = await closed_with(client.ws)
        assert code == 1007
        assert "API key" in reason


async def test_no_configured_key_accepts_any() -> None:
    async with LocalLiveServer(api_key=None) as server:
        client = await open_client(server, headers={"x-goog-api-key": "anything"})
        await client.close()


@pytest.mark.parametrize("model", ["models/gemini-1.0-pro", "models/gemini-2.0-flash-live-001"])
async def test_unknown_or_retired_model_closes_1008(model: str) -> None:
    async with LocalLiveServer() as server:
        client = await open_client(server, {"model": model}, expect_setup_complete=False)
        code, reason = await closed_with(client.ws)
        assert code == 1008
        assert reason.startswith(f"{model} is not found for API version v1beta")
        assert len(reason.encode()) <= 123


async def test_model_pattern_and_extra_models() -> None:
    async with LocalLiveServer(extra_models=["models/my-test-model"]) as server:
        for model in ["models/gemini-9.9-flash-live-preview", "models/my-test-model"]:
            client = await open_client(
                server, {"model": model, "generationConfig": {"responseModalities": ["AUDIO"]}}
            )
            await client.close()


async def test_native_audio_model_refuses_text_modality() -> None:
    async with LocalLiveServer() as server:
        setup = {
            "model": "models/gemini-2.5-flash-native-audio-preview-12-2025",
            "generationConfig": {"responseModalities": ["TEXT"]},
        }
        client = await open_client(server, setup, expect_setup_complete=False)
        code, _reason = await closed_with(client.ws)
        assert code == 1007


async def test_first_message_must_be_setup() -> None:
    async with LocalLiveServer() as server:
        async with connect(server.url) as ws:
            await ws.send(json.dumps({"realtimeInput": {"text": "hi"}}))
            code, reason = await closed_with(ws)
        assert (code, reason) == (1007, "Request contains an invalid argument.")


async def test_invalid_json_closes_1007() -> None:
    async with LocalLiveServer() as server:
        async with connect(server.url) as ws:
            await ws.send("{not json")
            code, _reason = await closed_with(ws)
        assert code == 1007


async def test_transcription_nested_in_generation_config_is_rejected_like_the_service() -> None:
    async with LocalLiveServer() as server:
        setup = {"model": "models/x", "generationConfig": {"inputAudioTranscription": {}}}
        client = await open_client(server, setup, expect_setup_complete=False)
        code, reason = await closed_with(client.ws)
        assert code == 1007
        assert "Unknown name \"inputAudioTranscription\" at 'setup.generation_config'" in reason


async def test_snake_case_and_camel_case_keys_are_both_accepted() -> None:
    async with LocalLiveServer() as server:
        setup = {
            "model": "models/x",
            "generation_config": {"response_modalities": ["TEXT"]},
            "realtime_input_config": {"automatic_activity_detection": {"silence_duration_ms": 50}},
        }
        client = await open_client(server, setup)
        await client.close()
        stored = server.records[0].setup
        assert stored is not None
        assert stored["generationConfig"] == {"responseModalities": ["TEXT"]}
        detection = stored["realtimeInputConfig"]["automaticActivityDetection"]
        assert detection == {"silenceDurationMs": 50}


async def test_second_setup_closes_1007() -> None:
    async with LocalLiveServer() as server:
        client = await open_client(server)
        await client.send({"setup": {"model": "models/x"}})
        code, _ = await closed_with(client.ws)
        assert code == 1007


@pytest.mark.parametrize(
    ("setup_extra", "message"),
    [
        ({"realtimeInputConfig": "loud"}, None),
        ({}, {"realtimeInput": {"audio": {"mimeType": "audio/pcm", "data": 5}}}),
        ({}, {"realtimeInput": {"audio": "nope"}}),
        ({}, {"clientContent": {"turns": [{"parts": "text"}], "turnComplete": True}}),
        ({}, {"toolResponse": {"functionResponses": "x"}}),
    ],
)
async def test_fields_of_the_wrong_type_close_1007(
    setup_extra: dict[str, object], message: dict[str, object] | None
) -> None:
    async with LocalLiveServer() as server:
        setup = {"model": "models/x", **setup_extra}
        client = await open_client(server, setup, expect_setup_complete=message is not None)
        if message is not None:
            await client.send(message)
        code, reason = await closed_with(client.ws)
        assert (code, reason) == (1007, "Request contains an invalid argument.")
