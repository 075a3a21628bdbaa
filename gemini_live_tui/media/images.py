"""Prepare images for the Live API: decode, orient, convert, scale and encode under a byte cap.

Two entry points share every step after decoding:

- :func:`prepare_image` for user files (``@photo.jpg``) and in-memory images: reads with
  clear errors, applies EXIF orientation, converts any Pillow mode to RGB (or grey), scales
  so the longest side is at most ``max_side`` and finds the highest JPEG quality that fits
  ``max_bytes`` (or keeps PNG when asked and it fits).
- :class:`FrameEncoder` / :func:`encode_frame` for screen frames: BGRA/RGB buffers straight
  from the grabber, a faster resampling filter, and a JPEG quality that carries over from
  frame to frame so most frames cost one encode.

Every failure is a :class:`~gemini_live_tui.errors.MediaError` whose message is one line
naming the source and the reason.
"""

from __future__ import annotations

import contextlib
import io
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import numpy as np
import numpy.typing as npt
from PIL import Image, ImageOps, UnidentifiedImageError

from gemini_live_tui.errors import MediaError
from gemini_live_tui.media.files import DEFAULT_MAX_INPUT_BYTES, format_size, read_file_limited

__all__ = [
    "DEFAULT_MAX_BYTES",
    "DEFAULT_MAX_PIXELS",
    "DEFAULT_MAX_SIDE",
    "FrameEncoder",
    "PreparedImage",
    "encode_frame",
    "encode_jpeg_fitting",
    "frame_to_image",
    "prepare_image",
    "scale_to_fit",
]

DEFAULT_MAX_SIDE = 1024
DEFAULT_MAX_BYTES = 200_000
# Refuse sources above 64 megapixels before decoding them: a small compressed file can
# expand to gigabytes (a decompression bomb).  Kept below Pillow's own warning threshold
# (about 89 MP) so Pillow never prints a warning into the terminal UI.
DEFAULT_MAX_PIXELS = 64_000_000

_FILE_START_QUALITY = 85
_FRAME_START_QUALITY = 80
_MIN_QUALITY = 20
# When even the lowest quality does not fit, shrink by this factor and search again.
_SHRINK_STEP = 0.75
_MIN_SIDE = 16

ImageSource = bytes | Path | Image.Image
Preference = Literal["jpeg", "source", "png"]
FrameLike = Image.Image | npt.NDArray[np.uint8]

_SIXTEEN_BIT_MODES = frozenset({"I;16", "I;16B", "I;16L", "I;16N"})
_ALPHA_MODES = frozenset({"RGBA", "LA", "PA", "RGBa", "La"})
# EXIF orientations 5-8 rotate by 90 degrees, swapping width and height.
_SWAPPING_ORIENTATIONS = frozenset({5, 6, 7, 8})


@dataclass(frozen=True, slots=True)
class PreparedImage:
    """An encoded image ready for ``realtimeInput.video`` or a ``clientContent`` part.

    Attributes:
        data: the encoded bytes (JPEG or PNG).
        mime_type: ``"image/jpeg"`` or ``"image/png"``.
        width, height: pixel size of ``data``.
        source_name: what the image came from (file name, ``"screen"``, ...).
        original_size: the source's size after EXIF orientation, before scaling.
        quality: the JPEG quality used, ``None`` for PNG.
    """

    data: bytes = field(repr=False)
    mime_type: str
    width: int
    height: int
    source_name: str
    original_size: tuple[int, int]
    quality: int | None = None

    @property
    def size_bytes(self) -> int:
        """Length of the encoded data."""
        return len(self.data)

    def summary(self) -> str:
        """One line for the chat log: ``photo.jpg 4032x3024 -> 1024x768 JPEG 143.2 KB``."""
        kind = "PNG" if self.mime_type == "image/png" else "JPEG"
        ow, oh = self.original_size
        scaled = "" if (ow, oh) == (self.width, self.height) else f" -> {self.width}x{self.height}"
        return f"{self.source_name} {ow}x{oh}{scaled} {kind} {format_size(len(self.data))}"


