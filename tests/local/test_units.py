"""Unit tests of the local server's pure parts: wire helpers, VAD, audio, rules."""

from __future__ import annotations

import base64

import numpy as np
import pytest

from gemini_live_tui.local import audio, rules, wire
from gemini_live_tui.local.vad import EnergyVad, VadSettings


def test_normalise_rewrites_keys_at_every_depth_but_keeps_user_data() -> None:
    message = {
        "tool_response": {
            "function_responses": [
                {"will_continue": False, "response": {"snake_key": 1, "inner_obj": {"a_b": 2}}}
            ]
        },
        "setup": {
            "tools": [
                {"function_declarations": [{"parameters": {"properties": {"city_name": {}}}}]}
            ]
        },
    }
    result = wire.normalise(message)
    response = result["toolResponse"]["functionResponses"][0]
    assert response["willContinue"] is False
    assert response["response"] == {"snake_key": 1, "inner_obj": {"a_b": 2}}
    declaration = result["setup"]["tools"][0]["functionDeclarations"][0]
    assert declaration["parameters"]["properties"] == {"city_name": {}}


def test_camel() -> None:
    assert wire.camel("realtime_input") == "realtimeInput"
    assert wire.camel("silence_duration_ms") == "silenceDurationMs"
    assert wire.camel("alreadyCamel") == "alreadyCamel"


@pytest.mark.parametrize("encoder", [base64.b64encode, base64.urlsafe_b64encode])
def test_b64decode_accepts_both_alphabets_with_or_without_padding(encoder: object) -> None:
    data = bytes(range(256)) * 3 + b"\xfb\xff"
    text = encoder(data).decode()  # type: ignore[operator]
    assert wire.b64decode(text) == data
    assert wire.b64decode(text.rstrip("=")) == data


def test_b64decode_rejects_garbage() -> None:
    with pytest.raises(wire.WireError):
        wire.b64decode("not base64 at all!")


def test_duration_and_close_reason() -> None:
    assert wire.duration(50) == "50s"
    assert wire.duration(1.25) == "1.250s"
    long = "é" * 100
    assert len(wire.close_reason(long).encode()) <= 123
    assert wire.close_reason("short") == "short"


def test_parse_frame_rejects_non_objects() -> None:
    with pytest.raises(wire.WireError):
        wire.parse_frame(b"[1, 2]")
    with pytest.raises(wire.WireError):
        wire.parse_frame(b"\xff\xfe")
    assert wire.parse_frame('{"client_content": {}}') == {"clientContent": {}}


def _speech(seconds: float, rate: int = 24_000) -> np.ndarray:
    t = np.arange(int(seconds * rate)) / rate
    return (0.3 * np.sin(2 * np.pi * 300 * t)).astype(np.float32)


def _quiet(seconds: float, rate: int = 24_000) -> np.ndarray:
    return np.zeros(int(seconds * rate), dtype=np.float32)


def test_vad_start_and_end_with_offsets_and_utterance() -> None:
    vad = EnergyVad(VadSettings(silence_duration_ms=200), 24_000)
    events = vad.feed(np.concatenate([_quiet(0.5), _speech(1.0), _quiet(0.3)]))
    assert [e.kind for e in events] == ["start", "end"]
    assert events[0].offset == pytest.approx(0.5)
    assert events[1].offset == pytest.approx(1.5)
    assert events[1].utterance.size == 24_000


def test_vad_fed_in_odd_sized_pieces_matches_one_piece() -> None:
    signal = np.concatenate([_quiet(0.2), _speech(0.4), _quiet(0.5)])
    vad = EnergyVad(VadSettings(silence_duration_ms=200), 24_000)
    events = []
    for start in range(0, signal.size, 777):
        events.extend(vad.feed(signal[start : start + 777]))
    assert [e.kind for e in events] == ["start", "end"]
    assert events[0].offset == pytest.approx(0.2)


def test_vad_prefix_padding_ignores_short_clicks() -> None:
    vad = EnergyVad(VadSettings(prefix_padding_ms=100), 24_000)
    assert vad.feed(np.concatenate([_speech(0.04), _quiet(0.5)])) == []
    assert not vad.speaking


def test_vad_short_pause_does_not_end_speech() -> None:
    vad = EnergyVad(VadSettings(silence_duration_ms=500), 24_000)
    events = vad.feed(np.concatenate([_speech(0.3), _quiet(0.2), _speech(0.3), _quiet(0.6)]))
    assert [e.kind for e in events] == ["start", "end"]
    assert events[1].utterance.size == pytest.approx(0.8 * 24_000, abs=480)


def test_vad_flush_ends_open_speech() -> None:
    vad = EnergyVad(VadSettings(), 24_000)
    assert [e.kind for e in vad.feed(_speech(0.3))] == ["start"]
    assert [e.kind for e in vad.flush()] == ["end"]
    assert vad.flush() == []


def test_vad_settings_from_config() -> None:
    low = VadSettings.from_config(
        {
            "startOfSpeechSensitivity": "START_SENSITIVITY_LOW",
            "endOfSpeechSensitivity": "END_SENSITIVITY_LOW",
        }
    )
    high = VadSettings.from_config({})
    assert low.threshold_dbfs > high.threshold_dbfs
    assert low.silence_duration_ms > high.silence_duration_ms
    explicit = VadSettings.from_config({"silenceDurationMs": 123, "prefixPaddingMs": 40})
    assert (explicit.silence_duration_ms, explicit.prefix_padding_ms) == (123, 40)


def test_audio_helpers() -> None:
    assert audio.rate_from_mime("audio/pcm;rate=8000") == 8000
    assert audio.rate_from_mime("audio/pcm") == 16_000
    samples = audio.pcm16_to_float(audio.float_to_pcm16(np.array([0.5, -0.5], dtype=np.float32)))
    assert samples.tolist() == [0.5, -0.5]
    assert audio.resample(np.ones(160, dtype=np.float32), 16_000, 24_000).size == 240
    longer = audio.synthesize("a much longer sentence here")
    assert len(longer) > len(audio.synthesize("hi"))
    assert audio.synthesize("same") == audio.synthesize("same")
    chunks = audio.chunk_bytes(bytes(10_000), 24_000, 100)
    assert [len(c) for c in chunks] == [4800, 4800, 400]


def test_model_catalog() -> None:
    catalog = rules.ModelCatalog()
    assert catalog.known("models/gemini-3.1-flash-live-preview")
    assert catalog.known("projects/p/locations/l/publishers/google/models/gemini-live-2.5-flash")
    assert not catalog.known("models/gemini-2.0-flash-live-001")
    assert not catalog.known("models/gemini-2.5-pro")
    strict = rules.ModelCatalog(models=["models/only"])
    assert strict.known("models/only") and not strict.known("models/gemini-3.8-live")


def test_client_message_must_have_exactly_one_known_field() -> None:
    assert rules.check_client_message({"realtimeInput": {}}) == "realtimeInput"
    with pytest.raises(rules.Rejection) as info:
        rules.check_client_message({"realtimeInput": {}, "clientContent": {}})
    assert info.value.code == 1007
    with pytest.raises(rules.Rejection) as info:
        rules.check_client_message({"bogus": {}})
    assert 'Unknown name "bogus"' in info.value.reason
