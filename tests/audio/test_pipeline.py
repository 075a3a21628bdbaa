"""AudioPipeline with a fake device and a fake clock: chunks, pre-roll, barge-in, duplex."""

from __future__ import annotations

import threading

import numpy as np
import numpy.typing as npt
import pytest

from gemini_live_tui.audio.fakes import FakeAudioBackend, FakeStream
from gemini_live_tui.audio.pipeline import AudioPipeline, AudioSettings
from gemini_live_tui.audio.resample import StreamResampler
from gemini_live_tui.errors import AudioError

RATE = 48000
BLOCK = RATE // 100


def _pipeline(
    chunks: list[bytes], errors: list[str] | None = None, **settings: object
) -> tuple[AudioPipeline, FakeAudioBackend]:
    backend = FakeAudioBackend(input_rate=RATE, output_rate=RATE)
    opts: dict[str, object] = {"noise_suppression": 0, "aec": False}
    opts.update(settings)
    pipe = AudioPipeline(
        chunks.append,
        AudioSettings(**opts),  # type: ignore[arg-type]
        backend=backend,
        on_error=(errors.append if errors is not None else None),
        clock=backend.clock,
        start_worker=False,
    )
    return pipe, backend


def _tone(seconds: float, freq: float = 440.0, amp: float = 0.3) -> npt.NDArray[np.float32]:
    t = np.arange(int(seconds * RATE)) / RATE
    return (amp * np.sin(2 * np.pi * freq * t)).astype(np.float32)


def _model_pcm(seconds: float, amp: float = 0.5) -> bytes:
    t = np.arange(int(seconds * 24000)) / 24000
    return (amp * 32767 * np.sin(2 * np.pi * 300 * t)).astype("<i2").tobytes()


def _pcm(chunks: list[bytes]) -> npt.NDArray[np.int16]:
    return np.frombuffer(b"".join(chunks), dtype="<i2")


