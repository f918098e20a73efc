"""The caller's own numbers, paginated the way v2 clients expect."""

from functools import partial

from fastapi import APIRouter, Request, Response

from faxnum.api.auth import CurrentCaller
from faxnum.api.openapi import AUTHENTICATED
from faxnum.api.params import Paging
from faxnum.api.responses import documented, page_meta, success
from faxnum.api.routes import get_and_post
from faxnum.api.schemas import NumberData, NumbersResponse
from faxnum.api.state import state_of
from faxnum.services.numbers import list_numbers

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
    state = state_of(request)
    found = await state.database.read(partial(list_numbers, caller=caller, wanted=paging))
    return success(
        NumbersResponse(
            numbers=[NumberData.of(number) for number in found.items],
            meta=page_meta(request, found, state.settings.public_url),
        )
    )
