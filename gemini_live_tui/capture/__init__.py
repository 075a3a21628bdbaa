"""Screen targets and the capture worker (the only package that imports mss).

- :mod:`.targets`: monitors and titled windows with ids stable for the process's life.
- :mod:`.x11`: window listing and geometry on X11 through ``xprop``/``xwininfo`` (x11-utils).
- :mod:`.grabber`: the :class:`Grabber` interface and the mss grabber.
- :mod:`.change`: cheap "did the screen change" test on grey thumbnails.
- :mod:`.worker`: the sharing thread on a drift-free schedule, and one-off captures.
- :mod:`.share`: the controller behind ``/share-screen`` and ``/snap``.
- :mod:`.fakes`: a scripted grabber and a simulated clock for tests.

Windows are listed on X11 only; on other platforms (and on Wayland without XWayland)
sharing offers whole monitors, or explains in one line why there is nothing to capture.
"""

from __future__ import annotations

from gemini_live_tui.capture.change import ChangeDetector
from gemini_live_tui.capture.grabber import (
    Grabber,
    MssGrabber,
    TargetUnavailable,
    check_display,
    list_monitors,
)
from gemini_live_tui.capture.share import ScreenShare, ShareStarted
from gemini_live_tui.capture.targets import CaptureTarget, TargetCatalog
from gemini_live_tui.capture.worker import (
    DEFAULT_INTERVAL_S,
    DEFAULT_KEEPALIVE_S,
    MIN_INTERVAL_S,
    Clock,
    MonotonicClock,
    ScreenShareWorker,
    ShareStatistics,
    capture_once,
    validate_interval,
)

__all__ = [
    "DEFAULT_INTERVAL_S",
    "DEFAULT_KEEPALIVE_S",
    "MIN_INTERVAL_S",
    "CaptureTarget",
    "ChangeDetector",
    "Clock",
    "Grabber",
    "MonotonicClock",
    "MssGrabber",
    "ScreenShare",
    "ScreenShareWorker",
    "ShareStarted",
    "ShareStatistics",
    "TargetCatalog",
    "TargetUnavailable",
    "capture_once",
    "check_display",
    "list_monitors",
    "validate_interval",
]
