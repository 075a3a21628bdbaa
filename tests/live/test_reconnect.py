"""Backoff arithmetic and the single retry-or-give-up decision."""

from __future__ import annotations

import pytest

from gemini_live_tui.errors import ConfigError, ConnectionLost, SetupRejected
from gemini_live_tui.live import ReconnectPolicy, is_retryable


def test_backoff_doubles_up_to_the_cap_without_jitter() -> None:
    policy = ReconnectPolicy(base_delay=0.5, max_delay=3.0, jitter=0.0)
    assert [policy.delay(n) for n in range(1, 6)] == [0.5, 1.0, 2.0, 3.0, 3.0]


def test_jitter_stays_within_its_band_and_under_the_cap() -> None:
    policy = ReconnectPolicy(base_delay=1.0, max_delay=10.0, jitter=0.2)
    assert policy.delay(1, lambda: 0.0) == pytest.approx(0.8)
    assert policy.delay(1, lambda: 1.0) == pytest.approx(1.2)
    assert policy.delay(10, lambda: 1.0) == 10.0


def test_attempt_limits() -> None:
    assert ReconnectPolicy(max_attempts=2).allows(2)
    assert not ReconnectPolicy(max_attempts=2).allows(3)
    assert ReconnectPolicy(max_attempts=None).allows(10_000)
    assert not ReconnectPolicy(enabled=False).allows(1)


@pytest.mark.parametrize(
    "kwargs",
    [{"base_delay": -1}, {"base_delay": 5, "max_delay": 1}, {"max_attempts": 0}, {"jitter": 1.5}],
)
def test_policy_validation(kwargs: dict[str, float]) -> None:
    with pytest.raises(ConfigError):
        ReconnectPolicy(**kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("error", "retry"),
    [
        (ConnectionLost(1006), True),
        (ConnectionLost(1011, "Internal error occurred."), True),
        (ConnectionLost(1001), True),
        (ConnectionLost(1000), False),
        (ConnectionLost(1007, "Request contains an invalid argument."), False),
        (ConnectionLost(1008, "models/x is not found"), False),
        (SetupRejected(1007), False),
        (SetupRejected(403), False),
        (ConfigError("bad"), False),
        (OSError("connection refused"), True),
        (ValueError("boom"), False),
    ],
)
def test_is_retryable(error: BaseException, retry: bool) -> None:
    assert is_retryable(error) is retry
