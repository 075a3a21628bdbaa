"""Energy-based voice activity detection for the local Live server.

A small state machine over 20 ms frames of mono float audio.  It honours the fields of
``realtimeInputConfig.automaticActivityDetection`` the way the real service documents them:
``startOfSpeechSensitivity`` moves the energy threshold, ``prefixPaddingMs`` is how much
speech must accumulate before onset is committed, ``silenceDurationMs`` how much silence
before the end is committed (``endOfSpeechSensitivity`` picks its default).  No I/O, no
clock: offsets are counted in samples from the start of the audio stream.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

__all__ = ["EnergyVad", "VadEvent", "VadSettings"]

Samples = npt.NDArray[np.float32]

# Thresholds in dBFS of a frame's RMS.  HIGH start sensitivity reacts to quieter sound.
_START_THRESHOLD_DBFS = {"START_SENSITIVITY_HIGH": -45.0, "START_SENSITIVITY_LOW": -32.0}
_DEFAULT_PREFIX_MS = {"START_SENSITIVITY_HIGH": 20, "START_SENSITIVITY_LOW": 100}
# HIGH end sensitivity ends speech "more readily": a shorter default silence.
_DEFAULT_SILENCE_MS = {"END_SENSITIVITY_HIGH": 400, "END_SENSITIVITY_LOW": 900}
# Hysteresis: once speaking, a frame counts as speech down to this many dB below onset level,
# so a fading word does not end the utterance early.
_HYSTERESIS_DB = 6.0
_FRAME_MS = 20


@dataclass(frozen=True)
class VadSettings:
    """Resolved detector settings (Developer API defaults: both sensitivities HIGH)."""

    threshold_dbfs: float = -45.0
    prefix_padding_ms: int = 20
    silence_duration_ms: int = 400

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> VadSettings:
        """Build settings from a normalised ``automaticActivityDetection`` object."""
        start = str(config.get("startOfSpeechSensitivity") or "START_SENSITIVITY_HIGH").upper()
        end = str(config.get("endOfSpeechSensitivity") or "END_SENSITIVITY_HIGH").upper()
        threshold = _START_THRESHOLD_DBFS.get(start, -45.0)
        prefix = config.get("prefixPaddingMs")
        silence = config.get("silenceDurationMs")
        return cls(
            threshold_dbfs=threshold,
            prefix_padding_ms=int(prefix)
            if prefix is not None
            else _DEFAULT_PREFIX_MS.get(start, 20),
            silence_duration_ms=(
                int(silence) if silence is not None else _DEFAULT_SILENCE_MS.get(end, 400)
            ),
        )


@dataclass(frozen=True)
class VadEvent:
    """Speech began or ended; ``offset`` is seconds since the start of the audio stream.

    An ``end`` event carries the utterance (from onset to the last voiced frame).
    """

    kind: Literal["start", "end"]
    offset: float
    utterance: Samples = field(default_factory=lambda: np.zeros(0, dtype=np.float32))


class EnergyVad:
    """Feed mono float samples at one fixed rate; get start/end events back."""

    def __init__(self, settings: VadSettings, sample_rate: int) -> None:
        self.settings = settings
        self.sample_rate = sample_rate
        self._frame = max(1, sample_rate * _FRAME_MS // 1000)
        self._pending = np.zeros(0, dtype=np.float32)
        self._position = 0  # samples consumed into whole frames
        self._speaking = False
        self._run: list[Samples] = []  # voiced frames of a candidate onset
        self._run_start = 0
        self._utterance: list[Samples] = []
        self._voiced_len = 0  # frames of the utterance up to the last voiced one
        self._silence_frames = 0

    @property
    def speaking(self) -> bool:
        """Whether the detector is inside an utterance."""
        return self._speaking

    def feed(self, samples: Samples) -> list[VadEvent]:
        """Process more audio; returns the events it completes, in order."""
        data = np.concatenate([self._pending, samples]) if self._pending.size else samples
        whole = (data.size // self._frame) * self._frame
        self._pending = data[whole:].copy()
        events: list[VadEvent] = []
        for start in range(0, whole, self._frame):
            event = self._step(data[start : start + self._frame])
            if event is not None:
                events.append(event)
        return events

    def flush(self) -> list[VadEvent]:
        """End of the audio stream: close an open utterance now."""
        self._pending = np.zeros(0, dtype=np.float32)
        self._run = []
        if not self._speaking:
            return []
        return [self._finish()]

    def _step(self, frame: Samples) -> VadEvent | None:
        level = _dbfs(frame)
        frame_start = self._position
        self._position += frame.size
        threshold = self.settings.threshold_dbfs
        if not self._speaking:
            if level < threshold:
                self._run = []
                return None
            if not self._run:
                self._run_start = frame_start
            self._run.append(frame)
            needed = max(1, -(-self.settings.prefix_padding_ms // _FRAME_MS))
            if len(self._run) < needed:
                return None
            self._speaking = True
            self._utterance = list(self._run)
            self._voiced_len = len(self._utterance)
            self._silence_frames = 0
            self._run = []
            return VadEvent("start", self._run_start / self.sample_rate)
        self._utterance.append(frame)
        if level >= threshold - _HYSTERESIS_DB:
            self._voiced_len = len(self._utterance)
            self._silence_frames = 0
            return None
        self._silence_frames += 1
        if self._silence_frames * _FRAME_MS < self.settings.silence_duration_ms:
            return None
        return self._finish()

    def _finish(self) -> VadEvent:
        voiced = self._utterance[: self._voiced_len]
        utterance = np.concatenate(voiced) if voiced else np.zeros(0, dtype=np.float32)
        end_offset = (self._position - (len(self._utterance) - self._voiced_len) * self._frame) / (
            self.sample_rate
        )
        self._speaking = False
        self._utterance = []
        self._voiced_len = 0
        self._silence_frames = 0
        return VadEvent("end", end_offset, utterance.astype(np.float32, copy=False))


def _dbfs(frame: Samples) -> float:
    if frame.size == 0:
        return -120.0
    # One dot product instead of square + mean: this runs for every 10 ms of every client.
    power = float(np.dot(frame, frame)) / frame.size
    return -120.0 if power <= 1e-12 else 10.0 * math.log10(power)
