"""The proxy end to end: uvicorn on loopback, a websockets client as the browser, the
local Live server upstream."""

from __future__ import annotations

import asyncio
import base64
import io
import json
import logging
import math

import httpx
import numpy as np
import pytest
from PIL import Image
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

from gemini_live_tui.local import LocalLiveServer
from gemini_live_tui.local.faults import Fault
from gemini_live_tui.server.tokens import MemoryTokenStore

from .conftest import (
    TEXT_SETUP,
    FakeClock,
    is_turn_complete,
    model_text,
    receive_until,
    run_proxy,
    settings_for,
)


async def closed_with(ws: object, limit: float = 10.0) -> tuple[int, str, list[object]]:
    """Read until the proxy closes; the close code, reason and frames before it."""
    frames: list[object] = []
    assert hasattr(ws, "recv")
    try:
        async with asyncio.timeout(limit):
            while True:
                raw = await ws.recv()
                frames.append(raw if isinstance(raw, bytes) else json.loads(raw))
    except ConnectionClosed as exc:
        assert exc.rcvd is not None, "closed without a close frame"
        return exc.rcvd.code, exc.rcvd.reason, frames


def speech_chunks(seconds: float, *, silence: float = 1.0) -> list[bytes]:
    """40 ms chunks of 16 kHz PCM: a tone for ``seconds``, then ``silence`` of quiet."""
    rate = 16000
    t = np.arange(int(seconds * rate)) / rate
    tone = 0.3 * np.sin(2 * math.pi * 440 * t)
    quiet = np.zeros(int(silence * rate))
    pcm = (np.concatenate([tone, quiet]) * 32767).astype("<i2").tobytes()
    return [pcm[i : i + 1280] for i in range(0, len(pcm), 1280)]


async def test_health_names_the_model(local: LocalLiveServer) -> None:
    async with (
        run_proxy(
            settings_for(model="gemini-3.1-flash-live-preview"), local_url=local.url
        ) as proxy,
        httpx.AsyncClient() as client,
    ):
        reply = await client.get(f"{proxy.http}/api/health")
    assert reply.status_code == 200
    body = reply.json()
    assert body["status"] == "ok"
    assert body["model"] == "gemini-3.1-flash-live-preview"


async def test_auth_issues_one_time_token_and_limit(local: LocalLiveServer) -> None:
    async with (
        run_proxy(settings_for(session_time_limit=90), local_url=local.url) as proxy,
        httpx.AsyncClient() as client,
    ):
        reply = await client.post(f"{proxy.http}/api/auth")
        page = await client.get(f"{proxy.http}/")
    assert reply.status_code == 200
    assert reply.headers["cache-control"] == "no-store"
    body = reply.json()
    assert set(body) == {"session_token", "session_time_limit"}
    assert len(body["session_token"]) >= 40
    assert body["session_time_limit"] == 90
    assert page.status_code == 200 and "/static/app.js" in page.text
    assert "default-src 'self'" in page.headers["content-security-policy"]


async def test_auth_is_rate_limited_per_address(local: LocalLiveServer) -> None:
    clock = FakeClock()  # no window boundary can fall inside the test
    store = MemoryTokenStore(rate_limit=3, rate_window=60.0, clock=clock)
    async with (
        run_proxy(settings_for(), local_url=local.url, token_store=store) as proxy,
        httpx.AsyncClient() as client,
    ):
        codes = [(await client.post(f"{proxy.http}/api/auth")).status_code for _ in range(5)]
        limited = await client.post(f"{proxy.http}/api/auth")
        clock.advance(60.0)
        next_window = await client.post(f"{proxy.http}/api/auth")
    assert codes == [200, 200, 200, 429, 429]
    assert next_window.status_code == 200
    assert "retry-after" in limited.headers
    assert "too many" in limited.json()["error"]


async def test_text_round_trip(local: LocalLiveServer) -> None:
    async with (
        run_proxy(settings_for(), local_url=local.url) as proxy,
        proxy.browser(TEXT_SETUP) as ws,
    ):
        await ws.send(json.dumps({"type": "text", "text": "hello proxy"}))
        frames = await receive_until(ws, is_turn_complete)
    assert "You said: hello proxy" in model_text(frames)
    # The upstream setup carried the server's model, never one from the browser.
    assert local.records[0].setup is not None
    assert local.records[0].setup["model"] == "models/gemini-3.1-flash-live-preview"


