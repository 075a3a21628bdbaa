"""The value type of a shareable screen: a monitor or a window, as listed.

Kept apart from :mod:`~gemini_live_tui.capture.targets` (which lists them) so that the
grabber can name a target without importing the catalog, and the catalog can load the
grabber lazily (only when monitors are listed) without an import cycle.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

__all__ = ["CaptureTarget", "TargetKind"]

TargetKind = Literal["monitor", "window"]


@dataclass(frozen=True, slots=True)
class CaptureTarget:
    """A monitor or window as listed.

    ``left``/``top``/``width``/``height`` are the rectangle when listed; a window's
    rectangle is looked up again at every grab.  ``handle`` is the X window id.
    """

    id: str
    kind: TargetKind
    name: str
    left: int
    top: int
    width: int
    height: int
    handle: int | None = None

    def describe(self) -> str:
        """The ``/share-screen list`` line: ``id  kind  name  WxH``."""
        return f"{self.id:<4}  {self.kind:<7}  {self.name}  {self.width}x{self.height}"
