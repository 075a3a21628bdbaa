"""The one way tests wait: poll a condition until it holds, within a scaled time limit.

Tests never sleep for a fixed time to let something happen; they wait for the condition
itself.  Every limit is multiplied by ``GEMINI_LIVE_TEST_TIME_SCALE`` (default 1), so a slow
or heavily loaded machine can stretch all of them at once without editing a test; a test
that needs the scale raised has a race to find, not a limit to raise.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")

TIME_SCALE = float(os.environ.get("GEMINI_LIVE_TEST_TIME_SCALE", "1") or "1")
POLL_S = 0.01


def scaled(seconds: float) -> float:
    """A time limit on this machine."""
    return seconds * TIME_SCALE


class _Deadline:
    """The scaled time limit of one wait, and the message when it passes."""

    def __init__(self, limit: float, what: str, probe: object) -> None:
        self._at = time.monotonic() + scaled(limit)
        self._what = what or repr(probe)

    def check(self) -> None:
        if time.monotonic() > self._at:
            raise AssertionError(f"timed out waiting for {self._what}")


async def eventually(probe: Callable[[], T | None], *, limit: float = 20.0, what: str = "") -> T:
    """Poll ``probe`` on the running loop until it returns something truthy; return that.

    Fails with ``timed out waiting for <what>`` after ``limit`` (scaled) seconds.
    """
    deadline = _Deadline(limit, what, probe)
    while not (value := probe()):
        deadline.check()
        await asyncio.sleep(POLL_S)
    return value


def eventually_sync(probe: Callable[[], T | None], *, limit: float = 20.0, what: str = "") -> T:
    """:func:`eventually` for threads and processes (real-world conditions, no loop)."""
    deadline = _Deadline(limit, what, probe)
    while not (value := probe()):
        deadline.check()
        time.sleep(POLL_S)
    return value
