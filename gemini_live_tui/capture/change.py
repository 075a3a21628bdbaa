"""Decide cheaply whether a screen frame differs visibly from the last one sent.

The frame is shrunk to a small grey thumbnail (96 px on its longest side by default, so
each cell averages about 20x20 pixels of a 1080p screen) and compared with the thumbnail of
the last frame sent.  A frame counts as changed when at least ``min_cells`` cells moved by
more than ``threshold`` grey levels.  A typed character moves its cell by tens of levels;
a blinking text caret (a one-pixel line) or dithering moves it by a few, so it is ignored.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
from PIL import Image

__all__ = ["ChangeDetector", "Thumbnail"]

Thumbnail = npt.NDArray[np.uint8]


class ChangeDetector:
    """Compares frame thumbnails with the last accepted one.  Not thread-safe.

    Args:
        thumb_side: longest side of the comparison thumbnail in pixels.
        threshold: grey-level change (0-255) a cell must exceed to count.
        min_cells: how many cells must change for the frame to count as changed.
    """

    def __init__(self, *, thumb_side: int = 96, threshold: int = 12, min_cells: int = 1) -> None:
        if thumb_side < 4 or not 0 <= threshold < 255 or min_cells < 1:
            raise ValueError("thumb_side >= 4, 0 <= threshold < 255 and min_cells >= 1")
        self.thumb_side = thumb_side
        self.threshold = threshold
        self.min_cells = min_cells
        self._last: Thumbnail | None = None

    def thumbnail(self, image: Image.Image) -> Thumbnail:
        """The grey comparison thumbnail of ``image``."""
        grey = image.convert("L")
        factor = self.thumb_side / max(grey.width, grey.height)
        if factor < 1.0:
            size = (max(1, round(grey.width * factor)), max(1, round(grey.height * factor)))
            # BOX averages every source pixel into its cell, which is what makes small
            # changes visible as a fraction of a cell instead of being skipped over.
            grey = grey.resize(size, Image.Resampling.BOX)
        return np.asarray(grey, dtype=np.uint8)

    def changed_cells(self, thumb: Thumbnail) -> int:
        """How many cells differ from the last accepted thumbnail (all of them if none)."""
        if self._last is None or self._last.shape != thumb.shape:
            return int(thumb.size)
        delta = np.abs(thumb.astype(np.int16) - self._last.astype(np.int16))
        return int(np.count_nonzero(delta > self.threshold))

    def differs(self, thumb: Thumbnail) -> bool:
        """Whether ``thumb`` is visibly different from the last accepted thumbnail."""
        return self.changed_cells(thumb) >= self.min_cells

    def accept(self, thumb: Thumbnail) -> None:
        """Remember ``thumb`` as the last frame sent."""
        self._last = thumb

    def reset(self) -> None:
        """Forget the last frame: the next one always counts as changed."""
        self._last = None
