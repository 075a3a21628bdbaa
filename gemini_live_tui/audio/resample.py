"""Streaming sample-rate conversion (soxr), continuous across chunk boundaries.

A :class:`StreamResampler` keeps the filter state between calls, so feeding a signal in
arbitrary pieces gives the same samples as converting it in one go (give or take the
last few samples of the final call, which ``flush()`` returns).  Equal rates pass through.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

from gemini_live_tui.errors import AudioError

__all__ = ["StreamResampler"]


class StreamResampler:
    """Converts float32 mono or multichannel audio from ``in_rate`` to ``out_rate``.

    Args:
        quality: soxr quality, ``"HQ"`` by default (``"VHQ"``, ``"MQ"``, ``"LQ"``, ``"QQ"``).
    """

    def __init__(self, in_rate: int, out_rate: int, channels: int = 1, quality: str = "HQ") -> None:
        if in_rate <= 0 or out_rate <= 0:
            raise AudioError(f"resampler {in_rate} Hz -> {out_rate} Hz: rates must be positive")
        self.in_rate = in_rate
        self.out_rate = out_rate
        self.channels = channels
        self.quality = quality
        self._stream: Any = None
        self.reset()

    def reset(self) -> None:
        """Forget the filter state (after a flush or a device change)."""
        if self.in_rate == self.out_rate:
            self._stream = None
            return
        try:
            import soxr
        except ImportError as exc:  # pragma: no cover - soxr is a base dependency
            raise AudioError("resampler: the soxr package is not installed") from exc
        self._stream = soxr.ResampleStream(
            self.in_rate, self.out_rate, self.channels, dtype="float32", quality=self.quality
        )

    def process(self, data: npt.NDArray[Any], last: bool = False) -> npt.NDArray[np.float32]:
        """Convert the next piece; 1-D for mono, ``(frames, channels)`` otherwise."""
        block = np.ascontiguousarray(data, dtype=np.float32)
        if self._stream is None:
            return block
        return np.asarray(self._stream.resample_chunk(block, last=last), dtype=np.float32)

    def flush(self) -> npt.NDArray[np.float32]:
        """The samples still held in the filter, as if the input ended here."""
        shape = (0,) if self.channels == 1 else (0, self.channels)
        out = self.process(np.zeros(shape, dtype=np.float32), last=True)
        self.reset()
        return out
