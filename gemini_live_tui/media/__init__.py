"""Image and WAV preparation shared by ``@file`` sends and screen frames.

Nothing here knows about sessions or the UI: functions take files, bytes or frames and
return encoded data (:class:`PreparedImage`, :class:`PreparedAudio`) or raise
:class:`~gemini_live_tui.errors.MediaError` with one line naming the source and the reason.
"""

from __future__ import annotations

from gemini_live_tui.media.files import DEFAULT_MAX_INPUT_BYTES, format_size, read_file_limited
from gemini_live_tui.media.images import (
    DEFAULT_MAX_BYTES,
    DEFAULT_MAX_PIXELS,
    DEFAULT_MAX_SIDE,
    FrameEncoder,
    PreparedImage,
    encode_frame,
    encode_jpeg_fitting,
    frame_to_image,
    prepare_image,
    scale_to_fit,
)
from gemini_live_tui.media.wav import TARGET_RATE, PreparedAudio, decode_wav, iter_chunks, load_wav

__all__ = [
    "DEFAULT_MAX_BYTES",
    "DEFAULT_MAX_INPUT_BYTES",
    "DEFAULT_MAX_PIXELS",
    "DEFAULT_MAX_SIDE",
    "TARGET_RATE",
    "FrameEncoder",
    "PreparedAudio",
    "PreparedImage",
    "decode_wav",
    "encode_frame",
    "encode_jpeg_fitting",
    "format_size",
    "frame_to_image",
    "iter_chunks",
    "load_wav",
    "prepare_image",
    "read_file_limited",
    "scale_to_fit",
]
