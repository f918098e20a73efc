"""Who is calling: the API key from any place v2 clients put it, then the rate limit."""

from functools import partial
from typing import Annotated

from fastapi import Depends, Request, Security
from fastapi.security import APIKeyHeader, APIKeyQuery, HTTPAuthorizationCredentials, HTTPBearer

from faxnum.api.params import body_fields
from faxnum.api.ratelimit import KeyRateLimiter, QuotaExceeded
from faxnum.domain.accounts import Caller
from faxnum.services.accounts import authenticate
from faxnum.store.database import Database

_query_key = APIKeyQuery(name="api_key", auto_error=False, description="The v2 way.")
_header_key = APIKeyHeader(name="X-API-Key", auto_error=False, description="Recommended.")
_sdk_header_key = APIKeyHeader(
    name="api_key", auto_error=False, description="What the published v2 SDKs send."
)
_bearer = HTTPBearer(auto_error=False, description="Authorization: Bearer KEY.")


async def presented_key(
    request: Request,
    query_key: Annotated[str | None, Security(_query_key)],
    header_key: Annotated[str | None, Security(_header_key)],
    sdk_header_key: Annotated[str | None, Security(_sdk_header_key)],
    bearer: Annotated[HTTPAuthorizationCredentials | None, Security(_bearer)],
) -> str | None:
    """Headers first (they stay out of URLs and logs), then query, then body."""
    for candidate in (
        header_key,
        bearer.credentials if bearer else None,
        sdk_header_key,
        query_key,
    ):
        if candidate:
            return candidate
    return (await body_fields(request)).get("api_key")


async def current_caller(
    request: Request, api_key: Annotated[str | None, Depends(presented_key)]
) -> Caller:
    database: Database = request.app.state.database
    limiter: KeyRateLimiter = request.app.state.limiter
    caller = await database.read(partial(authenticate, api_key=api_key))
    try:
        request.state.quota = limiter.hit(caller.key_id)
    except QuotaExceeded as exceeded:
        request.state.quota = exceeded.quota
        raise
    return caller


CurrentCaller = Annotated[Caller, Depends(current_caller)]
