"""Tests for media.wav: every WAV width, float, extensible, rates, channels and bad files."""

from __future__ import annotations

import struct
import wave
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pytest

from gemini_live_tui.errors import MediaError
from gemini_live_tui.media import TARGET_RATE, iter_chunks, load_wav

_PCM_GUID_TAIL = b"\x00\x00\x00\x00\x10\x00\x80\x00\x00\xaa\x00\x38\x9b\x71"


def _riff(fmt_body: bytes, data: bytes, *, extra: bytes = b"") -> bytes:
    """Build a RIFF/WAVE file by hand, independently of the code under test."""
    pad = b"\x00" if len(data) % 2 else b""
    chunks = (
        b"fmt " + struct.pack("<I", len(fmt_body)) + fmt_body
        + extra
        + b"data" + struct.pack("<I", len(data)) + data + pad
    )  # fmt: skip
    return b"RIFF" + struct.pack("<I", 4 + len(chunks)) + b"WAVE" + chunks


def _fmt(tag: int, channels: int, rate: int, width: int, bits: int | None = None) -> bytes:
    block = channels * width
    return struct.pack("<HHIIHH", tag, channels, rate, rate * block, block, bits or width * 8)


def _extensible(sub_tag: int, channels: int, rate: int, width: int, valid_bits: int) -> bytes:
    base = _fmt(0xFFFE, channels, rate, width)
    guid = struct.pack("<H", sub_tag) + _PCM_GUID_TAIL
    return base + struct.pack("<HHI", 22, valid_bits, 3 if channels == 2 else 4) + guid


def _encode(signal: npt.NDArray[np.float64], width: int, is_float: bool = False) -> bytes:
    """Interleaved float samples in [-1, 1] to little-endian bytes of the given width."""
    if is_float:
        return signal.astype("<f4" if width == 4 else "<f8").tobytes()
    if width == 1:
        return np.clip(np.rint(signal * 127 + 128), 0, 255).astype(np.uint8).tobytes()
    if width == 2:
        return np.rint(signal * 32767).astype("<i2").tobytes()
    if width == 3:
        ints = np.rint(signal * 8_388_607).astype("<i4")
        return ints.view(np.uint8).reshape(-1, 4)[:, :3].tobytes()
    return np.rint(signal * 2_147_483_647).astype("<i4").tobytes()


def _sine(
    rate: int, seconds: float, freq: float = 440.0, amp: float = 0.5
) -> npt.NDArray[np.float64]:
    t = np.arange(int(rate * seconds)) / rate
    return amp * np.sin(2 * np.pi * freq * t)


def _samples(pcm: bytes) -> npt.NDArray[np.float64]:
    return np.frombuffer(pcm, dtype="<i2").astype(np.float64) / 32768.0


def _peak_frequency(signal: npt.NDArray[np.float64], rate: int) -> float:
    spectrum = np.abs(np.fft.rfft(signal * np.hanning(len(signal))))
    return float(np.fft.rfftfreq(len(signal), 1 / rate)[int(np.argmax(spectrum))])


def test_16k_mono_16bit_passes_through_unchanged(tmp_path: Path) -> None:
    samples = np.array([0, 1, -1, 32767, -32768, 1234], dtype="<i2")
    path = tmp_path / "same.wav"
    with wave.open(str(path), "wb") as writer:  # the standard library as an independent writer
        writer.setnchannels(1)
        writer.setsampwidth(2)
        writer.setframerate(16000)
        writer.writeframes(samples.tobytes())
    audio = load_wav(path)
    assert audio.pcm == samples.tobytes()
    assert (audio.sample_rate, audio.source_rate, audio.source_channels, audio.source_width) == (
        16000,
        16000,
        1,
        2,
    )
    assert audio.mime_type == "audio/pcm;rate=16000"
    assert audio.duration_s == pytest.approx(6 / 16000)
    assert "pcm" not in repr(audio)


