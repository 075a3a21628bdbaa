"""Client messages: encode -> JSON, camelCase keys, unset fields omitted, base64 bytes."""

from __future__ import annotations

import base64
import json
from typing import Any

import msgspec
import pytest

from gemini_live_tui.errors import ProtocolError
from gemini_live_tui.protocol import codec, types


def wire(message: msgspec.Struct) -> Any:
    frame = codec.encode(message)
    assert isinstance(frame, bytes)
    return json.loads(frame)


def test_minimal_setup_matches_the_documented_frame() -> None:
    setup = types.SetupConfig(
        model="models/gemini-3.1-flash-live-preview",
        generation_config=types.GenerationConfig(response_modalities=[types.Modality.AUDIO]),
        input_audio_transcription=types.AudioTranscriptionConfig(),
        output_audio_transcription=types.AudioTranscriptionConfig(),
        session_resumption=types.SessionResumptionConfig(),
    )
    # Byte for byte the example of the fact sheet (§2.6).
    assert codec.encode(setup) == (
        b'{"setup":{"model":"models/gemini-3.1-flash-live-preview",'
        b'"generationConfig":{"responseModalities":["AUDIO"]},'
        b'"sessionResumption":{},"inputAudioTranscription":{},"outputAudioTranscription":{}}}'
    )


def full_setup() -> types.SetupConfig:
    return types.SetupConfig(
        model="models/m",
        generation_config=types.GenerationConfig(
            response_modalities=[types.Modality.TEXT],
            temperature=0.5,
            top_p=0.9,
            top_k=40,
            max_output_tokens=1024,
            seed=7,
            candidate_count=1,
            presence_penalty=0.1,
            frequency_penalty=0.2,
            media_resolution=types.MediaResolution.MEDIA_RESOLUTION_LOW,
            speech_config=types.SpeechConfig(
                voice_config=types.VoiceConfig(
                    prebuilt_voice_config=types.PrebuiltVoiceConfig(voice_name="Kore"),
                    replicated_voice_config=types.ReplicatedVoiceConfig(
                        mime_type="audio/wav",
                        voice_sample_audio=b"\xfb\xff",
                        consent_audio=b"\x00\x01",
                        voice_consent_signature=types.VoiceConsentSignature(signature="sig"),
                    ),
                ),
                language_code="en-US",
            ),
            thinking_config=types.ThinkingConfig(
                include_thoughts=True,
                thinking_budget=-1,
                thinking_level=types.ThinkingLevel.LOW,
            ),
            enable_affective_dialog=True,
            translation_config=types.TranslationConfig(
                target_language_code="de-DE", echo_target_language=False
            ),
        ),
        system_instruction=types.Content(parts=[types.Part(text="Be brief.")]),
        tools=[
            types.Tool(
                function_declarations=[
                    types.FunctionDeclaration(
                        name="get_weather",
                        description="Weather for a city",
                        parameters={
                            "type": "OBJECT",
                            "properties": {"city_name": {"type": "STRING"}},
                        },
                        response={"type": "STRING"},
                        behavior=types.Behavior.NON_BLOCKING,
                    ),
                    types.FunctionDeclaration(
                        name="j",
                        parameters_json_schema={"type": "object"},
                        response_json_schema={"type": "string"},
                    ),
                ]
            ),
            types.Tool(google_search=types.GoogleSearch()),
            types.Tool(code_execution=types.CodeExecution()),
            types.Tool(url_context=types.UrlContext()),
            types.Tool(google_maps=types.GoogleMaps(enable_widget=True)),
        ],
        session_resumption=types.SessionResumptionConfig(handle="h1", transparent=True),
        context_window_compression=types.ContextWindowCompressionConfig(
            trigger_tokens=100_000,
            sliding_window=types.SlidingWindow(target_tokens=50_000),
        ),
        input_audio_transcription=types.AudioTranscriptionConfig(
            language_codes=["en-US"],
            custom_vocabulary=["Gemini"],
            word_timestamp=True,
            diarization=True,
            mode=types.TranscriptionMode.VERBATIM,
            source_text="src",
        ),
        output_audio_transcription=types.AudioTranscriptionConfig(),
        realtime_input_config=types.RealtimeInputConfig(
            automatic_activity_detection=types.AutomaticActivityDetection(
                disabled=False,
                start_of_speech_sensitivity=types.StartSensitivity.START_SENSITIVITY_LOW,
                end_of_speech_sensitivity=types.EndSensitivity.END_SENSITIVITY_HIGH,
                prefix_padding_ms=20,
                silence_duration_ms=500,
            ),
            activity_handling=types.ActivityHandling.NO_INTERRUPTION,
            turn_coverage=types.TurnCoverage.TURN_INCLUDES_ALL_INPUT,
            interim_transcript_timestamp_enabled=True,
        ),
        proactivity=types.ProactivityConfig(proactive_audio=True, proactive_video=False),
        explicit_vad_signal=True,
        history_config=types.HistoryConfig(initial_history_in_client_content=True),
        avatar_config=types.AvatarConfig(
            avatar_name="a",
            customized_avatar=types.CustomizedAvatar(image_mime_type="image/png", image_data=b"P"),
            audio_bitrate_bps=64000,
            video_bitrate_bps=1_000_000,
        ),
        safety_settings=[
            types.SafetySetting(category="HARM_CATEGORY_HARASSMENT", threshold="BLOCK_NONE")
        ],
        labels={"team": "live", "snake_key": "kept"},
    )


