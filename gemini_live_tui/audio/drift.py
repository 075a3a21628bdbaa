"""Clock-drift compensation: measure each device's true rate and read the far end to match.

A separate mic and speaker run on separate crystals that differ by tens to hundreds of
ppm, so the echo path slides by a sample every fraction of a second and the echo
canceller's filter cannot keep up.  The pipeline fixes that before the canceller:

- :class:`ClockRate` estimates a stream's true sample rate against the monotonic clock
  from its callbacks' (time, frames so far) readings: a least-squares line of time on
  frame count over the last ``window_s`` seconds, refitted without readings whose time
  is far off the line (a callback the scheduler ran late).  Time is the noisy axis, so it
  is the one regressed on the exact frame counts.
- :class:`FractionalReader` holds the far-end reference and reads it at fractional
  positions (a windowed-sinc interpolator), so the pipeline can step through it by the
  ratio of the two clocks instead of by exactly one sample per mic sample.
"""

from __future__ import annotations

from collections import deque

import numpy as np
import numpy.typing as npt

__all__ = ["ClockRate", "FractionalReader"]

FloatArray = npt.NDArray[np.float64]


class ClockRate:
    """A stream's true frames per second of the monotonic clock, from callback readings.

    Args:
        window_s: readings older than this (behind the newest) are forgotten, so a slow
            change of rate (a warming crystal) is followed.
        min_span_s: no estimate until the readings span this long.
        max_error_ppm: a fit is only taken once its standard error (from the scatter of
            the callback times about the line) is this small: with jittery callbacks that
            takes several seconds, with steady ones (or a fake clock) about one.
        every: refit after this many new readings (the fit is cheap but not free).
    """

    def __init__(
        self,
        window_s: float = 30.0,
        min_span_s: float = 1.0,
        max_error_ppm: float = 15.0,
        every: int = 32,
    ) -> None:
        self.window_s = window_s
        self.min_span_s = min_span_s
        self.max_error = max_error_ppm * 1e-6
        self.every = every
        self._readings: deque[tuple[float, int]] = deque()
        self._new = 0
        self.rate: float | None = None

    def reset(self) -> None:
        self._readings.clear()
        self._new = 0
        self.rate = None

    def add(self, t: float, frames: int) -> float | None:
        """One reading: ``frames`` had passed through the device by callback time ``t``."""
        readings = self._readings
        if readings and frames <= readings[-1][1]:
            if frames < readings[-1][1]:  # the count went back: a restarted stream
                self.reset()
            else:
                return self.rate  # the same reading again
        readings.append((t, frames))
        while readings and t - readings[0][0] > self.window_s:
            readings.popleft()
        self._new += 1
        if self._new >= self.every and t - readings[0][0] >= self.min_span_s:
            self._new = 0
            self.rate = self._fit()
        return self.rate

    def _fit(self) -> float | None:
        data = np.array(self._readings, dtype=np.float64)
        t = data[:, 0] - data[0, 0]
        n = data[:, 1] - data[0, 1]
        keep = np.ones(len(t), dtype=bool)
        for _ in range(3):
            if keep.sum() < 8:
                return self.rate
            tk, nk = t[keep], n[keep]
            nc = nk - nk.mean()
            denom = float(nc @ nc)
            if denom <= 0.0:
                return self.rate
            slope = float(nc @ (tk - tk.mean())) / denom  # seconds per frame
            resid = t - (tk.mean() + slope * (n - nk.mean()))
            # Late callbacks sit above the line; 3 median deviations (at least 0.1 ms)
            # separates them from ordinary jitter.
            spread = max(float(np.median(np.abs(resid[keep]))), 1e-4)
            keep = np.abs(resid) <= 3.0 * spread
        if slope <= 0.0:
            return self.rate
        rk = resid[keep]
        error = float(np.sqrt(rk @ rk / max(1, len(rk) - 2) / denom)) / slope
        return 1.0 / slope if error <= self.max_error else self.rate


