"""Preallocated single-producer single-consumer ring buffer for audio frames.

One thread writes, one other thread reads; each side only moves its own counter, and
CPython makes assigning an int atomic, so neither side ever takes a lock and an audio
callback can use it without waiting.  Writes are all-or-nothing: a block that does not
fit is dropped whole and counted as an overrun, so no partial callback frame is lost
silently.  Reads into a caller's array fill what is there and count an underrun when
the caller asked for more.  ``discard()`` belongs to the consumer (barge-in flush).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

from gemini_live_tui.errors import AudioError

__all__ = ["RingBuffer"]


class RingBuffer:
    """A fixed-capacity FIFO of ``(frames, channels)`` samples.

    Args:
        capacity: frames it can hold.
        channels: samples per frame.
        dtype: ``np.int16`` or ``np.float32`` (anything numpy knows works).
    """

    def __init__(self, capacity: int, channels: int = 1, dtype: Any = np.float32) -> None:
        if capacity <= 0 or channels <= 0:
            raise AudioError(f"ring buffer of {capacity} frames x {channels} channels: must be > 0")
        self.capacity = capacity
        self.channels = channels
        self.dtype = np.dtype(dtype)
        self._buf = np.zeros((capacity, channels), dtype=self.dtype)
        self._written = 0  # frames ever written; only the producer assigns it
        self._read = 0  # frames ever consumed; only the consumer assigns it
        self.overruns = 0
        self.overrun_frames = 0
        self.underruns = 0
        self.underrun_frames = 0

    def available(self) -> int:
        """Frames ready to read."""
        return self._written - self._read

    def free(self) -> int:
        """Frames that can be written now."""
        return self.capacity - (self._written - self._read)

    def write(self, data: npt.NDArray[Any]) -> bool:
        """Append ``data`` (``(n, channels)`` or ``(n,)`` for one channel) whole, or drop it.

        Returns False (and counts an overrun) when it does not fit.
        """
        frames = int(data.shape[0])
        if frames == 0:
            return True
        if frames > self.free():
            self.overruns += 1
            self.overrun_frames += frames
            return False
        start = self._written % self.capacity
        first = min(frames, self.capacity - start)
        src = data.reshape(frames, -1) if data.ndim == 1 else data
        self._buf[start : start + first] = src[:first]
        if first < frames:
            self._buf[: frames - first] = src[first:]
        self._written += frames  # publish only after the copy is complete
        return True

    def read_into(self, out: npt.NDArray[Any], *, count_underrun: bool = True) -> int:
        """Copy up to ``len(out)`` frames into ``out``; zero the rest; return frames copied."""
        want = int(out.shape[0])
        frames = min(want, self.available())
        dst = out.reshape(want, -1) if out.ndim == 1 else out
        if frames:
            start = self._read % self.capacity
            first = min(frames, self.capacity - start)
            dst[:first] = self._buf[start : start + first]
            if first < frames:
                dst[first:frames] = self._buf[: frames - first]
            self._read += frames
        if frames < want:
            dst[frames:] = 0
            if count_underrun:
                self.underruns += 1
                self.underrun_frames += want - frames
        return frames

    def read(self, frames: int) -> npt.NDArray[Any] | None:
        """Exactly ``frames`` frames as a new array, or None when fewer are ready."""
        if frames > self.available():
            return None
        out = np.empty((frames, self.channels), dtype=self.dtype)
        self.read_into(out, count_underrun=False)
        return out

    def read_all(self) -> npt.NDArray[Any]:
        """Every ready frame as a new array (possibly empty)."""
        out = np.empty((self.available(), self.channels), dtype=self.dtype)
        self.read_into(out, count_underrun=False)
        return out

    def discard(self) -> int:
        """Drop everything written so far (consumer side); return frames dropped."""
        written = self._written
        dropped = written - self._read
        self._read = written
        return dropped

    def statistics(self) -> dict[str, int]:
        return {
            "available": self.available(),
            "overruns": self.overruns,
            "overrun_frames": self.overrun_frames,
            "underruns": self.underruns,
            "underrun_frames": self.underrun_frames,
        }
