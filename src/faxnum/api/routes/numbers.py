"""The caller's own numbers: the v2 list, and one number looked at, routed, given back."""

from typing import Annotated

from fastapi import APIRouter, Path, Request, Response

from faxnum.api.body import body_schema, model_body
from faxnum.api.edge.auth import Holder, KeyHolder
from faxnum.api.extension_schemas import (
    NumberDetailData,
    NumberPatch,
    NumberResponse,
    NumbersWithTrunksResponse,
)
from faxnum.api.openapi import AUTHENTICATED, merged, query_parameters
from faxnum.api.params import ID_SCHEMA, Paging, parse_id
from faxnum.api.responses import documented, page_meta, success
from faxnum.api.routes import get_and_post
from faxnum.api.schemas import NumberData, NumbersResponse
from faxnum.api.state import state_of
from faxnum.domain.errors import Invalid
from faxnum.services.numbers import list_numbers, number, release, route

router = APIRouter(tags=["numbers"])
INCLUDE_TRUNK = "trunk_id"
NumberIdPath = Annotated[str, Path(json_schema_extra=ID_SCHEMA, description="From /numbers.")]
_RELEASE_RESPONSES = documented(
    NumberResponse,
    401,
    403,
    404,
    422,
    reasons={404: "No such live number of the caller (a second release finds none)"},
)


@get_and_post(
    router,
    "/numbers",
    response_model=None,
    responses=documented(NumbersResponse, 401, 403, 422),
    openapi_extra=merged(
        AUTHENTICATED,
        query_parameters(
            (
                "include",
                "`trunk_id`: each item also names its trunk (an extension; without it the "
                "items are exactly v2's).",
                {"type": "string", "enum": [INCLUDE_TRUNK]},
            )
        ),
    ),
    summary="List the caller's numbers, newest first",
)
async def numbers(
    request: Request,
    holder: Holder,
    paging: Paging,
) -> Response:
    include = request.query_params.get("include")
    if include not in (None, INCLUDE_TRUNK):
        raise Invalid.field("include", f"must be {INCLUDE_TRUNK} or left out")
    state = state_of(request)
    found = await holder.read(list_numbers, wanted=paging)
    meta = page_meta(request, found, state.settings.public_url)
    if include == INCLUDE_TRUNK:
        return success(
            NumbersWithTrunksResponse(
                numbers=[NumberDetailData.of(number) for number in found.items], meta=meta
            )
        )
    return success(
        NumbersResponse(numbers=[NumberData.of(number) for number in found.items], meta=meta)
    )


@router.get(
    "/numbers/{number_id}",
    response_model=None,
    responses=documented(NumberResponse, 401, 403, 404, 422),
    openapi_extra=AUTHENTICATED,
    summary="One of the caller's numbers, with its trunk",
)
async def get_number(request: Request, number_id: NumberIdPath, holder: Holder) -> Response:
    found = await holder.read(number, number_id=parse_id("number_id", number_id))
    return success(NumberResponse(data=NumberDetailData.of(found)))


@router.patch(
    "/numbers/{number_id}",
    response_model=None,
    responses=documented(NumberResponse, 401, 403, 404, 422),
    openapi_extra=merged(AUTHENTICATED, body_schema(NumberPatch)),
    summary="Route a number to another of the caller's trunks",
)
async def patch_number(request: Request, number_id: NumberIdPath, holder: Holder) -> Response:
    body = await model_body(request, NumberPatch)
    changed = await holder.write(
        route,
        number_id=parse_id("number_id", number_id),
        trunk_id=body.trunk_id,
    )
    return success(NumberResponse(data=NumberDetailData.of(changed)))


async def _release(request: Request, holder: KeyHolder, raw_id: str) -> Response:
    state = state_of(request)
    released = await holder.write(
        release, number_id=parse_id("number_id", raw_id), now=state.clock()
    )
    return success(NumberResponse(data=NumberDetailData.of(released)))


@router.delete(
    "/numbers/{number_id}",
    response_model=None,
    responses=_RELEASE_RESPONSES,
    openapi_extra=AUTHENTICATED,
    summary="Give a number back: it rests in aging, then returns to stock",
)
async def delete_number(request: Request, number_id: NumberIdPath, holder: Holder) -> Response:
    return await _release(request, holder, number_id)


@router.post(
    "/numbers/{number_id}/release",
    response_model=None,
    responses=_RELEASE_RESPONSES,
    openapi_extra=AUTHENTICATED,
    summary="Give a number back (same as DELETE /numbers/{number_id})",
)
async def release_number(request: Request, number_id: NumberIdPath, holder: Holder) -> Response:
    return await _release(request, holder, number_id)
