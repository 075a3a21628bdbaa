"""The pipeline on real PortAudio streams through a private PulseAudio daemon.

A null sink ``spk`` is the speaker (recorded back from ``spk.monitor`` with parec) and a
pipe source ``mic`` is the mic (we write PCM into its FIFO at real-time pace).  PortAudio
reaches both through ALSA's ``pulse`` device.  Skipped, with the reason printed, only
where the daemon cannot start.
"""

from __future__ import annotations

import os
import subprocess
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from gemini_live_tui.audio.pipeline import AudioPipeline, AudioSettings
from tests.conftest import require_program

pytestmark = pytest.mark.system


def _wait_for(condition: object, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():  # type: ignore[operator]
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.02)


def _record_sink() -> tuple[subprocess.Popen[bytes], bytearray]:
    """parec on the null sink's monitor, collected into a bytearray by a reader thread."""
    recorder = subprocess.Popen(
        ["parec", "-d", "spk.monitor", "--format=s16le", "--rate=16000", "--channels=1"],
        stdout=subprocess.PIPE,
    )
    captured = bytearray()

    def reader() -> None:
        assert recorder.stdout is not None
        while data := recorder.stdout.read(3200):
            captured.extend(data)

    threading.Thread(target=reader, daemon=True).start()
    return recorder, captured


def _tone(seconds: float, rate: int, freq: float, amp: float) -> np.ndarray:
    t = np.arange(int(seconds * rate)) / rate
    return (amp * 32767 * np.sin(2 * np.pi * freq * t)).astype("<i2")


def test_mic_pipe_reaches_send_as_16k_chunks(pulse: Path) -> None:
    chunks: list[bytes] = []
    enough = threading.Event()

    def send(chunk: bytes) -> None:
        chunks.append(chunk)
        if len(chunks) >= 50:
            enough.set()

    pipe = AudioPipeline(
        send,
        AudioSettings(input_device="pulse", noise_suppression=0, aec=False),
    )
    try:
        pipe.start_capture()
        tone = _tone(3.0, 16000, 440.0, 0.25).tobytes()

        def writer() -> None:
            fd = os.open(pulse, os.O_WRONLY)
            try:
                start = time.monotonic()
                step = 3200  # 100 ms of s16le
                for i in range(0, len(tone), step):
                    os.write(fd, tone[i : i + step])
                    ahead = start + (i + step) / 32000 - time.monotonic()
                    if ahead > 0:
                        time.sleep(ahead)  # real-time pace, as a mic would deliver
            finally:
                os.close(fd)

        thread = threading.Thread(target=writer)
        thread.start()
        assert enough.wait(30), "no mic chunks arrived"
        thread.join()
        stats = pipe.statistics()
    finally:
        pipe.close()
    assert {len(c) for c in chunks[:50]} == {1280}  # 40 ms of 16 kHz s16le
    pcm = np.frombuffer(b"".join(chunks), dtype="<i2").astype(np.float64)
    start = int(np.argmax(np.abs(pcm) > 1000))
    tone = pcm[start + 1600 : start + 17600]  # one second inside the written tone
    assert len(tone) == 16000
    rms_dbfs = 20 * np.log10(np.sqrt(np.mean(tone**2)) / 32768)
    assert rms_dbfs == pytest.approx(20 * np.log10(0.25 / np.sqrt(2)), abs=1.5)
    spectrum = np.abs(np.fft.rfft(tone))
    assert abs(int(np.argmax(spectrum)) - 440) <= 3  # 1 Hz per bin over one second
    assert stats["mic_overruns"] == 0


def test_speaker_playback_is_heard_on_the_sink_monitor(pulse: Path) -> None:
    recorder = subprocess.Popen(
        ["parec", "-d", "spk.monitor", "--format=s16le", "--rate=16000", "--channels=1"],
        stdout=subprocess.PIPE,
    )
    captured = bytearray()

    def reader() -> None:
        assert recorder.stdout is not None
        while True:
            data = recorder.stdout.read(3200)
            if not data:
                return
            captured.extend(data)

    thread = threading.Thread(target=reader, daemon=True)
    thread.start()
    errors: list[str] = []
    pipe = AudioPipeline(
        lambda chunk: None,
        AudioSettings(output_device="pulse"),
        on_error=errors.append,
    )
    try:
        pipe.start_playback()
        pipe.play(_tone(1.0, 24000, 300.0, 0.5).tobytes())
        pipe.end_of_reply()

        def heard() -> bool:
            pcm = np.frombuffer(bytes(captured[len(captured) % 2 :]), dtype="<i2")
            return bool(np.sum(np.abs(pcm) > 8000) > 8000)  # half a second of loud tone

        _wait_for(heard, 20, "the tone on spk.monitor")
        stats = pipe.statistics()
    finally:
        pipe.close()
        recorder.terminate()
        recorder.wait(timeout=10)
    pcm = np.frombuffer(bytes(captured[len(captured) % 2 :]), dtype="<i2").astype(np.float64)
    start = int(np.argmax(np.abs(pcm) > 8000))
    tone = pcm[start + 800 : start + 8800]  # 0.5 s inside the played tone
    spectrum = np.abs(np.fft.rfft(tone))
    assert abs(int(np.argmax(spectrum)) * 16000 / len(tone) - 300) <= 4
    level = 20 * np.log10(np.sqrt(np.mean(tone**2)) / 32768)
    assert level == pytest.approx(20 * np.log10(0.5 / np.sqrt(2)), abs=1.5)
    assert stats["speaker_underruns"] == 0
    assert not errors


