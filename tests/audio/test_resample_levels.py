"""Streaming resampler continuity across chunk boundaries; level meters in dBFS."""

from __future__ import annotations

import numpy as np
import pytest

from gemini_live_tui.audio.fakes import FakeClock
from gemini_live_tui.audio.levels import SILENCE_DBFS, LevelMeter, dbfs
from gemini_live_tui.audio.resample import StreamResampler


@pytest.mark.parametrize(("src", "dst"), [(48000, 16000), (44100, 16000), (24000, 48000)])
def test_chunked_equals_one_shot(src: int, dst: int) -> None:
    rng = np.random.default_rng(7)
    signal = (0.3 * np.sin(2 * np.pi * 440 * np.arange(src) / src)).astype(np.float32)
    signal += (0.01 * rng.standard_normal(src)).astype(np.float32)
    whole = StreamResampler(src, dst)
    expected = np.concatenate((whole.process(signal), whole.flush()))
    chunked = StreamResampler(src, dst)
    sizes = rng.integers(1, src // 20, size=200)
    pieces, pos = [], 0
    for size in sizes:
        pieces.append(chunked.process(signal[pos : pos + size]))
        pos += int(size)
        if pos >= len(signal):
            break
    pieces.append(chunked.process(signal[pos:]))
    pieces.append(chunked.flush())
    got = np.concatenate(pieces)
    assert len(got) == len(expected)
    assert np.max(np.abs(got - expected)) < 1e-5
    assert abs(len(got) - src * dst / src) <= 2


def test_equal_rates_pass_through() -> None:
    rs = StreamResampler(16000, 16000)
    data = np.arange(10, dtype=np.float32)
    assert np.array_equal(rs.process(data), data)


def test_levels_rms_and_peak_decay() -> None:
    clock = FakeClock()
    meter = LevelMeter(peak_decay_db_per_s=20.0, clock=clock)
    assert meter.snapshot().rms_dbfs == SILENCE_DBFS
    t = np.arange(1600) / 16000
    meter.update((0.5 * np.sin(2 * np.pi * 1000 * t)).astype(np.float32))
    snap = meter.snapshot()
    assert snap.rms_dbfs == pytest.approx(20 * np.log10(0.5 / np.sqrt(2)), abs=0.1)
    assert snap.peak_dbfs == pytest.approx(dbfs(0.5), abs=0.05)
    clock.advance(0.25)
    assert meter.snapshot().peak_dbfs == pytest.approx(dbfs(0.5) - 5.0, abs=0.05)
    clock.advance(1.0)  # nothing fed: the RMS reads silence rather than the past
    assert meter.snapshot().rms_dbfs == SILENCE_DBFS


def test_levels_accept_int16_full_scale() -> None:
    meter = LevelMeter(clock=FakeClock())
    meter.update(np.full(160, 32767, dtype=np.int16))
    assert meter.snapshot().rms_dbfs == pytest.approx(0.0, abs=0.01)