def test_full_setup_uses_camel_case_everywhere() -> None:
    setup = wire(full_setup())["setup"]
    gen = setup["generationConfig"]
    assert gen == {
        "responseModalities": ["TEXT"],
        "temperature": 0.5,
        "topP": 0.9,
        "topK": 40,
        "maxOutputTokens": 1024,
        "seed": 7,
        "candidateCount": 1,
        "presencePenalty": 0.1,
        "frequencyPenalty": 0.2,
        "mediaResolution": "MEDIA_RESOLUTION_LOW",
        "speechConfig": {
            "voiceConfig": {
                "prebuiltVoiceConfig": {"voiceName": "Kore"},
                "replicatedVoiceConfig": {
                    "mimeType": "audio/wav",
                    "voiceSampleAudio": "+/8=",  # standard alphabet, padded
                    "consentAudio": "AAE=",
                    "voiceConsentSignature": {"signature": "sig"},
                },
            },
            "languageCode": "en-US",
        },
        "thinkingConfig": {"includeThoughts": True, "thinkingBudget": -1, "thinkingLevel": "LOW"},
        "enableAffectiveDialog": True,
        "translationConfig": {"targetLanguageCode": "de-DE", "echoTargetLanguage": False},
    }
    assert setup["systemInstruction"] == {"parts": [{"text": "Be brief."}]}
    declarations = setup["tools"][0]["functionDeclarations"]
    # Free-form schema keys are user data: never camel-cased.
    assert declarations[0]["parameters"]["properties"] == {"city_name": {"type": "STRING"}}
    assert declarations[0]["behavior"] == "NON_BLOCKING"
    assert declarations[1]["parametersJsonSchema"] == {"type": "object"}
    assert declarations[1]["responseJsonSchema"] == {"type": "string"}
    assert setup["tools"][1:] == [
        {"googleSearch": {}},
        {"codeExecution": {}},
        {"urlContext": {}},
        {"googleMaps": {"enableWidget": True}},
    ]
    assert setup["sessionResumption"] == {"handle": "h1", "transparent": True}
    assert setup["contextWindowCompression"] == {
        "triggerTokens": 100000,
        "slidingWindow": {"targetTokens": 50000},
    }
    assert setup["inputAudioTranscription"] == {
        "languageCodes": ["en-US"],
        "customVocabulary": ["Gemini"],
        "wordTimestamp": True,
        "diarization": True,
        "mode": "VERBATIM",
        "sourceText": "src",
    }
    assert setup["outputAudioTranscription"] == {}
    assert setup["realtimeInputConfig"] == {
        "automaticActivityDetection": {
            "disabled": False,
            "startOfSpeechSensitivity": "START_SENSITIVITY_LOW",
            "endOfSpeechSensitivity": "END_SENSITIVITY_HIGH",
            "prefixPaddingMs": 20,
            "silenceDurationMs": 500,
        },
        "activityHandling": "NO_INTERRUPTION",
        "turnCoverage": "TURN_INCLUDES_ALL_INPUT",
        "interimTranscriptTimestampEnabled": True,
    }
    assert setup["proactivity"] == {"proactiveAudio": True, "proactiveVideo": False}
    assert setup["explicitVadSignal"] is True
    assert setup["historyConfig"] == {"initialHistoryInClientContent": True}
    assert setup["avatarConfig"] == {
        "avatarName": "a",
        "customizedAvatar": {"imageMimeType": "image/png", "imageData": "UA=="},
        "audioBitrateBps": 64000,
        "videoBitrateBps": 1000000,
    }
    assert setup["safetySettings"] == [
        {"category": "HARM_CATEGORY_HARASSMENT", "threshold": "BLOCK_NONE"}
    ]
    assert setup["labels"] == {"team": "live", "snake_key": "kept"}
    # Every key at every struct level is camelCase.
    assert not [key for key in _struct_keys(setup) if "_" in key]