async def test_app_engine_talks_to_the_local_server_through_pulseaudio(
    pulse: Path, tmp_path: Path
) -> None:
    """espeak-ng speech into the mic pipe reaches the local server, whose echo of it is
    played to the null sink; both the transcript's duration and the played audio match."""
    import asyncio
    import math

    from bench.speech import speech
    from gemini_live_tui.config import load_settings
    from gemini_live_tui.engine import AppEvent, Engine, Notice, Phase
    from gemini_live_tui.local import LocalLiveServer
    from gemini_live_tui.protocol import events

    require_program("espeak-ng")
    words = speech("Testing the microphone, one two three.", voice="en-us")
    voice = (words * 0.6 * 32767).astype("<i2")
    env = {f"GEMINI_LIVE_{k}_DIR": str(tmp_path / k.lower()) for k in ("CONFIG", "DATA", "LOG")}
    settings = load_settings(
        {"backend": "local", "input_device": "pulse", "output_device": "pulse"}, env=env
    )
    engine = Engine(settings, local_server=lambda: LocalLiveServer(port=0, speed=math.inf))
    seen: list[AppEvent] = []
    engine.subscribe(seen.append)

    recorder, captured = _record_sink()

    def feed() -> None:
        pcm = np.concatenate((np.zeros(8000, "<i2"), voice, np.zeros(40000, "<i2"))).tobytes()
        fd = os.open(pulse, os.O_WRONLY)
        try:
            start = time.monotonic()
            for i in range(0, len(pcm), 3200):
                os.write(fd, pcm[i : i + 3200])
                ahead = start + (i + 3200) / 32000 - time.monotonic()
                if ahead > 0:
                    time.sleep(ahead)
        finally:
            os.close(fd)

    async def first(predicate: object, limit_s: float) -> AppEvent:
        for _ in range(int(limit_s * 50)):
            for event in seen:
                if predicate(event):  # type: ignore[operator]
                    return event
            await asyncio.sleep(0.02)
        raise AssertionError(f"timed out; events: {[type(e).__name__ for e in seen][-20:]}")

    try:
        async with engine:
            run = asyncio.create_task(engine.run())
            await first(lambda e: engine.phase is Phase.CONNECTED, 20)
            await engine.audio.toggle_speak()
            await engine.audio.toggle_mic()
            writer = asyncio.create_task(asyncio.to_thread(feed))
            heard = await first(
                lambda e: isinstance(e, events.InputTranscription) and "speech" in e.text, 40
            )
            await first(lambda e: isinstance(e, events.TurnComplete), 20)
            await writer

            def echo_played() -> bool:
                pcm = np.frombuffer(bytes(captured[: len(captured) // 2 * 2]), dtype="<i2")
                return bool(np.sum(np.abs(pcm) > 1500) > 2000)  # ~0.1 s of speech

            for _ in range(500):
                if echo_played():
                    break
                await asyncio.sleep(0.02)
            await engine.stop()
            await run
    finally:
        recorder.terminate()
        recorder.wait(timeout=10)
    errors = [e.text for e in seen if isinstance(e, Notice) and e.level == "error"]
    assert not errors
    said = float(heard.text.split("speech")[1].split("s")[0])  # type: ignore[union-attr]
    assert said == pytest.approx(len(voice) / 16000, abs=0.6)
    played = np.frombuffer(bytes(captured[: len(captured) // 2 * 2]), dtype="<i2").astype(float)
    assert echo_played(), "the echoed reply never reached the sink"

    # The echo is the same speech: its envelope lines up with the WAV's.
    def envelope(x: np.ndarray) -> np.ndarray:
        frames = len(x) // 160
        return np.sqrt((x[: frames * 160].reshape(frames, 160) ** 2).mean(axis=1))

    ref = envelope(voice.astype(float))
    got = envelope(played)
    scores = [
        float(np.corrcoef(seg, ref)[0, 1])
        for lag in range(0, len(got) - len(ref))
        if np.std(seg := got[lag : lag + len(ref)]) > 0
    ]
    assert scores and max(scores) > 0.8