@pytest.mark.parametrize("chunk_ms", [20, 40, 100])
def test_chunks_have_the_configured_size(chunk_ms: int) -> None:
    chunks: list[bytes] = []
    pipe, backend = _pipeline(chunks, chunk_ms=chunk_ms)
    pipe.start_capture()
    mic = backend.inputs[0]
    for block in np.array_split(_tone(1.0), 100):
        mic.push(block)
        pipe.pump()
    assert chunks
    assert {len(c) for c in chunks} == {chunk_ms * 16000 // 1000 * 2}


def test_bad_chunk_size_is_one_clear_error() -> None:
    with pytest.raises(AudioError, match="chunk_ms 15: must be 20-100"):
        AudioSettings(chunk_ms=15)


def test_no_partial_frame_dropped_between_odd_callbacks() -> None:
    """Blocks of awkward sizes come out exactly as one-shot resampling of the whole."""
    chunks: list[bytes] = []
    pipe, backend = _pipeline(chunks)
    pipe.start_capture()
    mic = backend.inputs[0]
    signal = _tone(1.0, freq=523.0)
    rng = np.random.default_rng(3)
    pos = 0
    while pos < len(signal):
        size = int(rng.integers(1, 1500))
        mic.push(signal[pos : pos + size])
        pos += size
        if rng.random() < 0.5:
            pipe.pump()
    pipe.stop_capture()
    rs = StreamResampler(RATE, 16000)
    ref = np.concatenate((rs.process(signal), rs.flush()))
    ref16 = np.clip(np.round(ref * 32767), -32768, 32767).astype(np.int16)
    got = _pcm(chunks)
    whole = len(ref16) // 160 * 160
    assert len(got) == whole
    assert np.array_equal(got, ref16[:whole])


def test_mic_level_meter_reads_the_sent_audio() -> None:
    chunks: list[bytes] = []
    pipe, backend = _pipeline(chunks)
    pipe.start_capture()
    for block in np.array_split(_tone(0.5, amp=0.5), 50):
        backend.inputs[0].push(block)
        pipe.pump()
    mic, speaker = pipe.levels()
    assert mic.rms_dbfs == pytest.approx(20 * np.log10(0.5 / np.sqrt(2)), abs=0.5)
    assert speaker.rms_dbfs < -90


def _pull_until_sound(spk: FakeStream, limit: int = 100) -> int:
    for i in range(limit):
        if np.any(spk.pull(BLOCK) != 0):
            return i
    return -1


def test_preroll_waits_for_100_ms_then_plays() -> None:
    pipe, backend = _pipeline([])
    pipe.start_playback()
    spk = backend.outputs[0]
    pipe.play(_model_pcm(0.06))  # 60 ms: under the pre-roll
    pipe.pump()
    for _ in range(5):
        assert np.all(spk.pull(BLOCK) == 0)
    pipe.play(_model_pcm(0.1))
    pipe.pump()
    assert np.any(spk.pull(BLOCK) != 0)


def test_end_of_reply_plays_a_short_tail_without_counting_underruns() -> None:
    pipe, backend = _pipeline([])
    pipe.start_playback()
    spk = backend.outputs[0]
    pipe.play(_model_pcm(0.05))
    pipe.end_of_reply()
    pipe.pump()
    assert _pull_until_sound(spk) == 0
    for _ in range(20):
        spk.pull(BLOCK)
    assert pipe.statistics()["speaker_underruns"] == 0


def test_underrun_mid_reply_plays_silence_and_is_counted() -> None:
    pipe, backend = _pipeline([])
    pipe.start_playback()
    spk = backend.outputs[0]
    pipe.play(_model_pcm(0.2))
    pipe.pump()
    blocks = [spk.pull(BLOCK) for _ in range(30)]
    assert np.all(blocks[-1] == 0)
    assert pipe.statistics()["speaker_underruns"] == 1


def test_barge_in_flush_silences_within_one_callback() -> None:
    pipe, backend = _pipeline([])
    pipe.start_playback()
    spk = backend.outputs[0]
    pipe.play(_model_pcm(5.0))  # a whole long reply, delivered faster than real time
    pipe.pump()
    assert _pull_until_sound(spk) == 0
    pipe.play(_model_pcm(1.0))  # still queued, not yet in the ring
    pipe.flush()
    assert np.all(spk.pull(BLOCK) == 0)  # the very next callback is silent
    pipe.pump()
    for _ in range(20):
        assert np.all(spk.pull(BLOCK) == 0)
    assert pipe.statistics()["speaker_buffered_s"] == 0
    pipe.play(_model_pcm(0.3))  # the next reply plays normally
    pipe.end_of_reply()
    pipe.pump()
    assert _pull_until_sound(spk) == 0


def test_half_duplex_mutes_the_mic_while_the_model_speaks() -> None:
    chunks: list[bytes] = []
    pipe, backend = _pipeline(chunks, duplex="half")
    pipe.start_capture()
    pipe.start_playback()
    mic, spk = backend.inputs[0], backend.outputs[0]
    pipe.play(_model_pcm(0.5))
    pipe.end_of_reply()
    tone = _tone(2.0)
    for i in range(200):
        mic.push(tone[i * BLOCK : (i + 1) * BLOCK])
        spk.pull(BLOCK, advance=False)
        pipe.pump()
    sent = _pcm(chunks).astype(np.float64)
    during = sent[3200:8000]  # 0.2-0.5 s: the reply is playing
    after = sent[-8000:]  # well after the reply and its echo tail
    assert np.max(np.abs(during)) == 0
    assert np.sqrt(np.mean(after**2)) > 3000
    assert pipe.statistics()["frames_muted"] > 0


def test_vanished_input_device_is_one_message_and_playback_goes_on() -> None:
    errors: list[str] = []
    pipe, backend = _pipeline([], errors)
    pipe.start_capture()
    pipe.start_playback()
    backend.inputs[0].fail()
    pipe.pump()
    assert len(errors) == 1 and "input device" in errors[0] and "stopped" in errors[0]
    assert not pipe.capturing
    pipe.play(_model_pcm(0.3))
    pipe.end_of_reply()
    pipe.pump()
    assert _pull_until_sound(backend.outputs[0]) == 0
    pipe.start_capture()  # a new device (or the same one back) can be opened again
    assert pipe.capturing


def test_device_that_cannot_open_raises_a_clear_error() -> None:
    backend = FakeAudioBackend(fail_open={"output"})
    pipe = AudioPipeline(lambda chunk: None, backend=backend, start_worker=False)
    with pytest.raises(AudioError, match="output device default: cannot open"):
        pipe.start_playback()
    assert not pipe.playing_enabled


@pytest.mark.parametrize("latency", [0.002, 0.02, 0.05])
def test_echo_of_the_speaker_is_cancelled_through_the_pipeline(latency: float) -> None:
    """The far-end reference is lined up from callback times and latencies; with tiny
    device latencies mic frames wait for it rather than being cancelled against silence."""
    chunks: list[bytes] = []
    pipe, backend = _pipeline(chunks, aec=True)
    backend.latency = latency
    pipe.start_capture()
    pipe.start_playback()
    mic, spk = backend.inputs[0], backend.outputs[0]
    rng = np.random.default_rng(5)
    seconds = 6
    noise = rng.standard_normal(seconds * 24000)
    envelope = np.repeat(rng.random(seconds * 10) > 0.3, 2400)  # bursty, like speech
    pipe.play((noise * envelope * 5000).astype("<i2").tobytes())
    pipe.end_of_reply()
    pipe.pump()
    # A sample played at DAC time t is captured at t + 5 ms (the room's direct path).
    # Fake timing: the first capture is 20 ms before the first push and the first play
    # 20 ms after the first pull, so the mic hears play index n at mic index n + lag.
    lag = round((2 * backend.latency + 0.01) * RATE)
    room = np.zeros(int(0.05 * RATE))
    room[240] = 0.4
    decay = np.exp(-np.arange(len(room) - 240) / 400)
    room[240:] += 0.05 * rng.standard_normal(len(room) - 240) * decay
    played = np.zeros(lag + len(room))  # zeros: what "played" before the stream began
    raw = []
    for _ in range(seconds * 100):
        played = np.concatenate((played, spk.pull(BLOCK, advance=False)[:, 0]))
        # mic block k covers indices [k*BLOCK, (k+1)*BLOCK); it hears played[m - lag].
        end = len(played) - BLOCK  # = lag + len(room) + k*BLOCK, i.e. index of m=k*BLOCK
        seg = played[end - lag - len(room) + 1 : end - lag + BLOCK]
        echo = np.convolve(seg, room)[len(room) - 1 : len(room) - 1 + BLOCK]
        block = echo + 1e-4 * rng.standard_normal(BLOCK)
        raw.append(block)
        mic.push(block.astype(np.float32))
        pipe.pump()
    sent = _pcm(chunks).astype(np.float64) / 32768
    mic_in = np.concatenate(raw)
    tail_in = float(np.mean(mic_in[-2 * RATE :] ** 2))
    tail_out = float(np.mean(sent[-2 * 16000 :] ** 2))
    assert 10 * np.log10(tail_in / tail_out) > 30


def test_worker_thread_delivers_chunks_and_joins() -> None:
    got = threading.Event()
    chunks: list[bytes] = []

    def send(chunk: bytes) -> None:
        chunks.append(chunk)
        if len(chunks) >= 5:
            got.set()

    backend = FakeAudioBackend(input_rate=16000)
    pipe = AudioPipeline(send, AudioSettings(noise_suppression=2), backend=backend)
    pipe.start_capture()
    tone = (0.2 * np.sin(2 * np.pi * 300 * np.arange(16000) / 16000)).astype(np.float32)
    for i in range(30):
        backend.inputs[0].push(tone[i * 160 : (i + 1) * 160])
    assert got.wait(10)
    pipe.close()
    assert pipe._worker is not None and not pipe._worker.is_alive()
    assert {len(c) for c in chunks[:5]} == {1280}  # close() may send one short last chunk
