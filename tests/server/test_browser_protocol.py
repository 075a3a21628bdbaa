"""Browser frame validation and translation, without sockets."""

from __future__ import annotations

import asyncio
import base64
import json

import pytest

from gemini_live_tui.protocol import events, types
from gemini_live_tui.server import browser_protocol as bp
from gemini_live_tui.server.bridge import BridgeStatistics, BrowserBridge, build_setup, event_frame
from gemini_live_tui.server.settings import ServerSettings

SNAKE = {
    "setup": {
        "generation_config": {
            "response_modalities": ["AUDIO"],
            "speech_config": {
                "voice_config": {"prebuilt_voice_config": {"voice_name": "Aoede"}},
                "language_code": "en-US",
            },
            "temperature": 0.7,
            "top_k": 40,
        },
        "system_instruction": {"parts": [{"text": "Be brief."}]},
        "tools": {
            "function_declarations": [
                {
                    "name": "get_weather",
                    "description": "Weather",
                    "parameters": {
                        "type": "object",
                        "properties": {"location_name": {"type": "string"}},
                    },
                }
            ]
        },
        "input_audio_transcription": True,
        "output_audio_transcription": {},
    }
}
CAMEL = {
    "setup": {
        "generationConfig": {
            "responseModalities": ["AUDIO"],
            "speechConfig": {
                "voiceConfig": {"prebuiltVoiceConfig": {"voiceName": "Aoede"}},
                "languageCode": "en-US",
            },
            "temperature": 0.7,
            "topK": 40,
        },
        "systemInstruction": {"parts": [{"text": "Be brief."}]},
        "tools": [
            {
                "functionDeclarations": [
                    {
                        "name": "get_weather",
                        "description": "Weather",
                        "parameters": {
                            "type": "object",
                            "properties": {"location_name": {"type": "string"}},
                        },
                    }
                ]
            }
        ],
        "inputAudioTranscription": {},
        "outputAudioTranscription": True,
    }
}


def test_snake_and_camel_setups_mean_the_same() -> None:
    snake = bp.parse_setup(json.dumps(SNAKE))
    camel = bp.parse_setup(json.dumps(CAMEL))
    assert snake == camel
    assert snake.voice_name == "Aoede" and snake.language_code == "en-US"
    assert snake.top_k == 40 and snake.temperature == 0.7
    assert snake.system_instruction == "Be brief."
    assert snake.input_transcription and snake.output_transcription
    # Schema property names belong to the page and are not case-converted.
    assert snake.function_declarations[0].parameters == {
        "type": "object",
        "properties": {"location_name": {"type": "string"}},
    }


def test_bare_setup_object_and_defaults() -> None:
    setup = bp.parse_setup("{}")
    assert setup == bp.BrowserSetup()
    assert setup.response_modalities == ("AUDIO",)
    assert bp.parse_setup('{"system_instruction": "hi", "voice": "Kore"}').voice_name == "Kore"


@pytest.mark.parametrize(
    ("message", "error"),
    [
        ("not json", "setup: not valid JSON"),
        ("[1]", "setup: expected a JSON object, got a list"),
        ('{"setup": {"model": "x"}}', "setup: unknown field 'model'"),
        ('{"setup": {}, "model": "x"}', "setup: unexpected field 'model' next to 'setup'"),
        (
            '{"setup": {"generation_config": {"response_modalities": ["VIDEO"]}}}',
            "setup.generation_config.response_modalities: 'VIDEO' is not AUDIO or TEXT",
        ),
        (
            '{"setup": {"generation_config": {"temperature": 9}}}',
            "setup.generation_config.temperature: 9 is outside 0.0..2.0",
        ),
        (
            '{"setup": {"generationConfig": {"topK": "many"}}}',
            "setup.generation_config.top_k: expected a whole number, got a string",
        ),
        ('{"setup": {"voice": "no spaces allowed"}}', "setup.voice: 'no spaces allowed' is not"),
        (
            '{"setup": {"voice": "A", "system_instruction": {"parts": []}}}',
            "setup.system_instruction.parts: expected a non-empty list",
        ),
        (
            '{"setup": {"input_audio_transcription": "yes"}}',
            "setup.input_audio_transcription: expected true, false or {}",
        ),
        (
            '{"setup": {"tools": {"function_declarations": [{"name": "1bad"}]}}}',
            "setup.tools.function_declarations[0].name: '1bad' is not a valid function name",
        ),
        (
            '{"setup": {"tools": {"google_search": {}}}}',
            "setup.tools: unknown field 'google_search'",
        ),
        (
            '{"setup": {"tools": {"function_declarations": [{"name": "f"}, {"name": "f"}]}}}',
            "setup.tools: two functions share a name",
        ),
        (
            '{"setup": {"voice": "A", "generationConfig": {}, "generation_config": {}}}',
            "setup: field 'generation_config' given twice",
        ),
    ],
)
def test_bad_setups_name_the_field(message: str, error: str) -> None:
    with pytest.raises(bp.BrowserProtocolError) as caught:
        bp.parse_setup(message)
    assert str(caught.value).startswith(error)
    assert caught.value.close_code == bp.CLOSE_INVALID_DATA
    assert "\n" not in str(caught.value)


