"""Level meters in dBFS: workers feed blocks, the UI pulls a snapshot (~20 Hz).

The worker thread calls :meth:`LevelMeter.update` after processing each block (never the
audio callback); the UI timer calls :meth:`LevelMeter.snapshot`.  The latest values are
published as one immutable tuple, so a reader never sees half an update and nobody locks.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

__all__ = ["SILENCE_DBFS", "LevelMeter", "Levels", "dbfs"]

SILENCE_DBFS = -96.0


def dbfs(value: float) -> float:
    """An amplitude relative to full scale (1.0) in dB, floored at -96 dB."""
    if value <= 0.0:
        return SILENCE_DBFS
    return max(SILENCE_DBFS, 20.0 * math.log10(value))


@dataclass(frozen=True)
class Levels:
    """One meter reading: RMS and decaying peak, in dBFS."""

    rms_dbfs: float = SILENCE_DBFS
    peak_dbfs: float = SILENCE_DBFS


class LevelMeter:
    """RMS over the last block and a peak that falls at ``peak_decay_db_per_s``.

    Args:
        clock: seconds, monotonic; injected for tests.
    """

    def __init__(
        self,
        *,
        peak_decay_db_per_s: float = 20.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._decay = peak_decay_db_per_s
        self._clock = clock
        self._state: tuple[float, float, float] = (SILENCE_DBFS, SILENCE_DBFS, clock())

    def update(self, block: npt.NDArray[Any]) -> None:
        """Account one block of samples (int16 or float in [-1, 1])."""
        data = np.asarray(block)
        if data.size == 0:
            return
        scale = 32768.0 if data.dtype == np.int16 else 1.0
        x = data.reshape(-1).astype(np.float64)  # one copy; dot and max are cheap on it
        rms = dbfs(math.sqrt(float(np.dot(x, x)) / x.size) / scale)
        peak = dbfs(max(float(x.max()), -float(x.min())) / scale)
        now = self._clock()
        old_peak = self._decayed_peak(now)
        self._state = (rms, max(peak, old_peak), now)

    def _decayed_peak(self, now: float) -> float:
        _, peak, at = self._state
        return max(SILENCE_DBFS, peak - self._decay * max(0.0, now - at))

    def snapshot(self) -> Levels:
        """The latest RMS and the peak decayed to now."""
        rms, _, at = self._state
        now = self._clock()
        if now - at > 0.5:  # nothing fed lately (stream stopped): show silence, not the past
            rms = SILENCE_DBFS
        return Levels(rms_dbfs=rms, peak_dbfs=self._decayed_peak(now))

    def reset(self) -> None:
        self._state = (SILENCE_DBFS, SILENCE_DBFS, self._clock())
