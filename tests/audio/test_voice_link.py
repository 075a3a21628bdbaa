"""Voice in the engine: fake devices, the real pipeline thread, the local Live server.

The mic's audio reaches the local server (which detects the speech and echoes it), the echo
is played on the fake speaker, ``Interrupted`` silences it within one callback, ``/ptt``
switches to manual activity and F4's ``toggle_talk`` brackets the audio with
``activityStart``/``activityEnd``.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from gemini_live_tui.audio.fakes import FakeAudioBackend, FakeStream
from gemini_live_tui.config import load_settings
from gemini_live_tui.engine import AppEvent, Engine, Notice, Phase
from gemini_live_tui.live import ReconnectPolicy
from gemini_live_tui.local import LocalLiveServer
from gemini_live_tui.protocol import events


@pytest.fixture(autouse=True)
def _private_dirs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for key in ("CONFIG", "DATA", "LOG"):
        monkeypatch.setenv(f"GEMINI_LIVE_{key}_DIR", str(tmp_path / key.lower()))


def _engine(tmp_path: Path, backend: FakeAudioBackend, **flags: object) -> Engine:
    env = {f"GEMINI_LIVE_{k}_DIR": str(tmp_path / k.lower()) for k in ("CONFIG", "DATA", "LOG")}
    settings = load_settings({"backend": "local", **flags}, env=env)
    return Engine(
        settings,
        local_server=lambda: LocalLiveServer(port=0, speed=math.inf),
        reconnect=ReconnectPolicy(base_delay=0.01, max_delay=0.05),
        audio_options={"backend": backend, "clock": backend.clock},
    )


def _syllables(seconds: float, rate: int = 16000) -> np.ndarray:
    """Noise bursts shaped like syllables (noise suppression keeps them; a VAD hears them)."""
    rng = np.random.default_rng(11)
    n = int(seconds * rate)
    env = (np.arange(n) % int(0.25 * rate)) < int(0.15 * rate)
    return (0.3 * rng.standard_normal(n) * env).clip(-1, 1).astype(np.float32)


async def _speak_into(mic: FakeStream, audio: np.ndarray) -> None:
    for i in range(0, len(audio), 160):
        mic.push(audio[i : i + 160])
        await asyncio.sleep(0.001)  # about real time for the worker, faster for the test


async def _wait_for(
    seen: list[AppEvent], predicate: Callable[[AppEvent], bool], limit_s: float = 20
) -> AppEvent:
    """The first event matching ``predicate``, checking every 10 ms for ``limit_s``."""
    for _ in range(int(limit_s * 100)):
        for event in seen:
            if predicate(event):
                return event
        await asyncio.sleep(0.01)
    raise AssertionError("timed out waiting for an event")


async def test_mic_to_server_echo_to_speaker_and_barge_in(tmp_path: Path) -> None:
    backend = FakeAudioBackend(input_rate=16000, output_rate=48000)
    engine = _engine(tmp_path, backend)
    seen: list[AppEvent] = []
    engine.subscribe(seen.append)
    async with engine:
        run = asyncio.create_task(engine.run())
        await _wait_for(seen, lambda e: engine.phase is Phase.CONNECTED)
        await engine.audio.toggle_speak()
        await engine.audio.toggle_mic()
        assert ("mic", "on") in engine.status().features
        assert ("speak", "on") in engine.status().features
        mic, speaker = backend.inputs[0], backend.outputs[0]
        await _speak_into(mic, np.concatenate((_syllables(1.2), np.zeros(24000, np.float32))))
        heard = await _wait_for(
            seen, lambda e: isinstance(e, events.InputTranscription) and "speech" in e.text
        )
        await _wait_for(seen, lambda e: isinstance(e, events.ModelAudio))
        # The echoed reply is played: pull callbacks until it sounds.
        for _ in range(2000):  # each pull is one output callback; give the worker time
            if np.any(speaker.pull(480, advance=False) != 0):
                break
            await asyncio.sleep(0.005)
        else:
            raise AssertionError("the echoed reply never reached the speaker")
        engine._dispatch(events.Interrupted())  # what the session does on barge-in
        assert np.all(speaker.pull(480, advance=False) == 0)
        levels = engine.levels()
        assert levels.mic is not None and levels.speaker is not None
        stats = engine.audio.statistics()
        assert stats is not None and stats["chunks_sent"] > 20 and stats["flushes"] == 1
        assert "[speech" in heard.text  # type: ignore[union-attr]
        await engine.audio.toggle_mic()
        assert ("mic", "off") in engine.status().features
        await engine.stop()
        await run
    assert not any(isinstance(e, Notice) and e.level == "error" for e in seen), seen


async def test_push_to_talk_brackets_the_audio(tmp_path: Path) -> None:
    backend = FakeAudioBackend(input_rate=16000, output_rate=16000)
    engine = _engine(tmp_path, backend)
    seen: list[AppEvent] = []
    engine.subscribe(seen.append)
    async with engine:
        run = asyncio.create_task(engine.run())
        await _wait_for(seen, lambda e: engine.phase is Phase.CONNECTED)
        await engine.send_line("hello")  # the server issues a resumption handle
        await _wait_for(seen, lambda e: isinstance(e, events.TurnComplete))
        await _wait_for(seen, lambda e: isinstance(e, events.SessionResumptionUpdate))
        await engine.audio.toggle_ptt()
        assert engine.audio.ptt and engine.settings.vad.disabled
        await _wait_for(seen, lambda e: engine.phase is Phase.CONNECTED)
        seen.clear()
        await engine.audio.toggle_talk()  # F4: mic on + activityStart
        assert engine.audio.talking and engine.audio.capturing
        await _speak_into(backend.inputs[0], _syllables(0.8))
        await asyncio.sleep(0.2)  # let the worker hand over the last chunks
        await engine.audio.toggle_talk()  # F4 again: activityEnd
        heard = await _wait_for(
            seen, lambda e: isinstance(e, events.InputTranscription) and "speech" in e.text
        )
        assert "[speech" in heard.text  # type: ignore[union-attr]
        await engine.stop()
        await run


async def test_device_that_cannot_open_is_one_notice(tmp_path: Path) -> None:
    backend = FakeAudioBackend(fail_open={"input"})
    engine = _engine(tmp_path, backend)
    seen: list[AppEvent] = []
    engine.subscribe(seen.append)
    await engine.audio.toggle_mic()
    errors = [e for e in seen if isinstance(e, Notice) and e.level == "error"]
    assert len(errors) == 1 and errors[0].text.startswith("mic: input device")
    assert not engine.audio.capturing
    await engine.audio.list_devices()
    assert any(isinstance(e, Notice) and "Fake Mic" in e.text for e in seen)
    await engine.stop()