def test_binary_first_frame_is_refused() -> None:
    with pytest.raises(bp.BrowserProtocolError, match="got a binary frame"):
        bp.parse_setup(b"\x00\x01")


def test_commands() -> None:
    assert bp.parse_command(b"\x01\x02", max_audio_bytes=10) == bp.AudioChunk(b"\x01\x02")
    assert bp.parse_command('{"type": "text", "text": "hi"}', max_audio_bytes=10) == (
        bp.TextMessage("hi")
    )
    assert bp.parse_command('{"type": "audioStreamEnd"}', max_audio_bytes=10) == (
        bp.AudioStreamEnd()
    )
    response = bp.parse_command(
        '{"type": "toolResponse", "functionResponses": '
        '[{"id": "c1", "name": "f", "response": {"output": 1}}]}',
        max_audio_bytes=10,
    )
    assert response == bp.ToolResponse((bp.ToolResult("c1", "f", {"output": 1}),))


def test_image_in_either_base64_alphabet_and_data_url() -> None:
    jpeg = b"\xff\xd8\xff\xe0" + bytes(range(250, 256)) * 3
    standard = base64.b64encode(jpeg).decode()
    urlsafe = base64.urlsafe_b64encode(jpeg).decode()
    assert standard != urlsafe
    for data in (standard, urlsafe, "data:image/jpeg;base64," + standard):
        frame = bp.parse_command(json.dumps({"type": "image", "data": data}), max_audio_bytes=1)
        assert frame == bp.ImageFrame(jpeg, "image/jpeg")


@pytest.mark.parametrize(
    ("frame", "error", "code"),
    [
        (b"\x00" * 9, "audio frame: odd byte count", 1007),
        (b"\x00" * 12, "audio frame: 12 bytes is over the 10-byte limit", 1009),
        ('{"type": "video"}', "message.type: 'video' is not text, image", 1007),
        ('{"text": "no type"}', "message.type: None is not", 1007),
        ('{"type": "text", "text": "  "}', "text message.text: empty", 1007),
        ('{"type": "text", "text": "a", "x": 1}', "text message: unknown field 'x'", 1007),
        ('{"type": "image", "data": "***"}', "image message.data: not valid base64", 1007),
        ('{"type": "image", "data": "aGVsbG8="}', "image message.data: not a image/jpeg", 1007),
        (
            '{"type": "image", "data": "aGVsbG8=", "mime_type": "image/gif"}',
            "image message.mime_type: 'image/gif' is not JPEG or PNG",
            1007,
        ),
        ('{"type": "tool_response"}', "tool_response message.function_responses: expected", 1007),
        ("garbage", "message: not valid JSON", 1007),
    ],
)
def test_bad_commands(frame: str | bytes, error: str, code: int) -> None:
    with pytest.raises(bp.BrowserProtocolError) as caught:
        bp.parse_command(frame, max_audio_bytes=10)
    assert str(caught.value).startswith(error)
    assert caught.value.close_code == code


def test_build_setup_maps_every_field() -> None:
    settings = ServerSettings(backend="local", model="gemini-3.1-flash-live-preview")
    setup = build_setup(bp.parse_setup(json.dumps(SNAKE)), settings)
    assert setup.model == "models/gemini-3.1-flash-live-preview"
    assert setup.session_resumption == types.SessionResumptionConfig()
    assert setup.generation_config is not None
    assert setup.generation_config.response_modalities == [types.Modality.AUDIO]
    speech = setup.generation_config.speech_config
    assert speech is not None and speech.voice_config is not None
    assert speech.voice_config.prebuilt_voice_config == types.PrebuiltVoiceConfig(
        voice_name="Aoede"
    )
    assert setup.tools is not None and setup.tools[0].function_declarations is not None
    assert setup.tools[0].function_declarations[0].name == "get_weather"
    assert setup.input_audio_transcription == types.AudioTranscriptionConfig()
    vertex = ServerSettings(backend="vertex", project_id="p", location="europe-west4", model="m")
    assert build_setup(bp.BrowserSetup(), vertex).model == (
        "projects/p/locations/europe-west4/publishers/google/models/m"
    )


