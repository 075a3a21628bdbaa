"""The screen-sharing controller behind ``/share-screen`` and ``/snap``.

:class:`ScreenShare` holds the target catalog and at most one
:class:`~gemini_live_tui.capture.worker.ScreenShareWorker`, and turns commands into
start / retarget / stop / snap.  It knows nothing of asyncio: the engine gives it a
non-blocking ``send`` (which schedules the frame on the event loop), an ``is_connected``
check and an ``on_error`` sink for the one-line reasons sharing stopped.  Methods that list
or grab block briefly and are meant to be run in a thread by the caller.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass

from gemini_live_tui.capture.change import ChangeDetector
from gemini_live_tui.capture.grabber import MssGrabber
from gemini_live_tui.capture.targets import CaptureTarget, TargetCatalog
from gemini_live_tui.capture.worker import (
    DEFAULT_INTERVAL_S,
    DEFAULT_KEEPALIVE_S,
    Clock,
    GrabberFactory,
    ScreenShareWorker,
    ShareStatistics,
    capture_once,
    validate_interval,
)
from gemini_live_tui.media import DEFAULT_MAX_BYTES, DEFAULT_MAX_SIDE, PreparedImage

__all__ = ["ScreenShare", "ShareStarted"]


@dataclass(frozen=True, slots=True)
class ShareStarted:
    """What :meth:`ScreenShare.start` did, for the confirmation line."""

    target: CaptureTarget
    interval_s: float
    retargeted: bool

    def describe(self) -> str:
        """``sharing window 'Editor' (1280x800) every 1 s``."""
        verb = "now sharing" if self.retargeted else "sharing"
        what = "window" if self.target.kind == "window" else "screen"
        return (
            f"{verb} {what} {self.target.id} '{self.target.name}' "
            f"({self.target.width}x{self.target.height}) every {self.interval_s:g} s"
        )


class ScreenShare:
    """Start, retarget, stop and snap screen sharing.  Thread-safe.

    Args:
        send: non-blocking hand-over of a frame to the session (called from worker threads).
        is_connected: whether the session can take frames now (false while reconnecting).
        on_error: receives the one-line reason when sharing stops on its own.
        catalog: target listing (a default :class:`TargetCatalog` otherwise).
        grabber_factory: builds a grabber per thread (mss by default).
        clock: the workers' clock (real time by default).
        max_side, max_bytes, keepalive_s: frame limits and the at-least-every rule.
        detector_factory: builds a change detector per sharing run.
    """

    def __init__(
        self,
        *,
        send: Callable[[PreparedImage], None],
        is_connected: Callable[[], bool] = lambda: True,
        on_error: Callable[[str], None] = lambda message: None,
        catalog: TargetCatalog | None = None,
        grabber_factory: GrabberFactory = MssGrabber,
        clock: Clock | None = None,
        max_side: int = DEFAULT_MAX_SIDE,
        max_bytes: int = DEFAULT_MAX_BYTES,
        keepalive_s: float = DEFAULT_KEEPALIVE_S,
        detector_factory: Callable[[], ChangeDetector] = ChangeDetector,
    ) -> None:
        self._send = send
        self._is_connected = is_connected
        self._on_error = on_error
        self.catalog = catalog or TargetCatalog()
        self._grabber_factory = grabber_factory
        self._clock = clock
        self._max_side = max_side
        self._max_bytes = max_bytes
        self._keepalive = keepalive_s
        self._detector_factory = detector_factory
        self._lock = threading.Lock()
        self._worker: ScreenShareWorker | None = None
        self._last_target: CaptureTarget | None = None
        self._last_stats: ShareStatistics | None = None

    def list_targets(self) -> list[CaptureTarget]:
        """Monitors and windows (blocking).  Raises CaptureError without a display."""
        return self.catalog.list_targets()

    def start(self, target_text: str, interval: float | None = None) -> ShareStarted:
        """Share the target named by id or name; retarget when already sharing (blocking).

        Raises:
            CaptureError: unknown target, no display, or an interval under one second.
        """
        if interval is not None:
            validate_interval(interval)
        target = self.catalog.resolve(target_text)
        with self._lock:
            worker = self._worker
            if worker is not None and worker.running:
                worker.retarget(target, interval)
                self._last_target = target
                return ShareStarted(target, worker.statistics().interval_s, retargeted=True)
            chosen = DEFAULT_INTERVAL_S if interval is None else interval
            worker = ScreenShareWorker(
                target,
                send=self._send,
                interval=chosen,
                is_connected=self._is_connected,
                on_error=self._worker_failed,
                grabber_factory=self._grabber_factory,
                clock=self._clock,
                max_side=self._max_side,
                max_bytes=self._max_bytes,
                keepalive_s=self._keepalive,
                detector=self._detector_factory(),
            )
            self._worker = worker
            self._last_target = target
            worker.start()
            return ShareStarted(target, chosen, retargeted=False)

    def stop(self) -> ShareStatistics | None:
        """Stop sharing; returns the run's final statistics, or ``None`` if not sharing."""
        with self._lock:
            worker, self._worker = self._worker, None
        if worker is None:
            return None
        worker.stop()
        stats = worker.statistics()
        self._last_stats = stats
        return stats

    def snap(self, fallback: str = "m1") -> PreparedImage | None:
        """One frame now.  While sharing, the worker sends it (returns ``None``); otherwise
        the frame of the last shared target (or of ``fallback``, an id or name) is returned
        for the caller to send (blocking).

        Raises:
            CaptureError: no display, or the target cannot be captured.
        """
        with self._lock:
            worker = self._worker
            target = self._last_target
        if worker is not None and worker.running:
            worker.snap()
            return None
        if target is None:
            target = self.catalog.resolve(fallback)
        return capture_once(
            target,
            grabber_factory=self._grabber_factory,
            max_side=self._max_side,
            max_bytes=self._max_bytes,
        )

    @property
    def sharing(self) -> bool:
        """Whether a worker is running."""
        with self._lock:
            return self._worker is not None and self._worker.running

    def statistics(self) -> ShareStatistics | None:
        """The current (or last) run's counters."""
        with self._lock:
            worker = self._worker
        return worker.statistics() if worker is not None else self._last_stats

    def status_word(self) -> str:
        """The status bar's screen field: ``off`` or ``w2 12 sent 30 skipped``."""
        with self._lock:
            worker = self._worker
        if worker is None or not worker.running:
            return "off"
        stats = worker.statistics()
        return f"{stats.target_id} {stats.frames_sent} sent {stats.frames_skipped} skipped"

    def close(self) -> None:
        """Stop sharing (idempotent)."""
        self.stop()

    def _worker_failed(self, message: str) -> None:
        with self._lock:
            worker = self._worker
        if worker is not None:
            self._last_stats = worker.statistics()
        self._on_error(message)
