"""Nothing a user could see or a client must act on is dropped by ``to_events``.

Frames are shaped like the recordings in frames.py (pretty-printed Developer API JSON).
"""

from __future__ import annotations

from typing import Any

import msgspec
import pytest

from gemini_live_tui.protocol import codec, events, types
from tests.protocol.frames import pretty


def frame_events(message: dict[str, Any]) -> list[events.Event]:
    return codec.to_events(codec.decode(pretty(message)))


def turn_ends(message: dict[str, Any]) -> bool:
    return any(isinstance(e, events.TurnComplete) for e in frame_events(message))


# --- turn end: the SDK's rule (model-contracts.md §5 item 5) ---------------------------------


def test_turn_complete_with_in_progress_is_not_the_end_of_the_turn() -> None:
    got = frame_events(
        {"serverContent": {"turnComplete": True, "interactionStatus": "IN_PROGRESS"}}
    )
    assert got == [events.InteractionStatus("IN_PROGRESS", turn_complete=True)]


def test_idle_alone_ends_the_turn() -> None:
    got = frame_events({"serverContent": {"interactionStatus": "IDLE"}})
    assert got == [events.InteractionStatus("IDLE"), events.TurnComplete(None)]


def test_idle_with_turn_complete_ends_it_once_with_the_reason() -> None:
    got = frame_events(
        {
            "serverContent": {
                "turnComplete": True,
                "interactionStatus": "IDLE",
                "turnCompleteReason": "NEED_MORE_INPUT",
            }
        }
    )
    assert got == [
        events.InteractionStatus("IDLE", turn_complete=True),
        events.TurnComplete("NEED_MORE_INPUT"),
    ]


def test_without_interaction_status_turn_complete_ends_the_turn() -> None:
    assert frame_events({"serverContent": {"turnComplete": True}}) == [events.TurnComplete(None)]


def test_a_38_extended_thinking_turn_ends_only_at_idle() -> None:
    # The recorded shape: filler speech, turnComplete while background reasoning runs, then
    # the answer and IDLE.
    frames: list[dict[str, Any]] = [
        {"serverContent": {"outputTranscription": {"text": "Let me think."}}},
        {"serverContent": {"turnComplete": True, "interactionStatus": "IN_PROGRESS"}},
        {"serverContent": {"outputTranscription": {"text": "It is 42."}}},
        {"serverContent": {"turnComplete": True, "interactionStatus": "IDLE"}},
    ]
    assert [turn_ends(f) for f in frames] == [False, False, False, True]


# --- user-visible data ---------------------------------------------------------------------


def test_interim_input_transcription_with_language_and_speaker() -> None:
    got = frame_events(
        {
            "serverContent": {
                "interimInputTranscription": {
                    "text": "what is the wea",
                    "languageCode": "en-US",
                    "speakerLabel": "spk_0",
                }
            }
        }
    )
    assert got == [events.InterimInputTranscription("what is the wea", "en-US", "spk_0")]


def test_empty_interim_transcription_is_no_event() -> None:
    assert frame_events({"serverContent": {"interimInputTranscription": {}}}) == []


def test_output_transcription_carries_language() -> None:
    got = frame_events(
        {"serverContent": {"outputTranscription": {"text": "Hallo", "languageCode": "de-DE"}}}
    )
    assert got == [events.OutputTranscription("Hallo", False, "de-DE")]


def test_grounding_and_url_context_metadata_reach_the_app() -> None:
    grounding = {
        "webSearchQueries": ["weather paris"],
        "groundingChunks": [{"web": {"uri": "https://example.org/w", "title": "Weather"}}],
    }
    url_context = {"urlMetadata": [{"retrievedUrl": "https://a", "urlRetrievalStatus": "OK"}]}
    got = frame_events(
        {
            "serverContent": {
                "groundingMetadata": grounding,
                "urlContextMetadata": url_context,
                "turnComplete": True,
            }
        }
    )
    assert got == [
        events.Grounding(grounding),
        events.UrlContext(url_context),
        events.TurnComplete(),
    ]


def test_waiting_for_input() -> None:
    got = frame_events({"serverContent": {"waitingForInput": True}})
    assert got == [events.WaitingForInput()]


def test_voice_activity_offset_in_seconds() -> None:
    got = frame_events({"voiceActivity": {"type": "ACTIVITY_END", "audioOffset": "12.5s"}})
    assert got == [events.VoiceActivity("end", 12.5)]
    assert frame_events({"voiceActivity": {"type": "ACTIVITY_START"}}) == [
        events.VoiceActivity("start")
    ]


