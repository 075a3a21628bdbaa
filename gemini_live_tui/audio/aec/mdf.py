"""Our multidelay block frequency-domain NLMS filter, SpeexDSP-style step control (``"mdf"``)."""

from __future__ import annotations

import numpy as np

from gemini_live_tui.audio.aec.base import ComplexArray, FloatArray, Int16Array
from gemini_live_tui.audio.aec.suppressor import ResidualSuppressor


class MdfEngine:
    """Multidelay block frequency-domain adaptive filter plus residual echo suppressor."""

    def __init__(self, block: int, filter_len: int, suppress: bool) -> None:
        n = block
        self.n = n
        self.block = block
        self.delay_samples = n if suppress else 0
        self.suppress = suppress
        m = max(2, -(-filter_len // n))
        self.m = m
        k = n + 1
        self.k = k
        # Far-end spectra, newest first; the buffer is doubled so that a contiguous
        # view of M rows always exists without copying (write at p and p + M).
        self._xbuf = np.zeros((2 * m, k), dtype=np.complex128)
        self._p = 0
        self._w_fg = np.zeros((m, k), dtype=np.complex128)  # foreground (output) filter
        self._w_bg = np.zeros((m, k), dtype=np.complex128)  # background (adapting) filter
        self._x_prev = np.zeros(n)
        self._pad = np.zeros(2 * n)
        # Regulariser for the per-bin normalisation, in unscaled-FFT units of int16 audio.
        self._reg = 10.0 * (2 * n) ** 2
        self._power = np.zeros(k)  # smoothed far-end power per bin
        self._eh = np.zeros(k)
        self._yh = np.zeros(k)
        self._pey = 1.0
        self._pyy = 1.0
        self.leak = 1.0
        self._sum_adapt = 0.0
        self._adapted = False
        # Proportionate step per partition (most step where the echo path has energy),
        # starting from a decaying guess, as SpeexDSP does.
        prop = 0.7 * np.exp(-2.4 / m) ** np.arange(m)
        self._prop = 0.8 * prop / prop.sum()
        self._constrain_next = 1
        # Foreground/background bookkeeping (smoothed error energy differences).
        self._davg1 = 0.0
        self._davg2 = 0.0
        self._dvar1 = 0.0
        self._dvar2 = 0.0
        self._res = ResidualSuppressor(n)
        self.blocks = 0

    def statistics(self) -> dict[str, float]:
        return {
            "leak": float(self.leak),
            "adapted": float(self._adapted),
            "blocks": float(self.blocks),
        }

    def _spectrum_of_tail(self, sig: FloatArray) -> ComplexArray:
        """FFT of [zeros(N), sig]: the overlap-save form of an error or output block."""
        self._pad[: self.n] = 0.0
        self._pad[self.n :] = sig
        return np.fft.rfft(self._pad)

    def process_block(self, near: Int16Array, far: Int16Array) -> Int16Array:
        n, m = self.n, self.m
        d = near.astype(np.float64)
        x = far.astype(np.float64)
        self.blocks += 1

        # Far-end spectrum of the last two blocks (overlap-save), pushed newest first.
        xf = np.fft.rfft(np.concatenate((self._x_prev, x)))
        self._x_prev = x
        self._p = (self._p - 1) % m
        self._xbuf[self._p] = xf
        self._xbuf[self._p + m] = xf
        xs = self._xbuf[self._p : self._p + m]

        # Both filters' echo estimates.
        y_fg = np.fft.irfft((self._w_fg * xs).sum(axis=0))[n:]
        y_bg = np.fft.irfft((self._w_bg * xs).sum(axis=0))[n:]
        e_fg = d - y_fg
        e_bg = d - y_bg

        # Foreground/background switching (SpeexDSP's two-path logic): take the
        # background when it does significantly better; go back to the foreground when
        # the background has clearly diverged (double talk that slipped through).
        sff = float(e_fg @ e_fg)
        see = float(e_bg @ e_bg)
        dbf = 10.0 + float((y_fg - y_bg) @ (y_fg - y_bg))
        diff = sff - see
        self._davg1 = 0.6 * self._davg1 + 0.4 * diff
        self._davg2 = 0.85 * self._davg2 + 0.15 * diff
        self._dvar1 = 0.36 * self._dvar1 + 0.16 * sff * dbf
        self._dvar2 = 0.7225 * self._dvar2 + 0.0225 * sff * dbf
        if (
            diff * abs(diff) > sff * dbf
            or self._davg1 * abs(self._davg1) > 0.5 * self._dvar1
            or self._davg2 * abs(self._davg2) > 0.25 * self._dvar2
        ):
            self._davg1 = self._davg2 = self._dvar1 = self._dvar2 = 0.0
            self._w_fg[:] = self._w_bg
            e_out, y_out = e_bg, y_bg
        else:
            e_out, y_out = e_fg, y_fg
            if (
                -diff * abs(diff) > 4.0 * sff * dbf
                or -self._davg1 * abs(self._davg1) > 4.0 * self._dvar1
                or -self._davg2 * abs(self._davg2) > 4.0 * self._dvar2
            ):
                self._w_bg[:] = self._w_fg
                e_bg, y_bg, see = e_fg, y_fg, sff
                self._davg1 = self._davg2 = self._dvar1 = self._dvar2 = 0.0

        self._adapt(xs, xf, x, e_bg, y_bg, see)

        out = self._res.process(e_out, y_out, self.leak) if self.suppress else e_out
        return np.clip(np.round(out), -32768, 32767).astype(np.int16)

    def _adapt(
        self,
        xs: ComplexArray,
        xf: ComplexArray,
        x: FloatArray,
        e: FloatArray,
        y: FloatArray,
        see: float,
    ) -> None:
        """One MDF update of the background filter with a step from the leakage estimate."""
        n, m = self.n, self.m
        ef = self._spectrum_of_tail(e)
        yf = self._spectrum_of_tail(y)
        rf = ef.real**2 + ef.imag**2
        yp = yf.real**2 + yf.imag**2
        xp = xf.real**2 + xf.imag**2
        sxx = float(x @ x)
        syy = float(y @ y)
        sey = float(e @ y)
        see = max(see, 100.0 * 2 * n)
        ss = 0.35 / m
        self._power = (1.0 - ss) * self._power + ss * xp

        # Leakage: how much of the echo estimate's power shows up in the error, from
        # the regression of their (mean-removed) power spectra.
        eh = rf - self._eh
        yh = yp - self._yh
        pey = float(eh @ yh)
        pyy = float(np.sqrt(yh @ yh))
        pey = pey / (pyy + 1e-9)
        self._eh = 0.99 * self._eh + 0.01 * rf
        self._yh = 0.99 * self._yh + 0.01 * yp
        alpha = min(0.02 * syy, 0.005 * see) / see
        self._pey = (1.0 - alpha) * self._pey + alpha * pey
        self._pyy = max((1.0 - alpha) * self._pyy + alpha * pyy, 1.0)
        self._pey = min(max(self._pey, 0.005 * self._pyy), self._pyy)
        self.leak = min(1.0, 2.0 * self._pey / self._pyy)

        # Residual-to-error ratio: the optimal NLMS step when the residual echo is known.
        rer = (1e-4 * sxx + 3.0 * self.leak * syy) / see
        rer = max(rer, sey * sey / (1.0 + see * syy))
        rer = min(rer, 0.5)

        if not self._adapted and self._sum_adapt > m and self.leak > 0.03:
            self._adapted = True
        if self._adapted:
            r = np.minimum(self.leak * yp, 0.5 * (rf + 1.0))
            r = 0.7 * r + 0.3 * rer * (rf + 1.0)
            step = r / ((rf + 1.0) * (self._power + self._reg))
        else:
            rate = min(0.25 * sxx, 0.25 * see) / see if sxx > 1000.0 * 2 * n else 0.0
            self._sum_adapt += rate
            step = rate / (self._power + self._reg)

        self._adjust_prop()
        self._w_bg += (self._prop[:, None] * np.conj(xs)) * (step * ef)[None, :]
        # Keep each partition causal and N taps long (gradient constraint).  Only the
        # first partition and one other per block, round robin (SpeexDSP's AUMDF).
        j = self._constrain_next
        self._constrain_next = j + 1 if j + 1 < m else 1
        idx = [0, j]
        g = np.fft.irfft(self._w_bg[idx], axis=1)
        g[:, n:] = 0.0
        self._w_bg[idx] = np.fft.rfft(g, axis=1)

    def _adjust_prop(self) -> None:
        w = self._w_bg
        mag = np.sqrt((w.real**2 + w.imag**2).sum(axis=1) + 1.0)
        mag = mag + 0.1 * mag.max()
        self._prop = 0.99 * mag / (mag.sum() + 1.0)