async def test_audio_round_trip_with_transcripts(local: LocalLiveServer) -> None:
    setup = {
        "setup": {
            "generationConfig": {"responseModalities": ["AUDIO"]},
            "inputAudioTranscription": {},
            "outputAudioTranscription": True,
            "voice": "Puck",
        }
    }
    chunks = speech_chunks(0.6)
    async with (
        run_proxy(settings_for(), local_url=local.url) as proxy,
        proxy.browser(setup) as ws,
    ):
        for chunk in chunks:
            await ws.send(chunk)
        frames = await receive_until(ws, is_turn_complete)
    audio = b"".join(f for f in frames if isinstance(f, bytes))
    heard = [
        f["serverContent"]["inputTranscription"]["text"]
        for f in frames
        if isinstance(f, dict) and "inputTranscription" in f.get("serverContent", {})
    ]
    said = [
        f["serverContent"]["outputTranscription"]["text"]
        for f in frames
        if isinstance(f, dict) and "outputTranscription" in f.get("serverContent", {})
    ]
    assert any("speech" in text for text in heard)
    assert "Echo" in "".join(said)
    # The local server echoes the utterance at 24 kHz: about 0.6 s of 16-bit samples.
    assert len(audio) % 2 == 0 and 0.5 * 48000 < len(audio) < 0.8 * 48000
    assert local.audio_bytes == sum(len(c) for c in chunks)  # every chunk arrived
    assert local.records[0].setup["generationConfig"]["speechConfig"] == {
        "voiceConfig": {"prebuiltVoiceConfig": {"voiceName": "Puck"}}
    }


async def test_image_round_trip(local: LocalLiveServer) -> None:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 30, 30)).save(buffer, format="JPEG")
    data = base64.b64encode(buffer.getvalue()).decode()
    async with (
        run_proxy(settings_for(), local_url=local.url) as proxy,
        proxy.browser(TEXT_SETUP) as ws,
    ):
        await ws.send(json.dumps({"type": "image", "data": data, "mimeType": "image/jpeg"}))
        frames = await receive_until(ws, is_turn_complete)
    assert "I see" in model_text(frames) and "64x48" in model_text(frames)
    assert local.images[0].width == 64


async def test_tool_call_round_trip(local: LocalLiveServer) -> None:
    setup = {
        "setup": {
            "generation_config": {"response_modalities": ["TEXT"]},
            "tools": {
                "functionDeclarations": [
                    {
                        "name": "get_time",
                        "description": "the time",
                        "parameters": {"type": "object", "properties": {}},
                    }
                ]
            },
        }
    }
    async with (
        run_proxy(settings_for(), local_url=local.url) as proxy,
        proxy.browser(setup) as ws,
    ):
        await ws.send(json.dumps({"type": "text", "text": "please get_time now"}))
        frames = await receive_until(ws, lambda f: isinstance(f, dict) and "toolCall" in f)
        call = frames[-1]["toolCall"]["functionCalls"][0]
        assert call["name"] == "get_time"
        await ws.send(
            json.dumps(
                {
                    "type": "tool_response",
                    "functionResponses": [
                        {"id": call["id"], "name": "get_time", "response": {"output": "noon"}}
                    ],
                }
            )
        )
        frames = await receive_until(ws, is_turn_complete)
    assert 'get_time returned {"output": "noon"}' in model_text(frames)


async def test_reused_token_is_refused_without_upstream(local: LocalLiveServer) -> None:
    async with run_proxy(settings_for(), local_url=local.url) as proxy:
        token = await proxy.token()
        async with proxy.browser(TEXT_SETUP, token=token):
            pass
        await local.wait_for(lambda: local.open_connections == 0)
        async with connect(f"{proxy.ws}?token={token}") as ws:
            code, reason, frames = await closed_with(ws)
    assert code == 1008
    assert reason == "session token invalid, expired or used"
    assert frames == [{"error": {"code": 1008, "message": reason}}]
    assert local.connections == 1  # only the first use reached upstream


async def test_missing_token_is_refused(local: LocalLiveServer) -> None:
    async with run_proxy(settings_for(), local_url=local.url) as proxy, connect(proxy.ws) as ws:
        code, reason, _ = await closed_with(ws)
    assert (code, reason) == (1008, "session token missing")
    assert local.connections == 0


async def test_expired_token_is_refused(local: LocalLiveServer) -> None:
    clock = FakeClock()
    store = MemoryTokenStore(ttl=30.0, clock=clock)
    async with run_proxy(settings_for(), local_url=local.url, token_store=store) as proxy:
        late = await proxy.token()
        on_time = await proxy.token()
        clock.advance(29.0)
        async with proxy.browser(TEXT_SETUP, token=on_time):
            pass
        clock.advance(1.5)
        async with connect(f"{proxy.ws}?token={late}") as ws:
            code, reason, _ = await closed_with(ws)
    assert (code, reason) == (1008, "session token invalid, expired or used")
    assert local.connections == 1


