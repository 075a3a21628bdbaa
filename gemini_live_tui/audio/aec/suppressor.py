"""Residual echo suppression after the linear filter: a per-bin STFT gain."""

from __future__ import annotations

import numpy as np

from gemini_live_tui.audio.aec.base import FloatArray


class ResidualSuppressor:
    """Gentle residual echo suppression on a sqrt-Hann STFT (50 % overlap, one block late)."""

    def __init__(self, n: int) -> None:
        self.n = n
        k = n + 1
        self._win = np.sqrt(np.hanning(2 * n + 1)[: 2 * n])
        self._e_prev = np.zeros(n)
        self._y_prev = np.zeros(n)
        self._ola = np.zeros(n)
        self._res_echo = np.zeros(k)
        self._err_pow = np.zeros(k)
        # Over-subtraction 10, a -30 dB floor and a 0.7 hold per hop (tuned on the bench's
        # scenes, docs/performance.md).  The over-subtraction is large because the gain
        # only bites where the residual estimate is a sizeable share of the error, which
        # near-end speech never is.
        self.over = 10.0
        self.floor = 0.03
        self.hold = 0.7

    def process(
        self,
        e: FloatArray,
        y: FloatArray | None,
        leak: FloatArray | float,
        residual: FloatArray | None = None,
    ) -> FloatArray:
        """One hop: ``residual`` (power per bin) if the caller knows it, else ``leak`` x |Y|²."""
        n = self.n
        ew = np.fft.rfft(np.concatenate((self._e_prev, e)) * self._win)
        self._e_prev = e
        ep = ew.real**2 + ew.imag**2
        if residual is not None:
            res = residual
        else:
            assert y is not None
            yw = np.fft.rfft(np.concatenate((self._y_prev, y)) * self._win)
            self._y_prev = y
            res = leak * (yw.real**2 + yw.imag**2)
        # Held with a slow decay so the reverberant tail of each syllable is covered.
        self._res_echo = np.maximum(res, self.hold * self._res_echo)
        self._err_pow = 0.5 * self._err_pow + 0.5 * ep
        ratio = self._res_echo / (self._err_pow + 1e-3)
        gain = np.clip(1.0 - self.over * ratio, self.floor, 1.0)
        frame = np.fft.irfft(ew * gain) * self._win
        out = self._ola + frame[:n]
        self._ola = frame[n:].copy()
        return out


class LeakEstimator:
    """The residual echo the linear filter leaves, per band, from the echo estimate's power.

    SpeexDSP's leak estimate, per band instead of over all bins: the correlation in time
    of the error power's fluctuations with the echo estimate's.  What the linear filter
    cannot model (a distorting loudspeaker's products, a path it has not learnt yet)
    rises and falls with the echo estimate; the near talker does not, and its power in
    the error slows the estimate down (the step is the echo estimate's energy over the
    error's), so double talk leaves it nearly where it was.  The residual is the leak
    times the band's mean echo-estimate power: distortion products fall between the
    estimate's harmonics.  It starts at 1 (all the filter predicts may still be in the
    error) and relaxes as the filter converges.
    """

    def __init__(self, k: int, *, blocks_per_s: float = 50.0, bands: int = 12) -> None:
        edges = np.unique(np.geomspace(4, k, bands + 1).astype(int))
        edges[0] = 0
        edges[-1] = k
        self._edges = edges
        self._width = np.diff(edges).astype(np.float64)
        nb = len(edges) - 1
        self._e_mean = np.zeros(k)
        self._y_mean = np.zeros(k)
        self._pey = np.ones(nb)
        self._pyy = np.ones(nb)
        # Steps per block: fast while the estimate is young, then about a second's memory.
        self._step_max = 2.0 / blocks_per_s
        self._young = 1.0
        self._young_decay = 1.0 - 1.0 / blocks_per_s
        self.leak = np.ones(nb)
        self.floor = 0.002

    def update(self, e_pow: FloatArray, y_pow: FloatArray) -> FloatArray:
        """One block's error and echo-estimate power spectra; the residual power per bin."""
        self._e_mean *= 0.95
        self._e_mean += 0.05 * e_pow
        self._y_mean *= 0.95
        self._y_mean += 0.05 * y_pow
        eh = e_pow - self._e_mean
        yh = y_pow - self._y_mean
        starts = self._edges[:-1]
        see = np.add.reduceat(e_pow, starts) + 1e-3
        syy = np.add.reduceat(y_pow, starts)
        step = np.minimum(self._step_max, self._step_max * 4.0 * syy / see)
        step += 0.2 * self._young
        np.minimum(step, 0.5, out=step)
        self._young *= self._young_decay
        self._pey += step * (np.add.reduceat(eh * yh, starts) - self._pey)
        self._pyy += step * (np.add.reduceat(yh * yh, starts) - self._pyy)
        np.maximum(self._pyy, 1.0, out=self._pyy)
        np.clip(self._pey, self.floor * self._pyy, self._pyy, out=self._pey)
        self.leak = self._pey / self._pyy
        per_band = self.leak * syy / self._width
        return np.asarray(np.repeat(per_band, np.diff(self._edges)), dtype=np.float64)
