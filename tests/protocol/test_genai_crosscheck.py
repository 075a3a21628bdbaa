"""Cross-check the codec with the official google-genai SDK (a test dependency only).

Three directions:
* server frames: the SDK's receive path (converter + ``LiveServerMessage._from_response``)
  and ours must read the same values from the same bytes;
* our client frames: the SDK's pydantic models (``extra='forbid'``) must accept every key we
  write and read the same values, which checks our wire names;
* the SDK's client frames (mixed snake/camel case, URL-safe base64) must decode with
  ``decode_client`` to the same values, as the service accepts them.
"""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest

from gemini_live_tui.protocol import codec, events, types
from tests.protocol.frames import pcm_tone, recorded_dev_session, recorded_vertex_session
from tests.protocol.test_encode import full_setup

genai = pytest.importorskip("google.genai")
gt = pytest.importorskip("google.genai.types")
lc = pytest.importorskip("google.genai._live_converters")
gcommon = pytest.importorskip("google.genai._common")
gtransformers = pytest.importorskip("google.genai._transformers")


def sdk_receive(frame: bytes, *, vertex: bool) -> Any:
    """google-genai's ``AsyncSession._receive`` minus the socket."""
    response = json.loads(frame)
    convert = lc._LiveServerMessage_from_vertex if vertex else lc._LiveServerMessage_from_mldev
    return gt.LiveServerMessage._from_response(
        response=convert(response), kwargs=gt.LiveServerMessage().model_dump()
    )


def _same_server_values(ours: types.ServerMessage, sdk: Any) -> None:
    if ours.setup_complete is not None:
        assert sdk.setup_complete.session_id == ours.setup_complete.session_id
    content = ours.server_content
    if content is not None:
        theirs = sdk.server_content
        assert bool(theirs.turn_complete) == bool(content.turn_complete)
        assert bool(theirs.generation_complete) == bool(content.generation_complete)
        assert bool(theirs.interrupted) == bool(content.interrupted)
        for name in ("input_transcription", "output_transcription"):
            mine, other = getattr(content, name), getattr(theirs, name)
            assert (mine is None) == (other is None)
            if mine is not None:
                assert (other.text, other.finished) == (mine.text, mine.finished)
        if content.model_turn is not None and content.model_turn.parts:
            assert theirs.model_turn.role == content.model_turn.role
            for part, other_part in zip(
                content.model_turn.parts, theirs.model_turn.parts, strict=True
            ):
                assert other_part.text == part.text
                if part.inline_data is not None:
                    assert other_part.inline_data.data == part.inline_data.data
                    assert other_part.inline_data.mime_type == part.inline_data.mime_type
    if ours.tool_call is not None:
        assert ours.tool_call.function_calls is not None
        got = [(c.id, c.name, c.args) for c in sdk.tool_call.function_calls]
        assert got == [(c.id, c.name, c.args) for c in ours.tool_call.function_calls]
    if ours.usage_metadata is not None:
        mine_usage, sdk_usage = ours.usage_metadata, sdk.usage_metadata
        for name in (
            "prompt_token_count",
            "response_token_count",
            "total_token_count",
            "cached_content_token_count",
            "thoughts_token_count",
            "tool_use_prompt_token_count",
        ):
            assert getattr(sdk_usage, name) == getattr(mine_usage, name), name
        for name in ("prompt_tokens_details", "response_tokens_details"):
            mine_details = getattr(mine_usage, name) or []
            sdk_details = getattr(sdk_usage, name) or []
            assert [(d.modality.value, d.token_count) for d in sdk_details] == [
                (d.modality, d.token_count) for d in mine_details
            ]
    if ours.session_resumption_update is not None:
        mine_update, sdk_update = ours.session_resumption_update, sdk.session_resumption_update
        assert sdk_update.new_handle == mine_update.new_handle
        assert sdk_update.resumable == mine_update.resumable
        assert (
            sdk_update.last_consumed_client_message_index
            == mine_update.last_consumed_client_message_index
        )
    if ours.go_away is not None:
        assert sdk.go_away.time_left == ours.go_away.time_left
    if ours.voice_activity is not None:
        assert sdk.voice_activity.voice_activity_type.value == ours.voice_activity.type


@pytest.mark.parametrize("frame", recorded_dev_session())
def test_developer_api_frames_read_the_same_as_the_sdk(frame: bytes) -> None:
    _same_server_values(codec.decode(frame), sdk_receive(frame, vertex=False))


@pytest.mark.parametrize("frame", recorded_vertex_session())
def test_vertex_frames_read_the_same_as_the_sdk(frame: bytes) -> None:
    _same_server_values(codec.decode(frame), sdk_receive(frame, vertex=True))


