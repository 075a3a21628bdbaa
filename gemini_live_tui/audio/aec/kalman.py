"""The default engine (``"kalman"``): partitioned-block frequency-domain Kalman filter."""

from __future__ import annotations

import numpy as np

from gemini_live_tui.audio.aec.base import ComplexArray, FloatArray, Int16Array
from gemini_live_tui.audio.aec.delay import DelayEstimator
from gemini_live_tui.audio.aec.nonlinear import LoudspeakerModel
from gemini_live_tui.audio.aec.suppressor import LeakEstimator, ResidualSuppressor


class KalmanEngine:
    """Partitioned-block frequency-domain Kalman filter plus residual echo suppressor.

    The state-space form (Enzner and Vary) gives every bin of every partition its own
    step: large while the echo path is uncertain (fast convergence), small once it is
    known, and small whenever the error is loud compared with the predicted echo (the
    error-power term plays the part of a double-talk detector).  It runs every 10 ms on
    the mic worker, so arrays are updated in place; double precision, because numpy's
    batched FFT is faster there than in single.
    """

    def __init__(
        self,
        block: int,
        filter_len: int,
        suppress: bool,
        *,
        # State transition per 20 ms block.  Closer to 1 keeps the near talker better
        # (double talk 0.97 at 0.9998) but cannot follow an echo path that drifts, as it
        # does when mic and speaker are separate devices with their own clocks: at 50 ppm
        # ERLE fell to 14 dB there, against 21 dB at 0.999 (docs/performance.md).
        a: float = 0.999,
        constrain_per_block: int | None = None,
        max_delay: int = 0,
        rate: int = 16000,
        # The loudspeaker model (switches itself on only where the speaker distorts):
        # distorted-speaker scenes 16 -> 31-33 dB settled (docs/performance.md).
        nonlinear: bool = True,
        # The suppressor's second residual model, the per-band leak of the echo estimate
        # (what the linear filter cannot model), 0.7 x: it costs double talk (0.92 ->
        # 0.90 on echo_scene's rooms, 0.98 -> 0.95 on echo_rooms') and buys the first
        # seconds of a distorting speaker; start_boost multiplies it by
        # 1 + 25 e^(-t / 1 s) from the start and from a detected path change, when no
        # one is talking yet (first 2 s of the loud speaker 18 -> 28 dB, distorted
        # 24 -> 31 dB).  Figures: docs/performance.md.
        leak_model: bool = True,
        leak_scale: float = 0.7,
        start_boost: float = 25.0,
    ) -> None:
        n = block
        self.n = n
        self.block = block
        m = max(2, -(-filter_len // n))
        self.m = m
        k = n + 1
        # Bulk delay handled by shifting which far spectra the filter sees (whole blocks)
        # rather than by a longer filter: far cheaper than modelling the silent lead.
        self._block_ms = 1000.0 * n / rate
        self._delay = (
            DelayEstimator(n, max(0, -(-max_delay // n)), blocks_per_s=rate / n)
            if max_delay > 0
            else None
        )
        self._offset = 0
        self._locked = False
        self._candidate: int | None = None
        self._streak = 0
        self._confirm = 6  # rounds (quarter seconds) a new lag must hold to move the filter
        rows = m + (self._delay.max_lag if self._delay else 0)
        self._rows = rows
        self.delay_samples = n // 2 if suppress else 0
        self.suppress = suppress
        self.a = a
        self.a2 = a * a
        c64, f32 = np.complex128, np.float64
        # Far-end spectra and their powers, newest first; doubled so that a contiguous
        # view of the last M rows always exists without copying (write at p and p + M).
        self._xbuf = np.zeros((2 * rows, k), dtype=c64)
        self._pbuf = np.zeros((2 * rows, k), dtype=f32)
        self._p = 0
        self._h = np.zeros((m, k), dtype=c64)  # echo path estimate per partition and bin
        self._cov = np.ones((m, k), dtype=f32)  # its uncertainty (state covariance)
        self._err = np.zeros(k, dtype=f32)  # smoothed error power (observation noise)
        self._t_c = np.zeros((m, k), dtype=c64)
        self._t_f = np.zeros((m, k), dtype=f32)
        self._mu = np.zeros((m, k), dtype=f32)
        self._x_prev = np.zeros(n)
        self._frame = np.zeros(2 * n)
        # Constraining every partition every block costs two batched FFTs but is worth
        # ~3 dB of ERLE and ~0.03 of double-talk correlation over round robin (measured).
        self._constrain = m if constrain_per_block is None else max(1, min(m, constrain_per_block))
        self._next = 0
        self.leak = 1.0
        self.blocks = 0
        self._res = ResidualSuppressor(n // 2)  # 10 ms hops: less delay than n
        self.residual_scale = 0.5
        self._leak_est = LeakEstimator(k, blocks_per_s=rate / n) if leak_model else None
        self.leak_scale = leak_scale
        self.nl_leak = 1.0
        self._boost = self._start_boost = start_boost
        self._boost_decay = float(np.exp(-n / rate))  # one second's time constant
        self._nl = LoudspeakerModel(n, rows, rate=rate) if nonlinear else None
        # How much of the echo estimate the mic really holds: <d, y> / <y, y>, smoothed
        # over far-active blocks.  Near 1 whenever the filter is right, double talk or
        # not (the near talker is uncorrelated with the estimate); near 0 when the echo
        # path moved away from it.
        self._dy = 0.0
        self._yy = 0.0
        self.match = 0.0
        self._active = n * 100.0**2  # echo estimate above about -50 dBFS RMS
        self._hf = round(1000.0 * 2 * n / rate)  # first bin above 1 kHz
        self._hf_cross = 0.0
        self._hf_power = 0.0
        self.projection = 0.0
        self._settle = round(rate / n)  # blocks in a second
        self._odd = 0
        self._good = 0
        self._quiet = 0
        self.path_changes = 0

    def statistics(self) -> dict[str, float]:
        # The echo path's strongest partition, past the bulk offset: the delay estimate.
        energy = (self._h.real**2 + self._h.imag**2).sum(axis=1)
        peak = int(np.argmax(energy)) if energy.any() else 0
        return {
            "blocks": float(self.blocks),
            "leak": float(self.leak),
            "offset_ms": self._block_ms * self._offset,
            "echo_delay_ms": self._block_ms * (self._offset + peak),
            "match": float(self.match),
            "path_changes": float(self.path_changes),
            "nl_leak": float(self.nl_leak),
        }

    def _track_match(
        self,
        d: FloatArray,
        y: FloatArray,
        h: ComplexArray,
        q: int,
        e: FloatArray,
        ef: ComplexArray,
        yv_full: ComplexArray,
    ) -> None:
        """Watch how well the echo estimate matches the mic; react when it stops.

        Refits the loudspeaker model while the filter matches, and restarts the filter's
        uncertainty when the echo path has moved: the error's projection on the echo
        estimate above 1 kHz (where a shift of a sample or two turns the phase round)
        goes far from 0 for several blocks.  Double talk cannot do that: the near talker
        is uncorrelated with the estimate.
        """
        yy = float(y @ y)
        if yy < self._active:
            return
        self._dy = 0.8 * self._dy + 0.2 * float(d @ y)
        self._yy = 0.8 * self._yy + 0.2 * yy
        self.match = self._dy / self._yy
        if self._nl is not None and self.match > 0.5:
            self._nl.fit(h, q, e, 1.0 / (float(e @ e) + self._active))
        hi = self._hf
        yv = yv_full[hi:]
        cross = float(np.vdot(yv, ef[hi:]).real)
        power = float(np.vdot(yv, yv).real) + 1e-3
        self._hf_cross = 0.7 * self._hf_cross + 0.3 * cross
        self._hf_power = 0.7 * self._hf_power + 0.3 * power
        proj = self._hf_cross / self._hf_power
        self.projection = proj
        if self._quiet > 0:
            self._quiet -= 1
            return
        # Only a change from a good match counts: a filter still converging, or one
        # that cannot model the echo (distortion before the loudspeaker model is in),
        # is no reason to start again.
        if abs(proj) < 0.2:
            self._good += 1
        if proj < -0.4 or proj > 0.6:
            self._odd += 1
        else:
            self._odd = 0
        if self._odd >= 3 and self._good >= self._settle:
            self._good = 0
            # The echo path changed: learn it again as from the start (keep the estimate,
            # it is still the best guess; the suppressor bites while the filter is unsure).
            np.maximum(self._cov, 1.0, out=self._cov)
            self.path_changes += 1
            self._boost = self._start_boost  # the first-seconds protection again
            self._odd = 0
            self._quiet = self._settle // 2

    def _consider_lag(self, lag: int) -> None:
        """Re-aim the filter at a new bulk delay once the estimate is trustworthy.

        The first estimate is taken after two agreeing rounds (half a second).  Moving
        an aligned filter needs the new lag to hold for six rounds (1.5 s): double talk
        can fake a lag for a second or so, and a wrong move costs the converged filter.
        """
        margin = 2  # start the window two blocks (40 ms) before the direct path
        if self._locked and self.match > 0.5:
            # The filter explains the echo where it is: a lag elsewhere is double talk.
            self._candidate, self._streak = None, 0
            return
        if self._offset + 1 <= lag <= self._offset + margin + 2:
            # The window already covers it: that is a lock too (later lags need to hold).
            self._locked = True
            self._candidate, self._streak = None, 0
            return
        if self._candidate is not None and abs(lag - self._candidate) <= 1:
            self._streak += 1
        else:
            self._candidate, self._streak = lag, 1
        if self._streak >= (1 if not self._locked else self._confirm):
            self._locked = True
            self._candidate, self._streak = None, 0
            self._realign(max(0, lag - margin))

    def _realign(self, offset: int) -> None:
        """Move the filter's window of far lags to start at ``offset`` blocks."""
        shift = offset - self._offset
        self._offset = offset
        m = self.m
        if abs(shift) >= m:
            self._h[:] = 0.0
            self._cov[:] = 1.0
            return
        # New row j models lag offset + j, which was old row j + shift.
        self._h[:] = np.roll(self._h, -shift, axis=0)
        self._cov[:] = np.roll(self._cov, -shift, axis=0)
        if shift > 0:
            self._h[m - shift :] = 0.0
            self._cov[m - shift :] = 1.0
        elif shift < 0:
            self._h[:-shift] = 0.0
            self._cov[:-shift] = 1.0

    def process_block(self, near: Int16Array, far: Int16Array) -> Int16Array:
        n, m = self.n, self.m
        d = near.astype(np.float64)
        x = far.astype(np.float64)
        self.blocks += 1
        rows = self._rows
        self._p = (self._p - 1) % rows
        p = self._p
        if self._nl is not None:
            x = self._nl.shape(x, p)
        self._frame[:n] = self._x_prev
        self._frame[n:] = x
        self._x_prev = x
        xf = np.fft.rfft(self._frame)
        self._xbuf[p] = self._xbuf[p + rows] = xf
        self._pbuf[p] = self._pbuf[p + rows] = xf.real**2 + xf.imag**2
        if self._delay is not None:
            lag = self._delay.update(self._pbuf[p], d)
            if lag is not None:
                self._consider_lag(lag)
        q = p + self._offset
        xs = self._xbuf[q : q + m]
        xp = self._pbuf[q : q + m]
        h, cov, tc, tf, mu = self._h, self._cov, self._t_c, self._t_f, self._mu

        # Echo estimate and error (overlap-save: the last N samples are valid).
        np.multiply(h, xs, out=tc)
        yf = tc.sum(axis=0)
        y = np.fft.irfft(yf)[n:]
        e = d - y
        self._frame[:n] = 0.0
        self._frame[n:] = y
        yv = np.fft.rfft(self._frame)
        self._frame[n:] = e
        ef = np.fft.rfft(self._frame)
        self._track_match(d, y, h, q, e, ef, yv)
        self._err *= 0.5
        self._err += 0.5 * (ef.real**2 + ef.imag**2)

        # Kalman gain per partition and bin: covariance over predicted error power.
        np.multiply(cov, xp, out=tf)
        unc = tf.sum(axis=0)
        r = unc + (2.0 / m) * self._err + 1e-3
        np.divide(cov, r, out=mu)
        # Covariance update: shrink where we just learnt, grow with the process noise.
        np.multiply(mu, xp, out=tf)
        tf *= -0.5
        tf += 1.0
        tf *= self.a2
        cov *= tf
        np.abs(h, out=tf)
        tf **= 2
        tf *= 1.0 - self.a2
        cov += tf
        # Filter update; the gradient constraint (keep each partition N taps long and
        # causal) costs two FFTs per partition, so it goes round robin over a few.
        np.conjugate(xs, out=tc)
        tc *= mu
        tc *= ef
        c = self._constrain
        if c == m:
            g = np.fft.irfft(tc, axis=1)
            g[:, n:] = 0.0
            tc[:] = np.fft.rfft(g, axis=1)
        else:
            idx = (np.arange(c) + self._next) % m
            self._next = (self._next + c) % m
            g = np.fft.irfft(tc[idx], axis=1)
            g[:, n:] = 0.0
            tc[idx] = np.fft.rfft(g, axis=1)
        h += tc
        h *= self.a

        if not self.suppress:
            return np.clip(np.round(e), -32768, 32767).astype(np.int16)
        # Share of the echo estimate still expected in the error: the filter's own
        # uncertainty relative to its estimate, per bin.
        ypow = yf.real**2 + yf.imag**2 + 1e-3
        self.leak = float(min(1.0, unc.sum() / ypow.sum()))
        # The filter's uncertainty is its predicted residual echo power per bin (no FFT
        # of the echo estimate needed); the suppressor's bins are every other one of the
        # filter's (half the FFT size).  The scale maps the 2N overlap-save frame's power
        # to a windowed N hop's and sets the aggressiveness: 0.5 measured best (ERLE
        # >= 38 dB, double-talk correlation >= 0.96 on the bench's scenes with a = 0.9998).
        residual = self.residual_scale * unc[::2]
        if self._leak_est is not None:
            ypow_v = yv.real**2 + yv.imag**2
            nl = self._leak_est.update(ef.real**2 + ef.imag**2, ypow_v)
            self.nl_leak = float(self._leak_est.leak.mean())
            nl = (self.residual_scale * self.leak_scale * (1.0 + self._boost)) * nl[::2]
            self._boost *= self._boost_decay
            np.maximum(residual, nl, out=residual)
        half = n // 2
        out = np.concatenate(
            (
                self._res.process(e[:half], None, 0.0, residual),
                self._res.process(e[half:], None, 0.0, residual),
            )
        )
        return np.clip(np.round(out), -32768, 32767).astype(np.int16)