@pytest.mark.parametrize(
    ("width", "is_float", "tag", "tolerance"),
    [
        (1, False, 1, 0.02),
        (2, False, 1, 0.001),
        (3, False, 1, 0.001),
        (4, False, 1, 0.001),
        (4, True, 3, 0.001),
        (8, True, 3, 0.001),
    ],
)
def test_every_width_decodes_to_the_same_signal(
    tmp_path: Path, width: int, is_float: bool, tag: int, tolerance: float
) -> None:
    signal = _sine(16000, 0.25, amp=0.6)
    path = tmp_path / f"w{width}.wav"
    path.write_bytes(_riff(_fmt(tag, 1, 16000, width), _encode(signal, width, is_float)))
    audio = load_wav(path)
    assert audio.source_width == width and audio.source_float is is_float
    decoded = _samples(audio.pcm)
    assert len(decoded) == len(signal)
    assert np.max(np.abs(decoded - signal)) < tolerance


def test_24bit_sign_extension_of_extremes(tmp_path: Path) -> None:
    raw = bytes.fromhex("000080ffff7fffffff000000")  # -1, max, -1 LSB, 0
    path = tmp_path / "edge24.wav"
    path.write_bytes(_riff(_fmt(1, 1, 16000, 3), raw))
    assert np.frombuffer(load_wav(path).pcm, dtype="<i2").tolist() == [-32768, 32767, 0, 0]


def test_44k1_stereo_24bit_is_resampled_and_mixed(tmp_path: Path) -> None:
    left = _sine(44100, 1.0, freq=440.0, amp=0.8)
    stereo = np.stack([left, np.zeros_like(left)], axis=1).reshape(-1)
    path = tmp_path / "stereo.wav"
    path.write_bytes(_riff(_fmt(1, 2, 44100, 3), _encode(stereo, 3)))
    audio = load_wav(path)
    assert (audio.source_rate, audio.source_channels, audio.source_width) == (44100, 2, 3)
    assert audio.sample_rate == TARGET_RATE
    assert audio.duration_s == pytest.approx(1.0, abs=0.002)
    mono = _samples(audio.pcm)
    assert _peak_frequency(mono, TARGET_RATE) == pytest.approx(440.0, abs=2.0)
    middle = mono[2000:-2000]
    # The silent right channel halves the amplitude of the mix.
    assert np.max(np.abs(middle)) == pytest.approx(0.4, abs=0.02)
    assert "44100 Hz stereo 24-bit" in audio.summary()


@pytest.mark.parametrize(
    ("sub_tag", "width", "valid_bits", "is_float"),
    [(3, 4, 32, True), (1, 3, 24, False), (1, 4, 24, False), (1, 2, 16, False)],
)
def test_wave_format_extensible(
    tmp_path: Path, sub_tag: int, width: int, valid_bits: int, is_float: bool
) -> None:
    signal = _sine(48000, 0.5, freq=1000.0, amp=0.5)
    stereo = np.stack([signal, signal], axis=1).reshape(-1)
    path = tmp_path / "ext.wav"
    body = _extensible(sub_tag, 2, 48000, width, valid_bits)
    path.write_bytes(
        _riff(body, _encode(stereo, width, is_float), extra=b"LIST\x04\x00\x00\x00INFO")
    )
    audio = load_wav(path)
    mono = _samples(audio.pcm)
    assert len(mono) == 8000
    assert _peak_frequency(mono, 16000) == pytest.approx(1000.0, abs=3.0)
    assert np.max(np.abs(mono[500:-500])) == pytest.approx(0.5, abs=0.02)


def test_float_out_of_range_and_nan_are_tamed(tmp_path: Path) -> None:
    raw = np.array([2.0, -3.0, np.nan, 0.5], dtype="<f4").tobytes()
    path = tmp_path / "wild.wav"
    path.write_bytes(_riff(_fmt(3, 1, 16000, 4), raw))
    assert np.frombuffer(load_wav(path).pcm, dtype="<i2").tolist() == [32767, -32768, 0, 16384]


def test_streaming_size_and_partial_frames_are_tolerated(tmp_path: Path) -> None:
    samples = np.arange(100, dtype="<i2").tobytes()
    # A half sample at the end and no pad byte, as a recorder killed mid-write leaves it.
    data = bytearray(_riff(_fmt(1, 1, 16000, 2), samples + b"\x07")[:-1])
    marker = data.index(b"data")
    data[marker + 4 : marker + 8] = b"\xff\xff\xff\xff"  # as written by a streaming recorder
    path = tmp_path / "stream.wav"
    path.write_bytes(bytes(data))
    assert load_wav(path).pcm == samples


