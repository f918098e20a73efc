"""The caller's own numbers, paginated the way v2 clients expect."""

from functools import partial

from fastapi import APIRouter, Request, Response

from faxnum.api.auth import CurrentCaller
from faxnum.api.openapi import AUTHENTICATED
from faxnum.api.params import Paging
from faxnum.api.responses import documented, page_links, success
from faxnum.api.routes import get_and_post
from faxnum.api.schemas import Meta, NumberData, NumbersResponse, Pagination
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
    paging: Paging,
) -> Response:
    database: Database = request.app.state.database
    found = await database.read(partial(list_numbers, caller=caller, wanted=paging))
    return success(
        NumbersResponse(
            numbers=[NumberData.of(number) for number in found.items],
            meta=Meta(pagination=Pagination.of(found, page_links(request, found))),
        )
    )