def test_event_frames() -> None:
    assert event_frame(events.ModelAudio(b"\x01\x02", 24000)) == b"\x01\x02"
    assert json.loads(str(event_frame(events.InputTranscription("hi", True)))) == {
        "serverContent": {"inputTranscription": {"text": "hi", "finished": True}}
    }
    assert json.loads(str(event_frame(events.Interrupted()))) == {
        "serverContent": {"interrupted": True}
    }
    call = types.FunctionCall(id="c1", name="f", args={"a": 1})
    assert json.loads(str(event_frame(events.ToolCall((call,))))) == {
        "toolCall": {"functionCalls": [{"id": "c1", "name": "f", "args": {"a": 1}}]}
    }
    # What the session absorbs stays invisible to the browser.
    for hidden in (
        events.GoAway(5.0),
        events.SessionResumptionUpdate("h", True),
        events.Reconnecting(1, 0.5, "lost"),
        events.Reconnected(True),
        events.SetupComplete(),
    ):
        assert event_frame(hidden) is None


class GatedSession:
    """Records sends; each send waits for the gate, like a socket pushing back."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, object]] = []
        self.gate = asyncio.Event()
        self.changed = asyncio.Event()

    async def send_audio(self, pcm: bytes, *, sample_rate: int) -> None:
        self.sent.append(("audio", pcm))
        self.changed.set()
        await self.gate.wait()

    async def send_text(self, text: str) -> None:
        self.sent.append(("text", text))
        self.changed.set()

    async def wait_sent(self, count: int) -> None:
        while len(self.sent) < count:
            self.changed.clear()
            await self.changed.wait()


async def test_queued_audio_goes_upstream_as_one_message_in_order() -> None:
    bridge = BrowserBridge(
        None,  # type: ignore[arg-type]  # the upstream sender never touches the browser socket
        settings=ServerSettings(backend="local"),
        transport=None,  # type: ignore[arg-type]
        statistics=BridgeStatistics(),
    )
    session = GatedSession()
    queue: asyncio.Queue[bp.BrowserCommand] = asyncio.Queue()
    sender = asyncio.create_task(bridge._send_upstream(session, queue))  # type: ignore[arg-type]
    await queue.put(bp.AudioChunk(b"\x01\x00"))
    await session.wait_sent(1)  # the sender took the first chunk and is held up
    # While that send is held up, more input queues behind it.
    for command in (
        bp.AudioChunk(b"\x02\x00"),
        bp.AudioChunk(b"\x03\x00"),
        bp.TextMessage("hi"),
        bp.AudioChunk(b"\x04\x00"),
    ):
        queue.put_nowait(command)
    session.gate.set()
    await session.wait_sent(4)
    sender.cancel()
    assert session.sent == [
        ("audio", b"\x01\x00"),
        ("audio", b"\x02\x00\x03\x00"),  # two queued chunks, one message
        ("text", "hi"),
        ("audio", b"\x04\x00"),
    ]


def test_proxy_and_app_share_one_setup_builder() -> None:
    from gemini_live_tui.config import Settings, VadSettings
    from gemini_live_tui.engine.setup import build_setup as app_build_setup

    vad = VadSettings(end_sensitivity="low", silence_duration_ms=700)
    server = ServerSettings(backend="local", model="models/gemini-3.8-live", vad=vad)
    browser = bp.BrowserSetup(
        response_modalities=("AUDIO",),
        voice_name="Puck",
        input_transcription=True,
        output_transcription=True,
        system_instruction="Be brief.",
    )
    from_proxy = build_setup(browser, server)
    from_app = app_build_setup(
        Settings(backend="local", model="models/gemini-3.8-live", vad=vad),
        voice="Puck",
        system_instruction="Be brief.",
    )
    # The proxy used to lack compression and VAD: now both front ends send the same setup.
    assert from_proxy.context_window_compression is not None
    assert from_proxy.realtime_input_config is not None
    assert from_proxy == from_app