def _struct_keys(value: Any, path: str = "") -> list[str]:
    keys: list[str] = []
    if isinstance(value, dict):
        for key, item in value.items():
            if key in {"parameters", "response", "labels"}:  # free-form JSON
                keys.append(key)
                continue
            keys.append(key)
            keys.extend(_struct_keys(item))
    elif isinstance(value, list):
        for item in value:
            keys.extend(_struct_keys(item))
    return keys


def test_full_setup_round_trips_through_decode_client() -> None:
    setup = full_setup()
    assert codec.decode_client(codec.encode(setup)) == types.ClientMessage(setup=setup)


def test_session_can_replace_resumption_and_strip_history() -> None:
    setup = full_setup()
    resumed = msgspec.structs.replace(
        setup, session_resumption=types.SessionResumptionConfig(handle="h2"), history_config=None
    )
    body = wire(resumed)["setup"]
    assert body["sessionResumption"] == {"handle": "h2"}
    assert "historyConfig" not in body
    assert setup.history_config is not None  # the original is untouched


def test_client_content() -> None:
    content = types.ClientContent(
        turns=[
            types.Content(role="user", parts=[types.Part(text="hi")]),
            types.Content(
                role="model",
                parts=[
                    types.Part(text="thinking", thought=True, thought_signature=b"\x01\x02"),
                    types.Part(inline_data=types.Blob(mime_type="image/png", data=b"\x89PNG")),
                    types.Part(file_data=types.FileData(mime_type="a/b", file_uri="gs://x")),
                    types.Part(function_call=types.FunctionCall(id="1", name="f", args={"a": 1})),
                    types.Part(
                        executable_code=types.ExecutableCode(code="print(1)", language="PYTHON")
                    ),
                    types.Part(
                        code_execution_result=types.CodeExecutionResult(
                            outcome="OUTCOME_OK", output="1"
                        )
                    ),
                ],
            ),
        ],
        turn_complete=True,
    )
    assert wire(content) == {
        "clientContent": {
            "turns": [
                {"role": "user", "parts": [{"text": "hi"}]},
                {
                    "role": "model",
                    "parts": [
                        {"text": "thinking", "thought": True, "thoughtSignature": "AQI="},
                        {"inlineData": {"mimeType": "image/png", "data": "iVBORw=="}},
                        {"fileData": {"mimeType": "a/b", "fileUri": "gs://x"}},
                        {"functionCall": {"id": "1", "name": "f", "args": {"a": 1}}},
                        {"executableCode": {"code": "print(1)", "language": "PYTHON"}},
                        {"codeExecutionResult": {"outcome": "OUTCOME_OK", "output": "1"}},
                    ],
                },
            ],
            "turnComplete": True,
        }
    }
    assert wire(types.ClientContent(turn_complete=True)) == {
        "clientContent": {"turnComplete": True}
    }
    assert wire(types.ClientContent(turn_complete=False)) == {
        "clientContent": {"turnComplete": False}
    }


