"""The caller's own numbers, paginated the way v2 clients expect."""

from functools import partial
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response

from faxnum.api.auth import CurrentCaller
from faxnum.api.openapi import AUTHENTICATED
from faxnum.api.responses import documented, success
from faxnum.api.routes import get_and_post
from faxnum.api.schemas import Meta, NumberData, NumbersResponse, Pagination
from faxnum.domain.numbers import NumberListing
from faxnum.domain.pagination import DEFAULT_LIMIT, MAX_LIMIT, Page, PageRequest
from faxnum.services.numbers import list_numbers
from faxnum.store.database import Database

router = APIRouter(tags=["numbers"])


def page_links(request: Request, page: Page[NumberListing]) -> dict[str, str]:
    """Neighbour page URLs keeping the other query parameters, never the key."""
    url = request.url.remove_query_params("api_key")
    neighbours = {"previous": page.previous_page, "next": page.next_page}
    return {
        name: str(url.include_query_params(page=n))
        for name, n in neighbours.items()
        if n is not None
    }


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
