"""Bulk echo delay estimation from band-energy onsets (points the Kalman filter's window)."""

from __future__ import annotations

import numpy as np

from gemini_live_tui.audio.aec.base import FloatArray


class DelayEstimator:
    """Finds the bulk echo delay in whole blocks from band-energy onsets.

    Every quarter second it correlates the onsets (rises of log band energy) of the mic with
    those of the far end over the last second, at every lag up to ``max_lag`` blocks, and
    reports a lag once two estimates in a row agree and the peak stands out.
    """

    BANDS = 16

    def __init__(self, n: int, max_lag: int, blocks_per_s: float = 100.0) -> None:
        self.window = max(10, round(blocks_per_s))  # blocks correlated: one second
        self.every = max(1, round(blocks_per_s / 4))  # an estimate every quarter second
        self.n = n
        self.max_lag = max_lag
        self._hist = self.window + max_lag + 1
        self._far = np.zeros((self._hist, self.BANDS))
        self._near = np.zeros((self._hist, self.BANDS))
        self._count = 0
        self._prev_frame = np.zeros(n)
        self._frame = np.zeros(2 * n)
        edges = np.unique(np.geomspace(2, n + 1, self.BANDS + 1).astype(int))
        self._edges = edges
        self._bands_used = len(edges) - 1
        self._both = np.zeros((2, n + 1))  # far and near power, one reduceat for both
        self._last: int | None = None

    def update(self, far_power: FloatArray, near: FloatArray) -> int | None:
        self._frame[: self.n] = self._prev_frame
        self._frame[self.n :] = near
        self._prev_frame = near
        nf = np.fft.rfft(self._frame)
        both = self._both
        both[0] = far_power
        np.multiply(nf.real, nf.real, out=both[1])
        both[1] += nf.imag * nf.imag
        sums = np.add.reduceat(both[:, : self._edges[-1]], self._edges[:-1], axis=1)
        logs = np.log(sums + 1e3)
        i = self._count % self._hist
        used = self._bands_used
        self._far[i, :used] = logs[0]
        self._near[i, :used] = logs[1]
        self._count += 1
        # Lags with a full window of history so far (all of them after the first seconds):
        # short delays are found without waiting for the longest lag's history.
        lags = min(self.max_lag, self._count - self.window - 2)
        if lags < 0 or self._count % self.every:
            return None
        order = (np.arange(self._hist) + self._count) % self._hist  # oldest first
        far = np.diff(self._far[order], axis=0)
        near = np.diff(self._near[order], axis=0)
        np.maximum(far, 0.0, out=far)
        np.maximum(near, 0.0, out=near)
        w = self.window
        tail = near[-w:]
        tail = tail - tail.mean(axis=0)
        norm_n = float(np.sqrt((tail * tail).sum()))
        if norm_n <= 0.0:
            return None
        # Every lag at once: windows of the far onsets ending ``lag`` blocks ago.
        total = far.shape[0]
        views = np.lib.stride_tricks.sliding_window_view(far, w, axis=0)  # (start, B, w)
        segs = views[total - w - lags : total - w + 1][::-1]  # lag 0 first
        segs = segs - segs.mean(axis=2, keepdims=True)
        dots = np.einsum("lbw,wb->l", segs, tail)
        norms = np.sqrt(np.einsum("lbw,lbw->l", segs, segs)) * norm_n
        scores = np.divide(dots, norms, out=np.zeros_like(dots), where=norms > 0)
        best = int(np.argmax(scores))
        if scores[best] < 0.2 or scores[best] < 2.0 * float(np.median(np.abs(scores))):
            self._last = None
            return None
        agreed = self._last is not None and abs(best - self._last) <= 1
        self._last = best
        return best if agreed else None
