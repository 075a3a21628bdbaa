"""What can be shared: monitors and titled windows, with ids stable for the process's life.

A :class:`TargetCatalog` lists targets (``m1``, ``m2`` ... for monitors, ``m0`` for all of
them together when there are several; ``w1``, ``w2`` ... for windows, numbered in the order
they are first seen and never reused while the program runs) and resolves what the user
typed: an id, or a name, so a target saved in the configuration as ``"Firefox"`` or
``"monitor 2"`` is found again in a later run where the ids differ.

Windows are listed on X11 only (see :mod:`gemini_live_tui.capture.x11`); elsewhere the
catalog offers monitors.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable

from gemini_live_tui.capture import x11
from gemini_live_tui.capture.target import CaptureTarget, TargetKind
from gemini_live_tui.errors import CaptureError

__all__ = ["CaptureTarget", "TargetCatalog", "TargetKind"]

MonitorSource = Callable[[], list[dict[str, int]]]
WindowSource = Callable[[], list[x11.X11Window]]


def _default_monitors(display: str | None) -> MonitorSource:
    def source() -> list[dict[str, int]]:
        # Deferred: the grabber loads mss, which listing windows alone does not need.
        from gemini_live_tui.capture.grabber import list_monitors

        return list_monitors(display=display)

    return source


def _default_windows(display: str | None) -> WindowSource:
    def source() -> list[x11.X11Window]:
        if not sys.platform.startswith("linux"):
            return []
        return x11.list_windows(display=display)

    return source


class TargetCatalog:
    """Lists targets and keeps their ids stable; thread-safe.

    Args:
        display: the X display to list (``None``: ``$DISPLAY``).
        monitor_source, window_source: injectable listings (tests).
    """

    def __init__(
        self,
        *,
        display: str | None = None,
        monitor_source: MonitorSource | None = None,
        window_source: WindowSource | None = None,
    ) -> None:
        self._monitor_source = monitor_source or _default_monitors(display)
        self._window_source = window_source or _default_windows(display)
        self._lock = threading.Lock()
        self._window_ids: dict[int, str] = {}
        self._last: list[CaptureTarget] = []

    def list_targets(self) -> list[CaptureTarget]:
        """Every monitor and visible titled window now (blocking; run off the event loop).

        Raises:
            CaptureError: no display to capture.
        """
        monitors = self._monitor_source()
        targets: list[CaptureTarget] = []
        physical = monitors[1:]
        for index, mon in enumerate(physical, start=1):
            targets.append(
                CaptureTarget(
                    id=f"m{index}",
                    kind="monitor",
                    name=f"monitor {index}",
                    left=mon["left"],
                    top=mon["top"],
                    width=mon["width"],
                    height=mon["height"],
                )
            )
        if len(physical) > 1:
            whole = monitors[0]
            targets.insert(
                0,
                CaptureTarget(
                    id="m0",
                    kind="monitor",
                    name="all monitors",
                    left=whole["left"],
                    top=whole["top"],
                    width=whole["width"],
                    height=whole["height"],
                ),
            )
        windows = self._window_source()
        with self._lock:
            for win in windows:
                target_id = self._window_ids.get(win.xid)
                if target_id is None:
                    target_id = f"w{len(self._window_ids) + 1}"
                    self._window_ids[win.xid] = target_id
                targets.append(
                    CaptureTarget(
                        id=target_id,
                        kind="window",
                        name=win.name,
                        left=win.left,
                        top=win.top,
                        width=win.width,
                        height=win.height,
                        handle=win.xid,
                    )
                )
            self._last = list(targets)
        return targets

    def resolve(self, text: str) -> CaptureTarget:
        """The target named by an id (``m1``, ``w3``) or a name (exact, then unique part).

        Lists afresh, so a window opened since the last listing is found too.

        Raises:
            CaptureError: nothing or more than one target matches.
        """
        wanted = text.strip()
        if not wanted:
            raise CaptureError("name a screen or window to share; /share-screen list shows them")
        targets = self.list_targets()
        lowered = wanted.lower()
        for target in targets:
            if target.id.lower() == lowered:
                return target
        exact = [t for t in targets if t.name.lower() == lowered]
        if len(exact) == 1:
            return exact[0]
        partial = exact or [t for t in targets if lowered in t.name.lower()]
        if len(partial) == 1:
            return partial[0]
        if partial:
            ids = ", ".join(t.id for t in partial[:6])
            raise CaptureError(f"'{wanted}' matches several targets ({ids}); use an id")
        raise CaptureError(f"no screen or window matches '{wanted}'; /share-screen list shows them")

    def has_name(self, name: str) -> bool:
        """Whether a target is named exactly ``name`` (case-insensitive) now (lists afresh)."""
        try:
            targets = self.list_targets()
        except CaptureError:
            return False
        return any(t.name.lower() == name.strip().lower() for t in targets)

    def find_by_name(self, name: str) -> CaptureTarget | None:
        """A saved target's match in this run, or ``None``."""
        try:
            return self.resolve(name)
        except CaptureError:
            return None