@pytest.mark.parametrize(
    ("payload", "expected"),
    [
        (
            types.RealtimeInput(
                audio=types.Blob(mime_type="audio/pcm;rate=16000", data=b"\xff\xfe")
            ),
            {"audio": {"mimeType": "audio/pcm;rate=16000", "data": "//4="}},
        ),
        (
            types.RealtimeInput(video=types.Blob(mime_type="image/jpeg", data=b"\xff\xd8")),
            {"video": {"mimeType": "image/jpeg", "data": "/9g="}},
        ),
        (types.RealtimeInput(text="hello"), {"text": "hello"}),
        (types.RealtimeInput(activity_start=types.ActivityStart()), {"activityStart": {}}),
        (types.RealtimeInput(activity_end=types.ActivityEnd()), {"activityEnd": {}}),
        (types.RealtimeInput(audio_stream_end=True), {"audioStreamEnd": True}),
        (
            types.RealtimeInput(media_chunks=[types.Blob(mime_type="audio/pcm", data=b"\x00")]),
            {"mediaChunks": [{"mimeType": "audio/pcm", "data": "AA=="}]},
        ),
    ],
)
def test_realtime_input(payload: types.RealtimeInput, expected: dict[str, Any]) -> None:
    assert wire(payload) == {"realtimeInput": expected}
    assert codec.decode_client(codec.encode(payload)).realtime_input == payload


def test_encode_audio_fast_path_is_identical_to_the_struct_path() -> None:
    pcm = bytes(range(256)) * 13
    for rate in (8000, 16000, 24000, 48000):
        slow = codec.encode(
            types.RealtimeInput(audio=types.Blob(mime_type=f"audio/pcm;rate={rate}", data=pcm))
        )
        assert codec.encode_audio(pcm, rate) == slow
    assert json.loads(codec.encode_audio(b"\x01", mime_type="audio/ogg")) == {
        "realtimeInput": {"audio": {"mimeType": "audio/ogg", "data": "AQ=="}}
    }
    assert codec.encode_audio(memoryview(pcm), 16000) == codec.encode_audio(pcm, 16000)
    with pytest.raises(ProtocolError, match="sample rate"):
        codec.encode_audio(pcm, 0)


def test_tool_response() -> None:
    response = types.ToolResponse(
        function_responses=[
            types.FunctionResponse(id="function-call-1", name="f", response={"result": "ok"}),
            types.FunctionResponse(
                id="2",
                name="g",
                response={},
                will_continue=False,
                scheduling=types.FunctionResponseScheduling.SILENT,
                parts=[
                    types.FunctionResponsePart(
                        inline_data=types.Blob(mime_type="image/png", data=b"\x00")
                    )
                ],
            ),
        ]
    )
    assert wire(response) == {
        "toolResponse": {
            "functionResponses": [
                {"id": "function-call-1", "name": "f", "response": {"result": "ok"}},
                {
                    "id": "2",
                    "name": "g",
                    "response": {},
                    "parts": [{"inlineData": {"mimeType": "image/png", "data": "AA=="}}],
                    "willContinue": False,
                    "scheduling": "SILENT",
                },
            ]
        }
    }


def test_context_update_tells_clear_from_no_change() -> None:
    assert wire(types.ContextUpdate(tools=types.ContextUpdateTools(tools=[]))) == {
        "contextUpdate": {"tools": {"tools": []}}
    }
    update = types.ContextUpdate(
        system_instruction=types.Content(role="user", parts=[types.Part(text="new")])
    )
    assert wire(update) == {
        "contextUpdate": {"systemInstruction": {"role": "user", "parts": [{"text": "new"}]}}
    }


def test_client_message_envelope_is_the_same_as_the_wrapped_payload() -> None:
    text = types.RealtimeInput(text="x")
    assert codec.encode(types.ClientMessage(realtime_input=text)) == codec.encode(text)
    setup = types.SetupConfig(model="m")
    assert codec.encode(types.ClientMessage(setup=setup)) == codec.encode(setup)


