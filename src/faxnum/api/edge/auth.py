"""Who is calling: the API key from any place v2 clients put it, then the rate limit.

The key is read straight from the request rather than through one FastAPI security
dependency per location: four dependencies cost more per request than the whole
provisioning transaction. `openapi.py` documents the same four locations.
"""

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import partial
from typing import Annotated, Concatenate, ParamSpec, TypeVar

from fastapi import Depends, Request

from faxnum.api.body import parameter
from faxnum.api.edge.metrics import RATE_LIMITED
from faxnum.api.edge.ratelimit import QuotaExceeded, RateLimiter
from faxnum.api.state import state_of
from faxnum.domain.accounts import Caller
from faxnum.domain.api_keys import key_digest
from faxnum.domain.errors import DomainError, Unauthorized, Unavailable
from faxnum.services.accounts import (
    as_holder_of,
    authenticate,
    once_authenticated,
    plausible_key,
)
from faxnum.services.unit_of_work import UnitOfWork
from faxnum.store.db.database import Database
from faxnum.store.db.uow import ConnectionUnitOfWork

P = ParamSpec("P")
T = TypeVar("T")

_BEARER = "bearer "


async def presented_key(request: Request) -> str | None:
    """Headers first (they stay out of URLs and logs), then query, then body."""
    headers = request.headers
    authorization = headers.get("authorization", "")
    bearer = (
        authorization[len(_BEARER) :].strip() if authorization.lower().startswith(_BEARER) else None
    )
    for candidate in (
        headers.get("x-api-key"),
        bearer,
        headers.get("api_key"),  # what the published v2 SDKs send
    ):
        if candidate:
            return candidate
    return await parameter(request, "api_key")


@dataclass(frozen=True, slots=True)
class KeyHolder:
    """Whoever presented an API key, one request of its account tree's budget spent.

    Not yet authenticated: every use case authenticates the key inside its own
    transaction (`services.accounts.as_holder_of`), so a request is one transaction,
    not a read and then a write, and a key revoked (or an account disabled) a moment
    before is refused in that same moment. If it is refused there, the next request with
    it is authenticated before it spends any budget, and this answer carries no quota
    headers, like any unknown key's."""

    request: Request
    api_key: str
    digest: bytes
    payer_id: int

    async def read(
        self,
        use_case: Callable[Concatenate[ConnectionUnitOfWork, Caller, P], T],
        *args: P.args,
        **kwargs: P.kwargs,
    ) -> T:
        with self._refusal_forgets_key():
            return await self._database.read(as_holder_of(self.api_key, use_case, *args, **kwargs))

    async def write(
        self,
        use_case: Callable[Concatenate[ConnectionUnitOfWork, Caller, P], T],
        *args: P.args,
        **kwargs: P.kwargs,
    ) -> T:
        with self._refusal_forgets_key():
            return await self._database.write(as_holder_of(self.api_key, use_case, *args, **kwargs))

    async def read_shared(self, query: Callable[[UnitOfWork], T], *, off_loop: bool = False) -> T:
        """What every account sees alike (the catalogue), once the key is authenticated
        in the same read; `off_loop` for a read that may take long."""
        run = once_authenticated(self.api_key, query)
        with self._refusal_forgets_key():
            if off_loop:
                return await self._database.read_off_loop(run)
            return await self._database.read(run)

    @property
    def _database(self) -> Database:
        return state_of(self.request).database

    @contextmanager
    def _refusal_forgets_key(self) -> Iterator[None]:
        try:
            yield
        except Unauthorized:
            _forget(self.request, self.digest)
            raise
        except Unavailable:
            raise  # perhaps before the key was read
        except DomainError:
            self._authenticated()  # refused after the key was read
            raise
        self._authenticated()

    def _authenticated(self) -> None:
        self.request.state.unchecked_key = None
        state_of(self.request).payers.remember(self.digest, self.payer_id)


def _forget(request: Request, digest: bytes) -> None:
    state_of(request).payers.forget(digest)
    request.state.quota = None


async def key_holder(request: Request) -> KeyHolder:
    """The presented key with one request of its account tree's budget spent.

    Which tree a key spends from never changes, so it is remembered from an earlier
    authentication in this process; a key never seen is authenticated first, so an
    unknown or malformed key is refused without spending anyone's budget. One budget
    per account tree: a rotated key or a new sub-account brings no fresh one."""
    state = state_of(request)
    api_key = plausible_key(await presented_key(request))
    digest = key_digest(api_key)
    payer = state.payers.payer_of(digest)
    if payer is None:
        caller = await state.database.read(partial(authenticate, api_key=api_key))
        payer = caller.payer_id
        state.payers.remember(digest, payer)
    else:
        request.state.unchecked_key = api_key
    await count_request(request, state.limiter, f"account:{payer}")
    return KeyHolder(request, api_key, digest, payer)


async def refusal_of_unchecked_key(request: Request) -> Unauthorized | None:
    """Why a key remembered from an earlier request is refused now, if it is, for a
    request refused before its use case read the key (a bad parameter, say): a key
    revoked a moment ago gets 401 before anything is said about its input, as it
    would from any use case."""
    api_key = getattr(request.state, "unchecked_key", None)
    if api_key is None:
        return None
    request.state.unchecked_key = None
    try:
        await state_of(request).database.read(partial(authenticate, api_key=api_key))
    except Unauthorized as refusal:
        _forget(request, key_digest(api_key))
        return refusal
    except DomainError:
        return None  # the store is unavailable: the first refusal stands
    return None


async def count_request(request: Request, limiter: RateLimiter, identity: str) -> None:
    """Spend one request of `identity`'s budget; what is left goes into the headers."""
    try:
        request.state.quota = await limiter.hit(identity)
    except QuotaExceeded as exceeded:
        request.state.quota = exceeded.quota
        RATE_LIMITED.labels(identity.split(":", 1)[0]).inc()
        raise


async def count_anonymous_request(request: Request) -> None:
    """Register, login and sub-account creation are limited per client address."""
    address = request.client.host if request.client else "unknown"
    await count_request(request, state_of(request).auth_limiter, f"address:{address}")


async def count_account_change(request: Request, payer_id: int) -> None:
    """Creating sub-accounts and rotating keys: a much smaller budget per account tree."""
    await count_request(request, state_of(request).change_limiter, f"changes:{payer_id}")


Holder = Annotated[KeyHolder, Depends(key_holder)]
"""Every authenticated v2 route takes its caller this way."""
