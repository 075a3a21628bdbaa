"""Deterministic synthetic echo scenes and the figures used to judge an echo canceller.

A scene is far-end speech played into a synthetic room (bulk delay plus an exponentially
decaying random impulse response) and picked up by the mic together with low noise and,
from ``double_talk_s`` on, a near-end talker.  The bench (``bench/bench_aec.py``) and the
quality smoke test build scenes here so they measure the same thing.  Speech comes from
the caller (espeak-ng output); nothing here reads files or runs programs.

:func:`play_through_pipeline` runs a scene through the whole :class:`AudioPipeline` with
fake devices whose clocks differ (a mic running ``ppm`` fast against the speaker), the
case of separate devices that clock-drift compensation is there for.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from gemini_live_tui.audio.fakes import FakeAudioBackend
from gemini_live_tui.audio.pipeline import AudioPipeline, AudioSettings

__all__ = [
    "EchoScene",
    "best_lag_correlation",
    "erle_db",
    "make_scene",
    "play_through_pipeline",
    "room_response",
]

FloatArray = npt.NDArray[np.float64]
Int16Array = npt.NDArray[np.int16]


@dataclass(frozen=True)
class EchoScene:
    """Signals of one scene, all at ``rate``; ``near`` is what the mic captured."""

    rate: int
    far: Int16Array
    near: Int16Array
    echo: FloatArray
    talker: FloatArray
    double_talk_s: float


def room_response(
    rate: int, delay_ms: float, tail_ms: float, *, peak: float = 0.5, seed: int = 1
) -> FloatArray:
    """Bulk delay then random taps under an envelope falling 60 dB over ``tail_ms``."""
    rng = np.random.default_rng(seed)
    delay = round(delay_ms * rate / 1000)
    length = round(tail_ms * rate / 1000)
    t = np.arange(length) / rate
    env = np.exp(-6.9 * t / (tail_ms / 1000))
    taps = rng.standard_normal(length) * env
    taps[0] = 2.5  # a strong direct path, as from a laptop speaker to its own mic
    taps *= peak / np.max(np.abs(taps))
    return np.concatenate((np.zeros(delay), taps))


def make_scene(
    far_speech: FloatArray,
    near_speech: FloatArray,
    *,
    rate: int = 16000,
    delay_ms: float = 40.0,
    tail_ms: float = 250.0,
    duration_s: float = 20.0,
    double_talk_s: float = 13.0,
    noise_dbfs: float = -55.0,
    near_level: float = 0.5,
    seed: int = 1,
) -> EchoScene:
    """Build a scene; speech arrays are floats in [-1, 1] at ``rate``, looped to fill it."""
    total = round(duration_s * rate)
    far = _fill(far_speech, total)
    far *= 0.5 / max(np.max(np.abs(far)), 1e-9)
    echo = np.convolve(far, room_response(rate, delay_ms, tail_ms, seed=seed))[:total]
    talker = np.zeros(total)
    start = round(double_talk_s * rate)
    near_part = _fill(near_speech, total - start)
    talker[start:] = near_part * (near_level / max(np.max(np.abs(near_part)), 1e-9))
    rng = np.random.default_rng(seed + 100)
    noise = rng.standard_normal(total) * 10 ** (noise_dbfs / 20)
    mic = echo + talker + noise
    return EchoScene(
        rate=rate,
        far=_to_int16(far),
        near=_to_int16(mic),
        echo=echo,
        talker=talker,
        double_talk_s=double_talk_s,
    )


def erle_db(near: Int16Array, out: Int16Array, start: int, stop: int) -> float:
    """Echo return loss enhancement over ``[start, stop)``: mic energy over output energy."""
    n = near[start:stop].astype(np.float64)
    o = out[start:stop].astype(np.float64)
    return float(10 * np.log10((n @ n + 1e-9) / (o @ o + 1e-9)))


def best_lag_correlation(
    out: Int16Array, clean: FloatArray, start: int, stop: int, max_lag: int
) -> tuple[float, int]:
    """Highest correlation of ``out`` with ``clean`` over lags 0..max_lag (output lags)."""
    ref = clean[start:stop]
    best = (-1.0, 0)
    for lag in range(0, max_lag + 1):
        seg = out[start + lag : stop + lag].astype(np.float64)
        if len(seg) < len(ref):
            break
        c = float(np.corrcoef(seg, ref)[0, 1])
        if c > best[0]:
            best = (c, lag)
    return best


def play_through_pipeline(
    far: Int16Array,
    room: FloatArray,
    near: FloatArray,
    *,
    ppm: float,
    rate: int = 16000,
    latency: float = 0.02,
    jitter_s: float = 0.0,
    seed: int = 0,
) -> tuple[Int16Array, Int16Array, dict[str, Any]]:
    """Play ``far`` through a fake speaker into ``room`` and a fake mic ``ppm`` fast.

    Both fake devices run at ``rate`` nominally; the speaker's clock is the reference and
    the mic's runs at ``rate * (1 + ppm / 1e6)`` of it.  The mic hears the room's echo of
    what the speaker callback really played, resampled (soxr, independent of the
    pipeline's own interpolator) onto the mic's clock, plus ``near`` (mic samples: the
    near talker and noise).  Callbacks (10 ms blocks) run in time order on one fake
    clock and the pipeline's worker step runs after each one.  ``jitter_s`` makes the
    callback times the pipeline sees scatter (Gaussian, that standard deviation, and
    every 50th callback 5 ms late), as a real scheduler's do; the audio is unaffected.

    Returns (mic as captured, what the pipeline sent, the pipeline's statistics).
    """
    block = rate // 100
    backend = FakeAudioBackend(input_rate=rate, output_rate=rate, latency=latency)
    sent: list[bytes] = []
    settings = AudioSettings(noise_suppression=0, auto_gain=0, input_rate=rate, output_rate=rate)
    pipe = AudioPipeline(
        sent.append, settings, backend=backend, clock=backend.clock, start_worker=False
    )
    pipe.start_capture()
    pipe.start_playback()
    pipe.play(far.astype("<i2").tobytes(), sample_rate=rate)
    pipe.end_of_reply()
    mic_dev, spk_dev = backend.inputs[0], backend.outputs[0]
    mic_rate = rate * (1.0 + ppm * 1e-6)
    # Mic sample i was captured at t0 - latency + (i + 1) / mic_rate and hears the echo
    # of speaker grid position (i + 1) * rate / mic_rate - lag (the speaker's sample j
    # played at t0 + latency + j / rate).  The grid is read there with a 64-tap
    # Blackman-windowed sinc of its own (independent of the pipeline's interpolator).
    lag = 2 * latency * rate
    half = 32
    taps = np.arange(-half + 1, half + 1)
    tail = len(room)
    played = np.zeros(tail - 1)  # silence "played" before the stream began
    grid = np.zeros(0)  # the room's echo on the speaker's sample grid
    mic = np.zeros(len(near) // block * block)
    t0 = backend.clock()
    rng = np.random.default_rng(seed)

    def late(k: int) -> float:
        if not jitter_s:
            return 0.0
        return abs(float(rng.normal())) * jitter_s + (0.005 if k % 50 == 49 else 0.0)

    k_in = k_out = 0
    while k_in * block < len(mic):
        t_in = t0 + (k_in + 1) * block / mic_rate  # a mic callback comes after its block
        t_out = t0 + k_out * block / rate
        if t_out <= t_in:
            backend.clock.now = t_out + late(k_out)
            out = spk_dev.pull(block, advance=False)[:, 0].astype(np.float64)
            played = np.concatenate((played[-(tail - 1) :], out))
            grid = np.concatenate((grid, np.convolve(played, room, mode="valid")))
            k_out += 1
            continue
        start = k_in * block
        pos = (np.arange(start, start + block) + 1) * (rate / mic_rate) - lag
        whole = np.floor(pos).astype(np.int64)
        if whole[-1] + half >= len(grid):
            raise ValueError(f"latency {latency} s: too small for the interpolator")
        idx = whole[:, None] + taps[None, :]
        x = idx - pos[:, None]
        window = 0.42 + 0.5 * np.cos(np.pi * x / half) + 0.08 * np.cos(2 * np.pi * x / half)
        values = np.where(idx >= 0, grid[np.maximum(idx, 0)], 0.0)
        chunk = (values * np.sinc(x) * window).sum(axis=1) + near[start : start + block]
        mic[start : start + block] = chunk
        backend.clock.now = t_in + late(k_in)
        mic_dev.push(chunk.astype(np.float32), advance=False)
        pipe.pump()
        k_in += 1
    stats = pipe.statistics()
    pipe.close()
    sent_pcm = np.frombuffer(b"".join(sent), dtype="<i2")
    return _to_int16(mic), sent_pcm.astype(np.int16), stats


def _fill(speech: FloatArray, total: int) -> FloatArray:
    reps = -(-total // max(len(speech), 1))
    return np.tile(np.asarray(speech, dtype=np.float64), reps)[:total].copy()


def _to_int16(x: FloatArray) -> Int16Array:
    return np.clip(np.round(x * 32767), -32768, 32767).astype(np.int16)
