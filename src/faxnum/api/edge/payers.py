"""Which account tree a key spends its request budget from, for keys seen lately.

A key belongs to one account for good, and an account to one tree, so this never goes
stale in what it says; it is not authentication (each use case that relies on it still
authenticates the key in its own transaction). Digests only, never keys, and a bound
on how many, oldest forgotten first.
"""

CAPACITY = 100_000


class KnownPayers:
    def __init__(self, capacity: int = CAPACITY) -> None:
        self._capacity = capacity
        self._payers: dict[bytes, int] = {}

    def payer_of(self, digest: bytes) -> int | None:
        return self._payers.get(digest)

    def remember(self, digest: bytes, payer_id: int) -> None:
        if digest not in self._payers and len(self._payers) >= self._capacity:
            del self._payers[next(iter(self._payers))]
        self._payers[digest] = payer_id

    def forget(self, digest: bytes) -> None:
        self._payers.pop(digest, None)
