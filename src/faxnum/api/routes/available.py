"""Choosing numbers: the available numbers of a country, with vanity patterns."""

from functools import partial
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response

from faxnum.api.edge.auth import Holder
from faxnum.api.extension_schemas import AvailableNumberData, AvailableNumbersResponse
from faxnum.api.openapi import AUTHENTICATED
from faxnum.api.params import AREA_CODE_PATTERN, CITY_PATTERN_PATTERN, COUNTRY_SCHEMA, MAX_ID
from faxnum.api.responses import documented, page_meta, success
from faxnum.api.state import state_of
from faxnum.domain.catalogue import (
    MAX_CITY_PATTERN_LENGTH,
    MAX_SEARCH_RESULTS,
    AvailableNumberFilter,
    CityPattern,
    DidGroupFilter,
    normalise_country,
)
from faxnum.domain.errors import Invalid
from faxnum.domain.number_patterns import PATTERN_REGEX, Anchor, NumberPattern
from faxnum.domain.numbers import NumberType
from faxnum.domain.pagination import PageRequest
from faxnum.services.catalogue import find_available_numbers

router = APIRouter(tags=["choosing numbers"])
MAX_SEARCH_LIMIT = 100
DEFAULT_SEARCH_LIMIT = 20
_PATTERN_HELP = (
    "2 to 16 digits, letters (phone keypad: FAX = 329) or * (any one digit), on the "
    "national number (the digits after the country calling code)"
)


def _country(raw: str) -> str:
    try:
        return normalise_country(raw)
    except ValueError as exc:
        raise Invalid.field("country", str(exc)) from exc


def _search_page(
    limit: Annotated[
        int, Query(ge=1, le=MAX_SEARCH_LIMIT, description="Page size.")
    ] = DEFAULT_SEARCH_LIMIT,
    page: Annotated[int, Query(ge=1, le=MAX_ID, description="1-based page number.")] = 1,
) -> PageRequest:
    return PageRequest(limit, page)


@router.get(
    "/available-numbers",
    response_model=None,
    responses=documented(AvailableNumbersResponse, 401, 403, 404, 422),
    openapi_extra=AUTHENTICATED,
    summary="Numbers the caller could take now, in number order",
    description="`meta.pagination.total` counts matches up to "
    f"{MAX_SEARCH_RESULTS:,}; narrow the search to see beyond them.",
)
async def available_numbers(
    request: Request,
    holder: Holder,
    country: Annotated[str, Query(json_schema_extra=COUNTRY_SCHEMA)],
    paging: Annotated[PageRequest, Depends(_search_page)],
    state_id: Annotated[int | None, Query(alias="stateId", ge=1, le=MAX_ID)] = None,
    area_code: Annotated[
        str | None, Query(alias="areaCode", pattern=AREA_CODE_PATTERN, description="Digits.")
    ] = None,
    city_name_pattern: Annotated[
        str | None,
        Query(
            alias="cityNamePattern",
            max_length=MAX_CITY_PATTERN_LENGTH,
            pattern=CITY_PATTERN_PATTERN,
            description="As in List DID groups: from the start, `%` matches any run.",
        ),
    ] = None,
    did_group_id: Annotated[int | None, Query(alias="didGroupId", ge=1, le=MAX_ID)] = None,
    number_type: Annotated[NumberType | None, Query(alias="type")] = None,
    contains: Annotated[
        str | None, Query(pattern=PATTERN_REGEX, description=f"Anywhere: {_PATTERN_HELP}.")
    ] = None,
    starts_with: Annotated[
        str | None,
        Query(
            alias="startsWith", pattern=PATTERN_REGEX, description=f"At the start: {_PATTERN_HELP}."
        ),
    ] = None,
    ends_with: Annotated[
        str | None,
        Query(alias="endsWith", pattern=PATTERN_REGEX, description=f"At the end: {_PATTERN_HELP}."),
    ] = None,
) -> Response:
    patterns = tuple(
        NumberPattern.parse(anchor, raw)
        for anchor, raw in (
            (Anchor.CONTAINS, contains),
            (Anchor.STARTS_WITH, starts_with),
            (Anchor.ENDS_WITH, ends_with),
        )
        if raw
    )
    wanted = AvailableNumberFilter(
        groups=DidGroupFilter(
            country_code=_country(country),
            group_ids=(did_group_id,) if did_group_id else None,
            state_id=state_id,
            city=CityPattern(city_name_pattern) if city_name_pattern else None,
            area_code=area_code,
        ),
        type=number_type,
        patterns=patterns,
    )
    state = state_of(request)
    found = await holder.read_shared(partial(find_available_numbers, wanted=wanted, page=paging))
    return success(
        AvailableNumbersResponse(
            data=[AvailableNumberData.of(item) for item in found.items],
            meta=page_meta(request, found, state.settings.public_url),
        )
    )
