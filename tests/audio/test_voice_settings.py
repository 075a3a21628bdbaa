"""Voice settings: --aec / --duplex / device flags and config keys; PortAudio missing."""

from __future__ import annotations

import builtins
from pathlib import Path
from typing import Any

import pytest

from gemini_live_tui.audio.devices import DeviceInfo, SoundDeviceBackend, format_devices
from gemini_live_tui.config import load_settings
from gemini_live_tui.errors import AudioError, ConfigError


def _env(tmp_path: Path) -> dict[str, str]:
    return {f"GEMINI_LIVE_{k}_DIR": str(tmp_path / k.lower()) for k in ("CONFIG", "DATA", "LOG")}


def test_defaults_are_full_duplex_with_echo_cancellation(tmp_path: Path) -> None:
    settings = load_settings({"backend": "local"}, env=_env(tmp_path))
    assert settings.aec is True and settings.duplex == "full"
    assert settings.input_device is None and settings.output_device is None


def test_flags_beat_the_config_file(tmp_path: Path) -> None:
    (tmp_path / "config").mkdir()
    (tmp_path / "config" / "config.toml").write_text(
        'aec = false\nduplex = "half"\ninput_device = "USB"\noutput_device = "3"\n'
    )
    from_file = load_settings({"backend": "local"}, env=_env(tmp_path))
    assert (from_file.aec, from_file.duplex) == (False, "half")
    assert (from_file.input_device, from_file.output_device) == ("USB", "3")
    assert from_file.sources["aec"] == "config file"
    flags = {"backend": "local", "aec": "on", "duplex": "full", "input_device": "pulse"}
    from_flags = load_settings(flags, env=_env(tmp_path))
    assert (from_flags.aec, from_flags.duplex, from_flags.input_device) == (True, "full", "pulse")
    assert from_flags.sources["aec"] == "flag"


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [("aec", "maybe", "aec 'maybe' is not 'on' or 'off'"), ("duplex", "quarter", "duplex")],
)
def test_bad_values_are_one_clear_line(tmp_path: Path, key: str, value: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        load_settings({"backend": "local", key: value}, env=_env(tmp_path))


def test_missing_portaudio_is_one_clear_line(monkeypatch: pytest.MonkeyPatch) -> None:
    real_import = builtins.__import__

    def no_portaudio(name: str, *args: Any, **kwargs: Any) -> Any:
        if name == "sounddevice":
            raise OSError("PortAudio library not found")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_portaudio)
    with pytest.raises(AudioError, match="PortAudio library is not installed") as info:
        SoundDeviceBackend().list_devices()
    assert "\n" not in str(info.value)


def test_device_listing_lines() -> None:
    lines = format_devices(
        [
            DeviceInfo(0, "Built-in Mic", "ALSA", 2, 0, 48000, is_default_input=True),
            DeviceInfo(3, "Speakers", "ALSA", 0, 2, 44100, is_default_output=True),
            DeviceInfo(4, "Headset", "ALSA", 1, 2, 16000),
        ]
    )
    assert lines[0].split()[:2] == ["0", "in*"]
    assert "out*" in lines[1] and "44100 Hz" in lines[1]
    assert "in/out" in lines[2]


def test_unknown_device_name_is_one_clear_line() -> None:
    backend = SoundDeviceBackend()
    try:
        backend.list_devices()
    except AudioError as exc:  # no PortAudio on this machine: the line above is the answer
        pytest.skip(str(exc))
    with pytest.raises(AudioError, match="input device 'no-such-mic-xyz': no such device"):
        backend.open_input(
            "no-such-mic-xyz",
            samplerate=16000,
            channels=1,
            blocksize=0,
            callback=lambda data, now: None,
            on_error=lambda message: None,
        )


def test_chunk_length_from_the_config_file(tmp_path: Path) -> None:
    (tmp_path / "config").mkdir()
    config = tmp_path / "config" / "config.toml"
    config.write_text("audio_chunk_ms = 20\n")
    assert load_settings({"backend": "local"}, env=_env(tmp_path)).audio_chunk_ms == 20
    config.write_text("audio_chunk_ms = 25\n")
    with pytest.raises(ConfigError, match="audio_chunk_ms 25 is not a multiple of 10"):
        load_settings({"backend": "local"}, env=_env(tmp_path))
