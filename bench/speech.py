"""espeak-ng speech for audio benches and tests, generated once and cached as .npy.

Deterministic: the same text and voice give the same samples.  Needs the Debian
package espeak-ng (``.ci/run`` installs it).
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import tempfile
import wave
from pathlib import Path

import numpy as np
import numpy.typing as npt
import soxr

__all__ = ["FAR_TEXT", "NEAR_TEXT", "speech"]

FAR_TEXT = (
    "Good morning. Here is the weather for today. Clouds in the morning will give way to "
    "sunshine by noon, with a light breeze from the west. Temperatures will climb to twenty "
    "two degrees in the afternoon and fall to twelve overnight. Tomorrow brings a chance of "
    "showers in the north, while the south stays dry and warm. Remember to carry an umbrella "
    "if you travel north of the river. That is all for now; the next update comes at six."
)
NEAR_TEXT = (
    "Wait, can you tell me about the trains instead? I need to know when the last one leaves "
    "the central station tonight, and whether the bridge is still closed for repairs. My "
    "sister arrives at nine and I promised to meet her on the platform with the car."
)


def _cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    path = Path(base) / "gemini-live-bench"
    path.mkdir(parents=True, exist_ok=True)
    return path


def speech(text: str, voice: str = "en-us", rate: int = 16000) -> npt.NDArray[np.float64]:
    """Float samples in [-1, 1] of ``text`` spoken by espeak-ng ``voice`` at ``rate`` Hz."""
    key = hashlib.sha256(f"{voice}|{rate}|{text}".encode()).hexdigest()[:16]
    cached = _cache_dir() / f"speech-{key}.npy"
    if cached.exists():
        return np.asarray(np.load(cached), dtype=np.float64)
    with tempfile.TemporaryDirectory() as tmp:
        wav_path = Path(tmp) / "s.wav"
        subprocess.run(
            ["espeak-ng", "-v", voice, "-s", "165", "-w", str(wav_path), text],
            check=True,
            capture_output=True,
        )
        with wave.open(str(wav_path), "rb") as wav:
            src_rate = wav.getframerate()
            data = np.frombuffer(wav.readframes(wav.getnframes()), dtype="<i2")
    samples = soxr.resample(data.astype(np.float64) / 32768.0, src_rate, rate, quality="HQ")
    np.save(cached, samples)
    return np.asarray(samples, dtype=np.float64)
