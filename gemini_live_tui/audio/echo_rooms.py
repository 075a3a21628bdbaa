"""Harder echo scenes: image-source rooms, a distorting loudspeaker, echo-path changes.

:mod:`echo_scene` has the linear, stationary scenes; this module builds the ones real
laptops produce, for ``bench/bench_aec.py`` and ``tests/audio/test_aec_quality.py``:

- :func:`shoebox_response`: our own image-source model of a shoebox room (every image up
  to the response length, one reflection coefficient for all walls from Sabine's
  formula, fractional delays by a windowed sinc), deterministic, no dependencies;
- :func:`loudspeaker_distortion`: the ICASSP AEC challenge's synthetic loudspeaker (hard
  clipping at 0.8 of full scale, then the asymmetric sigmoid of Wang and Zhang);
- :func:`room_figures`: the figures an echo canceller's output is judged by on a scene
  (ERLE in the first 2 s, settled, in the 2 s after a path change; double-talk
  correlation with the clean near talkers);
- :func:`make_room_scene`: a scene of one kind (``"linear"``, ``"distorted"``,
  ``"path_change"``, ``"loud"``): a laptop (speaker a few cm from the mic) in a room,
  pinkish background noise, and two near talkers taking turns in the double-talk span.
  ``"path_change"`` moves the speaker part way through (from 8 to 12 cm of the mic,
  in a turned room: the direct path and every reflection change at once);
  ``"moving"`` makes the same move slowly (the echo paths cross-fade over 4 s, as when
  the laptop is turned on the table while it plays).

Speech comes from the caller (espeak-ng output), as in :mod:`echo_scene`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt

__all__ = [
    "SCENE_KINDS",
    "RoomFigures",
    "RoomScene",
    "SceneKind",
    "loudspeaker_distortion",
    "make_room_scene",
    "room_figures",
    "shoebox_response",
]

FloatArray = npt.NDArray[np.float64]
Int16Array = npt.NDArray[np.int16]
SceneKind = Literal["linear", "distorted", "path_change", "loud", "moving"]
SCENE_KINDS: tuple[SceneKind, ...] = ("linear", "distorted", "path_change", "loud", "moving")

_SOUND = 343.0  # m/s


@dataclass(frozen=True)
class RoomScene:
    """One scene's signals at ``rate`` and the instants its figures are taken at.

    ``near`` is what the mic captured, ``far`` what was played (before the loudspeaker's
    distortion), ``talker`` the clean near talkers; ``change_s`` is when the echo path
    changed (``None``: it did not), ``double_talk_s`` when the near talkers start.
    """

    kind: SceneKind
    rate: int
    far: Int16Array
    near: Int16Array
    echo: FloatArray
    talker: FloatArray
    double_talk_s: float
    change_s: float | None


def shoebox_response(
    rate: int,
    room: tuple[float, float, float],
    source: tuple[float, float, float],
    mic: tuple[float, float, float],
    *,
    rt60_s: float = 0.3,
    length_ms: float = 300.0,
) -> FloatArray:
    """Image-source impulse response from ``source`` to ``mic`` in a shoebox ``room`` (m).

    Images of every order whose delay fits in ``length_ms``; each image contributes
    beta ** (reflections) / distance at its delay, spread over 16 taps by a Hann-windowed
    sinc.  Amplitudes are relative to the direct path's (1), delays absolute (the
    direct path arrives after its time of flight).
    """
    dims = np.asarray(room, dtype=np.float64)
    src = np.asarray(source, dtype=np.float64)
    rcv = np.asarray(mic, dtype=np.float64)
    volume = float(np.prod(dims))
    surface = 2.0 * (dims[0] * dims[1] + dims[0] * dims[2] + dims[1] * dims[2])
    alpha = min(0.99, 0.161 * volume / (surface * rt60_s))  # Sabine
    beta = float(np.sqrt(1.0 - alpha))
    max_dist = length_ms / 1000.0 * _SOUND
    order = int(np.ceil(max_dist / float(dims.min()))) + 1
    n = np.arange(-order, order + 1)
    # Image coordinates per axis: 2 q L + s (|2q| reflections) and 2 q L - s (|2q - 1|).
    coords, counts = [], []
    for axis in range(3):
        pos = np.concatenate((2 * n * dims[axis] + src[axis], 2 * n * dims[axis] - src[axis]))
        cnt = np.concatenate((np.abs(2 * n), np.abs(2 * n - 1)))
        coords.append(pos - rcv[axis])
        counts.append(cnt)
    dx, dy, dz = np.meshgrid(coords[0], coords[1], coords[2], indexing="ij", sparse=True)
    cx, cy, cz = np.meshgrid(counts[0], counts[1], counts[2], indexing="ij", sparse=True)
    dist = np.sqrt(dx * dx + dy * dy + dz * dz).ravel()
    refl = (cx + cy + cz).ravel()
    keep = dist < max_dist
    dist, refl = dist[keep], refl[keep]
    direct = float(np.linalg.norm(src - rcv))
    amp = beta**refl * (direct / dist)
    delay = dist / _SOUND * rate
    length = round(length_ms * rate / 1000)
    h = np.zeros(length + 16)
    half = 8
    taps = np.arange(-half + 1, half + 1)
    base = np.floor(delay).astype(np.int64)
    x = taps[None, :] - (delay - base)[:, None]
    kernel = np.sinc(x) * (0.5 + 0.5 * np.cos(np.pi * x / half))
    idx = base[:, None] + taps[None, :] + half
    ok = (idx >= 0) & (idx < len(h))
    np.add.at(h, idx[ok], (amp[:, None] * kernel)[ok])
    return h[half : half + length]


def loudspeaker_distortion(x: FloatArray) -> FloatArray:
    """The ICASSP AEC challenge's synthetic loudspeaker: hard clip, then asymmetric sigmoid.

    ``x`` in full-scale units; clipped to +-0.8, then b = 1.5 x - 0.3 x^2 and
    4 (2 / (1 + exp(-a b)) - 1) with a = 4 for b > 0, 0.5 otherwise (Wang and Zhang's
    model, as in the challenge's synthetic set).
    """
    hard = np.clip(x, -0.8, 0.8)
    b = 1.5 * hard - 0.3 * hard * hard
    a = np.where(b > 0, 4.0, 0.5)
    return np.asarray(4.0 * (2.0 / (1.0 + np.exp(-a * b)) - 1.0), dtype=np.float64)


def _speaker_highpass(rate: int, cutoff_hz: float = 150.0, taps: int = 511) -> FloatArray:
    """A small loudspeaker's low end: linear-phase FIR high-pass (Blackman-windowed sinc)."""
    t = np.arange(taps) - (taps - 1) / 2
    low = 2 * cutoff_hz / rate * np.sinc(2 * cutoff_hz / rate * t) * np.blackman(taps)
    low /= low.sum()
    high = -low
    high[(taps - 1) // 2] += 1.0
    return np.asarray(high, dtype=np.float64)


def _pink_noise(total: int, rng: np.random.Generator) -> FloatArray:
    """Noise falling 3 dB per octave (a fan, a street), unit RMS."""
    spec = np.fft.rfft(rng.standard_normal(total))
    f = np.arange(len(spec), dtype=np.float64)
    f[0] = 1.0
    spec /= np.sqrt(f)
    spec[0] = 0.0
    noise = np.fft.irfft(spec, total)
    return np.asarray(noise / (np.std(noise) + 1e-12), dtype=np.float64)


def _fill(speech: FloatArray, total: int) -> FloatArray:
    reps = -(-total // max(len(speech), 1))
    return np.tile(np.asarray(speech, dtype=np.float64), reps)[:total].copy()


def _to_int16(x: FloatArray) -> Int16Array:
    return np.clip(np.round(x * 32767), -32768, 32767).astype(np.int16)


def _laptop_room(rate: int, rng: np.random.Generator, *, near_cm: float) -> FloatArray:
    """A laptop (speaker ``near_cm`` from its mic) somewhere on a table in a random room."""
    room = (rng.uniform(3.5, 6.0), rng.uniform(3.0, 5.0), rng.uniform(2.4, 3.0))
    mic = (rng.uniform(0.8, room[0] - 0.8), rng.uniform(0.8, room[1] - 0.8), 0.8)
    angle = rng.uniform(0, 2 * np.pi)
    d = near_cm / 100.0
    spk = (mic[0] + d * np.cos(angle), mic[1] + d * np.sin(angle), 0.78)
    return shoebox_response(rate, room, spk, mic, rt60_s=rng.uniform(0.25, 0.45))


def make_room_scene(
    kind: SceneKind,
    far_speech: FloatArray,
    talkers: tuple[FloatArray, FloatArray],
    *,
    rate: int = 16000,
    duration_s: float = 20.0,
    double_talk_s: float = 14.0,
    change_s: float = 8.0,
    delay_ms: float = 40.0,
    seed: int = 1,
) -> RoomScene:
    """A scene of ``kind``; speech arrays are floats in [-1, 1] at ``rate``, looped to fill.

    Levels: the far end plays at 0.5 peak; the echo at the mic is 0.35 RMS-relative of
    the near talkers' level (about as loud as they are), ``"loud"`` 10 dB louder (the
    speaker turned up 3 cm from the mic, near talkers at -10 dB against it; everything
    scaled so the mic peaks at 0.9).  Noise is pink at -50 dBFS RMS.  ``delay_ms`` of
    bulk delay precede the room (the devices' latency the reference does not cover).
    """
    rng = np.random.default_rng(seed)
    total = round(duration_s * rate)
    far = _fill(far_speech, total)
    far *= 0.5 / max(float(np.max(np.abs(far))), 1e-9)
    near_cm = 3.0 if kind == "loud" else 8.0
    room_a = _laptop_room(rate, rng, near_cm=near_cm)
    # The speaker's own high-pass sits in the path (it plays no DC, which the distortion's
    # even terms would otherwise put into the room).
    lead = np.zeros(round(delay_ms * rate / 1000))
    speaker = _speaker_highpass(rate)
    played = loudspeaker_distortion(far) if kind in ("distorted", "loud") else far
    echo = np.convolve(played, np.concatenate((lead, np.convolve(speaker, room_a))))[:total]
    change: float | None = None
    if kind in ("path_change", "moving"):
        # The speaker is moved (pushed from 8 to 12 cm of the mic, the laptop turned on
        # the table): the direct path and every reflection change at once.
        room_b = _laptop_room(rate, rng, near_cm=12.0) * 0.8
        echo_b = np.convolve(played, np.concatenate((lead, np.convolve(speaker, room_b))))[:total]
        cut = round(change_s * rate)
        if kind == "path_change":
            echo = np.concatenate((echo[:cut], echo_b[cut:]))
        else:
            # A linear cross-fade of the two echoes is the echo of an impulse response
            # that moves linearly from one path to the other.
            w = np.clip((np.arange(total) - cut) / (4.0 * rate), 0.0, 1.0)
            echo = echo * (1.0 - w) + echo_b * w
        change = change_s
    talker = np.zeros(total)
    start = round(double_talk_s * rate)
    span = total - start
    # Two near talkers taking turns, the second starting while the first finishes.
    first = _fill(talkers[0], span)
    second = _fill(talkers[1], span)
    turn = span // 2
    fade = np.clip((np.arange(span) - turn + rate // 4) / (rate // 2), 0.0, 1.0)
    mix = first * (1.0 - fade) + second * fade
    level = 0.5
    talker[start:] = mix * (level / max(float(np.max(np.abs(mix))), 1e-9))
    talk_rms = float(np.std(talker[start:]))
    echo_rms = float(np.std(echo[: start - 1])) + 1e-12
    target = talk_rms * (3.16 if kind == "loud" else 1.0)
    echo *= target / echo_rms
    noise = _pink_noise(total, rng) * 10 ** (-50 / 20)
    mic = echo + talker + noise
    peak = float(np.max(np.abs(mic)))
    if peak > 0.9:  # the mic's gain set just below clipping (the loud speaker)
        scale = 0.9 / peak
        echo, talker, mic = echo * scale, talker * scale, mic * scale
    return RoomScene(
        kind=kind,
        rate=rate,
        far=_to_int16(far),
        near=_to_int16(mic),
        echo=echo,
        talker=talker,
        double_talk_s=double_talk_s,
        change_s=change,
    )


@dataclass(frozen=True)
class RoomFigures:
    """An echo canceller's figures on one :class:`RoomScene` (ERLE in dB).

    ``first_db``: ERLE over 0-2 s (the canceller starts knowing nothing); ``settled_db``:
    over the far-end-only time at least 3 s after the start and 4 s after a path change
    began; ``after_change_db``: over the 2 s from the change (``None`` without one);
    ``dt_corr``: correlation of the output with the clean near talkers over the double
    talk, at the best output lag up to 50 ms (``dt_lag``, samples).
    """

    first_db: float
    settled_db: float
    after_change_db: float | None
    dt_corr: float
    dt_lag: int


def _erle(near: Int16Array, out: Int16Array, spans: list[tuple[int, int]]) -> float:
    n = np.concatenate([near[a:b] for a, b in spans]).astype(np.float64)
    o = np.concatenate([out[a:b] for a, b in spans]).astype(np.float64)
    return float(10 * np.log10((n @ n + 1e-9) / (o @ o + 1e-9)))


def _best_lag_corr(
    out: Int16Array, clean: FloatArray, start: int, stop: int, max_lag: int
) -> tuple[float, int]:
    """Pearson correlation of ``out[start + k:]`` with ``clean[start:stop]``, best k <= max_lag.

    All lags at once by FFT (the per-lag loop in :mod:`echo_scene` takes a second here).
    """
    ref = clean[start:stop] - clean[start:stop].mean()
    length = len(ref)
    seg = out[start : stop + max_lag].astype(np.float64)
    size = 1 << int(np.ceil(np.log2(len(seg) + length)))
    cross = np.fft.irfft(np.fft.rfft(seg, size) * np.conj(np.fft.rfft(ref, size)), size)
    cross = cross[: max_lag + 1]
    csum = np.concatenate(([0.0], np.cumsum(seg)))
    csq = np.concatenate(([0.0], np.cumsum(seg * seg)))
    k = np.arange(max_lag + 1)
    total = csum[k + length] - csum[k]
    var = csq[k + length] - csq[k] - total * total / length
    corr = cross / np.sqrt(np.maximum(var, 1e-12) * float(ref @ ref) + 1e-12)
    best = int(np.argmax(corr))
    return float(corr[best]), best


def room_figures(scene: RoomScene, out: Int16Array) -> RoomFigures:
    """Judge ``out`` (the canceller's output for ``scene.near``, same length)."""
    r = scene.rate
    dt = round(scene.double_talk_s * r)
    settled = [(3 * r, dt)]
    after: float | None = None
    if scene.change_s is not None:
        cut = round(scene.change_s * r)
        settled = [(3 * r, cut), (min(dt, cut + 4 * r), dt)]
        after = _erle(scene.near, out, [(cut, cut + 2 * r)])
    settled = [(a, b) for a, b in settled if b > a]
    corr, lag = _best_lag_corr(out, scene.talker, dt, len(out) - 1000, r // 20)
    return RoomFigures(
        first_db=_erle(scene.near, out, [(0, 2 * r)]),
        settled_db=_erle(scene.near, out, settled),
        after_change_db=after,
        dt_corr=corr,
        dt_lag=lag,
    )