class FractionalReader:
    """The far-end reference (absolute sample indices), readable at fractional positions.

    Samples before the first one written read as silence (the speaker had not started);
    samples not yet written read as silence and are counted as missing.

    Args:
        capacity: samples kept; older ones are dropped (nobody is reading: mic off).
        half_taps: the interpolator uses ``2 * half_taps`` samples around each position.
    """

    PHASES = 1024  # fractional positions tabulated: 1/1024 sample is far below audible

    def __init__(self, capacity: int, half_taps: int = 16) -> None:
        self.capacity = capacity
        self.half = half_taps
        # Samples live in _arr[_lo:_hi]; writes append, reads drop from the front, and the
        # live part is moved to the front only when the end is reached (no copy per call).
        self._arr = np.zeros(2 * capacity + 4096, dtype=np.float64)
        self._lo = self._hi = 0
        self.base = 0  # absolute index of _arr[_lo]
        # Kaiser-windowed sinc, one row per fractional phase, cut a little below Nyquist
        # so that the window's transition band does not fold back; rows sum to 1.
        h = half_taps
        offsets = np.arange(-h + 1, h + 1)[None, :]  # tap k reads sample floor(p) + k
        frac = np.arange(self.PHASES + 1)[:, None] / self.PHASES
        x = offsets - frac  # distance of each tap from the position, within [-h, h]
        beta = 9.0
        window = np.i0(beta * np.sqrt(np.clip(1.0 - (x / h) ** 2, 0.0, None))) / np.i0(beta)
        kernel = 0.97 * np.sinc(0.97 * x) * window
        kernel /= kernel.sum(axis=1, keepdims=True)
        self._kernel = kernel
        self._offsets = offsets[0]

    @property
    def end(self) -> int:
        """Absolute index one past the newest sample written."""
        return self.base + self._hi - self._lo

    def reset(self, base: int = 0) -> None:
        self._lo = self._hi = 0
        self.base = base

    def write(self, samples: npt.NDArray[np.floating]) -> None:
        data = np.asarray(samples, dtype=np.float64)[-self.capacity :]
        size = self._hi - self._lo
        extra = size + len(data) - self.capacity
        if extra > 0:  # keep the newest ``capacity`` samples
            self._drop(extra)
            size -= extra
        if self._hi + len(data) > len(self._arr):
            self._arr[:size] = self._arr[self._lo : self._hi]
            self._lo, self._hi = 0, size
        self._arr[self._hi : self._hi + len(data)] = data
        self._hi += len(data)

    def _drop(self, count: int) -> None:
        count = min(count, self._hi - self._lo)
        self._lo += count
        self.base += count

    def read(self, start: float, count: int, step: float) -> tuple[FloatArray, int]:
        """Samples at ``start + k * step`` for ``k < count``, and how many were not written yet.

        Everything more than ``half_taps`` before the next read position is dropped.
        """
        pos = start + step * np.arange(count)
        whole = np.floor(pos).astype(np.int64)
        frac = pos - whole
        if step == 1.0 and (count == 0 or frac[0] == 0.0):
            # No drift to follow: a plain copy (bit-exact with the uncorrected path).
            out = self._take(whole)
        else:
            idx = whole[:, None] + self._offsets[None, :]
            phase = np.rint(frac * self.PHASES).astype(np.int64)
            out = (self._take(idx) * self._kernel[phase]).sum(axis=1)
        missing = int(np.count_nonzero(whole >= self.end))
        next_whole = int(np.floor(start + step * count))
        drop = next_whole - self.half - self.base
        if drop > 0:
            self._drop(drop)
        return out, missing

    def _take(self, idx: npt.NDArray[np.int64]) -> FloatArray:
        rel = idx - self.base
        ok = (rel >= 0) & (rel < self._hi - self._lo)
        out = np.zeros(idx.shape, dtype=np.float64)
        out[ok] = self._arr[self._lo + rel[ok]]
        return out