def prepare_image(
    source: ImageSource,
    *,
    max_side: int = DEFAULT_MAX_SIDE,
    max_bytes: int = DEFAULT_MAX_BYTES,
    prefer: Preference = "jpeg",
    name: str | None = None,
    max_input_bytes: int = DEFAULT_MAX_INPUT_BYTES,
    max_pixels: int = DEFAULT_MAX_PIXELS,
) -> PreparedImage:
    """Decode, orient, convert, scale and encode one image so it fits the Live API.

    Args:
        source: encoded bytes, a file path, or a Pillow image.
        max_side: the longest side of the result, in pixels (aspect ratio kept).
        max_bytes: the encoded size cap.
        prefer: ``"jpeg"`` always encodes JPEG (smallest; what the API recommends);
            ``"source"`` keeps PNG when the source is a PNG and the PNG fits ``max_bytes``;
            ``"png"`` encodes PNG whenever it fits.  Anything that does not fit becomes JPEG.
        name: the name used in summaries and errors (defaults to the file name).
        max_input_bytes: files larger than this are refused unread.
        max_pixels: sources with more pixels are refused undecoded (decompression bombs).

    Raises:
        MediaError: missing, unreadable, unsupported, corrupt or oversized input.
    """
    _check_limits(max_side, max_bytes)
    if prefer not in ("jpeg", "source", "png"):
        raise ValueError(f"prefer must be 'jpeg', 'source' or 'png', not {prefer!r}")
    if isinstance(source, Path):
        label = name or str(source)
        image = _decode(read_file_limited(source, max_bytes=max_input_bytes), label, max_pixels)
    elif isinstance(source, bytes | bytearray | memoryview):
        label = name or "image"
        data = bytes(source)
        if len(data) > max_input_bytes:
            raise MediaError(f"{label}: too large (the limit is {format_size(max_input_bytes)})")
        if not data:
            raise MediaError(f"{label}: no image data")
        image = _decode(data, label, max_pixels)
    elif isinstance(source, Image.Image):
        label = name or "image"
        if source.width * source.height > max_pixels:
            raise MediaError(f"{label}: too large ({source.width}x{source.height} pixels)")
        image = source
    else:
        raise MediaError(f"{name or 'image'}: unsupported source type {type(source).__name__}")

    source_format = image.format
    original_size = _oriented_size(image)
    if source_format == "JPEG":
        # Let libjpeg decode at 1/2, 1/4 or 1/8 scale when the photo is much larger than
        # needed: several times faster and far less memory for phone photos.
        with contextlib.suppress(OSError, ValueError):
            image.draft(None, (max_side, max_side))
    try:
        image.load()
    except Image.DecompressionBombError as exc:
        raise MediaError(f"{label}: too large to decode safely") from exc
    except (OSError, SyntaxError, ValueError, EOFError) as exc:
        raise MediaError(f"{label}: corrupt or truncated image ({_reason(exc)})") from exc

    image = _apply_orientation(image)
    image = _normalise_mode(image, label)
    image = scale_to_fit(image, max_side, resample=Image.Resampling.LANCZOS)

    want_png = prefer == "png" or (prefer == "source" and source_format == "PNG")
    if want_png:
        png = _encode_png(image)
        if len(png) <= max_bytes:
            return PreparedImage(
                data=png,
                mime_type="image/png",
                width=image.width,
                height=image.height,
                source_name=label,
                original_size=original_size,
            )
    data, quality, image = encode_jpeg_fitting(
        image, max_bytes, start_quality=_FILE_START_QUALITY, label=label, optimize=True
    )
    return PreparedImage(
        data=data,
        mime_type="image/jpeg",
        width=image.width,
        height=image.height,
        source_name=label,
        original_size=original_size,
        quality=quality,
    )


def frame_to_image(frame: FrameLike) -> Image.Image:
    """Wrap a grabbed frame as an RGB Pillow image without an extra copy where possible.

    A ``(h, w, 4)`` uint8 array is taken as BGRA (the layout screen grabbers return); a
    ``(h, w, 3)`` array as RGB; a Pillow image is converted to RGB if it is not already.
    """
    if isinstance(frame, Image.Image):
        return frame if frame.mode in ("RGB", "L") else _normalise_mode(frame, "frame")
    array = np.ascontiguousarray(frame)
    if array.dtype != np.uint8 or array.ndim != 3 or array.shape[2] not in (3, 4):
        raise MediaError(
            f"frame: expected an (h, w, 3) RGB or (h, w, 4) BGRA uint8 array, "
            f"got {array.dtype} {array.shape}"
        )
    height, width = int(array.shape[0]), int(array.shape[1])
    if array.shape[2] == 4:
        # "BGRX" in Pillow's raw decoder reorders channels and drops the fourth in one pass.
        return Image.frombuffer("RGB", (width, height), array.tobytes(), "raw", "BGRX", 0, 1)
    return Image.fromarray(array, "RGB")


