"""Who is calling: the API key from any place v2 clients put it, then the rate limit.

The key is read straight from the request rather than through one FastAPI security
dependency per location: four dependencies cost more per request than the whole
provisioning transaction. `openapi.py` documents the same four locations.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from functools import partial
from typing import Annotated

from fastapi import Depends, Request

from faxnum.api.body import parameter
from faxnum.api.edge.metrics import RATE_LIMITED
from faxnum.api.edge.ratelimit import QuotaExceeded, RateLimiter
from faxnum.api.state import state_of
from faxnum.domain.accounts import Caller
from faxnum.domain.api_keys import key_digest
from faxnum.domain.errors import Unauthorized
from faxnum.services.accounts import authenticate, plausible_key

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


async def current_caller(request: Request) -> Caller:
    state = state_of(request)
    api_key = await presented_key(request)
    caller = await state.database.read(partial(authenticate, api_key=api_key))
    state.payers.remember(key_digest(plausible_key(api_key)), caller.payer_id)
    # One budget per account tree: a rotated key or a new sub-account brings no fresh one.
    await count_request(request, state.limiter, f"account:{caller.payer_id}")
    return caller


async def budgeted_key(request: Request) -> str:
    """The presented key, with one request of its account tree's budget spent, for a
    use case that authenticates the key in its own transaction (see
    `services.accounts.as_holder_of`): the write then needs no read before it.

    Which tree a key spends from never changes, so it is remembered from an earlier
    authentication in this process; a key never seen is authenticated first, so an
    unknown or malformed key is refused without spending anyone's budget."""
    state = state_of(request)
    api_key = plausible_key(await presented_key(request))
    digest = key_digest(api_key)
    payer = state.payers.payer_of(digest)
    if payer is None:
        caller = await state.database.read(partial(authenticate, api_key=api_key))
        payer = caller.payer_id
        state.payers.remember(digest, payer)
    await count_request(request, state.limiter, f"account:{payer}")
    return api_key


@contextmanager
def refusal_forgets_key(request: Request, api_key: str) -> Iterator[None]:
    """Around a use case that authenticates a `budgeted_key` itself: if the key is
    refused there (revoked, account disabled), the next request with it is
    authenticated before it spends any budget, and this answer carries no quota
    headers, like any unknown key's."""
    try:
        yield
    except Unauthorized:
        state_of(request).payers.forget(key_digest(api_key))
        request.state.quota = None
        raise


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


async def count_account_change(request: Request, caller: Caller) -> None:
    """Creating sub-accounts and rotating keys: a much smaller budget per account tree."""
    await count_request(request, state_of(request).change_limiter, f"changes:{caller.payer_id}")


CurrentCaller = Annotated[Caller, Depends(current_caller)]
