"""Clock-drift compensation: rate fits, fractional reads, and echo cancelled across drift.

The end-to-end case runs the whole pipeline with fake devices on one fake clock, the mic
running 100 ppm fast or slow against the speaker (as two separate sound cards do), once
with callbacks up to a few ms late.  Uncompensated, the echo canceller manages about 8 dB
there; the bar is 30 dB once the fit has settled.
"""

from __future__ import annotations

import itertools

import numpy as np
import numpy.typing as npt
import pytest

from gemini_live_tui.audio.drift import ClockRate, FractionalReader
from gemini_live_tui.audio.echo_scene import erle_db, play_through_pipeline, room_response

RATE = 16000


def test_clock_rate_fits_drift_through_jitter_and_late_callbacks() -> None:
    rng = np.random.default_rng(1)
    clock = ClockRate()
    t, frames, rate = 50.0, 0, None
    for i in range(2000):  # 20 s of 10 ms callbacks from a device 100 ppm fast
        frames += 160
        t += 160 / (RATE * (1 + 100e-6))
        late = 0.015 if i % 40 == 7 else 0.0  # now and then the scheduler is late
        rate = clock.add(t + late + rng.normal() * 3e-4, frames)
    assert rate is not None
    assert abs((rate / RATE - 1) * 1e6 - 100) < 5


def test_clock_rate_waits_while_the_fit_is_too_uncertain() -> None:
    rng = np.random.default_rng(2)
    clock = ClockRate()
    t = 0.0
    for i in range(150):  # 1.5 s with 5 ms of jitter: far too rough for ppm
        t += 0.01
        assert clock.add(t + rng.normal() * 5e-3, 160 * (i + 1)) is None


def _tones(pos: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    freqs = np.array([97.0, 440.0, 1234.5, 3000.0, 5500.0])
    return np.sin(2 * np.pi * freqs[:, None] * pos[None, :] / RATE).sum(axis=0)


def test_fractional_reader_interpolates_and_copies_exactly_without_drift() -> None:
    reader = FractionalReader(RATE)
    signal = _tones(np.arange(8000.0))
    for piece in np.array_split(signal, 37):
        reader.write(piece)
    exact, missing = reader.read(100.0, 500, 1.0)
    assert missing == 0
    np.testing.assert_array_equal(exact, signal[100:600])
    out, missing = reader.read(600.25, 4000, 1.0002)
    want = _tones(600.25 + 1.0002 * np.arange(4000))
    err = out - want
    assert 10 * np.log10(float(err @ err) / float(want @ want)) < -60
    _, missing = reader.read(7990.0, 100, 1.0)  # past the written end: counted
    assert missing == 90


def _far_signal(seconds: float, seed: int) -> npt.NDArray[np.int16]:
    """Speech-like far end: five bands of noise, each switching on and off on its own."""
    rng = np.random.default_rng(seed)
    total = int(seconds * RATE)
    freqs = np.fft.rfftfreq(total, 1 / RATE)
    edges = [100, 400, 900, 1800, 3500, 7000]
    far = np.zeros(total)
    for lo, hi in itertools.pairwise(edges):
        band = np.fft.rfft(rng.standard_normal(total)) * ((freqs >= lo) & (freqs < hi))
        lengths = rng.integers(800, 4800, total // 800)
        env = np.repeat(np.arange(len(lengths)) % 2 == int(rng.integers(2)), lengths)[:total]
        far += np.fft.irfft(band, total) * env / np.sqrt(hi - lo)
    return (far / np.max(np.abs(far)) * 0.5 * 32767).astype(np.int16)


@pytest.mark.parametrize(
    ("ppm", "jitter_s", "settled_s"),
    [(100, 0.0, 5), (-100, 0.0, 5), (100, 0.001, 9)],
    ids=["fast", "slow", "fast-jittery-callbacks"],
)
def test_echo_is_cancelled_when_mic_and_speaker_clocks_drift(
    ppm: int, jitter_s: float, settled_s: int
) -> None:
    seconds = settled_s + 7
    rng = np.random.default_rng(7)
    far = _far_signal(seconds + 2, seed=3)
    room = room_response(RATE, 10, 200)
    near = 1e-4 * rng.standard_normal(seconds * RATE)  # the mic's own noise
    mic, sent, stats = play_through_pipeline(far, room, near, ppm=ppm, jitter_s=jitter_s)
    # Far samples per mic sample: 1 / (1 + ppm), as fitted from the callback times.
    want = 1e6 / (1 + ppm * 1e-6) - 1e6
    assert stats["clock_drift_ppm"] == pytest.approx(want, abs=1 if not jitter_s else 10)
    end = min(len(mic), len(sent))
    erle = erle_db(mic[:end], sent[:end], settled_s * RATE, end)  # after convergence
    assert erle >= 30.0, f"ERLE {erle:.1f} dB at {ppm} ppm"