def test_server_content_with_transcriptions_and_voice_activity() -> None:
    frame = json.dumps(
        {
            "serverContent": {
                "interrupted": True,
                "inputTranscription": {"text": "hola", "finished": True},
                "outputTranscription": {"text": "hi"},
                "turnComplete": True,
                "turnCompleteReason": "NEED_MORE_INPUT",
            },
            "voiceActivity": {"type": "ACTIVITY_END", "audioOffset": "1.5s"},
        }
    ).encode()
    ours = codec.decode(frame)
    sdk = sdk_receive(frame, vertex=False)
    _same_server_values(ours, sdk)
    assert sdk.server_content.turn_complete_reason.value == "NEED_MORE_INPUT"
    assert sdk.voice_activity.audio_offset == "1.5s"


def test_sdk_text_and_data_match_our_events() -> None:
    pcm = pcm_tone(40, 24000)
    part_audio = {
        "inlineData": {"mimeType": "audio/pcm;rate=24000", "data": base64.b64encode(pcm).decode()}
    }
    frame = json.dumps({"serverContent": {"modelTurn": {"parts": [part_audio]}}}).encode()
    sdk = sdk_receive(frame, vertex=False)
    assert codec.to_events(codec.decode(frame)) == [events.ModelAudio(sdk.data, 24000)]
    frame = json.dumps({"serverContent": {"modelTurn": {"parts": [{"text": "a"}, {"text": "b"}]}}})
    sdk = sdk_receive(frame.encode(), vertex=False)
    texts = [
        e.text for e in codec.to_events(codec.decode(frame)) if isinstance(e, events.ModelText)
    ]
    assert "".join(texts) == sdk.text


# ----------------------------------------------------------------------------------------
# Our client frames, read by the SDK's models


def test_full_setup_is_accepted_by_the_sdk_models() -> None:
    body = json.loads(codec.encode(full_setup()))["setup"]
    # The SDK's LiveClientSetup has no realtimeInputConfig (its converters add it to the
    # wire dict directly), so validate that part with its own model.
    realtime = gt.RealtimeInputConfig.model_validate(body.pop("realtimeInputConfig"))
    setup = gt.LiveClientMessage.model_validate({"setup": body}).setup
    assert setup.model == "models/m"
    gen = setup.generation_config
    assert gen.response_modalities == [gt.Modality.TEXT]
    assert (gen.temperature, gen.top_p, gen.top_k, gen.max_output_tokens, gen.seed) == (
        0.5,
        0.9,
        40,
        1024,
        7,
    )
    assert (gen.candidate_count, gen.presence_penalty, gen.frequency_penalty) == (1, 0.1, 0.2)
    assert gen.media_resolution == gt.MediaResolution.MEDIA_RESOLUTION_LOW
    voice = gen.speech_config.voice_config
    assert voice.prebuilt_voice_config.voice_name == "Kore"
    assert voice.replicated_voice_config.voice_sample_audio == b"\xfb\xff"
    assert voice.replicated_voice_config.voice_consent_signature.signature == "sig"
    assert gen.speech_config.language_code == "en-US"
    assert gen.thinking_config.thinking_level == gt.ThinkingLevel.LOW
    assert gen.thinking_config.thinking_budget == -1
    assert gen.enable_affective_dialog is True
    assert gen.translation_config.target_language_code == "de-DE"
    assert setup.system_instruction.parts[0].text == "Be brief."
    declaration = setup.tools[0].function_declarations[0]
    assert declaration.name == "get_weather"
    assert declaration.behavior == gt.Behavior.NON_BLOCKING
    assert declaration.parameters.properties["city_name"].type == gt.Type.STRING
    assert setup.tools[1].google_search is not None
    assert setup.tools[2].code_execution is not None
    assert setup.tools[3].url_context is not None
    assert setup.tools[4].google_maps.enable_widget is True
    assert setup.session_resumption.handle == "h1"
    assert setup.context_window_compression.trigger_tokens == 100_000
    assert setup.context_window_compression.sliding_window.target_tokens == 50_000
    assert setup.input_audio_transcription.mode == gt.AudioTranscriptionConfigMode.VERBATIM
    assert setup.input_audio_transcription.word_timestamp is True
    assert setup.proactivity.proactive_audio is True
    assert setup.explicit_vad_signal is True
    assert setup.history_config.initial_history_in_client_content is True
    assert setup.avatar_config.customized_avatar.image_data == b"P"
    assert setup.safety_settings[0].threshold == gt.HarmBlockThreshold.BLOCK_NONE
    assert setup.labels == {"team": "live", "snake_key": "kept"}
    detection = realtime.automatic_activity_detection
    assert detection.start_of_speech_sensitivity == gt.StartSensitivity.START_SENSITIVITY_LOW
    assert detection.silence_duration_ms == 500
    assert realtime.turn_coverage == gt.TurnCoverage.TURN_INCLUDES_ALL_INPUT
    assert realtime.interim_transcript_timestamp_enabled is True