async def test_bad_origin_is_refused_at_handshake(local: LocalLiveServer) -> None:
    settings = settings_for(allowed_origins=("https://app.example",))
    async with run_proxy(settings, local_url=local.url) as proxy:
        token = await proxy.token()
        with pytest.raises(InvalidStatus) as refused:
            async with connect(
                f"{proxy.ws}?token={token}", additional_headers={"Origin": "https://evil.example"}
            ):
                pass
        async with httpx.AsyncClient() as client:
            auth = await client.post(
                f"{proxy.http}/api/auth", headers={"Origin": "https://evil.example"}
            )
        # The token was not spent by the refused handshake; the allowed origin works.
        async with proxy.browser(TEXT_SETUP, token=token, origin="https://app.example") as ws:
            await ws.send(json.dumps({"type": "text", "text": "hi"}))
            await receive_until(ws, is_turn_complete)
    assert refused.value.response.status_code == 403
    assert auth.status_code == 403
    assert local.connections == 1


async def test_same_origin_page_is_allowed_by_default(local: LocalLiveServer) -> None:
    async with (
        run_proxy(settings_for(), local_url=local.url) as proxy,
        proxy.browser(TEXT_SETUP, origin=proxy.http),
    ):
        pass
        with pytest.raises(InvalidStatus):
            async with connect(
                f"{proxy.ws}?token={await proxy.token()}",
                additional_headers={"Origin": "http://localhost:1"},
            ):
                pass


async def test_oversize_audio_frame_closes_1009(local: LocalLiveServer) -> None:
    settings = settings_for(max_audio_frame_bytes=4096, max_message_bytes=65536)
    async with (
        run_proxy(settings, local_url=local.url) as proxy,
        proxy.browser(TEXT_SETUP) as ws,
    ):
        await ws.send(b"\x00" * 4098)
        code, reason, frames = await closed_with(ws)
    assert code == 1009
    assert "4098 bytes is over the 4096-byte limit" in reason
    assert frames[-1]["error"]["code"] == 1009
    await local.wait_for(lambda: local.open_connections == 0)


async def test_oversize_message_closes_1009(local: LocalLiveServer) -> None:
    settings = settings_for(max_audio_frame_bytes=4096, max_message_bytes=65536)
    async with (
        run_proxy(settings, local_url=local.url) as proxy,
        proxy.browser(TEXT_SETUP) as ws,
    ):
        await ws.send(json.dumps({"type": "text", "text": "x" * 70000}))
        with pytest.raises(ConnectionClosed) as closed:
            async with asyncio.timeout(10):
                while True:
                    await ws.recv()
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 1009
    await local.wait_for(lambda: local.open_connections == 0)


async def test_bad_setup_gets_clear_reason_and_no_upstream(local: LocalLiveServer) -> None:
    async with run_proxy(settings_for(), local_url=local.url) as proxy:
        bad = {"setup": {"generationConfig": {"responseModalities": ["TEXT"]}, "model": "x"}}
        async with proxy.browser(bad, expect_ready=False) as ws:
            code, reason, frames = await closed_with(ws)
    assert code == 1007
    assert reason.startswith("setup: unknown field 'model'")
    assert frames[0]["error"]["message"].startswith("setup: unknown field 'model'")
    assert local.connections == 0


async def test_garbage_frame_after_setup_closes_1007(local: LocalLiveServer) -> None:
    async with (
        run_proxy(settings_for(), local_url=local.url) as proxy,
        proxy.browser(TEXT_SETUP) as ws,
    ):
        await ws.send("this is not json")
        code, reason, _ = await closed_with(ws)
    assert (code, reason) == (1007, "message: not valid JSON")
    await local.wait_for(lambda: local.open_connections == 0)


async def test_upstream_rejection_reaches_browser_as_error(local: LocalLiveServer) -> None:
    async with (
        run_proxy(settings_for(model="no-such-model"), local_url=local.url) as proxy,
        proxy.browser(TEXT_SETUP, expect_ready=False) as ws,
    ):
        code, reason, frames = await closed_with(ws)
    assert code == 1011
    assert reason == (
        "upstream refused the setup (code 1008: check the model name and the API version)"
    )
    assert frames[0]["error"]["code"] == 1011


async def test_session_time_limit_warns_then_closes(local: LocalLiveServer) -> None:
    settings = settings_for(session_time_limit=1.0, session_warning=0.5)
    async with (
        run_proxy(settings, local_url=local.url) as proxy,
        proxy.browser(TEXT_SETUP) as ws,
    ):
        code, reason, frames = await closed_with(ws)
    assert (code, reason) == (1000, "session time limit reached")
    assert len(frames) == 1 and frames[0]["goAway"]["reason"] == "session time limit"
    await local.wait_for(lambda: local.open_connections == 0)


