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

import math

import numpy as np
import numpy.typing as npt

__all__ = ["ClockRate", "FractionalReader", "shrink"]

FloatArray = npt.NDArray[np.float64]


class ClockRate:
    """A stream's true frames per second of the monotonic clock, from callback readings.

    Args:
        window_s: readings older than this (behind the newest) are forgotten, so a slow
            change of rate (a warming crystal) is followed.
        min_span_s: no estimate until the readings span this long.
        max_error_ppm: a fit is only taken once its standard error (from the scatter of
            the callback times about the line, in :attr:`error`) is this small.  The
            caller weighs what is left of it (see :func:`shrink`).
        every: refit after this many readings kept (the fit is cheap but not free, and
            drift changes slowly: about once a second is plenty).

    A reading less than 5 ms after the last one kept is skipped, which bounds the
    storage and the fit's cost however small the device's blocks are.
    """

    MIN_GAP_S = 0.005
    BIN_S = 0.25

    def __init__(
        self,
        window_s: float = 30.0,
        min_span_s: float = 1.0,
        max_error_ppm: float = 100.0,
        every: int = 100,
    ) -> None:
        self.window_s = window_s
        self.min_span_s = min_span_s
        self.max_error = max_error_ppm * 1e-6
        self.every = every
        # Readings live in _t/_n[_lo:_hi], moved to the front only when the end is hit.
        size = 2 * (int(window_s / self.MIN_GAP_S) + 2)
        self._t = np.zeros(size)
        self._n = np.zeros(size)
        self._lo = self._hi = 0
        self._last_frames = -1
        self._new = 0
        self.rate: float | None = None
        self.error = 1.0  # relative standard error of ``rate``

    def reset(self) -> None:
        self._lo = self._hi = 0
        self._last_frames = -1
        self._new = 0
        self.rate = None
        self.error = 1.0

    def add(self, t: float, frames: int) -> float | None:
        """One reading: ``frames`` had passed through the device by callback time ``t``."""
        if frames <= self._last_frames:
            if frames == self._last_frames:
                return self.rate  # the same reading again
            self.reset()  # the count went back: a restarted stream
        if self._hi > self._lo and t - self._t[self._hi - 1] < self.MIN_GAP_S:
            return self.rate
        self._last_frames = frames
        if self._hi == len(self._t):
            size = self._hi - self._lo
            self._t[:size] = self._t[self._lo : self._hi]
            self._n[:size] = self._n[self._lo : self._hi]
            self._lo, self._hi = 0, size
        self._t[self._hi] = t
        self._n[self._hi] = frames
        self._hi += 1
        while t - self._t[self._lo] > self.window_s:
            self._lo += 1
        self._new += 1
        if self._new >= self.every and t - self._t[self._lo] >= self.min_span_s:
            self._new = 0
            self.rate = self._fit()
        return self.rate

    def _fit(self) -> float | None:
        lo, hi = self._lo, self._hi
        t_all = self._t[lo:hi] - self._t[lo]
        n_all = self._n[lo:hi] - self._n[lo]
        if n_all[-1] <= 0 or t_all[-1] <= 0.0:
            return self.rate
        # A callback can run late but never early, so the earliest reading of each
        # quarter second (least late against a rough line) is the one to fit: with 1 ms
        # of scatter that is several times tighter than fitting them all.
        late = t_all - n_all * (t_all[-1] / n_all[-1])
        bins = np.floor(t_all / self.BIN_S).astype(np.int64)
        order = np.lexsort((late, bins))
        firsts = np.ones(len(order), dtype=bool)
        firsts[1:] = bins[order][1:] != bins[order][:-1]
        pick = np.sort(order[firsts])
        t, n = t_all[pick], n_all[pick]
        keep = np.ones(len(t), dtype=bool)
        for _ in range(3):
            if keep.sum() < 4:
                return self.rate
            tk, nk = t[keep], n[keep]
            nc = nk - nk.mean()
            denom = float(nc @ nc)
            if denom <= 0.0:
                return self.rate
            slope = float(nc @ (tk - tk.mean())) / denom  # seconds per frame
            resid = t - (tk.mean() + slope * (n - nk.mean()))
            # A quarter second whose callbacks were all late sits above the line; 3
            # median deviations (at least 20 us) separates it from the rest.
            spread = max(float(np.median(np.abs(resid[keep]))), 2e-5)
            keep = np.abs(resid) <= 3.0 * spread
        if slope <= 0.0:
            return self.rate
        rk = resid[keep]
        error = float(np.sqrt(rk @ rk / max(1, len(rk) - 2) / denom)) / slope
        if error > self.max_error:
            return self.rate
        self.error = error
        return 1.0 / slope


def shrink(drift: float, error: float) -> float:
    """``drift`` (relative) weighed by how sure we are of it: a shrinkage estimate.

    With jittery callback times the first fits scatter by tens of ppm; applying such a fit
    in full can misalign the far end faster than the drift itself would.  Scaling it by
    d^2 / (d^2 + (2 e)^2) applies a large, clear drift (200 +- 20 ppm: 97 %) nearly in full
    and a small, uncertain one (20 +- 20 ppm) only in part, until the fit firms up.
    """
    var = 4.0 * error * error
    return drift * drift * drift / (drift * drift + var) if var else drift


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
        s0 = math.floor(start)
        f0 = start - s0
        if step == 1.0 and f0 == 0.0:
            # No drift to follow: a plain copy (bit-exact with the uncorrected path).
            out = self._range(s0, count).copy()
        else:
            # Per-sample kernels would cost a gather of 2 x half_taps samples each.  The
            # fractional part moves by (step - 1) per sample, a few hundredths of a sample
            # over a piece at most, so each piece is read at its first and last position's
            # delay (two short correlations) and cross-faded between them: the error of
            # that is second order in the delay change (below -60 dB at 4 kHz).
            out = np.empty(count)
            for k0 in range(0, count, self.PIECE):
                k1 = min(count, k0 + self.PIECE)
                first = start + step * k0
                a = self._at(first, k1 - k0)
                span = (step - 1.0) * (k1 - k0 - 1)
                if span == 0.0:
                    out[k0:k1] = a
                    continue
                b = self._at(first + span, k1 - k0)
                ramp = np.arange(k1 - k0) / (k1 - k0 - 1)
                out[k0:k1] = a + (b - a) * ramp
        reach = (self.end - start) / step if step > 0 else float(count)
        missing = count - min(count, max(0, math.ceil(reach)))
        drop = math.floor(start + step * count) - self.half - self.base
        if drop > 0:
            self._drop(drop)
        return out, missing

    PIECE = 256  # samples read with one pair of kernels

    def _at(self, position: float, count: int) -> FloatArray:
        """``count`` samples at ``position + k`` (a fixed fractional delay)."""
        whole = math.floor(position)
        phase = round((position - whole) * self.PHASES)
        seg = self._range(whole - self.half + 1, count + 2 * self.half - 1)
        return np.correlate(seg, self._kernel[phase], "valid")

    def _range(self, first: int, count: int) -> FloatArray:
        """Samples ``first .. first + count - 1`` (absolute), zeros where none were kept."""
        rel = first - self.base
        size = self._hi - self._lo
        if rel >= 0 and rel + count <= size:  # the usual case: all there, no copy
            return self._arr[self._lo + rel : self._lo + rel + count]
        out = np.zeros(count)
        lo, hi = max(0, rel), min(size, rel + count)
        if hi > lo:
            out[lo - rel : hi - rel] = self._arr[self._lo + lo : self._lo + hi]
        return out
