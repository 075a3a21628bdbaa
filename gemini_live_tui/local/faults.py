"""Fault injection for the local Live server: what can go wrong, and when it is armed to.

Tests arm faults that the real service produces in the field: a connection that vanishes
without a close frame, a 1011 "Internal error occurred.", a setup that is slow to complete,
a frame that is not JSON, and a ``goAway`` that arrives early.  A fault fires either at once
on open connections (``LocalLiveServer.inject``), on the next connection, or when the next
reply has started streaming.  This module holds the data; the server carries faults out.
"""

from __future__ import annotations

import enum
from collections import deque
from dataclasses import dataclass

__all__ = ["Fault", "FaultKind", "FaultPlan", "Trigger"]


class FaultKind(enum.Enum):
    """The failures the server can simulate."""

    DROP = "drop"
    """Abort the TCP connection: the client sees no close frame (1006)."""
    CLOSE = "close"
    """Close with a code and reason, 1011 "Internal error occurred." by default."""
    SLOW_SETUP = "slow_setup"
    """Hold ``setupComplete`` back for ``delay`` seconds."""
    MALFORMED_FRAME = "malformed_frame"
    """Send one binary frame that is not JSON; the connection stays open."""
    GOAWAY = "goaway"
    """Send ``goAway`` now, then close 1008 after the grace time (``delay`` if given)."""


class Trigger(enum.Enum):
    """When an armed fault fires."""

    NEXT_CONNECTION = "next_connection"
    """On the next connection to send a valid setup (slow setup before setupComplete, the
    others right after it)."""
    NEXT_REPLY = "next_reply"
    """On whichever connection next starts a reply, right after its first chunk."""


@dataclass(frozen=True)
class Fault:
    """One failure to simulate; build it with the class methods."""

    kind: FaultKind
    delay: float | None = None
    code: int = 1011
    reason: str = "Internal error occurred."

    @classmethod
    def drop(cls) -> Fault:
        """Vanish without a close frame."""
        return cls(FaultKind.DROP)

    @classmethod
    def close(cls, code: int = 1011, reason: str = "Internal error occurred.") -> Fault:
        """Close with ``code`` and ``reason`` (default: the real service's 1011 text)."""
        return cls(FaultKind.CLOSE, code=code, reason=reason)

    @classmethod
    def slow_setup(cls, delay: float) -> Fault:
        """Delay ``setupComplete`` by ``delay`` seconds."""
        return cls(FaultKind.SLOW_SETUP, delay=delay)

    @classmethod
    def malformed_frame(cls) -> Fault:
        """Send one frame that does not parse as JSON."""
        return cls(FaultKind.MALFORMED_FRAME)

    @classmethod
    def goaway(cls, grace: float | None = None) -> Fault:
        """Send ``goAway`` now; close 1008 after ``grace`` seconds (server default if None)."""
        return cls(FaultKind.GOAWAY, delay=grace)


class FaultPlan:
    """Faults armed for a future moment; each fires once, in the order armed."""

    def __init__(self) -> None:
        self._queues: dict[Trigger, deque[Fault]] = {trigger: deque() for trigger in Trigger}

    def arm(self, fault: Fault, trigger: Trigger) -> None:
        """Queue ``fault`` for ``trigger``; arming twice affects two connections or replies."""
        self._queues[trigger].append(fault)

    def take(self, trigger: Trigger) -> Fault | None:
        """The next fault for ``trigger``, removing it, or None."""
        queue = self._queues[trigger]
        return queue.popleft() if queue else None

    def pending(self, trigger: Trigger) -> int:
        """How many faults still wait for ``trigger``."""
        return len(self._queues[trigger])

    def clear(self) -> None:
        """Disarm everything."""
        for queue in self._queues.values():
            queue.clear()
