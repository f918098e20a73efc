"""Which account tree a key spends its request budget from, for keys authenticated
in the last moment.

A key belongs to one account for good, and an account to one tree, so what this says
never goes stale; it is not authentication (each use case still authenticates the key
in its own transaction, and refreshes the entry when it does). But a request refused
before its use case runs (a body too large, a bad parameter, the budget spent) learns
nothing of a key revoked meanwhile, so an entry counts only for `fresh_for_s` after the
key was last authenticated: after that the key is authenticated before it spends
anything, and a revoked one stops spending its former tree's budget. Digests only,
never keys, and a bound on how many, oldest forgotten first.
"""

import time
from collections.abc import Callable

CAPACITY = 100_000
FRESH_FOR_S = 1.0


class KnownPayers:
    def __init__(
        self,
        capacity: int = CAPACITY,
        fresh_for_s: float = FRESH_FOR_S,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._capacity = capacity
        self._fresh_for_s = fresh_for_s
        self._clock = clock
        self._payers: dict[bytes, tuple[int, float]] = {}  # payer, last authenticated

    def payer_of(self, digest: bytes) -> int | None:
        found = self._payers.get(digest)
        if found is None or self._clock() - found[1] > self._fresh_for_s:
            return None
        return found[0]

    def remember(self, digest: bytes, payer_id: int) -> None:
        """`digest`'s key was just authenticated as one of `payer_id`'s tree."""
        if digest not in self._payers and len(self._payers) >= self._capacity:
            del self._payers[next(iter(self._payers))]
        self._payers[digest] = (payer_id, self._clock())

    def forget(self, digest: bytes) -> None:
        self._payers.pop(digest, None)