def test_client_message_needs_exactly_one_field() -> None:
    with pytest.raises(ProtocolError, match=r"exactly one field.*none"):
        codec.encode(types.ClientMessage())
    with pytest.raises(ProtocolError, match="setup, realtime_input"):
        codec.encode(
            types.ClientMessage(
                setup=types.SetupConfig(model="m"), realtime_input=types.RealtimeInput(text="x")
            )
        )


def test_encoding_something_else_is_a_protocol_error() -> None:
    with pytest.raises(ProtocolError, match="not a Live API client message"):
        codec.encode(types.ServerMessage())  # a server message is not sent by clients
    with pytest.raises(ProtocolError, match="cannot encode ToolResponse"):
        codec.encode(
            types.ToolResponse(
                function_responses=[types.FunctionResponse(name="f", response={"x": object()})]
            )
        )


def test_int64_values_decoded_from_strings_encode_as_numbers() -> None:
    frame = b'{"setup":{"model":"m","contextWindowCompression":{"triggerTokens":"2000"}}}'
    message = codec.decode_client(frame)
    assert message.setup is not None
    assert message.setup.context_window_compression is not None
    assert message.setup.context_window_compression.trigger_tokens == 2000
    assert wire(message)["setup"]["contextWindowCompression"] == {"triggerTokens": 2000}


def test_decode_client_accepts_the_python_sdks_mixed_case() -> None:
    # What google-genai really sends: snake_case envelope keys and nested snake keys,
    # URL-safe base64.
    pcm = b"\xfb\xff\xfe" * 5
    frame = json.dumps(
        {
            "realtime_input": {
                "audio": {
                    "mime_type": "audio/pcm;rate=16000",
                    "data": base64.urlsafe_b64encode(pcm).decode(),
                }
            }
        }
    )
    message = codec.decode_client(frame)
    assert message.realtime_input is not None
    assert message.realtime_input.audio == types.Blob(mime_type="audio/pcm;rate=16000", data=pcm)

    setup = codec.decode_client(
        b'{"setup":{"model":"m","realtimeInputConfig":{"automatic_activity_detection":'
        b'{"disabled":true}},"generationConfig":{"speechConfig":{"voice_config":'
        b'{"prebuilt_voice_config":{"voice_name":"Puck"}}},"thinkingConfig":'
        b'{"thinking_level":"HIGH"}}}}'
    ).setup
    assert setup is not None
    assert setup.realtime_input_config == types.RealtimeInputConfig(
        automatic_activity_detection=types.AutomaticActivityDetection(disabled=True)
    )
    assert setup.generation_config is not None
    assert setup.generation_config.speech_config == types.SpeechConfig(
        voice_config=types.VoiceConfig(
            prebuilt_voice_config=types.PrebuiltVoiceConfig(voice_name="Puck")
        )
    )
    assert setup.generation_config.thinking_config == types.ThinkingConfig(
        thinking_level=types.ThinkingLevel.HIGH
    )


@pytest.mark.parametrize(
    "frame",
    [
        b"{}",
        b'{"setup":{"model":"m"},"realtimeInput":{"text":"x"}}',
        b'{"setup":{}}',  # setup without a model
        b'{"realtimeInput":{"audio":{"data":"%%%"}}}',
        b'{"setup":{"model":"m","generationConfig":{"responseModalities":["SMELL"]}}}',
        b"[]",
        b"\xff",
    ],
)
def test_decode_client_rejects_invalid_messages(frame: bytes) -> None:
    with pytest.raises(codec.DecodeError):
        codec.decode_client(frame)


def test_bytes_are_standard_base64_on_the_wire() -> None:
    data = bytes([0xFB, 0xEF, 0xFF]) * 3  # encodes to '+' and '/' characters
    frame = wire(types.RealtimeInput(video=types.Blob(mime_type="image/png", data=data)))
    encoded = frame["realtimeInput"]["video"]["data"]
    assert "+" in encoded and "/" in encoded
    assert base64.b64decode(encoded, validate=True) == data
