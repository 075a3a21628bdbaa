"""Session round trips against the embedded local Live server over real loopback sockets."""

from __future__ import annotations

import asyncio
import dataclasses
import io
import math
import struct
from typing import Any

import msgspec
import pytest
from PIL import Image

from gemini_live_tui.errors import LiveError, SetupRejected
from gemini_live_tui.live import (
    Auth,
    Endpoint,
    ReconnectPolicy,
    Session,
    SessionConfig,
    TransportConfig,
)
from gemini_live_tui.local import Fault, LocalLiveServer
from gemini_live_tui.protocol import events, types

MODEL = "models/gemini-3.1-flash-live-preview"


def config_for(
    url: str,
    *,
    key: str = "local-key",
    modality: types.Modality = types.Modality.TEXT,
    tools: list[types.Tool] | None = None,
    transcription: bool = False,
) -> SessionConfig:
    return SessionConfig(
        transport=TransportConfig(endpoint=Endpoint.custom(url), auth=Auth.api_key(key)),
        setup=types.SetupConfig(
            model=MODEL,
            generation_config=types.GenerationConfig(response_modalities=[modality]),
            session_resumption=types.SessionResumptionConfig(),
            tools=tools,
            output_audio_transcription=types.AudioTranscriptionConfig() if transcription else None,
            input_audio_transcription=types.AudioTranscriptionConfig() if transcription else None,
        ),
        reconnect=ReconnectPolicy(base_delay=0.05, max_delay=0.2),
    )


async def collect_turn(session: Session) -> list[Any]:
    """Events up to and including the next TurnComplete."""
    seen: list[Any] = []
    async with asyncio.timeout(20):
        while True:
            event = await session.next_event()
            assert event is not None, f"session closed: {seen}"
            seen.append(event)
            if isinstance(event, events.TurnComplete):
                return seen


def text_of(seen: list[Any]) -> str:
    return "".join(e.text for e in seen if isinstance(e, events.ModelText))


async def test_text_round_trip_streams_several_chunks() -> None:
    async with LocalLiveServer(port=0, api_key="local-key", speed=math.inf) as server:
        session = await Session.connect(config_for(server.url))
        await session.send_text("hello there")
        seen = await collect_turn(session)
        chunks = [e for e in seen if isinstance(e, events.ModelText)]
        assert len(chunks) > 1
        assert "You said: hello there" in text_of(seen)
        assert any(isinstance(e, events.GenerationComplete) for e in seen)
        usage = await asyncio.wait_for(session.next_event(), 5)
        assert isinstance(usage, events.Usage)
        assert (usage.metadata.total_token_count or 0) > 0
        await session.close()
        assert server.connections == 1


async def test_audio_in_is_echoed_back_as_24khz_audio_with_transcripts() -> None:
    async with LocalLiveServer(port=0, api_key="local-key", speed=math.inf) as server:
        session = await Session.connect(
            config_for(server.url, modality=types.Modality.AUDIO, transcription=True)
        )
        tone = b"".join(
            struct.pack("<h", int(12000 * math.sin(2 * math.pi * 440 * n / 16000)))
            for n in range(16000)
        )
        for start in range(0, len(tone), 1280):
            await session.send_audio(tone[start : start + 1280], sample_rate=16000)
        await session.audio_stream_end()
        seen = await collect_turn(session)
        audio = [e for e in seen if isinstance(e, events.ModelAudio)]
        assert audio and all(e.sample_rate == 24000 for e in audio)
        played = sum(len(e.data) for e in audio) / 2 / 24000
        assert 0.8 < played < 1.3  # the utterance, played back
        assert any(isinstance(e, events.InputTranscription) for e in seen)
        assert any(isinstance(e, events.OutputTranscription) for e in seen)
        await session.close()


async def test_image_reply_names_size_and_colour() -> None:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), (255, 136, 0)).save(buffer, "JPEG", quality=95)
    async with LocalLiveServer(port=0, api_key="local-key", speed=math.inf) as server:
        session = await Session.connect(config_for(server.url))
        await session.send_video(buffer.getvalue(), mime_type="image/jpeg")
        seen = await collect_turn(session)
        reply = text_of(seen)
        assert "64x48" in reply
        assert "#ff8800" in reply
        assert server.images and server.images[0].width == 64
        await session.close()


async def test_tool_call_round_trip() -> None:
    weather = types.FunctionDeclaration(
        name="get_weather",
        description="Weather for a city",
        parameters={
            "type": "OBJECT",
            "properties": {"city": {"type": "STRING"}},
            "required": ["city"],
        },
    )
    async with LocalLiveServer(port=0, api_key="local-key", speed=math.inf) as server:
        session = await Session.connect(
            config_for(server.url, tools=[types.Tool(function_declarations=[weather])])
        )
        await session.send_text("please call get_weather")
        async with asyncio.timeout(10):
            while True:
                event = await session.next_event()
                if isinstance(event, events.ToolCall):
                    break
        call = event.calls[0]
        assert call.name == "get_weather"
        assert "city" in (call.args or {})
        await session.send_tool_response(
            [types.FunctionResponse(id=call.id, name=call.name, response={"sky": "clear"})]
        )
        seen = await collect_turn(session)
        assert "clear" in text_of(seen)
        await session.close()


