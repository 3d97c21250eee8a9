"""Staying below the directory's lockout policy: our own arithmetic, without a directory."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from runner_api.auth.errors import RateLimitedError
from runner_api.auth.lockout import LockoutPolicy, filetime, interval_s
from runner_api.auth.throttle import LoginThrottle
from runner_api.errors import ConfigurationError

NOW = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)


def test_directory_values_are_read_as_ad_writes_them() -> None:
    # Intervals are negative counts of 100 ns; moments count 100 ns since 1601.
    assert interval_s("-18000000000") == 1800
    assert interval_s("-9223372036854775808") is None  # "for ever"
    assert filetime("0") is None
    assert filetime("133000000000000000") == datetime(2022, 6, 18, 4, 26, 40, tzinfo=UTC)


@pytest.mark.parametrize(
    ("threshold", "window", "expected"),
    [(0, 1800, (5, 300)), (3, 1800, (2, 1800)), (10, 60, (5, 300)), (2, 600, (1, 600))],
)
def test_the_throttle_fits_strictly_below_the_threshold(
    threshold: int, window: int, expected: tuple[int, int]
) -> None:
    assert LockoutPolicy(threshold, window).throttle(5, 300) == expected


def test_a_threshold_of_one_cannot_be_stayed_below() -> None:
    with pytest.raises(ConfigurationError) as refused:
        LockoutPolicy(1, 1800).throttle(5, 300)
    assert "FIXLINE_LOGIN_LDAP_URL" in refused.value.message


def test_an_account_one_failure_from_lockout_is_not_bound() -> None:
    policy = LockoutPolicy(3, 1800)
    policy.check_account(1, NOW - timedelta(minutes=1), NOW)
    # Failures older than the observation window are forgotten by the directory.
    policy.check_account(2, NOW - timedelta(minutes=31), NOW)
    with pytest.raises(RateLimitedError) as refused:
        policy.check_account(2, NOW - timedelta(minutes=10), NOW)
    assert refused.value.retry_after_s == 20 * 60
    LockoutPolicy(0, 0).check_account(99, NOW, NOW)


def test_failures_are_forgotten_only_after_a_quiet_window() -> None:
    # As the directory counts: a failure every 20 minutes within a 30-minute window adds
    # up, though no 30 minutes ever hold more than two.
    clock = [0.0]
    throttle = LoginThrottle(per_user=2, per_address=100, window_s=1800, clock=lambda: clock[0])
    for at in (0.0, 1200.0):
        clock[0] = at
        throttle.check("alice", None)
        throttle.failed("alice", None)
    clock[0] = 2400.0
    with pytest.raises(RateLimitedError) as held:
        throttle.check("alice", None)
    assert held.value.retry_after_s == 600
    clock[0] = 3000.0
    throttle.check("alice", None)