def test_non_audio_inline_data_in_order_among_the_parts() -> None:
    got = frame_events(
        {
            "serverContent": {
                "modelTurn": {
                    "parts": [
                        {"text": "Here:"},
                        {"inlineData": {"mimeType": "image/png", "data": "iVBORw=="}},
                    ]
                }
            }
        }
    )
    assert got == [
        events.ModelText("Here:"),
        events.ModelInlineData("image/png", b"\x89PNG"),
    ]


def test_a_part_level_audio_transcription_is_an_output_transcription() -> None:
    got = frame_events(
        {"serverContent": {"modelTurn": {"parts": [{"audioTranscription": {"text": "hi"}}]}}}
    )
    assert got == [events.OutputTranscription("hi")]


def test_part_level_fields_are_kept_on_decode() -> None:
    part = {
        "text": "x",
        "toolCall": {"functionCalls": [{"id": "1", "name": "f"}]},
        "toolResponse": {"functionResponses": [{"id": "1", "response": {"ok": True}}]},
        "videoMetadata": {"fps": 2},
        "mediaResolution": {"level": "MEDIA_RESOLUTION_LOW"},
        "partMetadata": {"k": "v"},
        "documentMetadata": {"pageCount": 1},
        "spreadsheetMetadata": {"sheet": "a"},
        "audioMetadata": {"durationSeconds": 1},
    }
    message = codec.decode(
        pretty(
            {
                "serverContent": {
                    "modelTurn": {
                        "parts": [part, {"inlineData": {"mimeType": "a", "displayName": "n"}}]
                    }
                }
            }
        )
    )
    assert message.server_content and message.server_content.model_turn
    parts = message.server_content.model_turn.parts
    assert parts is not None
    got = parts[0]
    assert got.tool_call == types.ToolCall([types.FunctionCall(id="1", name="f")])
    assert got.tool_response == types.ToolResponse(
        [types.FunctionResponse(id="1", response={"ok": True})]
    )
    assert (got.video_metadata, got.media_resolution, got.part_metadata) == (
        {"fps": 2},
        {"level": "MEDIA_RESOLUTION_LOW"},
        {"k": "v"},
    )
    assert (got.document_metadata, got.spreadsheet_metadata, got.audio_metadata) == (
        {"pageCount": 1},
        {"sheet": "a"},
        {"durationSeconds": 1},
    )
    assert parts[1].inline_data == types.Blob(mime_type="a", display_name="n")


def test_setup_complete_voice_consent_signature() -> None:
    got = frame_events({"setupComplete": {"voiceConsentSignature": {"signature": "sig"}}})
    assert got == [events.SetupComplete(None, "sig")]


@pytest.mark.parametrize(("wire", "index"), [('"42"', 42), ("7", 7)])
def test_last_consumed_client_message_index(wire: str, index: int) -> None:
    frame = (
        '{"sessionResumptionUpdate":{"newHandle":"h","resumable":true,'
        f'"lastConsumedClientMessageIndex":{wire}}}}}'
    )
    got = codec.to_events(codec.decode(frame))
    assert got == [events.SessionResumptionUpdate("h", True, index)]


def test_the_full_order_of_a_message_carrying_every_new_field() -> None:
    got = frame_events(
        {
            "serverContent": {
                "interactionStatus": "IDLE",
                "turnComplete": True,
                "waitingForInput": True,
                "generationComplete": True,
                "urlContextMetadata": {"u": 1},
                "groundingMetadata": {"g": 1},
                "outputTranscription": {"text": "o"},
                "modelTurn": {
                    "parts": [{"inlineData": {"mimeType": "image/jpeg", "data": "AA=="}}]
                },
                "inputTranscription": {"text": "i"},
                "interimInputTranscription": {"text": "in"},
                "interrupted": True,
            },
            "voiceActivity": {"type": "ACTIVITY_START", "audioOffset": "1s"},
        }
    )
    assert [type(e).__name__ for e in got] == [
        "VoiceActivity",
        "Interrupted",
        "InterimInputTranscription",
        "InputTranscription",
        "ModelInlineData",
        "OutputTranscription",
        "Grounding",
        "UrlContext",
        "GenerationComplete",
        "WaitingForInput",
        "InteractionStatus",
        "TurnComplete",
    ]


# --- client-side wire types ----------------------------------------------------------------


def test_language_auto_is_an_empty_message() -> None:
    config = types.AudioTranscriptionConfig(language_auto=types.LanguageAuto())
    assert msgspec.json.encode(config) == b'{"languageAuto":{}}'


def test_thinking_level_xhigh_encodes() -> None:
    config = types.ThinkingConfig(thinking_level=types.ThinkingLevel.XHIGH)
    assert msgspec.json.encode(config) == b'{"thinkingLevel":"XHIGH"}'
