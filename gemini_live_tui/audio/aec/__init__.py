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
3. a loudspeaker model in front of the filter (``nonlinear.py``) that switches itself
   on only where the speaker distorts;
4. a residual echo suppressor: a per-bin gain from the larger of two residual models,
   the filter's own uncertainty and a per-band leak of the echo estimate (what the
   linear filter cannot model; boosted in the first seconds and after a path change),
   that only bites where the residual echo is a sizeable share of the error, so the
   near talker passes.

Other engines sit behind the same interface for comparison and for machines where they
behave better: ``"mdf"`` (our NLMS filter with SpeexDSP-style step control), ``"webrtc"``
(pywebrtc-audio's AEC3, optional package), ``"speex"`` (libspeexdsp through ctypes) and
``"off"`` (the mic unchanged).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from gemini_live_tui.audio.aec.base import ENGINES, Engine, EngineName, Int16Array, PassEngine
from gemini_live_tui.audio.aec.external import SpeexEngine, WebRtcEngine
from gemini_live_tui.audio.aec.kalman import KalmanEngine
from gemini_live_tui.audio.aec.mdf import MdfEngine
from gemini_live_tui.errors import AudioError

__all__ = [
    "ENGINES",
    "EchoCanceller",
    "EngineName",
]


@dataclass(frozen=True)
class _EngineSpec:
    """What every engine factory is given (``EchoCanceller``'s arguments)."""

    rate: int
    block: int  # 10 ms
    filter_ms: int
    max_delay_ms: int
    suppress: bool


def _kalman(s: _EngineSpec) -> Engine:
    # 20 ms blocks: half the FFT and numpy-call work of 10 ms ones for the same
    # convergence; the suppressor still works in 10 ms hops.
    return KalmanEngine(
        2 * s.block,
        s.filter_ms * s.rate // 1000,
        s.suppress,
        max_delay=s.max_delay_ms * s.rate // 1000,
        rate=s.rate,
    )


# The engine registry: one factory per name in ENGINES.
_FACTORIES: dict[EngineName, Callable[[_EngineSpec], Engine]] = {
    "kalman": _kalman,
    "mdf": lambda s: MdfEngine(s.block, s.filter_ms * s.rate // 1000, s.suppress),
    "webrtc": lambda s: WebRtcEngine(s.rate, s.block),
    "speex": lambda s: SpeexEngine(s.rate, s.block, s.filter_ms),
    "off": lambda s: PassEngine(s.block),
}


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
        self._engine: Engine = _FACTORIES[engine](
            _EngineSpec(sample_rate, self.block, filter_ms, max_delay_ms, suppress)
        )
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
