"""Image inspection for the local Live server: decode a frame, measure size and mean colour.

Replies name what arrived ("image 640x480, mean colour #ff8800") so a test or a user can
see that the frame survived capture, encoding and transport intact.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

from PIL import Image, ImageStat, UnidentifiedImageError

__all__ = ["ReceivedImage", "describe"]


@dataclass(frozen=True)
class ReceivedImage:
    """One image the server received, kept for tests to inspect."""

    mime_type: str
    data: bytes
    width: int
    height: int
    mean_colour: str  # "#rrggbb"
    connection_id: int

    def describe(self) -> str:
        """The phrase replies use for this image."""
        return f"image {self.width}x{self.height}, mean colour {self.mean_colour}"


def describe(data: bytes, mime_type: str, connection_id: int) -> ReceivedImage:
    """Decode ``data`` and measure it; undecodable data gives a 0x0 image with colour "none"."""
    try:
        with Image.open(io.BytesIO(data)) as image:
            image.load()
            rgb = image.convert("RGB")
            means = ImageStat.Stat(rgb).mean
            colour = "#" + "".join(f"{round(value):02x}" for value in means[:3])
            return ReceivedImage(mime_type, data, rgb.width, rgb.height, colour, connection_id)
    except (UnidentifiedImageError, OSError, ValueError):
        return ReceivedImage(mime_type, data, 0, 0, "none", connection_id)
