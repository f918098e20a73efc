"""Rate limiting (`limits`, moving window): in memory, or shared by all workers through Redis."""

import math
import time
from dataclasses import dataclass

from limits import parse_many
from limits.aio.storage import RedisStorage
from limits.aio.strategies import MovingWindowRateLimiter as AsyncMovingWindowRateLimiter
from limits.errors import StorageError
from limits.strategies import MovingWindowRateLimiter

from faxnum.api.edge.ratelimit_memory import InProcessStorage
from faxnum.domain.errors import RateLimited, Unavailable


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
    """In-process by default; with a Redis URL, one budget shared by every worker and
    machine, spoken to asynchronously so a round trip never blocks the event loop."""

    def __init__(self, spec: str, redis_url: str | None = None) -> None:
        self._limits = parse_many(spec)
        self._local: MovingWindowRateLimiter | None = None
        self._shared: AsyncMovingWindowRateLimiter | None = None
        if redis_url:
            uri = redis_url if redis_url.startswith("async+") else f"async+{redis_url}"
            self._shared = AsyncMovingWindowRateLimiter(
                RedisStorage(
                    uri, implementation="redispy", key_prefix="faxnum", wrap_exceptions=True
                )
            )
        else:
            self._local = MovingWindowRateLimiter(InProcessStorage())

    async def reachable(self) -> bool:
        """Whether the shared storage answers (the in-process one always does)."""
        if self._shared is None:
            return True
        try:
            return bool(await self._shared.storage.check())
        except Exception:  # any failure to reach Redis means: not reachable
            return False

    async def hit(self, identity: str) -> Quota:
        """Count one request of `identity` (an API key, a client address); the tightest
        limit is the one reported."""
        quotas = []
        for item in self._limits:
            if self._shared is not None:
                try:
                    allowed = await self._shared.hit(item, identity)
                    stats = await self._shared.get_window_stats(item, identity)
                except StorageError as exc:  # fail closed: no limit check, no request
                    raise Unavailable("Rate limiting is unavailable; retry shortly.") from exc
            else:
                assert self._local is not None
                allowed = self._local.hit(item, identity)
                stats = self._local.get_window_stats(item, identity)
            reset_after = max(1, math.ceil(stats.reset_time - time.time()))
            quota = Quota(item.amount, stats.remaining, reset_after)
            if not allowed:
                raise QuotaExceeded(quota)
            quotas.append(quota)
        return min(quotas, key=lambda q: (q.remaining, -q.reset_after))