def scale_to_fit(
    image: Image.Image,
    max_side: int,
    *,
    resample: Image.Resampling = Image.Resampling.LANCZOS,
) -> Image.Image:
    """Return ``image`` scaled (aspect kept) so its longest side is at most ``max_side``."""
    longest = max(image.width, image.height)
    if longest <= max_side:
        return image
    factor = max_side / longest
    size = (max(1, round(image.width * factor)), max(1, round(image.height * factor)))
    # reducing_gap first box-reduces by an integer factor, then resamples: nearly the same
    # result as a full filter at a fraction of the cost for large reductions.
    return image.resize(size, resample, reducing_gap=2.0)


def encode_jpeg_fitting(
    image: Image.Image,
    max_bytes: int,
    *,
    start_quality: int,
    min_quality: int = _MIN_QUALITY,
    label: str = "image",
    optimize: bool = False,
) -> tuple[bytes, int, Image.Image]:
    """Encode ``image`` as JPEG at the highest quality <= ``start_quality`` that fits.

    Returns the bytes, the quality used and the image actually encoded (smaller than the
    input when even ``min_quality`` did not fit and the image had to be shrunk).
    """
    start_quality = max(min_quality, min(95, start_quality))
    while True:
        found = _search_quality(image, max_bytes, start_quality, min_quality, optimize)
        if found is not None:
            return found[0], found[1], image
        if max(image.width, image.height) * _SHRINK_STEP < _MIN_SIDE:
            raise MediaError(f"{label}: cannot be encoded under {format_size(max_bytes)}")
        size = (
            max(1, int(image.width * _SHRINK_STEP)),
            max(1, int(image.height * _SHRINK_STEP)),
        )
        image = image.resize(size, Image.Resampling.BILINEAR)


class FrameEncoder:
    """Scale and JPEG-encode successive screen frames under a byte cap, quickly.

    The quality that fitted the last frame is where the next search starts, creeping back
    up by ``quality_step`` per frame while frames are small, so a steady screen costs one
    encode per frame and a busy one settles after a few.  Not thread-safe: one per worker.
    """

    def __init__(
        self,
        *,
        max_side: int = DEFAULT_MAX_SIDE,
        max_bytes: int = DEFAULT_MAX_BYTES,
        quality: int = _FRAME_START_QUALITY,
        min_quality: int = _MIN_QUALITY,
        quality_step: int = 5,
        source_name: str = "screen",
    ) -> None:
        _check_limits(max_side, max_bytes)
        self.max_side = max_side
        self.max_bytes = max_bytes
        self.max_quality = quality
        self.min_quality = min_quality
        self.quality_step = quality_step
        self.source_name = source_name
        self._next_quality = quality

    @property
    def next_quality(self) -> int:
        """The quality the next frame's search starts from."""
        return self._next_quality

    def scale(self, frame: FrameLike) -> Image.Image:
        """The frame as an RGB image scaled to ``max_side`` (the input of :meth:`encode`)."""
        # BOX (area averaging) is the cheapest filter that still uses every source pixel:
        # about half the cost of BILINEAR and a quarter of LANCZOS on 1080p frames, and for
        # the 1.5-4x reductions of screens to 1024 px text stays as legible.
        return scale_to_fit(frame_to_image(frame), self.max_side, resample=Image.Resampling.BOX)

    def encode(self, scaled: Image.Image, *, original_size: tuple[int, int]) -> PreparedImage:
        """JPEG-encode an image returned by :meth:`scale`, adapting the quality."""
        data, quality, encoded = encode_jpeg_fitting(
            scaled,
            self.max_bytes,
            start_quality=self._next_quality,
            min_quality=self.min_quality,
            label=self.source_name,
        )
        self._next_quality = min(self.max_quality, quality + self.quality_step)
        return PreparedImage(
            data=data,
            mime_type="image/jpeg",
            width=encoded.width,
            height=encoded.height,
            source_name=self.source_name,
            original_size=original_size,
            quality=quality,
        )

    def encode_frame(self, frame: FrameLike) -> PreparedImage:
        """Scale and encode in one call."""
        image = frame_to_image(frame)
        return self.encode(self.scale(image), original_size=(image.width, image.height))


def encode_frame(
    frame: FrameLike,
    *,
    max_side: int = DEFAULT_MAX_SIDE,
    max_bytes: int = DEFAULT_MAX_BYTES,
    quality: int = _FRAME_START_QUALITY,
    source_name: str = "screen",
) -> PreparedImage:
    """Encode one screen frame (BGRA/RGB array or Pillow image) without carried-over state."""
    encoder = FrameEncoder(
        max_side=max_side, max_bytes=max_bytes, quality=quality, source_name=source_name
    )
    return encoder.encode_frame(frame)