def test_other_client_messages_are_accepted_by_the_sdk_models() -> None:
    pcm = pcm_tone(20, 16000)
    audio = gt.LiveClientMessage.model_validate(json.loads(codec.encode_audio(pcm, 16000)))
    assert audio.realtime_input.audio.data == pcm
    assert audio.realtime_input.audio.mime_type == "audio/pcm;rate=16000"
    for payload in (
        types.RealtimeInput(activity_start=types.ActivityStart()),
        types.RealtimeInput(activity_end=types.ActivityEnd()),
        types.RealtimeInput(audio_stream_end=True),
        types.RealtimeInput(text="hi"),
        types.RealtimeInput(video=types.Blob(mime_type="image/jpeg", data=b"\xff\xd8")),
    ):
        parsed = gt.LiveClientMessage.model_validate(json.loads(codec.encode(payload)))
        assert parsed.realtime_input is not None
    content = gt.LiveClientMessage.model_validate(
        json.loads(
            codec.encode(
                types.ClientContent(
                    turns=[types.Content(role="user", parts=[types.Part(text="hi")])],
                    turn_complete=True,
                )
            )
        )
    ).client_content
    assert content.turns[0].parts[0].text == "hi" and content.turn_complete is True
    tool = gt.LiveClientMessage.model_validate(
        json.loads(
            codec.encode(
                types.ToolResponse(
                    function_responses=[
                        types.FunctionResponse(
                            id="1",
                            name="f",
                            response={"output": 3},
                            will_continue=True,
                            scheduling=types.FunctionResponseScheduling.WHEN_IDLE,
                        )
                    ]
                )
            )
        )
    ).tool_response
    response = tool.function_responses[0]
    assert (response.id, response.name, response.response) == ("1", "f", {"output": 3})
    assert response.scheduling == gt.FunctionResponseScheduling.WHEN_IDLE
    update = gt.LiveClientMessage.model_validate(
        json.loads(codec.encode(types.ContextUpdate(tools=types.ContextUpdateTools(tools=[]))))
    ).context_update
    assert update.tools.tools == []


# ----------------------------------------------------------------------------------------
# The SDK's client frames, read by decode_client


def _sdk_client() -> Any:
    return genai.Client(api_key="test-key-not-used")


def test_sdk_setup_frame_decodes_to_the_same_values() -> None:
    config = gt.LiveConnectConfig(
        response_modalities=[gt.Modality.AUDIO],
        speech_config=gt.SpeechConfig(
            voice_config=gt.VoiceConfig(
                prebuilt_voice_config=gt.PrebuiltVoiceConfig(voice_name="Puck")
            ),
            language_code="en-US",
        ),
        thinking_config=gt.ThinkingConfig(thinking_level=gt.ThinkingLevel.MINIMAL),
        system_instruction=gt.Content(parts=[gt.Part(text="Be brief.")]),
        tools=[
            gt.Tool(
                function_declarations=[
                    gt.FunctionDeclaration(
                        name="get_weather",
                        parameters=gt.Schema(
                            type=gt.Type.OBJECT,
                            properties={"city_name": gt.Schema(type=gt.Type.STRING)},
                        ),
                    )
                ]
            )
        ],
        session_resumption=gt.SessionResumptionConfig(handle="h"),
        context_window_compression=gt.ContextWindowCompressionConfig(
            trigger_tokens=1000, sliding_window=gt.SlidingWindow(target_tokens=500)
        ),
        input_audio_transcription=gt.AudioTranscriptionConfig(),
        output_audio_transcription=gt.AudioTranscriptionConfig(),
        realtime_input_config=gt.RealtimeInputConfig(
            automatic_activity_detection=gt.AutomaticActivityDetection(
                disabled=True, silence_duration_ms=300
            ),
            activity_handling=gt.ActivityHandling.NO_INTERRUPTION,
        ),
        proactivity=gt.ProactivityConfig(proactive_audio=True),
        history_config=gt.HistoryConfig(initial_history_in_client_content=True),
    )
    client = _sdk_client()
    request = gcommon.convert_to_dict(
        lc._LiveConnectParameters_to_mldev(
            api_client=client._api_client,
            from_object=gt.LiveConnectParameters(model="models/m", config=config).model_dump(
                exclude_none=True
            ),
        )
    )
    del request["config"]
    request = gcommon.encode_unserializable_types(request)
    frame = json.dumps(request)
    setup = codec.decode_client(frame).setup
    assert setup is not None
    assert setup.model == "models/m"
    gen = setup.generation_config
    assert gen is not None
    assert gen.response_modalities == [types.Modality.AUDIO]
    assert gen.speech_config == types.SpeechConfig(
        voice_config=types.VoiceConfig(
            prebuilt_voice_config=types.PrebuiltVoiceConfig(voice_name="Puck")
        ),
        language_code="en-US",
    )
    assert gen.thinking_config == types.ThinkingConfig(thinking_level=types.ThinkingLevel.MINIMAL)
    assert setup.system_instruction is not None and setup.system_instruction.parts is not None
    assert setup.system_instruction.parts[0].text == "Be brief."
    assert setup.tools is not None and setup.tools[0].function_declarations is not None
    declaration = setup.tools[0].function_declarations[0]
    assert declaration.name == "get_weather"
    assert declaration.parameters == {
        "type": "OBJECT",
        "properties": {"city_name": {"type": "STRING"}},
    }
    assert setup.session_resumption == types.SessionResumptionConfig(handle="h")
    assert setup.context_window_compression == types.ContextWindowCompressionConfig(
        trigger_tokens=1000, sliding_window=types.SlidingWindow(target_tokens=500)
    )
    assert setup.input_audio_transcription == types.AudioTranscriptionConfig()
    assert setup.output_audio_transcription == types.AudioTranscriptionConfig()
    assert setup.realtime_input_config == types.RealtimeInputConfig(
        automatic_activity_detection=types.AutomaticActivityDetection(
            disabled=True, silence_duration_ms=300
        ),
        activity_handling=types.ActivityHandling.NO_INTERRUPTION,
    )
    assert setup.proactivity == types.ProactivityConfig(proactive_audio=True)
    assert setup.history_config == types.HistoryConfig(initial_history_in_client_content=True)


