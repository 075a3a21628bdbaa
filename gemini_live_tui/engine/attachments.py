"""Split an input line into its text and its ``@file`` references, and prepare those files.

``@photo.jpg describe this`` names one file; ``@"my photo.png"``, ``@'my photo.png'`` and
``@my\\ photo.png`` name a path with spaces.  An ``@`` inside a word (``me@example.com``) is
plain text.  Preparation goes through :mod:`gemini_live_tui.media` (Pillow for images, the WAV
reader for audio); every failure is a :class:`~gemini_live_tui.errors.MediaError` with one
line naming the file and the reason, so the caller can report it and send the rest.

This module does no network I/O and imports no UI; preparation is blocking (file reads,
Pillow), so callers on an event loop run :func:`prepare_attachment` in a thread.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from gemini_live_tui.errors import MediaError

__all__ = [
    "AUDIO_EXTENSIONS",
    "IMAGE_EXTENSIONS",
    "ParsedLine",
    "PreparedAttachment",
    "parse_line",
    "prepare_attachment",
    "quote_path",
]

IMAGE_EXTENSIONS = frozenset({".jpg", ".jpeg", ".png", ".gif", ".webp", ".bmp", ".tif", ".tiff"})
AUDIO_EXTENSIONS = frozenset({".wav", ".wave"})


@dataclass(frozen=True, slots=True)
class ParsedLine:
    """An input line taken apart: the text to send and the file paths, in order."""

    text: str
    files: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class PreparedAttachment:
    """A file ready to send.

    ``kind`` says which realtime stream carries it: ``image`` goes out as one video frame,
    ``audio`` as 16 kHz mono PCM chunks followed by ``audioStreamEnd``.
    """

    kind: Literal["image", "audio"]
    name: str
    data: bytes
    mime_type: str
    sample_rate: int
    summary: str
    chunks: tuple[bytes, ...] = ()


def parse_line(line: str) -> ParsedLine:
    """Take ``@path`` tokens out of ``line``; the rest is the text, its spacing kept.

    Newlines and indentation are the user's (pasted code): only a removed token's
    following blank goes with it, and a one-line text is trimmed at both ends.
    """
    files: list[str] = []
    out: list[str] = []
    i, n = 0, len(line)
    while i < n:
        at_word_start = i == 0 or line[i - 1].isspace()
        if line[i] == "@" and at_word_start and i + 1 < n and not line[i + 1].isspace():
            path, i = _read_path(line, i + 1)
            if path:
                files.append(path)
            if i < n and line[i] in " \t":
                i += 1
            continue
        out.append(line[i])
        i += 1
    text = "".join(out)
    text = text.strip() if "\n" not in text.strip() else text.strip("\r\n").rstrip()
    return ParsedLine(text=text, files=tuple(files))


def _read_path(line: str, i: int) -> tuple[str, int]:
    """Read a path starting at ``line[i]``: quoted, or up to unescaped whitespace."""
    n = len(line)
    if line[i] in "\"'":
        quote = line[i]
        end = line.find(quote, i + 1)
        if end == -1:  # an unclosed quote takes the rest of the line
            return line[i + 1 :], n
        return line[i + 1 : end], end + 1
    out: list[str] = []
    while i < n and not line[i].isspace():
        if line[i] == "\\" and i + 1 < n and line[i + 1] == " ":
            out.append(" ")
            i += 2
            continue
        out.append(line[i])
        i += 1
    return "".join(out), i


def quote_path(path: str) -> str:
    """The ``@`` form of ``path`` that :func:`parse_line` reads back unchanged."""
    if any(ch.isspace() for ch in path):
        quote = "'" if '"' in path else '"'
        return f"@{quote}{path}{quote}"
    return f"@{path}"


def prepare_attachment(path_text: str, *, base_dir: Path | None = None) -> PreparedAttachment:
    """Load and convert one file for sending (blocking: run it in a thread).

    Raises:
        MediaError: missing, unreadable, unsupported, corrupt or oversized file; the message
            names the file and the reason.
    """
    path = Path(path_text).expanduser()
    if base_dir is not None and not path.is_absolute():
        path = base_dir / path
    suffix = path.suffix.lower()
    name = path.name or path_text
    if suffix in IMAGE_EXTENSIONS:
        from gemini_live_tui.media import images
        from gemini_live_tui.media.files import format_size

        image = images.prepare_image(path)
        summary = (
            f"[image] {name} ({image.width}x{image.height}, {image.mime_type}, "
            f"{format_size(len(image.data))})"
        )
        return PreparedAttachment(
            kind="image",
            name=name,
            data=image.data,
            mime_type=image.mime_type,
            sample_rate=0,
            summary=summary,
        )
    if suffix in AUDIO_EXTENSIONS:
        from gemini_live_tui.media import wav
        from gemini_live_tui.media.files import format_size

        audio = wav.load_wav(path, target_rate=16000)
        chunks = tuple(wav.iter_chunks(audio.pcm, audio.sample_rate, chunk_ms=100))
        summary = (
            f"[audio] {name} ({audio.duration_s:.1f} s, {audio.sample_rate} Hz mono, "
            f"{format_size(len(audio.pcm))})"
        )
        return PreparedAttachment(
            kind="audio",
            name=name,
            data=audio.pcm,
            mime_type=f"audio/pcm;rate={audio.sample_rate}",
            sample_rate=audio.sample_rate,
            summary=summary,
            chunks=chunks,
        )
    kinds = "images (jpg, png, gif, webp, bmp, tiff) or .wav audio"
    if not suffix:
        raise MediaError(f"{path_text}: no file extension; send {kinds}")
    raise MediaError(f"{path_text}: unsupported file type '{suffix}'; send {kinds}")