async def test_upstream_goaway_is_invisible_to_the_browser() -> None:
    async with (
        LocalLiveServer(port=0, speed=math.inf, goaway_after=0.3, goaway_grace=0.5) as local,
        run_proxy(settings_for(), local_url=local.url) as proxy,
        proxy.browser(TEXT_SETUP) as ws,
    ):
        await ws.send(json.dumps({"type": "text", "text": "first"}))
        first = await receive_until(ws, is_turn_complete)
        await local.wait_for(lambda: local.connections >= 3, timeout=15)
        await ws.send(json.dumps({"type": "text", "text": "second"}))
        second = await receive_until(ws, is_turn_complete)
    assert "You said: first" in model_text(first)
    # The conversation continued on a resumed connection: the turn counter went on.
    assert "You said: second (turn 2)" in model_text(second)
    assert any(record.resumed for record in local.records)
    seen = [f for f in first + second if isinstance(f, dict)]
    assert not any("goAway" in f or "error" in f for f in seen)


async def test_token_never_reaches_the_log(local: LocalLiveServer) -> None:
    lines: list[str] = []

    class Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            lines.append(record.getMessage())

    handler = Collect()
    async with run_proxy(settings_for(), local_url=local.url) as proxy:
        uvicorn_log = logging.getLogger("uvicorn.error")
        uvicorn_log.setLevel(logging.INFO)
        uvicorn_log.addHandler(handler)
        try:
            token = await proxy.token()
            async with proxy.browser(TEXT_SETUP, token=token):
                pass
        finally:
            uvicorn_log.removeHandler(handler)
    text = "\n".join(lines)
    assert "WebSocket /ws?token=***" in text
    assert token not in text


async def test_no_setup_in_time_closes_1008(local: LocalLiveServer) -> None:
    async with (
        run_proxy(settings_for(setup_timeout=0.3), local_url=local.url) as proxy,
        connect(f"{proxy.ws}?token={await proxy.token()}") as ws,
    ):
        code, reason, _ = await closed_with(ws)
    assert (code, reason) == (1008, "setup: no setup message within the time allowed")
    assert local.connections == 0


async def test_fatal_upstream_close_reaches_browser(local: LocalLiveServer) -> None:
    async with run_proxy(settings_for(), local_url=local.url) as proxy, proxy.browser() as ws:
        await local.wait_for(lambda: local.open_connections == 1)
        await local.inject(Fault.close(1007, "Request contains an invalid argument."))
        code, reason, frames = await closed_with(ws)
    assert code == 1011
    assert reason == "upstream session ended (code 1007: check the API key and the setup fields)"
    assert frames[-1]["error"]["code"] == 1011


async def test_upstream_drop_is_invisible_to_the_browser(local: LocalLiveServer) -> None:
    async with run_proxy(settings_for(), local_url=local.url) as proxy, proxy.browser() as ws:
        await ws.send(json.dumps({"type": "text", "text": "before"}))
        await receive_until(ws, is_turn_complete)
        await local.inject(Fault.drop())
        await local.wait_for(lambda: local.connections == 2 and local.open_connections == 1)
        await ws.send(json.dumps({"type": "text", "text": "after"}))
        frames = await receive_until(ws, is_turn_complete)
    assert "You said: after (turn 2)" in model_text(frames)
    assert not any(isinstance(f, dict) and "error" in f for f in frames)


async def test_sessions_over_the_limit_are_refused(local: LocalLiveServer) -> None:
    async with (
        run_proxy(settings_for(max_sessions=1), local_url=local.url) as proxy,
        proxy.browser(),
        connect(f"{proxy.ws}?token={await proxy.token()}") as second,
    ):
        code, reason, frames = await closed_with(second)
    assert (code, reason) == (1013, "server busy; try again later")
    assert frames == [{"error": {"code": 1013, "message": reason}}]
    assert local.connections == 1


async def test_app_enforces_the_message_limit_under_a_lenient_server(
    local: LocalLiveServer,
) -> None:
    settings = settings_for(max_audio_frame_bytes=4096, max_message_bytes=65536)
    async with (
        run_proxy(settings, local_url=local.url, ws_max_size=1 << 20) as proxy,
        proxy.browser(TEXT_SETUP) as ws,
    ):
        await ws.send(json.dumps({"type": "text", "text": "x" * 70000}))
        code, reason, frames = await closed_with(ws)
    assert (code, reason) == (1009, "message over the size limit")
    assert frames[-1]["error"]["code"] == 1009