async def test_goaway_resumes_the_conversation_and_loses_nothing() -> None:
    async with LocalLiveServer(
        port=0, api_key="local-key", speed=math.inf, goaway_grace=5.0
    ) as server:
        session = await Session.connect(config_for(server.url))
        await session.send_text("first")
        first = await collect_turn(session)
        assert "(turn 1)" in text_of(first)
        await server.wait_for(lambda: server.statistics()["handles_issued"] >= 1)
        await server.inject(Fault.goaway(grace=5.0))
        async with asyncio.timeout(10):
            while not isinstance(await session.next_event(), events.GoAway):
                pass
        # Sent while the session moves to its next connection: it must not be lost.
        await session.send_text("second")
        seen = await collect_turn(session)
        reconnected = [e for e in seen if isinstance(e, events.Reconnected)]
        assert reconnected and reconnected[0].resumed
        assert "You said: second" in text_of(seen)
        assert "(turn 2)" in text_of(seen)
        await server.wait_for(lambda: server.connections == 2)
        assert server.statistics()["resumed_connections"] == 1
        assert session.statistics().reconnects == 1
        await session.close()


async def test_dropped_line_reconnects_with_backoff_and_resumes() -> None:
    async with LocalLiveServer(port=0, api_key="local-key", speed=math.inf) as server:
        session = await Session.connect(config_for(server.url))
        await session.send_text("one")
        await collect_turn(session)
        await server.wait_for(lambda: server.statistics()["handles_issued"] >= 1)
        await server.inject(Fault.drop())
        async with asyncio.timeout(10):
            while True:
                event = await session.next_event()
                if isinstance(event, events.Reconnecting):
                    assert event.delay > 0
                if isinstance(event, events.Reconnected):
                    assert event.resumed
                    break
        await session.send_text("two")
        seen = await collect_turn(session)
        assert "(turn 2)" in text_of(seen)
        await session.close()


async def test_wrong_key_is_rejected_once_with_the_server_reason() -> None:
    async with LocalLiveServer(port=0, api_key="right-key") as server:
        with pytest.raises(SetupRejected) as caught:
            await Session.connect(config_for(server.url, key="wrong-key"))
        assert caught.value.code == 1007
        assert "API key not valid" in caught.value.reason
        assert "wrong-key" not in str(caught.value)
        assert server.connections == 1


async def test_unknown_model_is_1008() -> None:
    async with LocalLiveServer(port=0, api_key="local-key") as server:
        config = config_for(server.url)
        bad = SessionConfig(
            transport=config.transport,
            setup=types.SetupConfig(model="models/no-such-model"),
        )
        with pytest.raises(SetupRejected) as caught:
            await Session.connect(bad)
        assert caught.value.code == 1008


async def test_clean_close_ends_with_1000() -> None:
    async with LocalLiveServer(port=0, api_key="local-key") as server:
        session = await Session.connect(config_for(server.url))
        await session.close()
        closed = None
        async with asyncio.timeout(5):
            async for event in session.events():
                closed = event
        assert isinstance(closed, events.Closed)
        assert closed.code == 1000
        await server.wait_for(lambda: server.open_connections == 0)


async def test_reconfigure_reconnects_with_the_handle_and_new_settings() -> None:
    async with LocalLiveServer(port=0, api_key="local-key", speed=math.inf) as server:
        session = await Session.connect(config_for(server.url))
        with pytest.raises(LiveError, match="no resumption handle"):
            await session.reconfigure(session.config.setup)
        await session.send_text("one")
        await collect_turn(session)
        await server.wait_for(lambda: server.statistics()["handles_issued"] >= 1)
        voiced = msgspec.structs.replace(
            session.config.setup,
            system_instruction=types.Content(parts=[types.Part(text="Be brief.")]),
        )
        assert await session.reconfigure(voiced)
        await session.send_text("two")
        seen = await collect_turn(session)
        assert "(turn 2)" in text_of(seen)
        setup = server.records[1].received[0]["setup"]
        assert setup["systemInstruction"]["parts"][0]["text"] == "Be brief."
        assert setup["sessionResumption"]["handle"]
        await session.close()


async def test_images_and_text_sent_together_get_one_reply_naming_all() -> None:
    frames = []
    for colour in ((255, 0, 0), (0, 0, 255)):
        buffer = io.BytesIO()
        Image.new("RGB", (32, 32), colour).save(buffer, "PNG")
        frames.append(buffer.getvalue())
    async with LocalLiveServer(port=0, api_key="local-key", speed=math.inf) as server:
        session = await Session.connect(config_for(server.url))
        for frame in frames:
            await session.send_video(frame, mime_type="image/png")
        await session.send_text("describe these")
        seen = await collect_turn(session)
        reply = text_of(seen)
        assert "You said: describe these" in reply
        assert "#ff0000" in reply
        assert "#0000ff" in reply
        assert not any(isinstance(e, events.Interrupted) for e in seen)
        await session.close()


async def test_a_long_file_sent_while_reconnecting_arrives_whole() -> None:
    """A user's own ``@talk.wav`` is never dropped, even past the live-media bound."""
    release = asyncio.Event()

    async def held_sleep(delay: float) -> None:
        await release.wait()  # hold the reconnect until the file is queued

    async with LocalLiveServer(port=0, api_key="local-key", speed=math.inf) as server:
        config = dataclasses.replace(config_for(server.url), max_pending_media=20)
        session = await Session.connect(config, sleep=held_sleep)
        await session.send_text("one")
        await collect_turn(session)
        await server.wait_for(lambda: server.statistics()["handles_issued"] >= 1)
        await server.inject(Fault.drop())
        async with asyncio.timeout(10):
            while not isinstance(await session.next_event(), events.Reconnecting):
                pass
        chunk = struct.pack("<1600h", *([1000] * 1600))  # 100 ms at 16 kHz
        for _ in range(60):  # three times the live-media bound
            await session.send_audio(chunk, 16000, live=False)
        release.set()
        async with asyncio.timeout(10):
            while not isinstance(await session.next_event(), events.Reconnected):
                pass
        await server.wait_for(lambda: server.records[-1].audio_bytes >= 60 * len(chunk))
        assert session.statistics().dropped_media_messages == 0
        await session.close()
