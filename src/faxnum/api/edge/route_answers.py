"""Routing answers kept until the store changes: a SIP edge asks for the same numbers
call after call, and a lookup is a database read. An answer is kept with the store's
commit version (`store/db/change_watch.py`) and given again only while no commit has
happened since, in any process: a release, a re-route, a trunk edit or a revoked token
is seen by the next lookup, exactly as without the keeping. SQLite only; on PostgreSQL
every lookup reads."""

from dataclasses import dataclass

from faxnum.store.db.change_watch import CommitWatch

CAPACITY = 100_000


@dataclass(frozen=True)
class KeptAnswer:
    status: int
    body: bytes
    media_type: str


class RouteAnswers:
    def __init__(self, watch: CommitWatch, capacity: int = CAPACITY) -> None:
        self._watch = watch
        self._capacity = capacity
        self._version: int | None = None
        self._answers: dict[tuple[bytes, str, bool], KeptAnswer] = {}

    def current(self) -> int:
        """The store's version now; everything kept under an older one is dropped."""
        version = self._watch.version()
        if version != self._version:
            self._answers.clear()
            self._version = version
        return version

    def get(self, key: tuple[bytes, str, bool]) -> KeptAnswer | None:
        self.current()
        return self._answers.get(key)

    def keep(self, key: tuple[bytes, str, bool], answer: KeptAnswer, read_at: int) -> None:
        """`answer` was read at version `read_at` (taken before the read): kept only if
        nothing was committed since."""
        if self.current() != read_at:
            return
        if len(self._answers) >= self._capacity:
            self._answers.clear()
        self._answers[key] = answer

    def close(self) -> None:
        self._watch.close()