def test_iter_chunks_cuts_100ms_pieces() -> None:
    pcm = bytes(range(256)) * 132  # 33792 bytes = 1.056 s at 16 kHz
    chunks = list(iter_chunks(pcm))
    assert [len(c) for c in chunks[:-1]] == [3200] * 10
    assert len(chunks[-1]) == 33792 - 32000
    assert b"".join(chunks) == pcm
    assert [len(c) for c in iter_chunks(b"\x00" * 960, sample_rate=24000, chunk_ms=20)] == [960]
    assert list(iter_chunks(b"")) == []
    with pytest.raises(ValueError, match="holds no samples"):
        list(iter_chunks(pcm, chunk_ms=0))


def _error(path: Path, **options: object) -> str:
    with pytest.raises(MediaError) as info:
        load_wav(path, **options)  # type: ignore[arg-type]
    message = str(info.value)
    assert "\n" not in message and message.startswith(str(path))
    return message


def test_bad_files(tmp_path: Path) -> None:
    assert _error(tmp_path / "gone.wav").endswith(": no such file")
    (tmp_path / "text.wav").write_text("definitely not RIFF data")
    assert _error(tmp_path / "text.wav").endswith(": not a WAV file")
    (tmp_path / "tiny.wav").write_bytes(b"RIFF")
    assert "not a WAV file" in _error(tmp_path / "tiny.wav")
    (tmp_path / "alaw.wav").write_bytes(_riff(_fmt(6, 1, 8000, 1), b"\x55" * 100))
    assert "unsupported WAV encoding (A-law)" in _error(tmp_path / "alaw.wav")
    (tmp_path / "mp3.wav").write_bytes(_riff(_fmt(0x55, 1, 8000, 1), b"\x00" * 10))
    assert "(MP3)" in _error(tmp_path / "mp3.wav")
    (tmp_path / "f16.wav").write_bytes(_riff(_fmt(3, 1, 8000, 2), b"\x00" * 10))
    assert "unsupported sample width (16-bit float)" in _error(tmp_path / "f16.wav")
    no_data = b"RIFF" + struct.pack("<I", 28) + b"WAVE" + b"fmt " + struct.pack("<I", 16)
    (tmp_path / "nodata.wav").write_bytes(no_data + _fmt(1, 1, 16000, 2))
    assert "no data chunk" in _error(tmp_path / "nodata.wav")
    only_data = (
        b"RIFF" + struct.pack("<I", 16) + b"WAVE" + b"data" + struct.pack("<I", 4) + b"\0" * 4
    )
    (tmp_path / "nofmt.wav").write_bytes(only_data)
    assert "no fmt chunk" in _error(tmp_path / "nofmt.wav")
    (tmp_path / "short.wav").write_bytes(_riff(b"\x01\x00\x01\x00", b"\x00\x00"))
    assert "corrupt WAV file (fmt chunk of 4 bytes)" in _error(tmp_path / "short.wav")
    (tmp_path / "silent.wav").write_bytes(_riff(_fmt(1, 1, 16000, 2), b""))
    assert "contains no audio" in _error(tmp_path / "silent.wav")
    (tmp_path / "zero.wav").write_bytes(_riff(_fmt(1, 0, 16000, 2), b"\x00" * 8))
    assert "corrupt WAV file (0 channels)" in _error(tmp_path / "zero.wav")
    (tmp_path / "rate.wav").write_bytes(_riff(_fmt(1, 1, 10, 2), b"\x00" * 8))
    assert "unsupported sample rate 10 Hz" in _error(tmp_path / "rate.wav")
    big = tmp_path / "big.wav"
    big.write_bytes(_riff(_fmt(1, 1, 16000, 2), b"\x00" * 20_000))
    assert "too large" in _error(big, max_input_bytes=10_000)
    (tmp_path / "rf64.wav").write_bytes(b"RF64" + b"\xff" * 4 + b"WAVE" + b"\x00" * 40)
    assert "unsupported WAV variant (RF64)" in _error(tmp_path / "rf64.wav")
