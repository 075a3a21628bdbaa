"""Server frames: decode (text or binary, every message and field) and to_events order."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest

from gemini_live_tui.errors import ProtocolError
from gemini_live_tui.protocol import codec, events, types
from tests.protocol.frames import (
    audio_chunk,
    pcm_tone,
    pretty,
    recorded_dev_session,
    recorded_vertex_session,
)


def decode_events(message: dict[str, Any]) -> list[events.Event]:
    return codec.to_events(codec.decode(json.dumps(message)))


def test_recorded_developer_api_session() -> None:
    pcm = pcm_tone(40, 24000)
    got = [codec.to_events(codec.decode(frame)) for frame in recorded_dev_session()]
    usage = types.UsageMetadata(
        prompt_token_count=120,
        response_token_count=30,
        total_token_count=150,
        prompt_tokens_details=[
            types.ModalityTokenCount(modality="AUDIO", token_count=100),
            types.ModalityTokenCount(modality="TEXT", token_count=20),
        ],
        response_tokens_details=[types.ModalityTokenCount(modality="AUDIO", token_count=30)],
        service_tier="standard",
    )
    assert got == [
        [events.SetupComplete(None)],
        [events.InputTranscription(" What's the", False)],
        [events.InputTranscription(" time?", True)],
        [events.ModelAudio(pcm, 24000)],
        [events.OutputTranscription("It is", False)],
        [],  # empty transcription objects occur and carry nothing
        [events.ModelAudio(pcm, 24000)],
        [events.GenerationComplete()],
        [events.TurnComplete(None), events.Usage(usage)],
        [events.SessionResumptionUpdate("CiQ0ZjBk", True)],
        [
            events.ToolCall(
                (types.FunctionCall(id="function-call-1234", name="get_time", args={"tz": "UTC"}),)
            )
        ],
        [events.GoAway(50.0)],
    ]


def test_recorded_vertex_session_normalises_names_and_defaults() -> None:
    frames = recorded_vertex_session()
    got = [codec.to_events(codec.decode(frame.decode())) for frame in frames]  # text frames
    assert got[0] == [events.SetupComplete("6b1f7f0e-2c1e-4f5e-9d59-0d3f5d0a7e11")]
    # Plain "audio/pcm" on Vertex is 24 kHz output.
    assert got[1] == [events.ModelAudio(pcm_tone(40, 24000), 24000)]
    tool_call = got[2][0]
    assert isinstance(tool_call, events.ToolCall)
    assert tool_call.calls[0].id == "0b6c3b4e-6f7e-4a55-8a2a-8c6f4a8e1c21"
    usage = got[3][0]
    assert isinstance(usage, events.Usage)
    assert usage.metadata.response_token_count == 4  # candidatesTokenCount
    assert usage.metadata.response_tokens_details == [
        types.ModalityTokenCount(modality="AUDIO", token_count=4)
    ]
    assert usage.metadata.candidates_token_count is None
    assert usage.metadata.candidates_tokens_details is None
    assert usage.metadata.traffic_type == "ON_DEMAND"
    assert got[4] == [events.SessionResumptionUpdate("vtx-handle", True, 9007199254740993)]
    update = codec.decode(frames[4]).session_resumption_update
    assert update is not None
    # int64 as a string, beyond the 2**53 a float could hold exactly.
    assert update.last_consumed_client_message_index == 9007199254740993


def test_developer_and_vertex_usage_give_the_same_struct() -> None:
    dev = codec.decode(
        b'{"usageMetadata":{"promptTokenCount":1,"responseTokenCount":2,'
        b'"responseTokensDetails":[{"modality":"TEXT","tokenCount":2}]}}'
    )
    vertex = codec.decode(
        b'{"usageMetadata":{"promptTokenCount":1,"candidatesTokenCount":2,'
        b'"candidatesTokensDetails":[{"modality":"TEXT","tokenCount":2}]}}'
    )
    assert dev.usage_metadata == vertex.usage_metadata


def test_all_usage_fields() -> None:
    details = [{"modality": "DOCUMENT", "tokenCount": 3}]  # modality outside our enum
    message = codec.decode(
        json.dumps(
            {
                "usageMetadata": {
                    "promptTokenCount": 1,
                    "cachedContentTokenCount": 2,
                    "responseTokenCount": 3,
                    "toolUsePromptTokenCount": 4,
                    "thoughtsTokenCount": 5,
                    "totalTokenCount": 15,
                    "promptTokensDetails": details,
                    "cacheTokensDetails": details,
                    "responseTokensDetails": details,
                    "toolUsePromptTokensDetails": details,
                    "serviceTier": "priority",
                }
            }
        )
    )
    usage = message.usage_metadata
    assert usage is not None
    counted = types.ModalityTokenCount(modality="DOCUMENT", token_count=3)
    assert usage == types.UsageMetadata(
        prompt_token_count=1,
        cached_content_token_count=2,
        response_token_count=3,
        tool_use_prompt_token_count=4,
        thoughts_token_count=5,
        total_token_count=15,
        prompt_tokens_details=[counted],
        cache_tokens_details=[counted],
        response_tokens_details=[counted],
        tool_use_prompt_tokens_details=[counted],
        service_tier="priority",
    )


def test_every_server_content_field() -> None:
    words = [{"word": "hi", "startOffset": "0.100s", "endOffset": "0.4s"}]
    transcription = {
        "text": "hi",
        "finished": True,
        "languageCode": "en-US",
        "speakerLabel": "spk1",
        "words": words,
        "startOffset": "0.1s",
        "endOffset": "1.5s",
    }
    message = codec.decode(
        json.dumps(
            {
                "serverContent": {
                    "modelTurn": {
                        "role": "model",
                        "parts": [
                            {"text": "plan", "thought": True, "thoughtSignature": "AQID"},
                            {"executableCode": {"language": "PYTHON", "code": "print(1)"}},
                            {"codeExecutionResult": {"outcome": "OUTCOME_OK", "output": "1"}},
                            {"text": "answer"},
                        ],
                    },
                    "turnComplete": True,
                    "interrupted": False,
                    "generationComplete": True,
                    "groundingMetadata": {"webSearchQueries": ["q"], "groundingChunks": []},
                    "urlContextMetadata": {"urlMetadata": [{"retrievedUrl": "https://x"}]},
                    "inputTranscription": transcription,
                    "outputTranscription": {"text": "answer"},
                    "interimInputTranscription": {"text": "h"},
                    "turnCompleteReason": "NEED_MORE_INPUT",
                    "waitingForInput": True,
                    "interactionStatus": "IDLE",
                }
            }
        )
    )
    content = message.server_content
    assert content is not None
    assert content.model_turn is not None and content.model_turn.parts is not None
    parts = content.model_turn.parts
    assert parts[0] == types.Part(text="plan", thought=True, thought_signature=b"\x01\x02\x03")
    assert parts[1].executable_code == types.ExecutableCode(language="PYTHON", code="print(1)")
    assert parts[2].code_execution_result == types.CodeExecutionResult(
        outcome="OUTCOME_OK", output="1"
    )
    assert content.grounding_metadata == {"webSearchQueries": ["q"], "groundingChunks": []}
    assert content.url_context_metadata == {"urlMetadata": [{"retrievedUrl": "https://x"}]}
    assert content.input_transcription == types.Transcription(
        text="hi",
        finished=True,
        language_code="en-US",
        speaker_label="spk1",
        words=[types.WordInfo(word="hi", start_offset="0.100s", end_offset="0.4s")],
        start_offset="0.1s",
        end_offset="1.5s",
    )
    assert content.interim_input_transcription == types.Transcription(text="h")
    assert content.turn_complete_reason == "NEED_MORE_INPUT"
    assert content.waiting_for_input is True
    assert content.interaction_status == "IDLE"
    assert codec.to_events(message) == [
        events.InterimInputTranscription("h"),
        events.InputTranscription(
            "hi",
            True,
            "en-US",
            "spk1",
            (types.WordInfo(word="hi", start_offset="0.100s", end_offset="0.4s"),),
        ),
        events.ModelText("plan", thought=True),
        events.ModelText("answer", thought=False),
        events.OutputTranscription("answer", False),
        events.Grounding({"webSearchQueries": ["q"], "groundingChunks": []}),
        events.UrlContext({"urlMetadata": [{"retrievedUrl": "https://x"}]}),
        events.GenerationComplete(),
        events.WaitingForInput(),
        events.InteractionStatus("IDLE", turn_complete=True),
        events.TurnComplete("NEED_MORE_INPUT"),
    ]


def test_event_order_of_a_message_carrying_everything() -> None:
    pcm = b"\x01\x00\x02\x00"
    got = decode_events(
        {
            "goAway": {"timeLeft": "1.5s"},
            "usageMetadata": {"totalTokenCount": 3},
            "sessionResumptionUpdate": {"newHandle": "", "resumable": False},
            "toolCallCancellation": {"ids": ["a", "b"]},
            "toolCall": {"functionCalls": [{"id": "c", "name": "f"}]},
            "serverContent": {
                "turnComplete": True,
                "generationComplete": True,
                "outputTranscription": {"text": "out"},
                "modelTurn": {
                    "parts": [
                        {"text": "t1"},
                        {
                            "inlineData": {
                                "mimeType": "audio/pcm;rate=16000",
                                "data": base64.b64encode(pcm).decode(),
                            }
                        },
                        {"text": "t2"},
                    ]
                },
                "inputTranscription": {"text": "in"},
                "interrupted": True,
            },
            "voiceActivityDetectionSignal": {"vadSignalType": "VAD_SIGNAL_TYPE_EOS"},
            "voiceActivity": {"type": "ACTIVITY_START", "audioOffset": "2s"},
            "setupComplete": {},
        }
    )
    assert got == [
        events.SetupComplete(None),
        events.VoiceActivity("start", 2.0),
        events.VoiceActivity("end"),
        events.Interrupted(),
        events.InputTranscription("in", False),
        events.ModelText("t1", False),
        events.ModelAudio(pcm, 16000),
        events.ModelText("t2", False),
        events.OutputTranscription("out", False),
        events.GenerationComplete(),
        events.TurnComplete(None),
        events.ToolCall((types.FunctionCall(id="c", name="f"),)),
        events.ToolCallCancellation(("a", "b")),
        events.SessionResumptionUpdate(None, False),  # empty handle -> None
        events.Usage(types.UsageMetadata(total_token_count=3)),
        events.GoAway(1.5),
    ]


def test_interrupted_turn() -> None:
    assert decode_events({"serverContent": {"interrupted": True}}) == [events.Interrupted()]
    assert decode_events({"serverContent": {"interrupted": True, "turnComplete": True}}) == [
        events.Interrupted(),
        events.TurnComplete(None),
    ]


def test_setup_complete_fields() -> None:
    message = codec.decode(
        b'{"setupComplete":{"sessionId":"s","voiceConsentSignature":{"signature":"abc"}}}'
    )
    assert message.setup_complete == types.SetupComplete(
        session_id="s", voice_consent_signature=types.VoiceConsentSignature(signature="abc")
    )
    assert codec.to_events(message) == [events.SetupComplete("s", "abc")]


def test_tool_call_fields_including_vertex_streaming() -> None:
    message = codec.decode(
        json.dumps(
            {
                "toolCall": {
                    "functionCalls": [
                        {
                            "id": "1",
                            "name": "f",
                            "args": {"nested": {"snake_key": [1, 2.5, None, True]}},
                            "partialArgs": [
                                {"jsonPath": "$.city", "stringValue": "Par", "willContinue": True},
                                {"jsonPath": "$.n", "numberValue": 2},
                                {"jsonPath": "$.b", "boolValue": False},
                                {"jsonPath": "$.z", "nullValue": "NULL_VALUE"},
                            ],
                            "willContinue": True,
                        }
                    ]
                }
            }
        )
    )
    assert message.tool_call is not None and message.tool_call.function_calls is not None
    call = message.tool_call.function_calls[0]
    assert call.args == {"nested": {"snake_key": [1, 2.5, None, True]}}
    assert call.partial_args == [
        types.PartialArg(json_path="$.city", string_value="Par", will_continue=True),
        types.PartialArg(json_path="$.n", number_value=2.0),
        types.PartialArg(json_path="$.b", bool_value=False),
        types.PartialArg(json_path="$.z", null_value="NULL_VALUE"),
    ]
    assert call.will_continue is True
    assert codec.to_events(message) == [events.ToolCall((call,))]
    # Events are built from tuples, so the tool call is immutable at the top.
    assert isinstance(codec.to_events(message)[0].calls, tuple)  # type: ignore[union-attr]


def test_tool_call_cancellation_and_empty_lists() -> None:
    assert decode_events({"toolCallCancellation": {"ids": ["x"]}}) == [
        events.ToolCallCancellation(("x",))
    ]
    # Empty lists carry nothing to act on.
    assert decode_events({"toolCallCancellation": {}}) == []
    assert decode_events({"toolCall": {"functionCalls": []}}) == []


@pytest.mark.parametrize(
    ("wire_type", "kind"),
    [
        ("ACTIVITY_START", "start"),
        ("ACTIVITY_END", "end"),
        ("TYPE_UNSPECIFIED", None),
        ("SOMETHING_NEW", None),
    ],
)
def test_voice_activity(wire_type: str, kind: str | None) -> None:
    message = codec.decode(json.dumps({"voiceActivity": {"type": wire_type, "audioOffset": "3s"}}))
    assert message.voice_activity == types.VoiceActivity(type=wire_type, audio_offset="3s")
    assert codec.to_events(message) == ([events.VoiceActivity(kind, 3.0)] if kind else [])


@pytest.mark.parametrize(
    ("signal", "kind"),
    [("VAD_SIGNAL_TYPE_SOS", "start"), ("VAD_SIGNAL_TYPE_EOS", "end"), ("VAD_X", None)],
)
def test_vad_signal(signal: str, kind: str | None) -> None:
    got = decode_events({"voiceActivityDetectionSignal": {"vadSignalType": signal}})
    assert got == ([events.VoiceActivity(kind)] if kind else [])


@pytest.mark.parametrize(
    ("time_left", "seconds"),
    [("50s", 50.0), ("1.5s", 1.5), ("0.250s", 0.25), ("10", 10.0), ("-3s", 0.0), ("soon", 0.0)],
)
def test_go_away_durations(time_left: str, seconds: float) -> None:
    assert decode_events({"goAway": {"timeLeft": time_left}}) == [events.GoAway(seconds)]


def test_go_away_without_time_left_means_leave_now() -> None:
    assert decode_events({"goAway": {}}) == [events.GoAway(0.0)]


def test_parse_duration() -> None:
    assert codec.parse_duration("50s") == 50.0
    assert codec.parse_duration(" 2.5s ") == 2.5
    assert codec.parse_duration(".5s") == 0.5
    assert codec.parse_duration(None) is None
    assert codec.parse_duration("5m") is None
    assert codec.parse_duration("") is None


@pytest.mark.parametrize(
    ("mime", "rate"),
    [
        ("audio/pcm;rate=24000", 24000),
        ("audio/pcm; rate=16000", 16000),
        ("audio/L16;codec=pcm;rate=48000", 48000),
        ("audio/pcm", 24000),
        ("audio/pcm;rate=abc", 24000),
        ("audio/pcm;rate=0", 24000),
        (None, 24000),
    ],
)
def test_sample_rate_from_mime(mime: str | None, rate: int) -> None:
    assert codec.sample_rate_of(mime) == rate


def test_non_audio_inline_data_is_not_model_audio() -> None:
    image = {"inlineData": {"mimeType": "image/png", "data": "AAAA"}}
    got = decode_events({"serverContent": {"modelTurn": {"parts": [image]}}})
    assert got == [events.ModelInlineData("image/png", b"\x00\x00\x00")]
    assert repr(got[0]) == "ModelInlineData(mime_type='image/png', data=<3 bytes>)"


def test_text_and_binary_frames_give_the_same_message() -> None:
    frame = audio_chunk(pcm_tone(40, 24000))
    assert codec.decode(frame) == codec.decode(frame.decode()) == codec.decode(bytearray(frame))
    assert codec.decode(memoryview(frame)) == codec.decode(frame)


def test_pretty_and_compact_json_give_the_same_message() -> None:
    message = {"serverContent": {"outputTranscription": {"text": "a\nb", "finished": True}}}
    compact = json.dumps(message, separators=(",", ":")).encode()
    assert codec.decode(pretty(message)) == codec.decode(compact)
    assert codec.decode(b"\r\n\t " + compact + b"\n") == codec.decode(compact)


def test_unknown_fields_are_ignored_at_every_level() -> None:
    message = codec.decode(
        json.dumps(
            {
                "brandNewTopLevel": {"x": 1},
                "serverContent": {
                    "futureFlag": True,
                    "modelTurn": {
                        "parts": [{"text": "hi", "partMetadata": {"k": "v"}, "newThing": [1]}],
                        "extra": None,
                    },
                    "inputTranscription": {"text": "x", "confidence": 0.9},
                },
                "usageMetadata": {"totalTokenCount": 1, "futureCount": 7},
            }
        )
    )
    assert codec.to_events(message) == [
        events.InputTranscription("x", False),
        events.ModelText("hi", False),
        events.Usage(types.UsageMetadata(total_token_count=1)),
    ]


def test_unknown_enum_values_decode() -> None:
    message = codec.decode(
        b'{"serverContent":{"turnComplete":true,"turnCompleteReason":"REASON_FROM_2030",'
        b'"interactionStatus":"NEW_STATUS"},"usageMetadata":{"trafficType":"NEW_TIER"}}'
    )
    # An unknown status with turnComplete still ends the turn: never wait forever.
    assert codec.to_events(message)[:2] == [
        events.InteractionStatus("NEW_STATUS", turn_complete=True),
        events.TurnComplete("REASON_FROM_2030"),
    ]


def test_urlsafe_and_unpadded_base64_decode_like_standard() -> None:
    pcm = bytes(range(256)) * 4 + b"\xfb"  # forces '-' and '_' and needs padding
    standard = base64.b64encode(pcm).decode()
    urlsafe = base64.urlsafe_b64encode(pcm).decode()
    assert "-" in urlsafe and "_" in urlsafe and urlsafe.endswith("=")
    expected = [events.ModelAudio(pcm, 24000)]

    def frame(data: str) -> str:
        part = {"inlineData": {"mimeType": "audio/pcm;rate=24000", "data": data}}
        return json.dumps({"serverContent": {"modelTurn": {"parts": [part]}}})

    for data in (standard, urlsafe, urlsafe.rstrip("="), standard.rstrip("=")):
        assert codec.to_events(codec.decode(frame(data))) == expected


def test_urlsafe_repair_touches_only_bytes_fields() -> None:
    # A function argument that merely looks like base64 must arrive exactly as sent.
    message = codec.decode(
        json.dumps(
            {
                "serverContent": {
                    "modelTurn": {
                        "parts": [
                            {"inlineData": {"mimeType": "audio/pcm", "data": "-_-_"}},
                            {"thoughtSignature": "_w"},
                        ]
                    }
                },
                "toolCall": {
                    "functionCalls": [{"name": "f", "args": {"data": "a-b_c", "x": {"data": "-"}}}]
                },
                "somethingNew": {"data": "-_"},
            }
        )
    )
    assert message.server_content is not None
    turn = message.server_content.model_turn
    assert turn is not None and turn.parts is not None
    assert turn.parts[0].inline_data == types.Blob(mime_type="audio/pcm", data=b"\xfb\xff\xbf")
    assert turn.parts[1].thought_signature == b"\xff"
    assert message.tool_call is not None and message.tool_call.function_calls is not None
    assert message.tool_call.function_calls[0].args == {"data": "a-b_c", "x": {"data": "-"}}


def test_int64_accepts_strings_and_numbers_only() -> None:
    for value in ('"42"', "42", "42.0", '"-1"'):
        frame = '{"sessionResumptionUpdate":{"lastConsumedClientMessageIndex":' + value + "}}"
        update = codec.decode(frame).session_resumption_update
        assert update is not None
        assert update.last_consumed_client_message_index == int(float(value.strip('"')))
    for bad in ('"4x"', "true", "1.5", '""', "[1]", '"1e3"'):
        frame = '{"sessionResumptionUpdate":{"lastConsumedClientMessageIndex":' + bad + "}}"
        with pytest.raises(codec.DecodeError):
            codec.decode(frame)


@pytest.mark.parametrize(
    ("frame", "reason"),
    [
        (b"", "truncated"),
        (b"\xff\xfe{}", "malformed"),
        (b"not json", "malformed"),
        (b"[1, 2]", "Expected `object`"),
        (b'"setupComplete"', "Expected `object`"),
        (b"null", "Expected `object`"),
        (b"{}", "no Live API server message key"),
        (b'{"error":{"code":400,"message":"bad","status":"INVALID_ARGUMENT"}}', "no Live API"),
        (b'{"serverContent": null}', "no Live API"),
        (b'{"serverContent":{"turnComplete":"yes"}}', "Expected `bool"),
        (b'{"serverContent":{"modelTurn":{"parts":[{"inlineData":{"data":"a"}}]}}}', "base64"),
        (b'{"goAway":{"timeLeft":50}}', "Expected `str"),
        (b'{"setupComplete":{}', "truncated"),
        (b'{"setupComplete":{}} trailing', "trailing"),
    ],
)
def test_bad_frames_raise_decode_error_with_an_excerpt(frame: bytes, reason: str) -> None:
    with pytest.raises(codec.DecodeError, match=reason) as caught:
        codec.decode(frame)
    error = caught.value
    assert isinstance(error, ProtocolError)
    assert len(error.excerpt) <= 80
    assert error.excerpt == " ".join(frame.decode("utf-8", "replace").split())[:80]
    # The msgspec error is folded into the reason, not chained: nothing foreign leaks.
    assert error.__cause__ is None
    assert error.__context__ is None or error.__suppress_context__


def test_long_frame_excerpt_is_cut_to_80_characters() -> None:
    frame = pretty({"error": {"message": "x" * 500}})
    with pytest.raises(codec.DecodeError) as caught:
        codec.decode(frame)
    assert len(caught.value.excerpt) == 80
    assert caught.value.excerpt.startswith('{ "error": { "message": "xxx')
    assert caught.value.excerpt.endswith("...")
    assert "x" * 100 not in str(caught.value)


def test_decode_rejects_non_frames_with_decode_error() -> None:
    with pytest.raises(codec.DecodeError):
        codec.decode(12)  # type: ignore[arg-type]


def test_events_are_frozen() -> None:
    event = events.ModelText("x", False)
    with pytest.raises(AttributeError):
        event.text = "y"  # type: ignore[misc]
    assert "bytes>" in repr(events.ModelAudio(b"\x00" * 9600))


def test_repair_path_ignores_snake_case_keys_like_the_fast_path() -> None:
    # The service writes camelCase; a snake_case key is unknown on both paths, so a frame
    # must not decode differently just because its base64 needed repairing.
    part = {"inlineData": {"mimeType": "audio/pcm", "data": "-_-_"}}
    frame = {"serverContent": {"modelTurn": {"parts": [part]}, "turn_complete": True}}
    content = codec.decode(json.dumps(frame)).server_content
    assert content is not None
    assert content.turn_complete is None
    fast = {"serverContent": {"generationComplete": True, "turn_complete": True}}
    fast_content = codec.decode(json.dumps(fast)).server_content
    assert fast_content is not None and fast_content.turn_complete is None
