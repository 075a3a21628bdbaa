"""Grab screen pixels: the :class:`Grabber` interface and its mss implementation.

This is the only module that imports mss.  A grabber turns a
:class:`~gemini_live_tui.capture.targets.CaptureTarget` into an RGB Pillow image; the
worker owns one per thread (mss connections must not cross threads).  Windows are grabbed
as their current on-screen rectangle, looked up again on every grab so a moved window is
followed and a closed one is reported.  The fake used by tests lives beside this module in
:mod:`gemini_live_tui.capture.fakes`.
"""

from __future__ import annotations

import os
import sys
from typing import Any, Protocol

from PIL import Image

from gemini_live_tui.capture.target import CaptureTarget
from gemini_live_tui.capture.x11 import window_info
from gemini_live_tui.errors import CaptureError

__all__ = [
    "Grabber",
    "MssGrabber",
    "TargetUnavailable",
    "check_display",
    "list_monitors",
]


class TargetUnavailable(CaptureError):
    """The target exists but cannot be seen right now (minimised, off screen): skip a frame."""


class Grabber(Protocol):
    """Something that captures a target's pixels.  One instance per thread."""

    def grab(self, target: CaptureTarget) -> Image.Image:
        """The target's current pixels as an RGB image.

        Raises:
            TargetUnavailable: nothing to see this time; try again later.
            CaptureError: capture cannot go on (display gone, window closed).
        """
        ...

    def close(self) -> None:
        """Release the display connection."""
        ...


def check_display(environ: dict[str, str] | None = None, display: str | None = None) -> None:
    """Raise :class:`CaptureError` with one clear line when there is no screen to capture."""
    env = os.environ if environ is None else environ
    if not sys.platform.startswith("linux") or display:
        return
    if env.get("DISPLAY"):
        return
    if env.get("WAYLAND_DISPLAY") or env.get("XDG_SESSION_TYPE") == "wayland":
        raise CaptureError(
            "screen sharing needs X11: this Wayland session has no X display (DISPLAY unset); "
            "run under XWayland or an X11 session"
        )
    raise CaptureError("no display to capture: DISPLAY is not set (is this a graphical session?)")


def _open_mss(display: str | None) -> Any:
    check_display(display=display)
    import mss  # only here: the import costs ~30 ms and needs no display until used

    try:
        return mss.MSS(display=display) if display else mss.MSS()
    except Exception as exc:  # mss raises its own XError / ScreenShotError types
        where = display or os.environ.get("DISPLAY", "")
        raise CaptureError(f"cannot open the display {where}: {exc}".strip()) from exc


def list_monitors(*, display: str | None = None) -> list[dict[str, int]]:
    """mss's monitor list: index 0 is the whole virtual screen, 1.. each monitor."""
    sct = _open_mss(display)
    try:
        return [dict(m) for m in sct.monitors]
    finally:
        sct.close()


class MssGrabber:
    """Grab monitors and window rectangles with mss.

    Args:
        display: the X display (``":0"``); ``None`` uses ``$DISPLAY``.
        blank_check: under Wayland, XWayland hands back black frames for native windows;
            report that instead of sending black images.
    """

    def __init__(self, *, display: str | None = None, blank_check: bool | None = None) -> None:
        self._display = display
        self._sct = _open_mss(display)
        if blank_check is None:
            blank_check = os.environ.get("XDG_SESSION_TYPE") == "wayland"
        self._blank_check = blank_check

    def _screen_bounds(self) -> tuple[int, int, int, int]:
        whole = self._sct.monitors[0]
        return (whole["left"], whole["top"], whole["width"], whole["height"])

    def _region(self, target: CaptureTarget) -> dict[str, int]:
        if target.kind == "monitor":
            return {
                "left": target.left,
                "top": target.top,
                "width": target.width,
                "height": target.height,
            }
        if target.handle is None:
            raise CaptureError(f"window '{target.name}' has no handle to capture")
        info = window_info(target.handle, display=self._display)
        if info is None:
            raise CaptureError(f"window '{target.name}' was closed")
        if not info.viewable:
            raise TargetUnavailable(f"window '{target.name}' is not visible (minimised?)")
        # X refuses to read outside the screen, so clip the window to it.
        sx, sy, sw, sh = self._screen_bounds()
        left, top = max(info.left, sx), max(info.top, sy)
        right = min(info.left + info.width, sx + sw)
        bottom = min(info.top + info.height, sy + sh)
        if right - left < 1 or bottom - top < 1:
            raise TargetUnavailable(f"window '{target.name}' is off screen")
        return {"left": left, "top": top, "width": right - left, "height": bottom - top}

    def grab(self, target: CaptureTarget) -> Image.Image:
        """See :meth:`Grabber.grab`."""
        region = self._region(target)
        try:
            shot = self._sct.grab(region)
        except Exception as exc:
            raise CaptureError(f"screen capture failed for {target.name}: {exc}") from exc
        # BGRX -> RGB in Pillow's C decoder straight from mss's buffer: no numpy copy.
        image = Image.frombuffer("RGB", (shot.width, shot.height), shot.raw, "raw", "BGRX", 0, 1)
        if self._blank_check and image.getbbox() is None:
            raise CaptureError(
                "the screen came back black: this Wayland compositor does not let X11 "
                "programs capture it"
            )
        return image

    def close(self) -> None:
        """See :meth:`Grabber.close`."""
        self._sct.close()
