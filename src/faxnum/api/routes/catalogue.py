"""The catalogue: DID groups, and the countries, states and area codes a client
browses before choosing one. DID groups of all countries for SDKs that leave
{countryCode} unfilled."""

from functools import partial
from typing import Annotated

from fastapi import APIRouter, Path, Query, Request, Response

from faxnum.api.auth import CurrentCaller
from faxnum.api.body import refuse_body_only
from faxnum.api.openapi import AUTHENTICATED
from faxnum.api.params import (
    CITY_PATTERN_PATTERN,
    COUNTRY_SCHEMA,
    ID_LIST_PATTERN,
    ID_SCHEMA,
    MAX_ID,
    country_segment,
    is_placeholder,
    parse_id,
    parse_ids,
)
from faxnum.api.responses import documented, success
from faxnum.api.routes import get_and_post
from faxnum.api.schemas import (
    AreaCodeData,
    AreaCodesResponse,
    CountriesResponse,
    CountryData,
    DidGroupData,
    DidGroupsResponse,
    StateData,
    StatesResponse,
)
from faxnum.api.state import state_of
from faxnum.domain.catalogue import MAX_CITY_PATTERN_LENGTH, CityPattern, DidGroupFilter
from faxnum.services.catalogue import (
    find_did_groups,
    list_area_codes,
    list_countries,
    list_states,
)

router = APIRouter(tags=["catalogue"])
CountryPath = Annotated[str, Path(json_schema_extra=COUNTRY_SCHEMA)]
StateIdPath = Annotated[str, Path(json_schema_extra=ID_SCHEMA, description="From List states.")]


@get_and_post(
    router,
    "/countries/{country_code}/didgroups",
    response_model=None,
    responses=documented(DidGroupsResponse, 401, 403, 404, 422),
    openapi_extra=AUTHENTICATED,
    summary="List DID groups",
)
async def list_did_groups(
    request: Request,
    country_code: CountryPath,
    caller: CurrentCaller,
    did_group_ids: Annotated[
        str | None,
        Query(alias="didGroupIds", pattern=ID_LIST_PATTERN, description="Comma-separated ids."),
    ] = None,
    state_id: Annotated[int | None, Query(alias="stateId", ge=1, le=MAX_ID)] = None,
    city_name_pattern: Annotated[
        str | None,
        Query(
            alias="cityNamePattern",
            max_length=MAX_CITY_PATTERN_LENGTH,
            pattern=CITY_PATTERN_PATTERN,
            description="The city name, from its start, case-insensitive; `%` (the only "
            "wildcard) matches any run: `New York%` matches NEW YORK MILLS, `New York` "
            "only NEW YORK, `w York%` nothing.",
        ),
    ] = None,
    area_code: Annotated[
        str | None, Query(alias="areaCode", pattern=r"^[0-9]{1,10}$", description="Digits.")
    ] = None,
) -> Response:
    await refuse_body_only(request, "didGroupIds", "stateId", "cityNamePattern", "areaCode")
    wanted = DidGroupFilter(
        country_code=country_segment(country_code),
        group_ids=parse_ids("didGroupIds", did_group_ids) if did_group_ids else None,
        state_id=state_id,
        city=CityPattern(city_name_pattern) if city_name_pattern else None,
        area_code=area_code,
    )
    # In a worker thread: a whole country's listing counts every DID it holds, which
    # must not hold the event loop.
    groups = await state_of(request).database.read_off_loop(partial(find_did_groups, wanted=wanted))
    return success(DidGroupsResponse(data=[DidGroupData.of(group) for group in groups]))


@get_and_post(
    router,
    "/countries",
    response_model=None,
    responses=documented(CountriesResponse, 401, 403),
    openapi_extra=AUTHENTICATED,
    summary="List countries with numbers to provision",
)
async def countries(request: Request, caller: CurrentCaller) -> Response:
    found = await state_of(request).database.read(list_countries)
    return success(CountriesResponse(data=[CountryData.of(country) for country in found]))


@get_and_post(
    router,
    "/states/{country_code}",
    response_model=None,
    responses=documented(StatesResponse, 401, 403, 404, 422),
    openapi_extra=AUTHENTICATED,
    summary="List the states (subdivisions) of a country",
)
async def states(request: Request, country_code: CountryPath, caller: CurrentCaller) -> Response:
    found = await state_of(request).database.read(
        partial(list_states, country_code=country_segment(country_code))
    )
    return success(StatesResponse(states=[StateData.of(state) for state in found]))


@get_and_post(
    router,
    "/areacodes/{country_code}/{state_id}",
    response_model=None,
    responses=documented(AreaCodesResponse, 401, 403, 404, 422),
    openapi_extra=AUTHENTICATED,
    summary="List the area codes of a state",
)
async def area_codes(
    request: Request, country_code: CountryPath, state_id: StateIdPath, caller: CurrentCaller
) -> Response:
    state = None if is_placeholder(state_id) else parse_id("state_id", state_id)
    query = partial(list_area_codes, country_code=country_segment(country_code), state_id=state)
    found = await state_of(request).database.read(query)
    return success(AreaCodesResponse(areacodes=[AreaCodeData.of(area) for area in found]))
