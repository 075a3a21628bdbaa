"""Voice in the engine: fake devices, the real pipeline thread, the local Live server.

The mic's audio reaches the local server (which detects the speech and echoes it), the echo
is played on the fake speaker, ``Interrupted`` silences it within one callback, ``/ptt``
switches to manual activity and F4's ``toggle_talk`` brackets the audio with
``activityStart``/``activityEnd``.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from gemini_live_tui.audio.fakes import FakeAudioBackend, FakeStream
from gemini_live_tui.engine import AppEvent, Engine, Notice, Phase
from gemini_live_tui.engine.ports import EngineUplink
from gemini_live_tui.engine.voice import VoiceLink
from gemini_live_tui.protocol import events
from tests.engine.conftest import engine_settings, started_engine
from tests.waiting import eventually


@pytest.fixture(autouse=True)
def _private_dirs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for key in ("CONFIG", "DATA", "LOG"):
        monkeypatch.setenv(f"GEMINI_LIVE_{key}_DIR", str(tmp_path / key.lower()))


def _voice(backend: FakeAudioBackend) -> Callable[[EngineUplink], VoiceLink]:
    return lambda uplink: VoiceLink(uplink, backend=backend, clock=backend.clock)


def _syllables(seconds: float, rate: int = 16000) -> np.ndarray:
    """Noise bursts shaped like syllables (noise suppression keeps them; a VAD hears them)."""
    rng = np.random.default_rng(11)
    n = int(seconds * rate)
    env = (np.arange(n) % int(0.25 * rate)) < int(0.15 * rate)
    return (0.3 * rng.standard_normal(n) * env).clip(-1, 1).astype(np.float32)


def _handed_over_s(engine: Engine) -> float:
    """Seconds of mic audio the pipeline has taken from the fake mic (sent or muted)."""
    stats = engine.audio.statistics() or {}
    return float(stats.get("seconds_sent", 0.0)) + stats.get("frames_muted", 0) / 16000


async def _speak_into(engine: Engine, mic: FakeStream, audio: np.ndarray) -> None:
    """Feed ``audio`` 100 ms at a time, each time waiting until the worker has taken it.

    The worker reads the mic ring on its own thread: pushing faster than it reads would
    overrun the ring, so the pace is set by the condition, not by a sleep.
    """
    start = _handed_over_s(engine)
    for i in range(0, len(audio), 1600):
        for j in range(i, min(i + 1600, len(audio)), 160):
            mic.push(audio[j : j + 160])
        pushed = min(i + 1600, len(audio)) / 16000
        # The worker keeps up to one 20 ms block back until the next one completes it.
        await eventually(
            lambda pushed=pushed: _handed_over_s(engine) - start >= pushed - 0.04,
            limit=10,
            what=f"the worker to take {pushed:.1f} s of mic audio",
        )


async def test_mic_to_server_echo_to_speaker_and_barge_in(tmp_path: Path) -> None:
    backend = FakeAudioBackend(input_rate=16000, output_rate=48000)
    async with started_engine(tmp_path, voice=_voice(backend)) as running:
        engine, seen = running.engine, running.seen
        await engine.audio.toggle_speak()
        await engine.audio.toggle_mic()
        assert ("mic", "on") in engine.status().features
        assert ("speak", "on") in engine.status().features
        mic, speaker = backend.inputs[0], backend.outputs[0]
        await _speak_into(
            engine, mic, np.concatenate((_syllables(1.2), np.zeros(24000, np.float32)))
        )
        heard = await running.first(
            lambda e: isinstance(e, events.InputTranscription) and "speech" in e.text
        )
        # Model audio goes to the speaker only, never to the listeners: pull output
        # callbacks until the echoed reply sounds.
        await eventually(
            lambda: bool(np.any(speaker.pull(480, advance=False) != 0)),
            what="the echoed reply to reach the speaker",
        )
        assert not any(isinstance(e, events.ModelAudio) for e in seen)
        engine._dispatch(events.Interrupted())  # what the session does on barge-in
        assert np.all(speaker.pull(480, advance=False) == 0)
        levels = engine.levels()
        assert levels.mic is not None and levels.speaker is not None
        stats = engine.audio.statistics()
        assert stats is not None and stats["chunks_sent"] > 20 and stats["flushes"] == 1
        assert "[speech" in heard.text
        await engine.audio.toggle_mic()
        assert ("mic", "off") in engine.status().features
    assert not any(isinstance(e, Notice) and e.level == "error" for e in seen), seen


async def test_push_to_talk_brackets_the_audio(tmp_path: Path) -> None:
    backend = FakeAudioBackend(input_rate=16000, output_rate=16000)
    async with started_engine(tmp_path, voice=_voice(backend)) as running:
        engine, seen = running.engine, running.seen
        await engine.send_line("hello")  # the server issues a resumption handle
        await running.first(lambda e: isinstance(e, events.TurnComplete))
        await running.first(lambda e: isinstance(e, events.SessionResumptionUpdate))
        await engine.audio.toggle_ptt()
        assert engine.audio.ptt and engine.settings.vad.disabled
        await eventually(lambda: engine.phase is Phase.CONNECTED, what="reconnected")
        seen.clear()
        await engine.audio.toggle_talk()  # F4: mic on + activityStart
        assert engine.audio.talking and engine.audio.capturing
        await _speak_into(engine, backend.inputs[0], _syllables(0.8))
        # Every chunk the worker took is on the session's queue before activityEnd goes.
        await eventually(lambda: engine.audio.pending_chunks == 0, what="the mic queue to drain")
        await engine.audio.toggle_talk()  # F4 again: activityEnd
        heard = await running.first(
            lambda e: isinstance(e, events.InputTranscription) and "speech" in e.text
        )
        assert "[speech" in heard.text


async def test_device_that_cannot_open_is_one_notice(tmp_path: Path) -> None:
    backend = FakeAudioBackend(fail_open={"input"})
    engine = Engine(engine_settings(tmp_path), voice=_voice(backend))
    seen: list[AppEvent] = []
    engine.subscribe(seen.append)
    await engine.audio.toggle_mic()
    errors = [e for e in seen if isinstance(e, Notice) and e.level == "error"]
    assert len(errors) == 1 and errors[0].text.startswith("mic: input device")
    assert not engine.audio.capturing
    await engine.audio.list_devices()
    assert any(isinstance(e, Notice) and "Fake Mic" in e.text for e in seen)
    await engine.stop()
