"""A fake audio backend driven by a fake clock, for deterministic pipeline tests and benches.

Nothing runs by itself: the test calls :meth:`FakeStream.push` to deliver a block to an
input stream's callback and :meth:`FakeStream.pull` to have an output stream's callback
fill a block, advancing :class:`FakeClock` as a real device would.  ``fail()`` plays a
device that disappears.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import numpy.typing as npt

from gemini_live_tui.audio.devices import DeviceInfo
from gemini_live_tui.errors import AudioError

__all__ = ["FakeAudioBackend", "FakeClock", "FakeStream"]

Float32Array = npt.NDArray[np.float32]


class FakeClock:
    """Monotonic seconds that only move when told to."""

    def __init__(self, start: float = 1000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


class FakeStream:
    """One fake input or output stream."""

    def __init__(
        self,
        kind: str,
        device: str | int | None,
        samplerate: int,
        channels: int,
        blocksize: int,
        latency: float,
        callback: Callable[[Float32Array, float], None],
        on_error: Callable[[str], None],
        clock: FakeClock,
    ) -> None:
        self.kind = kind
        self.device = device
        self.samplerate = samplerate
        self.channels = channels
        self.blocksize = blocksize
        self.latency = latency
        self._callback = callback
        self._on_error = on_error
        self._clock = clock
        self.started = False
        self.closed = False
        self.failed = False

    def start(self) -> None:
        self.started = True

    def stop(self) -> None:
        self.started = False

    def close(self) -> None:
        self.started = False
        self.closed = True

    @property
    def active(self) -> bool:
        return self.started and not self.failed

    def push(self, block: npt.NDArray[np.float32], *, advance: bool = True) -> None:
        """Deliver ``block`` (``(frames,)`` or ``(frames, channels)``) to the input callback."""
        if self.kind != "input":
            raise AudioError("push() is for input streams")
        data = np.asarray(block, dtype=np.float32)
        if data.ndim == 1:
            data = np.repeat(data[:, None], self.channels, axis=1)
        if advance:
            self._clock.advance(len(data) / self.samplerate)
        if self.active:
            self._callback(data, self._clock())

    def pull(self, frames: int | None = None, *, advance: bool = True) -> Float32Array:
        """Have the output callback fill one block and return it."""
        if self.kind != "output":
            raise AudioError("pull() is for output streams")
        out = np.full((frames or self.blocksize, self.channels), np.nan, dtype=np.float32)
        if self.active:
            self._callback(out, self._clock())
        if advance:
            self._clock.advance(len(out) / self.samplerate)
        return out

    def fail(self) -> None:
        """The device goes away: the stream stops and the error callback fires."""
        self.failed = True
        self._on_error(f"{self.kind} device {self.device or 'default'} stopped (unplugged)")


class FakeAudioBackend:
    """Hands out :class:`FakeStream` objects and remembers them for the test."""

    def __init__(
        self,
        *,
        clock: FakeClock | None = None,
        input_rate: int = 48000,
        output_rate: int = 48000,
        latency: float = 0.02,
        output_latency: float | None = None,
        devices: list[DeviceInfo] | None = None,
        fail_open: set[str] | None = None,
    ) -> None:
        self.clock = clock or FakeClock()
        self.input_rate = input_rate
        self.output_rate = output_rate
        self.latency = latency  # input latency, and output latency unless given
        self.output_latency = output_latency
        self.inputs: list[FakeStream] = []
        self.outputs: list[FakeStream] = []
        self.fail_open = fail_open or set()
        self._devices = devices or [
            DeviceInfo(0, "Fake Mic", "Fake", 1, 0, input_rate, is_default_input=True),
            DeviceInfo(1, "Fake Speaker", "Fake", 0, 2, output_rate, is_default_output=True),
        ]

    def list_devices(self) -> list[DeviceInfo]:
        return list(self._devices)

    def _open(
        self,
        kind: str,
        device: str | int | None,
        samplerate: int | None,
        channels: int,
        blocksize: int,
        callback: Callable[[Float32Array, float], None],
        on_error: Callable[[str], None],
    ) -> FakeStream:
        if kind in self.fail_open:
            raise AudioError(f"{kind} device {device or 'default'}: cannot open (fake failure)")
        rate = self.input_rate if kind == "input" else self.output_rate
        stream = FakeStream(
            kind,
            device,
            rate,
            channels,
            blocksize or rate // 100,
            self.latency if kind == "input" or self.output_latency is None else self.output_latency,
            callback,
            on_error,
            self.clock,
        )
        (self.inputs if kind == "input" else self.outputs).append(stream)
        return stream

    def open_input(
        self,
        device: str | int | None,
        *,
        samplerate: int | None,
        channels: int,
        blocksize: int,
        callback: Callable[[Float32Array, float], None],
        on_error: Callable[[str], None],
    ) -> FakeStream:
        return self._open("input", device, samplerate, channels, blocksize, callback, on_error)

    def open_output(
        self,
        device: str | int | None,
        *,
        samplerate: int | None,
        channels: int,
        blocksize: int,
        callback: Callable[[Float32Array, float], None],
        on_error: Callable[[str], None],
    ) -> FakeStream:
        return self._open("output", device, samplerate, channels, blocksize, callback, on_error)
