"""The caller's own numbers, paginated the way v2 clients expect."""

from functools import partial
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response

from faxnum.api.auth import CurrentCaller
from faxnum.api.openapi import AUTHENTICATED
from faxnum.api.responses import documented, page_links, success
from faxnum.api.routes import get_and_post
from faxnum.api.schemas import Meta, NumberData, NumbersResponse, Pagination
from faxnum.domain.pagination import DEFAULT_LIMIT, MAX_LIMIT, PageRequest
from faxnum.services.numbers import list_numbers
from faxnum.store.database import Database

router = APIRouter(tags=["numbers"])


@get_and_post(
    router,
    "/numbers",
    response_model=None,
    responses=documented(NumbersResponse, 401, 403, 422),
    openapi_extra=AUTHENTICATED,
    summary="List the caller's numbers, newest first",
)
async def numbers(
    request: Request,
    caller: CurrentCaller,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT, description="Page size.")] = DEFAULT_LIMIT,
    page: Annotated[int, Query(ge=1, le=2**31 - 1, description="1-based page number.")] = 1,
) -> Response:
    database: Database = request.app.state.database
    found = await database.read(
        partial(list_numbers, caller=caller, wanted=PageRequest(limit, page))
    )
    return success(
        NumbersResponse(
            numbers=[NumberData.of(number) for number in found.items],
            meta=Meta(pagination=Pagination.of(found, page_links(request, found))),
        )
    )
