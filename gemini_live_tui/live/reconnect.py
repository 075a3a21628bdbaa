"""When to reconnect, and how long to wait first.

One function, :func:`is_retryable`, decides "retry or give up" for every failure the
session meets; :class:`ReconnectPolicy` turns an attempt number into a delay
(exponential backoff with jitter).  Nothing here sleeps or reads a clock: the session
injects both, so tests are deterministic.
"""

from __future__ import annotations

import dataclasses
import random
from collections.abc import Callable

from gemini_live_tui.errors import (
    ConfigError,
    ConnectionLost,
    FrameTooLarge,
    LiveError,
    SetupRejected,
)

__all__ = ["FATAL_CLOSE_CODES", "ReconnectPolicy", "is_retryable"]

# 1007: invalid argument or expired key; 1008: unknown model / API version / unsupported
# feature; 1009 from the server: our message was too big (retrying sends it again).  A 1009
# we send because a server message exceeded our limit is FrameTooLarge, retried.
FATAL_CLOSE_CODES = frozenset({1007, 1008, 1009})
# 1000 is a normal end of session.
NORMAL_CLOSE = 1000
# HTTP statuses of an upgrade refused by an unwell server: retried like a dropped network.
_SERVER_ERRORS = range(500, 600)


@dataclasses.dataclass(frozen=True, slots=True)
class ReconnectPolicy:
    """Backoff for lost connections.

    Args:
        base_delay: delay before the first retry, in seconds.
        max_delay: cap on any single delay.
        max_attempts: attempts per outage before giving up (``None``: never give up).
        jitter: the delay is multiplied by a random factor in ``[1 - jitter, 1 + jitter]``
            so that many clients do not reconnect in lockstep.
        enabled: ``False`` ends the session at the first lost connection.
    """

    base_delay: float = 0.5
    max_delay: float = 10.0
    max_attempts: int | None = 10
    jitter: float = 0.2
    enabled: bool = True

    def __post_init__(self) -> None:
        if self.base_delay < 0 or self.max_delay < self.base_delay:
            raise ConfigError("reconnect delays must satisfy 0 <= base_delay <= max_delay")
        if self.max_attempts is not None and self.max_attempts < 1:
            raise ConfigError("reconnect max_attempts must be at least 1")
        if not 0 <= self.jitter < 1:
            raise ConfigError("reconnect jitter must be in [0, 1)")

    def delay(self, attempt: int, rng: Callable[[], float] = random.random) -> float:
        """Seconds to wait before ``attempt`` (1-based)."""
        raw = min(self.max_delay, self.base_delay * 2.0 ** max(0, attempt - 1))
        factor = 1.0 + self.jitter * (2.0 * float(rng()) - 1.0)
        return min(self.max_delay, raw * factor)

    def allows(self, attempt: int) -> bool:
        """Whether ``attempt`` (1-based) may be made."""
        if not self.enabled:
            return False
        return self.max_attempts is None or attempt <= self.max_attempts


def is_retryable(error: BaseException) -> bool:
    """The one place that decides whether a failure is worth a reconnect."""
    if isinstance(error, SetupRejected):
        # An HTTP 5xx refusing the upgrade is the front end being unwell, not our setup.
        return _SERVER_ERRORS.start <= error.code < _SERVER_ERRORS.stop
    if isinstance(error, ConfigError):
        return False
    if isinstance(error, FrameTooLarge):
        # Our own limit, not the server refusing us: the next connection may never send
        # such a message again (a one-off grounding payload).  The conversation keeps
        # counting the attempts across such reconnects, so a repeat still gives up.
        return True
    if isinstance(error, ConnectionLost):
        if error.code == NORMAL_CLOSE or error.code in FATAL_CLOSE_CODES:
            return False
        return error.retryable
    if isinstance(error, LiveError):
        return False
    return isinstance(error, OSError | TimeoutError)
