import asyncio
import time

import pytest

from faxnum.api.edge import ratelimit, ratelimit_memory
from faxnum.api.edge.ratelimit import Quota, QuotaExceeded, RateLimiter


def hit(limiter: RateLimiter, identity: str) -> Quota:
    return asyncio.run(limiter.hit(identity))


def test_quota_counts_down_then_refuses_with_retry_after() -> None:
    limiter = RateLimiter("3/minute")
    assert [hit(limiter, "key:1").remaining for _ in range(3)] == [2, 1, 0]
    with pytest.raises(QuotaExceeded) as refused:
        hit(limiter, "key:1")
    assert 1 <= refused.value.retry_after <= 60
    assert refused.value.quota.remaining == 0


def test_identities_have_separate_budgets() -> None:
    limiter = RateLimiter("1/minute")
    hit(limiter, "key:1")
    assert hit(limiter, "key:2").remaining == 0


def test_the_tightest_of_several_limits_is_reported() -> None:
    limiter = RateLimiter("100/second;2/minute")
    quota = hit(limiter, "key:7")
    assert (quota.limit, quota.remaining) == (2, 1)


class Clock:
    """Stands in for the `time` module where the limiter reads the time."""

    def __init__(self) -> None:
        self.now = time.time()

    def time(self) -> float:
        return self.now


def test_the_window_moves(monkeypatch: pytest.MonkeyPatch) -> None:
    clock = Clock()
    monkeypatch.setattr(ratelimit_memory, "time", clock)
    monkeypatch.setattr(ratelimit, "time", clock)
    limiter = RateLimiter("2/second")
    hit(limiter, "key:1")
    hit(limiter, "key:1")
    with pytest.raises(QuotaExceeded):
        hit(limiter, "key:1")
    clock.now += 0.5
    with pytest.raises(QuotaExceeded):  # still inside the window
        hit(limiter, "key:1")
    clock.now += 0.55
    assert hit(limiter, "key:1").remaining == 1
