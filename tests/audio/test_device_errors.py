"""Device failures read as one plain line."""

from __future__ import annotations

from gemini_live_tui.audio.devices import _describe_open_error


def test_missing_default_device_is_named_plainly() -> None:
    text = _describe_open_error(Exception("Error querying device -1"), "input")
    assert text == "no input device found (see /devices)"


def test_other_portaudio_errors_pass_through() -> None:
    assert _describe_open_error(Exception("Device unavailable [PaErrorCode -9985]"), "output") == (
        "Device unavailable [PaErrorCode -9985]"
    )
