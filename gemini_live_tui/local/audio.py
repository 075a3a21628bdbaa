"""PCM helpers of the local Live server: rates, conversion, resampling, synthesis, chunking.

The server's "voice" is deliberately simple and deterministic: a spoken reply is a run of
short shaped tones, one per character, so its length grows with the text; an echo reply is
the user's own utterance resampled to the 24 kHz output rate.
"""

from __future__ import annotations

import re
import zlib

import numpy as np
import numpy.typing as npt

__all__ = [
    "OUTPUT_RATE",
    "chunk_bytes",
    "float_to_pcm16",
    "pcm16_to_float",
    "rate_from_mime",
    "resample",
    "synthesize",
]

Samples = npt.NDArray[np.float32]

OUTPUT_RATE = 24_000
# Input is 16 kHz unless the mime type says otherwise (the documented default).
_DEFAULT_INPUT_RATE = 16_000
_RATE = re.compile(r"rate\s*=\s*(\d+)")
_SECONDS_PER_CHAR = 0.045


def rate_from_mime(mime_type: str) -> int:
    """``audio/pcm;rate=8000`` -> 8000; 16000 when the mime type names no rate."""
    match = _RATE.search(mime_type)
    if match is None:
        return _DEFAULT_INPUT_RATE
    return max(1, int(match.group(1)))


def pcm16_to_float(pcm: bytes) -> Samples:
    """Signed 16-bit LE mono PCM to float32 in [-1, 1); a trailing odd byte is dropped."""
    usable = len(pcm) - (len(pcm) % 2)
    ints = np.frombuffer(pcm[:usable], dtype="<i2")
    return (ints.astype(np.float32) / 32768.0).astype(np.float32)


def float_to_pcm16(samples: Samples) -> bytes:
    """Float samples to signed 16-bit little-endian PCM, clipped."""
    clipped = np.clip(samples, -1.0, 32767.0 / 32768.0)
    return (clipped * 32768.0).astype("<i2").tobytes()


def resample(samples: Samples, from_rate: int, to_rate: int) -> Samples:
    """Linear-interpolation resampling; plenty for an echo test and free of extra deps."""
    if from_rate == to_rate or samples.size == 0:
        return samples.astype(np.float32, copy=False)
    count = max(1, round(samples.size * to_rate / from_rate))
    positions = np.arange(count, dtype=np.float64) * (from_rate / to_rate)
    source = np.arange(samples.size, dtype=np.float64)
    return np.interp(positions, source, samples).astype(np.float32)


def synthesize(text: str, sample_rate: int = OUTPUT_RATE) -> bytes:
    """Deterministic "speech" for ``text``: one 45 ms shaped tone per character.

    Letters get a pitch from their code point, spaces and punctuation are short pauses, so
    the audio is audibly structured and its length scales with the text.
    """
    per_char = max(1, int(sample_rate * _SECONDS_PER_CHAR))
    envelope = np.sin(np.linspace(0.0, np.pi, per_char, dtype=np.float64)) ** 2
    t = np.arange(per_char, dtype=np.float64) / sample_rate
    pieces: list[npt.NDArray[np.float64]] = []
    for char in text or " ":
        if char.isalnum():
            pitch = 180.0 + (zlib.crc32(char.lower().encode("utf-8")) % 24) * 15.0
            pieces.append(0.25 * envelope * np.sin(2.0 * np.pi * pitch * t))
        else:
            pieces.append(np.zeros(per_char, dtype=np.float64))
    return float_to_pcm16(np.concatenate(pieces).astype(np.float32))


def chunk_bytes(pcm: bytes, sample_rate: int, chunk_ms: int) -> list[bytes]:
    """Split PCM into chunks of ``chunk_ms`` (the last one may be shorter)."""
    size = max(2, sample_rate * chunk_ms // 1000 * 2)
    return [pcm[start : start + size] for start in range(0, len(pcm), size)] or [b""]
