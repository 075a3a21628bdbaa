"""Acoustic echo cancellation: remove what the speaker played from what the mic heard.

The public interface is :class:`EchoCanceller`::

    aec = EchoCanceller(sample_rate=16000)
    out = aec.process(near, far)   # int16 arrays, equal length, a multiple of 10 ms

``far`` is what was played while ``near`` was captured.  The output lags the input by
one 10 ms block (the residual-echo suppressor works on half-overlapping windows).

The engine is our own, in numpy, because none of the packaged cancellers we measured
keeps the near talker in double talk *and* removes enough echo (see ``docs/performance.md``):

1. a partitioned-block frequency-domain adaptive filter (MDF, as in Valin's SpeexDSP
   design) over ``filter_ms`` of echo path, with a per-bin step size set from the
   estimated residual-echo-to-error ratio, which freezes adaptation in double talk;
2. a foreground/background pair of those filters, so a burst of double talk that
   slips past the step-size control cannot wreck the filter that produces output;
3. a gentle residual echo suppressor: a per-bin Wiener-like gain from the leakage
   estimate that only bites where the residual echo dominates the error, so the
   near-end talker passes.

Optional engines (``engine="webrtc"`` for pywebrtc-audio's AEC3, ``engine="speex"`` for
libspeexdsp through ctypes) sit behind the same interface for comparison and for
machines where they behave better; ``engine="off"`` passes the mic through.
"""

from __future__ import annotations

import ctypes
import ctypes.util
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
    delay_samples: int

    def process_block(self, near: Int16Array, far: Int16Array) -> Int16Array: ...

    def statistics(self) -> dict[str, float]: ...


class EchoCanceller:
    """Removes the far-end signal's echo from the near-end (mic) signal.

    Args:
        sample_rate: rate of both signals (8000-48000; 16000 is what the pipeline uses).
        engine: ``"mdf"`` (ours, default), ``"webrtc"``, ``"speex"`` or ``"off"``.
        filter_ms: length of echo path the linear filter models: bulk delay plus room tail.
        suppress: run the residual echo suppressor after the linear filter.

    Not thread-safe: one worker thread owns it.
    """

    def __init__(
        self,
        sample_rate: int = 16000,
        *,
        engine: EngineName = "mdf",
        filter_ms: int = 560,
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
            self._engine = _KalmanEngine(self.block, filter_ms * sample_rate // 1000, suppress)
        elif engine == "mdf":
            self._engine = _MdfEngine(self.block, filter_ms * sample_rate // 1000, suppress)
        elif engine == "webrtc":
            self._engine = _WebRtcEngine(sample_rate, self.block)
        elif engine == "speex":
            self._engine = _SpeexEngine(sample_rate, self.block, filter_ms)
        else:
            self._engine = _PassEngine()

    @property
    def delay_samples(self) -> int:
        """The fixed delay the engine adds between input and output."""
        return self._engine.delay_samples

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
        out = np.empty(len(near), dtype=np.int16)
        b = self.block
        for start in range(0, len(near), b):
            out[start : start + b] = self._engine.process_block(
                near16[start : start + b], far16[start : start + b]
            )
        return out

    def statistics(self) -> dict[str, float]:
        """Engine figures: leakage, estimated echo return loss enhancement, blocks processed."""
        return self._engine.statistics()


class _PassEngine:
    delay_samples = 0

    def process_block(self, near: Int16Array, far: Int16Array) -> Int16Array:
        return near

    def statistics(self) -> dict[str, float]:
        return {}


class _MdfEngine:
    """Multidelay block frequency-domain adaptive filter plus residual echo suppressor."""

    def __init__(self, block: int, filter_len: int, suppress: bool) -> None:
        n = block
        self.n = n
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
    error-power term plays the part of a double-talk detector).
    """

    def __init__(self, block: int, filter_len: int, suppress: bool, a: float = 0.9995) -> None:
        n = block
        self.n = n
        m = max(2, -(-filter_len // n))
        self.m = m
        k = n + 1
        self.delay_samples = n if suppress else 0
        self.suppress = suppress
        self.a = a
        self.a2 = a * a
        self._xbuf = np.zeros((2 * m, k), dtype=np.complex128)
        self._p = 0
        self._h = np.zeros((m, k), dtype=np.complex128)
        self._cov = np.full((m, k), 1.0)
        self._err = np.zeros(k)
        self._x_prev = np.zeros(n)
        self._pad = np.zeros(2 * n)
        self.leak = 1.0
        self.blocks = 0
        self._res = _ResidualSuppressor(n)

    def statistics(self) -> dict[str, float]:
        return {"blocks": float(self.blocks), "leak": float(self.leak)}

    def process_block(self, near: Int16Array, far: Int16Array) -> Int16Array:
        n, m = self.n, self.m
        d = near.astype(np.float64)
        x = far.astype(np.float64)
        self.blocks += 1
        xf = np.fft.rfft(np.concatenate((self._x_prev, x)))
        self._x_prev = x
        self._p = (self._p - 1) % m
        self._xbuf[self._p] = xf
        self._xbuf[self._p + m] = xf
        xs = self._xbuf[self._p : self._p + m]
        xp = xs.real**2 + xs.imag**2

        y = np.fft.irfft((self._h * xs).sum(axis=0))[n:]
        e = d - y
        self._pad[:n] = 0.0
        self._pad[n:] = e
        ef = np.fft.rfft(self._pad)
        self._err = 0.5 * self._err + 0.5 * (ef.real**2 + ef.imag**2)
        r = (self._cov * xp).sum(axis=0) + 2.0 * self._err / m + 1e-3
        mu = self._cov / r[None, :]
        gain = mu * np.conj(xs)
        self._cov = self.a2 * (1.0 - 0.5 * mu * xp) * self._cov + (1.0 - self.a2) * (
            self._h.real**2 + self._h.imag**2
        )
        g = np.fft.irfft(gain * ef[None, :], axis=1)
        g[:, n:] = 0.0
        self._h = self.a * (self._h + np.fft.rfft(g, axis=1))

        if not self.suppress:
            return np.clip(np.round(e), -32768, 32767).astype(np.int16)
        # Share of the echo estimate still expected in the error: the Kalman filter's
        # own uncertainty relative to its estimate.
        ypow = np.abs((self._h * xs).sum(axis=0)) ** 2 + 1e-3
        unc = (self._cov * xp).sum(axis=0)
        self.leak = float(np.clip(unc.sum() / ypow.sum(), 0.0, 1.0))
        out = self._res.process(e, y, np.clip(unc / ypow, 0.005, 1.0))
        return np.clip(np.round(out), -32768, 32767).astype(np.int16)


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
        self.over = 2.0
        self.floor = 0.03
        self.hold = 0.6

    def process(self, e: FloatArray, y: FloatArray, leak: FloatArray | float) -> FloatArray:
        n = self.n
        ew = np.fft.rfft(np.concatenate((self._e_prev, e)) * self._win)
        yw = np.fft.rfft(np.concatenate((self._y_prev, y)) * self._win)
        self._e_prev = e
        self._y_prev = y
        ep = ew.real**2 + ew.imag**2
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
            from pywebrtc_audio import AudioProcessor  # type: ignore[import-not-found]
        except ImportError as exc:
            raise AudioError("echo canceller engine webrtc: pip install pywebrtc-audio") from exc
        self._proc: Any = AudioProcessor(
            sample_rate=sample_rate,
            num_channels=1,
            echo_cancellation=True,
            noise_suppression=False,
            high_pass_filter=False,
            auto_gain_control=False,
        )
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
