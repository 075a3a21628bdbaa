"""The terminal app with ``/speak`` and ``/mic`` on, over real PulseAudio devices.

``gemini-live --backend local --input-device pulse --output-device pulse`` (built the way
the CLI builds it, driven by Textual's pilot): espeak-ng speech written into the pipe mic
reaches the local server, which hears "[speech N s]" of the right length and echoes it; the
echo is played into the null sink and recorded back from its monitor.
"""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from bench.speech import speech
from tests.audio.test_pulseaudio import _record_sink
from tests.conftest import require_program
from tests.tui.conftest import log_text, make_app, wait_for

pytestmark = pytest.mark.system


async def _type(pilot: object, text: str) -> None:
    app = pilot.app  # type: ignore[attr-defined]
    app.prompt.value = text
    app.prompt.cursor_position = len(text)
    await pilot.press("enter")  # type: ignore[attr-defined]


def _feed(pipe: Path, pcm: bytes) -> None:
    fd = os.open(pipe, os.O_WRONLY)
    try:
        start = time.monotonic()
        for i in range(0, len(pcm), 3200):
            os.write(fd, pcm[i : i + 3200])
            ahead = start + (i + 3200) / 32000 - time.monotonic()
            if ahead > 0:
                time.sleep(ahead)  # a real mic delivers in real time
    finally:
        os.close(fd)


async def test_app_mic_and_speak_through_pulseaudio(pulse: Path, tmp_path: Path) -> None:
    require_program("espeak-ng")
    voice = (speech("Hello there, this is the microphone.") * 0.6 * 32767).astype("<i2")
    pcm = np.concatenate((np.zeros(8000, "<i2"), voice, np.zeros(40000, "<i2"))).tobytes()
    recorder, captured = _record_sink()
    app = make_app(tmp_path, input_device="pulse", output_device="pulse")
    try:
        async with app.run_test(size=(110, 30)) as pilot:
            await wait_for(pilot, lambda: "connected to local server" in log_text(app))
            await _type(pilot, "/speak")
            await _type(pilot, "/mic")
            await wait_for(pilot, lambda: "mic on" in log_text(app), what="mic on")
            assert "mic on" in app.status_bar.plain and "spk on" in app.status_bar.plain
            writer = threading.Thread(target=_feed, args=(pulse, pcm))
            writer.start()
            await wait_for(pilot, lambda: "[speech" in log_text(app), limit=40, what="speech")
            levels = app.engine.levels()
            assert levels.mic is not None and levels.speaker is not None

            def echo_played() -> bool:
                got = np.frombuffer(bytes(captured[: len(captured) // 2 * 2]), dtype="<i2")
                return bool(np.sum(np.abs(got) > 1500) > 2000)  # ~0.1 s of speech

            await wait_for(pilot, echo_played, limit=30, what="the echo on the sink")
            writer.join()
            await _type(pilot, "/mic")
            await wait_for(pilot, lambda: "mic off" in log_text(app), what="mic off")
            text = log_text(app)
    finally:
        recorder.terminate()
        recorder.wait(timeout=10)
    said = float(text.split("[speech")[1].split("s]")[0])
    assert said == pytest.approx(len(voice) / 16000, abs=0.6)
    assert "error" not in text.lower()