def sdk_realtime_input_frame(**kwargs: Any) -> str:
    """google-genai's ``send_realtime_input`` minus the socket (Developer API)."""
    params = gt.LiveSendRealtimeInputParameters.model_validate(kwargs)
    body = lc._LiveSendRealtimeInputParameters_to_mldev(from_object=params)
    body = gcommon.encode_unserializable_types(gcommon.convert_to_dict(body))
    return json.dumps({"realtime_input": body})


def test_sdk_realtime_input_frames_decode() -> None:
    pcm = bytes([0xFB, 0xFF, 0xFE]) * 700  # URL-safe alphabet differs for these bytes
    frame = sdk_realtime_input_frame(audio=gt.Blob(data=pcm, mime_type="audio/pcm;rate=16000"))
    assert "-" in frame or "_" in frame
    message = codec.decode_client(frame)
    assert message.realtime_input == types.RealtimeInput(
        audio=types.Blob(mime_type="audio/pcm;rate=16000", data=pcm)
    )
    assert codec.decode_client(sdk_realtime_input_frame(text="hi")).realtime_input == (
        types.RealtimeInput(text="hi")
    )
    assert codec.decode_client(
        sdk_realtime_input_frame(activity_start=gt.ActivityStart())
    ).realtime_input == types.RealtimeInput(activity_start=types.ActivityStart())
    assert codec.decode_client(
        sdk_realtime_input_frame(audio_stream_end=True)
    ).realtime_input == types.RealtimeInput(audio_stream_end=True)
    video = sdk_realtime_input_frame(video=gt.Blob(data=b"\xff\xd8\xff", mime_type="image/jpeg"))
    assert codec.decode_client(video).realtime_input == types.RealtimeInput(
        video=types.Blob(mime_type="image/jpeg", data=b"\xff\xd8\xff")
    )


def test_sdk_client_content_and_tool_response_frames_decode() -> None:
    content = gtransformers.t_client_content(
        [gt.Content(role="user", parts=[gt.Part(text="hello")])], True
    ).model_dump(mode="json", exclude_none=True)
    frame = json.dumps({"client_content": lc._LiveClientContent_to_mldev(from_object=content)})
    assert codec.decode_client(frame).client_content == types.ClientContent(
        turns=[types.Content(role="user", parts=[types.Part(text="hello")])], turn_complete=True
    )
    tool_response = gtransformers.t_tool_response(
        [
            gt.FunctionResponse(
                id="function-call-1",
                name="f",
                response={"result": "ok", "snake_key": 1},
                will_continue=False,
                scheduling=gt.FunctionResponseScheduling.SILENT,
            )
        ]
    )
    body = gcommon.encode_unserializable_types(
        gcommon.convert_to_dict(tool_response, convert_keys=True)
    )
    frame = json.dumps({"tool_response": body})
    assert codec.decode_client(frame).tool_response == types.ToolResponse(
        function_responses=[
            types.FunctionResponse(
                id="function-call-1",
                name="f",
                response={"result": "ok", "snake_key": 1},
                will_continue=False,
                scheduling=types.FunctionResponseScheduling.SILENT,
            )
        ]
    )
