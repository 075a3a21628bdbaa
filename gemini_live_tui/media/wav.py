"""Load any PCM or float WAV file as 16 kHz mono 16-bit little-endian PCM for the Live API.

The standard library's :mod:`wave` reads neither IEEE-float nor (in Python 3.11)
WAVE_FORMAT_EXTENSIBLE files, which are what most recorders and DAWs write, so this
module walks the RIFF chunks itself.  Samples are decoded with numpy, mixed down to mono
by averaging the channels, and resampled with soxr.  :func:`iter_chunks` then cuts the
result into the 100 ms pieces the session streams.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import numpy.typing as npt
import soxr

from gemini_live_tui.errors import MediaError
from gemini_live_tui.media.files import DEFAULT_MAX_INPUT_BYTES, format_size, read_file_limited

__all__ = ["TARGET_RATE", "PreparedAudio", "decode_wav", "iter_chunks", "load_wav"]

TARGET_RATE = 16_000

_FORMAT_PCM = 0x0001
_FORMAT_FLOAT = 0x0003
_FORMAT_EXTENSIBLE = 0xFFFE
# Every KSDATAFORMAT_SUBTYPE_* GUID ends with these 14 bytes; the first two hold the format tag.
_GUID_TAIL = b"\x00\x00\x00\x00\x10\x00\x80\x00\x00\xaa\x00\x38\x9b\x71"
_FORMAT_NAMES = {
    0x0002: "Microsoft ADPCM",
    0x0006: "A-law",
    0x0007: "mu-law",
    0x0011: "IMA ADPCM",
    0x0031: "GSM 6.10",
    0x0050: "MPEG",
    0x0055: "MP3",
}


@dataclass(frozen=True, slots=True)
class PreparedAudio:
    """Audio converted for ``realtimeInput.audio`` (``audio/pcm;rate=16000``).

    Attributes:
        pcm: mono signed 16-bit little-endian samples at ``sample_rate``.
        sample_rate: the rate of ``pcm`` (16000 unless asked otherwise).
        duration_s: length of ``pcm`` in seconds.
        source_name: the file name, for summaries.
        source_rate, source_channels: the file's rate and channel count.
        source_width: bytes per sample in the file (1, 2, 3, 4 or 8).
        source_float: whether the file held IEEE float samples.
    """

    pcm: bytes = field(repr=False)
    sample_rate: int
    duration_s: float
    source_name: str
    source_rate: int
    source_channels: int
    source_width: int
    source_float: bool = False

    @property
    def mime_type(self) -> str:
        """The Blob mime type the Live API expects for this audio."""
        return f"audio/pcm;rate={self.sample_rate}"

    def summary(self) -> str:
        """One line for the chat log: ``talk.wav 3.2 s (44100 Hz stereo 24-bit) 100.0 KB``."""
        channels = {1: "mono", 2: "stereo"}.get(self.source_channels, f"{self.source_channels} ch")
        kind = "float" if self.source_float else "bit"
        depth = f"{self.source_width * 8}-{kind}"
        return (
            f"{self.source_name} {self.duration_s:.1f} s "
            f"({self.source_rate} Hz {channels} {depth}) {format_size(len(self.pcm))}"
        )


@dataclass(frozen=True, slots=True)
class _Format:
    tag: int
    channels: int
    rate: int
    block_align: int
    bits: int


def load_wav(
    path: Path,
    *,
    target_rate: int = TARGET_RATE,
    max_input_bytes: int = DEFAULT_MAX_INPUT_BYTES,
    name: str | None = None,
) -> PreparedAudio:
    """Read a WAV file and convert it to mono 16-bit PCM at ``target_rate``.

    Raises:
        MediaError: missing, unreadable, not a WAV, an unsupported encoding, corrupt or
            too large; the message names the file and the reason in one line.
    """
    label = name or str(path)
    return decode_wav(
        read_file_limited(path, max_bytes=max_input_bytes), name=label, target_rate=target_rate
    )


def decode_wav(
    data: bytes, *, name: str = "audio", target_rate: int = TARGET_RATE
) -> PreparedAudio:
    """Convert the bytes of a WAV file; see :func:`load_wav`."""
    if not 1000 <= target_rate <= 192_000:
        raise ValueError(f"target_rate must be within 1000..192000 Hz, got {target_rate}")
    fmt, payload = _parse(data, name)
    width = fmt.block_align // fmt.channels
    is_float = fmt.tag == _FORMAT_FLOAT
    samples = _decode_samples(payload, width, is_float, fmt.channels)
    if samples.shape[0] == 0:
        raise MediaError(f"{name}: the WAV file contains no audio")
    # Average the channels: summing would clip, and picking one could drop a voice that
    # was recorded on the other.
    mono = samples.mean(axis=1, dtype=np.float32) if fmt.channels > 1 else samples[:, 0]
    if fmt.rate != target_rate:
        mono = np.asarray(soxr.resample(mono, fmt.rate, target_rate, quality="HQ"), np.float32)
    pcm = np.clip(np.rint(mono * 32768.0), -32768, 32767).astype("<i2").tobytes()
    return PreparedAudio(
        pcm=pcm,
        sample_rate=target_rate,
        duration_s=len(pcm) / 2 / target_rate,
        source_name=name,
        source_rate=fmt.rate,
        source_channels=fmt.channels,
        source_width=width,
        source_float=is_float,
    )


def iter_chunks(pcm: bytes, sample_rate: int = TARGET_RATE, chunk_ms: int = 100) -> Iterator[bytes]:
    """Yield ``pcm`` (16-bit mono) in pieces of ``chunk_ms`` milliseconds; the last may be short."""
    chunk_bytes = sample_rate * chunk_ms // 1000 * 2
    if chunk_bytes <= 0:
        raise ValueError(f"chunk of {chunk_ms} ms at {sample_rate} Hz holds no samples")
    view = memoryview(pcm)
    for start in range(0, len(pcm), chunk_bytes):
        yield bytes(view[start : start + chunk_bytes])


def _parse(data: bytes, name: str) -> tuple[_Format, bytes]:
    """Find and validate the ``fmt `` and ``data`` chunks of a RIFF/WAVE file."""
    if len(data) < 12:
        raise MediaError(f"{name}: not a WAV file (too short)")
    if data[:4] in (b"RF64", b"RIFX"):
        kind = "RF64" if data[:4] == b"RF64" else "big-endian RIFX"
        raise MediaError(f"{name}: unsupported WAV variant ({kind}); convert to a plain WAV")
    if data[:4] != b"RIFF" or data[8:12] != b"WAVE":
        raise MediaError(f"{name}: not a WAV file")
    fmt: _Format | None = None
    payload: bytes | None = None
    position = 12
    while position + 8 <= len(data):
        chunk_id = data[position : position + 4]
        (size,) = struct.unpack_from("<I", data, position + 4)
        body = position + 8
        if chunk_id == b"fmt ":
            fmt = _parse_format(data[body : body + size], name)
        elif chunk_id == b"data":
            # Streaming recorders leave the size as 0 or 0xFFFFFFFF; a cut-off file has less
            # than announced.  Take what is there, whole frames only (trimmed below).
            end = len(data) if size in (0, 0xFFFFFFFF) else min(body + size, len(data))
            payload = data[body:end]
            if fmt is not None:
                break
        # Chunks are padded to an even length.
        position = body + size + (size & 1)
    if fmt is None:
        raise MediaError(f"{name}: corrupt WAV file (no fmt chunk)")
    if payload is None:
        raise MediaError(f"{name}: corrupt WAV file (no data chunk)")
    usable = len(payload) - len(payload) % fmt.block_align
    return fmt, payload[:usable]


def _parse_format(body: bytes, name: str) -> _Format:
    if len(body) < 16:
        raise MediaError(f"{name}: corrupt WAV file (fmt chunk of {len(body)} bytes)")
    tag, channels, rate, _byte_rate, block_align, bits = struct.unpack_from("<HHIIHH", body)
    if tag == _FORMAT_EXTENSIBLE:
        if len(body) < 40:
            raise MediaError(f"{name}: corrupt WAV file (short WAVE_FORMAT_EXTENSIBLE header)")
        guid = body[24:40]
        if guid[2:] != _GUID_TAIL:
            raise MediaError(f"{name}: unsupported WAV encoding (unknown sub-format)")
        (tag,) = struct.unpack_from("<H", guid)
    if tag not in (_FORMAT_PCM, _FORMAT_FLOAT):
        label = _FORMAT_NAMES.get(tag, f"format 0x{tag:04x}")
        raise MediaError(f"{name}: unsupported WAV encoding ({label}); use PCM or float samples")
    if not 1 <= channels <= 64:
        raise MediaError(f"{name}: corrupt WAV file ({channels} channels)")
    if not 1000 <= rate <= 768_000:
        raise MediaError(f"{name}: unsupported sample rate {rate} Hz")
    if block_align == 0 or block_align % channels:
        raise MediaError(f"{name}: corrupt WAV file (block size {block_align} for {channels} ch)")
    width = block_align // channels
    allowed = (4, 8) if tag == _FORMAT_FLOAT else (1, 2, 3, 4)
    if width not in allowed:
        kind = "float" if tag == _FORMAT_FLOAT else "integer"
        raise MediaError(f"{name}: unsupported sample width ({width * 8}-bit {kind})")
    return _Format(tag=tag, channels=channels, rate=rate, block_align=block_align, bits=bits)


def _decode_samples(
    payload: bytes, width: int, is_float: bool, channels: int
) -> npt.NDArray[np.float32]:
    """Decode interleaved samples into a float32 ``(frames, channels)`` array in [-1, 1]."""
    raw = np.frombuffer(payload, dtype=np.uint8)
    values: npt.NDArray[np.float32]
    if is_float:
        floats = raw.view("<f4" if width == 4 else "<f8")
        # NaN or infinite samples (broken encoders) become silence instead of noise bursts.
        values = np.nan_to_num(floats.astype(np.float32), nan=0.0, posinf=1.0, neginf=-1.0)
        values = np.clip(values, -1.0, 1.0)
    elif width == 1:
        # 8-bit WAV is unsigned with 128 as silence.
        values = (raw.astype(np.float32) - 128.0) / 128.0
    elif width == 2:
        values = raw.view("<i2").astype(np.float32) / 32768.0
    elif width == 3:
        # Widen each 3-byte sample to 4 bytes with a zero low byte; the arithmetic shift
        # back by 8 then sign-extends it.
        triples = raw.reshape(-1, 3)
        widened = np.zeros((triples.shape[0], 4), dtype=np.uint8)
        widened[:, 1:] = triples
        values = (widened.view("<i4")[:, 0] >> 8).astype(np.float32) / 8_388_608.0
    else:
        values = (raw.view("<i4").astype(np.float64) / 2_147_483_648.0).astype(np.float32)
    return values.reshape(-1, channels)
