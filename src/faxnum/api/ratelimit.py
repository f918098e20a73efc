"""Rate limiting (`limits`, moving window): in memory, or shared by all workers through Redis."""

import math
import time
from dataclasses import dataclass

from limits import parse_many
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter

from faxnum.api.ratelimit_memory import InProcessStorage
from faxnum.domain.errors import RateLimited


@dataclass(frozen=True)
class Quota:
    """What the caller has left, as sent in the RateLimit-* headers."""

    limit: int
    remaining: int
    reset_after: int

    def headers(self) -> list[tuple[bytes, bytes]]:
        return [
            (b"ratelimit-limit", str(self.limit).encode()),
            (b"ratelimit-remaining", str(self.remaining).encode()),
            (b"ratelimit-reset", str(self.reset_after).encode()),
        ]


class QuotaExceeded(RateLimited):
    def __init__(self, quota: Quota) -> None:
        super().__init__(retry_after=quota.reset_after)
        self.quota = quota


class RateLimiter:
    def __init__(self, spec: str, storage_uri: str | None = None) -> None:
        self._limits = parse_many(spec)
        storage = storage_from_string(storage_uri) if storage_uri else InProcessStorage()
        self._limiter = MovingWindowRateLimiter(storage)

    def hit(self, identity: str) -> Quota:
        """Count one request of `identity` (an API key, a client address); the tightest
        limit is the one reported."""
        quotas = []
        for item in self._limits:
            allowed = self._limiter.hit(item, identity)
            stats = self._limiter.get_window_stats(item, identity)
            reset_after = max(1, math.ceil(stats.reset_time - time.time()))
            quota = Quota(item.amount, stats.remaining, reset_after)
            if not allowed:
                raise QuotaExceeded(quota)
            quotas.append(quota)
        return min(quotas, key=lambda q: (q.remaining, -q.reset_after))