# -- helpers -------------------------------------------------------------------------------


def _check_limits(max_side: int, max_bytes: int) -> None:
    if max_side < _MIN_SIDE:
        raise MediaError(f"max_side must be at least {_MIN_SIDE} pixels, got {max_side}")
    if max_bytes < 1024:
        raise MediaError(f"max_bytes must be at least 1024, got {max_bytes}")


def _reason(exc: BaseException) -> str:
    text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return text[:120]


def _decode(data: bytes, label: str, max_pixels: int) -> Image.Image:
    """Open (lazily) encoded bytes, refusing unknown formats and decompression bombs."""
    try:
        with warnings.catch_warnings():
            # Pillow warns (to stderr, i.e. over the TUI) for very large images; make that an
            # error we report instead.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise MediaError(f"{label}: too large to decode safely (decompression bomb)") from exc
    except UnidentifiedImageError as exc:
        raise MediaError(f"{label}: not a supported image type") from exc
    except (OSError, SyntaxError, ValueError, EOFError) as exc:
        raise MediaError(f"{label}: corrupt image ({_reason(exc)})") from exc
    if image.width <= 0 or image.height <= 0:
        raise MediaError(f"{label}: corrupt image (size {image.width}x{image.height})")
    if image.width * image.height > max_pixels:
        raise MediaError(
            f"{label}: too large ({image.width}x{image.height} pixels; "
            f"the limit is {max_pixels // 1_000_000} megapixels)"
        )
    return image


def _orientation(image: Image.Image) -> int:
    try:
        value = image.getexif().get(0x0112, 1)
    except Exception:
        # Broken EXIF must not stop an otherwise good photo from being sent.
        return 1
    return value if isinstance(value, int) else 1


def _oriented_size(image: Image.Image) -> tuple[int, int]:
    if _orientation(image) in _SWAPPING_ORIENTATIONS:
        return (image.height, image.width)
    return (image.width, image.height)


def _apply_orientation(image: Image.Image) -> Image.Image:
    if _orientation(image) == 1:
        return image
    try:
        return ImageOps.exif_transpose(image)
    except Exception:
        # Same as above: a malformed orientation tag is ignored, not fatal.
        return image


def _normalise_mode(image: Image.Image, label: str) -> Image.Image:
    """Convert any Pillow mode to RGB or L, the two modes JPEG and PNG both take."""
    mode = image.mode
    if mode in ("RGB", "L"):
        return image
    if mode == "1":
        return image.convert("L")
    if mode in _SIXTEEN_BIT_MODES or mode in ("I", "F"):
        return _high_depth_to_grey(image)
    has_alpha = mode in _ALPHA_MODES or (mode == "P" and "transparency" in image.info)
    try:
        if has_alpha:
            rgba = image.convert("RGBA")
            # Transparent areas become white, as most viewers show them, instead of black.
            background = Image.new("RGB", rgba.size, (255, 255, 255))
            background.paste(rgba, mask=rgba.getchannel("A"))
            return background
        return image.convert("RGB")
    except (ValueError, OSError) as exc:
        raise MediaError(f"{label}: unsupported colour mode {mode}") from exc


def _high_depth_to_grey(image: Image.Image) -> Image.Image:
    values = np.asarray(image).astype(np.float32)
    # 16-bit sources use the whole 0..65535 range; 32-bit ones are treated the same when
    # they exceed 8-bit values, else taken as already 0..255.
    if image.mode in _SIXTEEN_BIT_MODES or float(values.max(initial=0.0)) > 255.0:
        values = values / 257.0
    grey = np.clip(np.rint(values), 0, 255).astype(np.uint8)
    return Image.fromarray(grey, "L")


def _encode_jpeg(image: Image.Image, quality: int, optimize: bool) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=quality, optimize=optimize)
    return buffer.getvalue()


def _encode_png(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, "PNG", compress_level=6)
    return buffer.getvalue()


def _search_quality(
    image: Image.Image, max_bytes: int, start: int, minimum: int, optimize: bool
) -> tuple[bytes, int] | None:
    """Highest quality in [minimum, start] whose encoding fits, by binary search."""
    data = _encode_jpeg(image, start, optimize)
    if len(data) <= max_bytes:
        return data, start
    best: tuple[bytes, int] | None = None
    low, high = minimum, start - 1
    while low <= high:
        middle = (low + high) // 2
        data = _encode_jpeg(image, middle, optimize)
        if len(data) <= max_bytes:
            best = (data, middle)
            low = middle + 1
        else:
            high = middle - 1
    return best
