"""Shared pieces of the echo canceller: array types, engine names and the engine interface."""

from __future__ import annotations

from typing import Literal, Protocol

import numpy as np
import numpy.typing as npt

EngineName = Literal["kalman", "mdf", "webrtc", "speex", "off"]
ENGINES: tuple[EngineName, ...] = ("kalman", "mdf", "webrtc", "speex", "off")

Int16Array = npt.NDArray[np.int16]
FloatArray = npt.NDArray[np.float64]
ComplexArray = npt.NDArray[np.complex128]


class Engine(Protocol):
    block: int  # samples per process_block call (a multiple of 10 ms)
    delay_samples: int

    def process_block(self, near: Int16Array, far: Int16Array) -> Int16Array: ...

    def statistics(self) -> dict[str, float]: ...


class PassEngine:
    delay_samples = 0

    def __init__(self, block: int) -> None:
        self.block = block

    def process_block(self, near: Int16Array, far: Int16Array) -> Int16Array:
        return near

    def statistics(self) -> dict[str, float]:
        return {}
