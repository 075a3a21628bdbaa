"""Deterministic synthetic echo scenes and the figures used to judge an echo canceller.

A scene is far-end speech played into a synthetic room (bulk delay plus an exponentially
decaying random impulse response) and picked up by the mic together with low noise and,
from ``double_talk_s`` on, a near-end talker.  The bench (``bench/bench_aec.py``) and the
quality smoke test build scenes here so they measure the same thing.  Speech comes from
the caller (espeak-ng output); nothing here reads files or runs programs.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

__all__ = [
    "EchoScene",
    "best_lag_correlation",
    "erle_db",
    "make_scene",
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


def _fill(speech: FloatArray, total: int) -> FloatArray:
    reps = -(-total // max(len(speech), 1))
    return np.tile(np.asarray(speech, dtype=np.float64), reps)[:total].copy()


def _to_int16(x: FloatArray) -> Int16Array:
    return np.clip(np.round(x * 32767), -32768, 32767).astype(np.int16)
