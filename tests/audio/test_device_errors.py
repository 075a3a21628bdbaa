"""Device failures read as one plain line."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from gemini_live_tui.audio import devices
from gemini_live_tui.errors import AudioError


@pytest.mark.parametrize(("kind", "default"), [("input", [-1, 3]), ("output", [2, -1])])
def test_missing_default_device_is_named_plainly(
    monkeypatch: pytest.MonkeyPatch, kind: str, default: list[int]
) -> None:
    fake = SimpleNamespace(default=SimpleNamespace(device=default))
    monkeypatch.setattr(devices, "_sounddevice", lambda: fake)
    with pytest.raises(AudioError, match=f"no {kind} device found"):
        devices.SoundDeviceBackend()._resolve(None, kind)


def test_a_present_default_device_resolves_to_portaudio_default(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    fake = SimpleNamespace(default=SimpleNamespace(device=[1, 2]))
    monkeypatch.setattr(devices, "_sounddevice", lambda: fake)
    assert devices.SoundDeviceBackend()._resolve(None, "input") is None
