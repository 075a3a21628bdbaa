"""Acoustic echo cancellation: remove what the speaker played from what the mic heard.

The public interface is :class:`EchoCanceller`::

    aec = EchoCanceller(sample_rate=16000)
    out = aec.process(near, far)   # int16 arrays, equal length, a multiple of 10 ms

``far`` is what was played while ``near`` was captured.  The default engine's output lags
its input by 20 ms (``delay_samples``): 10 ms of gathering into 20 ms filter blocks and
10 ms for the suppressor's half-overlapping windows.

The default engine (``"kalman"``) is our own, in numpy, because none of the packaged
cancellers we measured keeps the near talker in double talk *and* removes enough echo
(``bench/bench_aec.py``, figures in ``docs/performance.md``):

1. a bulk-delay estimator (onsets of band energies, correlated over one second) that
   points the filter at the right stretch of far-end history, so the filter only has to
   model the room's tail;
2. a partitioned-block frequency-domain Kalman filter (the state-space adaptive filter
   of Enzner and Vary) over ``filter_ms`` of echo path: its per-bin gain is large while
   the path is uncertain and small when the error is loud next to the predicted echo,
   which is what keeps double talk from wrecking it;
3. a residual echo suppressor: a per-bin gain from the filter's own uncertainty (its
   predicted residual echo) that only bites where the residual echo is a sizeable share
   of the error, so the near talker passes.

Other engines sit behind the same interface for comparison and for machines where they
behave better: ``"mdf"`` (our NLMS filter with SpeexDSP-style step control), ``"webrtc"``
(pywebrtc-audio's AEC3, optional package), ``"speex"`` (libspeexdsp through ctypes) and
``"off"`` (the mic unchanged).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import importlib
from typing import Any, Literal, Protocol

import numpy as np
import numpy.typing as npt

from gemini_live_tui.errors import AudioError

__all__ = [
    "ENGINES",
    "EchoCanceller",
    "EngineName",
]

EngineName = Literal["kalman", "mdf", "webrtc", "speex", "off"]
ENGINES: tuple[EngineName, ...] = ("kalman", "mdf", "webrtc", "speex", "off")

Int16Array = npt.NDArray[np.int16]
FloatArray = npt.NDArray[np.float64]
ComplexArray = npt.NDArray[np.complex128]


class _Engine(Protocol):
    block: int  # samples per process_block call (a multiple of 10 ms)
    delay_samples: int

    def process_block(self, near: Int16Array, far: Int16Array) -> Int16Array: ...

    def statistics(self) -> dict[str, float]: ...


class EchoCanceller:
    """Removes the far-end signal's echo from the near-end (mic) signal.

    Args:
        sample_rate: rate of both signals (8000-48000; 16000 is what the pipeline uses).
        engine: ``"kalman"`` (ours, default), ``"mdf"`` (ours, NLMS), ``"webrtc"``,
            ``"speex"`` or ``"off"``.
        filter_ms: length of echo path the linear filter models after the bulk delay
            (the room's tail); for ``"speex"`` and ``"mdf"`` it must cover the delay too.
        max_delay_ms: largest bulk delay the ``"kalman"`` engine looks for (0: none).
        suppress: run the residual echo suppressor after the linear filter.

    Not thread-safe: one worker thread owns it.
    """

    def __init__(
        self,
        sample_rate: int = 16000,
        *,
        engine: EngineName = "kalman",
        filter_ms: int = 360,
        max_delay_ms: int = 1000,
        suppress: bool = True,
    ) -> None:
        if sample_rate % 100 or not 8000 <= sample_rate <= 48000:
            raise AudioError(f"echo canceller sample rate {sample_rate}: must be 8000-48000 Hz")
        if engine not in ENGINES:
            raise AudioError(
                f"echo canceller engine {engine!r}: must be one of {', '.join(ENGINES)}"
            )
        self.sample_rate = sample_rate
        self.engine_name: EngineName = engine
        self.block = sample_rate // 100
        self._engine: _Engine
        if engine == "kalman":
            # 20 ms blocks: half the FFT and numpy-call work of 10 ms ones for the same
            # convergence; the suppressor still works in 10 ms hops.
            self._engine = _KalmanEngine(
                2 * self.block,
                filter_ms * sample_rate // 1000,
                suppress,
                max_delay=max_delay_ms * sample_rate // 1000,
                rate=sample_rate,
            )
        elif engine == "mdf":
            self._engine = _MdfEngine(self.block, filter_ms * sample_rate // 1000, suppress)
        elif engine == "webrtc":
            self._engine = _WebRtcEngine(sample_rate, self.block)
        elif engine == "speex":
            self._engine = _SpeexEngine(sample_rate, self.block, filter_ms)
        else:
            self._engine = _PassEngine(self.block)
        # Engines with blocks longer than 10 ms get their input gathered here; the output
        # then starts with that many samples of silence (a fixed extra delay).
        lead = self._engine.block - self.block
        self._near_fifo = np.zeros(0, dtype=np.int16)
        self._far_fifo = np.zeros(0, dtype=np.int16)
        self._out_fifo = np.zeros(lead, dtype=np.int16)

    @property
    def delay_samples(self) -> int:
        """The fixed delay the engine adds between input and output."""
        return self._engine.delay_samples + self._engine.block - self.block

    def process(self, near: Int16Array, far: Int16Array) -> Int16Array:
        """Cancel the echo of ``far`` in ``near``; both int16, equal length, whole 10 ms blocks."""
        near = np.asarray(near)
        far = np.asarray(far)
        if near.shape != far.shape or near.ndim != 1:
            raise AudioError(
                f"echo canceller input: near {near.shape} and far {far.shape} must be equal 1-D"
            )
        if len(near) % self.block:
            raise AudioError(
                f"echo canceller input of {len(near)} samples: must be a multiple of {self.block}"
            )
        near16 = near.astype(np.int16, copy=False)
        far16 = far.astype(np.int16, copy=False)
        b = self._engine.block
        if b == self.block:
            out = np.empty(len(near), dtype=np.int16)
            for start in range(0, len(near), b):
                out[start : start + b] = self._engine.process_block(
                    near16[start : start + b], far16[start : start + b]
                )
            return out
        self._near_fifo = np.concatenate((self._near_fifo, near16))
        self._far_fifo = np.concatenate((self._far_fifo, far16))
        whole = len(self._near_fifo) // b * b
        pieces = [self._out_fifo]
        for start in range(0, whole, b):
            pieces.append(
                self._engine.process_block(
                    self._near_fifo[start : start + b], self._far_fifo[start : start + b]
                )
            )
        self._near_fifo = self._near_fifo[whole:]
        self._far_fifo = self._far_fifo[whole:]
        ready = np.concatenate(pieces)
        self._out_fifo = ready[len(near) :]
        return ready[: len(near)]

    def statistics(self) -> dict[str, float]:
        """Engine figures: leakage, estimated echo return loss enhancement, blocks processed."""
        return self._engine.statistics()


class _PassEngine:
    delay_samples = 0

    def __init__(self, block: int) -> None:
        self.block = block

    def process_block(self, near: Int16Array, far: Int16Array) -> Int16Array:
        return near

    def statistics(self) -> dict[str, float]:
        return {}


class _MdfEngine:
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
        self._res = _ResidualSuppressor(n)
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


class _KalmanEngine:
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
            _DelayEstimator(n, max(0, -(-max_delay // n)), blocks_per_s=rate / n)
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
        self._res = _ResidualSuppressor(n // 2)  # 10 ms hops: less delay than n
        self.residual_scale = 0.5

    def statistics(self) -> dict[str, float]:
        # The echo path's strongest partition, past the bulk offset: the delay estimate.
        energy = (self._h.real**2 + self._h.imag**2).sum(axis=1)
        peak = int(np.argmax(energy)) if energy.any() else 0
        return {
            "blocks": float(self.blocks),
            "leak": float(self.leak),
            "offset_ms": self._block_ms * self._offset,
            "echo_delay_ms": self._block_ms * (self._offset + peak),
        }

    def _consider_lag(self, lag: int) -> None:
        """Re-aim the filter at a new bulk delay once the estimate is trustworthy.

        The first estimate is taken after two agreeing rounds (half a second).  Moving
        an aligned filter needs the new lag to hold for six rounds (1.5 s): double talk
        can fake a lag for a second or so, and a wrong move costs the converged filter.
        """
        margin = 2  # start the window two blocks (40 ms) before the direct path
        if self._offset + 1 <= lag <= self._offset + margin + 2:
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
        self._frame[:n] = self._x_prev
        self._frame[n:] = x
        self._x_prev = x
        xf = np.fft.rfft(self._frame)
        rows = self._rows
        self._p = (self._p - 1) % rows
        p = self._p
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
        self._frame[n:] = e
        ef = np.fft.rfft(self._frame)
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
        half = n // 2
        out = np.concatenate(
            (
                self._res.process(e[:half], None, 0.0, residual),
                self._res.process(e[half:], None, 0.0, residual),
            )
        )
        return np.clip(np.round(out), -32768, 32767).astype(np.int16)


class _DelayEstimator:
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


class _ResidualSuppressor:
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


class _WebRtcEngine:
    """pywebrtc-audio's WebRTC AEC3 (optional package ``pywebrtc-audio``)."""

    def __init__(self, sample_rate: int, block: int) -> None:
        try:
            module: Any = importlib.import_module("pywebrtc_audio")
        except ImportError as exc:
            raise AudioError("echo canceller engine webrtc: pip install pywebrtc-audio") from exc
        self._proc: Any = module.AudioProcessor(
            sample_rate=sample_rate,
            num_channels=1,
            echo_cancellation=True,
            noise_suppression=False,
            high_pass_filter=False,
            auto_gain_control=False,
        )
        self.block = block
        self.delay_samples = 0

    def process_block(self, near: Int16Array, far: Int16Array) -> Int16Array:
        out = self._proc.process(near, far)
        return np.asarray(out, dtype=np.int16).reshape(-1)[: len(near)]

    def statistics(self) -> dict[str, float]:
        return {}


class _SpeexEngine:
    """libspeexdsp's MDF echo canceller through ctypes (Debian ``libspeexdsp1``)."""

    def __init__(self, sample_rate: int, block: int, filter_ms: int) -> None:
        name = ctypes.util.find_library("speexdsp") or "libspeexdsp.so.1"
        try:
            lib = ctypes.CDLL(name)
        except OSError as exc:
            raise AudioError("echo canceller engine speex: libspeexdsp is not installed") from exc
        lib.speex_echo_state_init.restype = ctypes.c_void_p
        lib.speex_echo_state_init.argtypes = [ctypes.c_int, ctypes.c_int]
        lib.speex_echo_cancellation.argtypes = [ctypes.c_void_p] * 4
        lib.speex_echo_ctl.argtypes = [ctypes.c_void_p, ctypes.c_int, ctypes.c_void_p]
        lib.speex_echo_state_destroy.argtypes = [ctypes.c_void_p]
        self._lib = lib
        self._state = lib.speex_echo_state_init(block, filter_ms * sample_rate // 1000)
        rate = ctypes.c_int(sample_rate)
        lib.speex_echo_ctl(self._state, 24, ctypes.byref(rate))  # SPEEX_ECHO_SET_SAMPLING_RATE
        self._out = np.zeros(block, dtype=np.int16)
        self.block = block
        self.delay_samples = 0

    def process_block(self, near: Int16Array, far: Int16Array) -> Int16Array:
        near_c = np.ascontiguousarray(near)
        far_c = np.ascontiguousarray(far)
        self._lib.speex_echo_cancellation(
            self._state,
            near_c.ctypes.data,
            far_c.ctypes.data,
            self._out.ctypes.data,
        )
        return self._out.copy()

    def statistics(self) -> dict[str, float]:
        return {}

    def __del__(self) -> None:
        state = getattr(self, "_state", None)
        if state:
            self._lib.speex_echo_state_destroy(state)
            self._state = None
