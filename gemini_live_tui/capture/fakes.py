"""Fakes for the capture interfaces, shipped beside them: a scripted grabber and a clock.

:class:`FakeGrabber` returns scripted images and records when (in clock time) and what it
grabbed; it can simulate slow grabs and raise scripted errors.  :class:`FakeClock` runs a
worker's schedule in simulated time: waiting advances the clock instantly, up to a
``horizon``; a wait that would pass the horizon parks the thread (and sets ``parked``)
until the test moves the horizon with :meth:`FakeClock.run_until`, or the worker is woken.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence

from PIL import Image

from gemini_live_tui.capture.target import CaptureTarget

__all__ = ["FakeClock", "FakeGrabber", "solid_frame"]

FrameScript = Callable[[CaptureTarget, int], Image.Image]

# How often a parked fake clock re-checks its horizon; only bounds reaction time.
_PARK_POLL_S = 0.002


def solid_frame(width: int, height: int, colour: tuple[int, int, int]) -> Image.Image:
    """A one-colour RGB image."""
    return Image.new("RGB", (width, height), colour)


class FakeClock:
    """A manually driven clock for :class:`~gemini_live_tui.capture.worker.Clock` users.

    ``park_count`` goes up each time a waiting thread parks (reaches the horizon), so a test
    can wait for the worker to have handled a request: read ``park_count``, make the
    request, then :meth:`wait_for_park` with the value read.
    """

    def __init__(self, start: float = 0.0, *, horizon: float = float("inf")) -> None:
        self._cond = threading.Condition()
        self._now = start
        self._horizon = horizon
        self.park_count = 0

    def now(self) -> float:
        """The simulated time."""
        with self._cond:
            return self._now

    def advance(self, seconds: float) -> None:
        """Move time forward (a fake grabber uses this to simulate slow grabs)."""
        with self._cond:
            self._now += seconds

    def wait(self, event: threading.Event, timeout: float) -> bool:
        """Advance to ``now + timeout`` unless that passes the horizon; then park."""
        if event.is_set():
            return True
        with self._cond:
            target = self._now + max(0.0, timeout)
        parked_at: float | None = None
        while True:
            with self._cond:
                if target <= self._horizon:
                    self._now = max(self._now, target)
                    return False
                if parked_at != self._horizon:
                    # Time passes up to the horizon while the thread waits there.
                    parked_at = self._horizon
                    self._now = max(self._now, self._horizon)
                    self.park_count += 1
                    self._cond.notify_all()
            if event.wait(_PARK_POLL_S):
                return True

    def wait_for_park(self, after: int, *, timeout: float = 30.0) -> bool:
        """Wait (real time) until ``park_count`` exceeds ``after``."""
        with self._cond:
            return self._cond.wait_for(lambda: self.park_count > after, timeout)

    def run_until(self, horizon: float, *, timeout: float = 30.0) -> bool:
        """Let simulated time run to ``horizon`` and wait until the worker parks there.

        Returns whether it parked within ``timeout`` real seconds.
        """
        with self._cond:
            before = self.park_count
            self._horizon = horizon
        return self.wait_for_park(before, timeout=timeout)


class FakeGrabber:
    """A :class:`~gemini_live_tui.capture.grabber.Grabber` that returns scripted frames.

    Args:
        frames: one image for every grab, a sequence (the last repeats), or a function of
            ``(target, grab_index)``.
        clock: if given, each grab is stamped with ``clock.now()`` and advances it by
            ``grab_seconds``.
        errors: exceptions to raise at given grab indexes.
    """

    def __init__(
        self,
        frames: Image.Image | Sequence[Image.Image] | FrameScript,
        *,
        clock: FakeClock | None = None,
        grab_seconds: float = 0.0,
        errors: dict[int, Exception] | None = None,
    ) -> None:
        self._frames = frames
        self._clock = clock
        self._grab_seconds = grab_seconds
        self._errors = dict(errors or {})
        self._lock = threading.Lock()
        self.grabs: list[tuple[float, str]] = []
        self.closed = False

    def grab(self, target: CaptureTarget) -> Image.Image:
        """The next scripted frame (or scripted error)."""
        with self._lock:
            index = len(self.grabs)
            stamp = self._clock.now() if self._clock is not None else float(index)
            self.grabs.append((stamp, target.id))
        if self._clock is not None and self._grab_seconds:
            self._clock.advance(self._grab_seconds)
        error = self._errors.get(index)
        if error is not None:
            raise error
        if isinstance(self._frames, Image.Image):
            return self._frames.copy()
        if callable(self._frames):
            return self._frames(target, index)
        return self._frames[min(index, len(self._frames) - 1)].copy()

    def close(self) -> None:
        """Mark closed."""
        self.closed = True

    def factory(self) -> Callable[[], FakeGrabber]:
        """A grabber factory returning this instance (for ``grabber_factory=``)."""
        return lambda: self
