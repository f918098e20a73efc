import time

import pytest

from faxnum.api.ratelimit import KeyRateLimiter, QuotaExceeded


def test_quota_counts_down_then_refuses_with_retry_after() -> None:
    limiter = KeyRateLimiter("3/minute")
    assert [limiter.hit(1).remaining for _ in range(3)] == [2, 1, 0]
    with pytest.raises(QuotaExceeded) as refused:
        limiter.hit(1)
    assert 1 <= refused.value.retry_after <= 60
    assert refused.value.quota.remaining == 0


def test_keys_have_separate_budgets() -> None:
    limiter = KeyRateLimiter("1/minute")
    limiter.hit(1)
    assert limiter.hit(2).remaining == 0


def test_the_tightest_of_several_limits_is_reported() -> None:
    limiter = KeyRateLimiter("100/second;2/minute")
    quota = limiter.hit(7)
    assert (quota.limit, quota.remaining) == (2, 1)


def test_the_window_moves() -> None:
    limiter = KeyRateLimiter("2/second")
    limiter.hit(1)
    limiter.hit(1)
    with pytest.raises(QuotaExceeded):
        limiter.hit(1)
    time.sleep(1.05)
    assert limiter.hit(1).remaining == 1
