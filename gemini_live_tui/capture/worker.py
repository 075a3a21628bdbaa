"""The screen-sharing thread: grab, scale, skip unchanged frames, encode, hand over to send.

:class:`ScreenShareWorker` runs one thread on a drift-free schedule: the k-th capture is due
at ``start + k * interval`` however long each capture took, and slots missed while a
capture ran long are dropped rather than bunched up.  Each capture is scaled to
``max_side``, compared with the last frame sent (:class:`ChangeDetector`) and skipped when
nothing visible changed, except that a frame goes out at least every ``keepalive_s``
seconds; frames that go out are JPEG-encoded under ``max_bytes`` by
:class:`~gemini_live_tui.media.FrameEncoder`.

While ``is_connected()`` is false (the session is reconnecting) nothing is grabbed or
queued: a stale screen is worse than none, and the first frame after reconnecting is
always sent.  A fatal capture error (display gone, window closed) is reported once through
``on_error`` and the thread ends; the rest of the app carries on.

The clock is injected (:class:`Clock`); :class:`~gemini_live_tui.capture.fakes.FakeClock`
runs the schedule in simulated time for tests.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any, Protocol

from gemini_live_tui.capture.change import ChangeDetector
from gemini_live_tui.capture.grabber import Grabber, MssGrabber, TargetUnavailable
from gemini_live_tui.capture.target import CaptureTarget
from gemini_live_tui.errors import CaptureError, LiveError
from gemini_live_tui.media import DEFAULT_MAX_BYTES, DEFAULT_MAX_SIDE, FrameEncoder, PreparedImage

__all__ = [
    "DEFAULT_INTERVAL_S",
    "DEFAULT_KEEPALIVE_S",
    "MIN_INTERVAL_S",
    "Clock",
    "MonotonicClock",
    "ScreenShareWorker",
    "ShareStatistics",
    "capture_once",
    "validate_interval",
]

logger = logging.getLogger(__name__)

# The Live API takes at most about one frame per second (live-protocol.md section 5.2).
MIN_INTERVAL_S = 1.0
DEFAULT_INTERVAL_S = 1.0
DEFAULT_KEEPALIVE_S = 10.0
# Float slack when comparing simulated or measured times with schedule slots.
_EPSILON = 1e-9

GrabberFactory = Callable[[], Grabber]


class Clock(Protocol):
    """Time for the schedule: ``now`` and an interruptible wait."""

    def now(self) -> float:
        """Seconds on a monotonic scale."""
        ...

    def wait(self, event: threading.Event, timeout: float) -> bool:
        """Wait until ``event`` is set (return ``True``) or ``timeout`` passes (``False``)."""
        ...


class MonotonicClock:
    """The real clock: ``time.monotonic`` and ``Event.wait``."""

    def now(self) -> float:
        """See :meth:`Clock.now`."""
        return time.monotonic()

    def wait(self, event: threading.Event, timeout: float) -> bool:
        """See :meth:`Clock.wait`."""
        return event.wait(max(0.0, timeout))


def validate_interval(interval: float) -> float:
    """Return ``interval`` or raise :class:`CaptureError` when it is below one second."""
    if not math.isfinite(interval) or interval < MIN_INTERVAL_S:
        raise CaptureError(
            f"interval {interval:g} s is too short: the Live API takes at most one frame per "
            f"second, so use {MIN_INTERVAL_S:g} s or more"
        )
    return float(interval)


@dataclass(frozen=True, slots=True)
class ShareStatistics:
    """Counters of one sharing run (what the status bar and ``/share-screen`` show)."""

    target_id: str
    target_name: str
    interval_s: float
    running: bool
    frames_sent: int = 0
    frames_skipped: int = 0  # unchanged since the last frame sent
    frames_dropped: int = 0  # not captured because the session was reconnecting
    frames_unavailable: int = 0  # target hidden or off screen at that moment
    snaps_sent: int = 0
    bytes_sent: int = 0
    last_frame_bytes: int = 0
    last_quality: int | None = None
    last_error: str | None = None


def capture_once(
    target: CaptureTarget,
    *,
    grabber_factory: GrabberFactory = MssGrabber,
    max_side: int = DEFAULT_MAX_SIDE,
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> PreparedImage:
    """Grab and encode one frame of ``target`` now (blocking; for ``/snap`` when not sharing).

    Raises:
        CaptureError: no display, or the target cannot be captured.
        MediaError: the frame cannot be encoded under ``max_bytes``.
    """
    grabber = grabber_factory()
    try:
        image = grabber.grab(target)
    finally:
        grabber.close()
    encoder = FrameEncoder(max_side=max_side, max_bytes=max_bytes, source_name=target.name)
    return encoder.encode(encoder.scale(image), original_size=image.size)


class ScreenShareWorker:
    """Share one target on a schedule from a background thread.

    Args:
        target: what to share.
        send: called from the worker thread with each frame to send; must not block (the
            engine schedules the send on its event loop and returns).
        interval: seconds between captures, at least :data:`MIN_INTERVAL_S`.
        is_connected: whether frames can go out now; while false nothing is captured.
        on_error: called once, from the worker thread, with the one-line reason sharing
            stopped.
        grabber_factory: builds the grabber inside the thread (mss by default).
        clock: the schedule's clock (:class:`MonotonicClock` by default).
        max_side, max_bytes: frame size limits for :class:`FrameEncoder`.
        keepalive_s: send a frame at least this often even when nothing changed.
        detector: the change detector (default thresholds otherwise).

    Raises:
        CaptureError: ``interval`` below one second.
    """

    def __init__(
        self,
        target: CaptureTarget,
        *,
        send: Callable[[PreparedImage], None],
        interval: float = DEFAULT_INTERVAL_S,
        is_connected: Callable[[], bool] = lambda: True,
        on_error: Callable[[str], None] = lambda message: None,
        grabber_factory: GrabberFactory = MssGrabber,
        clock: Clock | None = None,
        max_side: int = DEFAULT_MAX_SIDE,
        max_bytes: int = DEFAULT_MAX_BYTES,
        keepalive_s: float = DEFAULT_KEEPALIVE_S,
        detector: ChangeDetector | None = None,
    ) -> None:
        self._target = target
        self._interval = validate_interval(interval)
        self._send = send
        self._is_connected = is_connected
        self._on_error = on_error
        self._grabber_factory = grabber_factory
        self._clock: Clock = clock or MonotonicClock()
        self._encoder = FrameEncoder(max_side=max_side, max_bytes=max_bytes, source_name="screen")
        self._keepalive = keepalive_s
        self._detector = detector or ChangeDetector()
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._retarget_pending = False
        self._snaps_pending = 0
        self._thread: threading.Thread | None = None
        self._last_sent_at: float | None = None
        self._stats = ShareStatistics(target.id, target.name, self._interval, running=False)

    # ------------------------------------------------------------------ control

    @property
    def target(self) -> CaptureTarget:
        """The target being shared."""
        with self._lock:
            return self._target

    @property
    def running(self) -> bool:
        """Whether the thread is alive."""
        return self._thread is not None and self._thread.is_alive()

    def start(self) -> None:
        """Start the thread (once)."""
        if self._thread is not None:
            raise RuntimeError("ScreenShareWorker.start() called twice")
        self._update(running=True)
        self._thread = threading.Thread(target=self._run, name="screen-share", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        """Stop the thread and wait for it (up to ``timeout`` seconds)."""
        self._stop.set()
        self._wake.set()
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout)
        self._update(running=False)

    def retarget(self, target: CaptureTarget, interval: float | None = None) -> None:
        """Share another target (and/or interval) from now on; the schedule restarts.

        Raises:
            CaptureError: ``interval`` below one second.
        """
        new_interval = self._interval if interval is None else validate_interval(interval)
        with self._lock:
            self._target = target
            self._interval = new_interval
            self._retarget_pending = True
        self._update(target_id=target.id, target_name=target.name, interval_s=new_interval)
        self._wake.set()

    def snap(self) -> None:
        """Send one frame as soon as possible, changed or not, outside the schedule."""
        with self._lock:
            self._snaps_pending += 1
        self._wake.set()

    def statistics(self) -> ShareStatistics:
        """A snapshot of the counters."""
        with self._lock:
            return self._stats

    # ------------------------------------------------------------------ thread

    def _update(self, **changes: Any) -> None:
        with self._lock:
            self._stats = _replace(self._stats, **changes)

    def _count(self, field: str, by: int = 1) -> None:
        with self._lock:
            current = getattr(self._stats, field)
            self._stats = _replace(self._stats, **{field: current + by})

    def _run(self) -> None:
        try:
            grabber = self._grabber_factory()
        except LiveError as exc:
            self._fail(str(exc))
            return
        except Exception as exc:  # a grabber bug must end sharing, not the app
            logger.exception("screen grabber could not start")
            self._fail(f"screen capture could not start: {exc}")
            return
        try:
            self._loop(grabber)
        except Exception as exc:
            logger.exception("screen sharing failed")
            self._fail(f"screen sharing stopped: {exc}")
        finally:
            try:
                grabber.close()
            except Exception:
                logger.exception("closing the screen grabber failed")
            self._update(running=False)

    def _fail(self, message: str) -> None:
        self._update(running=False, last_error=message)
        try:
            self._on_error(message)
        except Exception:
            logger.exception("screen-share error callback failed")

    def _loop(self, grabber: Grabber) -> None:
        clock = self._clock
        start = clock.now()
        slot = 0  # index of the next scheduled capture
        while not self._stop.is_set():
            # Clear before reading the requests: a request made after this point sets
            # the event again and the wait below returns at once.
            self._wake.clear()
            with self._lock:
                retarget, self._retarget_pending = self._retarget_pending, False
                snaps, self._snaps_pending = self._snaps_pending, 0
                target, interval = self._target, self._interval
            if retarget:
                start, slot = clock.now(), 0
                self._detector.reset()
                self._last_sent_at = None
            for _ in range(snaps):
                if not self._capture(grabber, target, forced=True):
                    return
            if clock.now() + _EPSILON >= start + slot * interval:
                if not self._capture(grabber, target, forced=False):
                    return
                # The next slot strictly after the capture ended: a slow capture drops the
                # slots it overran instead of firing them back to back, and the schedule
                # stays on start + k * interval.
                slot = math.floor((clock.now() - start) / interval + _EPSILON) + 1
            delay = start + slot * interval - clock.now()
            if delay > 0:
                clock.wait(self._wake, delay)

    def _capture(self, grabber: Grabber, target: CaptureTarget, *, forced: bool) -> bool:
        """One capture; returns ``False`` when sharing must stop."""
        if not self._safe_connected():
            self._count("frames_dropped")
            # After reconnecting, the new connection must see the screen at once.
            self._detector.reset()
            self._last_sent_at = None
            return True
        now = self._clock.now()
        try:
            image = grabber.grab(target)
        except TargetUnavailable as exc:
            self._count("frames_unavailable")
            self._update(last_error=str(exc))
            return True
        except LiveError as exc:
            self._fail(str(exc))
            return False
        scaled = self._encoder.scale(image)
        thumb = self._detector.thumbnail(scaled)
        if not forced and not self._due_anyway(now) and not self._detector.differs(thumb):
            self._count("frames_skipped")
            return True
        try:
            frame = self._encoder.encode(scaled, original_size=image.size)
        except LiveError as exc:
            self._fail(str(exc))
            return False
        if not self._safe_connected():
            self._count("frames_dropped")
            return True
        try:
            self._send(frame)
        except Exception as exc:
            # A failed hand-over loses one frame; the next capture tries again.
            logger.warning("screen frame not handed over: %s", exc)
            self._update(last_error=f"frame not sent: {exc}")
            return True
        self._detector.accept(thumb)
        self._last_sent_at = now
        with self._lock:
            self._stats = _replace(
                self._stats,
                frames_sent=self._stats.frames_sent + 1,
                snaps_sent=self._stats.snaps_sent + (1 if forced else 0),
                bytes_sent=self._stats.bytes_sent + len(frame.data),
                last_frame_bytes=len(frame.data),
                last_quality=frame.quality,
            )
        return True

    def _due_anyway(self, now: float) -> bool:
        """Whether waiting for the next slot would leave more than ``keepalive_s`` unsent."""
        if self._last_sent_at is None:
            return True
        return now - self._last_sent_at + self._interval > self._keepalive + _EPSILON

    def _safe_connected(self) -> bool:
        try:
            return bool(self._is_connected())
        except Exception:
            logger.exception("is_connected callback failed")
            return False


def _replace(stats: ShareStatistics, **changes: Any) -> ShareStatistics:
    return replace(stats, **changes)
