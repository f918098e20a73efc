"""The catalogue: DID groups, and the countries, states and area codes a client
browses before choosing one. DID groups of all countries for SDKs that leave
{countryCode} unfilled."""

import re
from functools import partial
from typing import Annotated

from fastapi import APIRouter, Path, Request, Response
from starlette.routing import Route

from faxnum.api.body import refuse_body_only
from faxnum.api.edge.auth import Holder, key_holder
from faxnum.api.edge.hot_routes import hot_route
from faxnum.api.openapi import AUTHENTICATED, merged, query_parameters
from faxnum.api.params import (
    AREA_CODE_PATTERN,
    CITY_PATTERN_PATTERN,
    COUNTRY_SCHEMA,
    ID_LIST_PATTERN,
    ID_SCHEMA,
    MAX_IDS,
    QueryParameters,
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
from faxnum.domain.catalogue import MAX_CITY_PATTERN_LENGTH, CityPattern, DidGroupFilter
from faxnum.domain.errors import Invalid
from faxnum.services.catalogue import (
    find_did_groups,
    list_area_codes,
    list_countries,
    list_states,
)

router = APIRouter(tags=["catalogue"])
CountryPath = Annotated[str, Path(json_schema_extra=COUNTRY_SCHEMA)]
StateIdPath = Annotated[str, Path(json_schema_extra=ID_SCHEMA, description="From List states.")]


DID_GROUPS = "/countries/{country_code}/didgroups"
_AREA_CODE = re.compile(AREA_CODE_PATTERN)
# The filters are read by `did_group_filter`, not declared to FastAPI (see
# `answer_did_groups`), so they are documented here.
_FILTER_PARAMETERS = query_parameters(
    (
        "didGroupIds",
        f"Comma-separated ids, at most {MAX_IDS}.",
        {"type": "string", "pattern": ID_LIST_PATTERN},
    ),
    ("stateId", "From List states.", ID_SCHEMA),
    (
        "cityNamePattern",
        "The city name, from its start, case-insensitive; `%` (the only wildcard) matches "
        "any run: `New York%` matches NEW YORK MILLS, `New York` only NEW YORK, `w York%` "
        "nothing.",
        {"type": "string", "maxLength": MAX_CITY_PATTERN_LENGTH, "pattern": CITY_PATTERN_PATTERN},
    ),
    ("areaCode", "Digits.", {"type": "string", "pattern": AREA_CODE_PATTERN}),
)
_FILTERS = tuple(parameter["name"] for parameter in _FILTER_PARAMETERS["parameters"])


def _area_code(raw: str) -> str:
    if not _AREA_CODE.fullmatch(raw):
        raise Invalid.field("areaCode", "must be 1 to 10 digits")
    return raw


def _city(raw: str) -> CityPattern | None:
    return CityPattern(raw) if raw else None  # empty: no filter


def did_group_filter(request: Request) -> DidGroupFilter:
    """The listing's filters, from the path and the query string."""
    query = QueryParameters(request.query_params)
    wanted = DidGroupFilter(
        country_code=country_segment(request.path_params["country_code"]),
        group_ids=query.get("didGroupIds", partial(parse_ids, "didGroupIds")),
        state_id=query.get("stateId", partial(parse_id, "stateId")),
        city=query.get("cityNamePattern", _city),
        area_code=query.get("areaCode", _area_code),
    )
    query.check()
    return wanted


async def answer_did_groups(request: Request) -> Response:
    """The listing clients repeat most, answered without FastAPI's per-request work
    (see `faxnum.api.edge.hot_routes`), its key authenticated in the listing's own read:
    one transaction, and its filters parsed by the endpoint itself. Off the event
    loop: a whole country's listing (a thousand groups) takes tens of milliseconds."""
    holder = await key_holder(request)
    await refuse_body_only(request, *_FILTERS)
    wanted = did_group_filter(request)
    groups = await holder.read_shared(partial(find_did_groups, wanted=wanted), off_loop=True)
    return success(DidGroupsResponse(data=[DidGroupData.of(group) for group in groups]))


# The route below documents the listing in the OpenAPI; requests to it are answered by
# `answer_did_groups` from `HotRoutes`, before FastAPI's routing.
@get_and_post(
    router,
    DID_GROUPS,
    response_model=None,
    responses=documented(DidGroupsResponse, 401, 403, 404, 422),
    openapi_extra=merged(AUTHENTICATED, _FILTER_PARAMETERS),
    summary="List DID groups",
)
async def list_did_groups(request: Request, country_code: CountryPath) -> Response:
    return await answer_did_groups(request)


def hot_routes(prefix: str) -> list[Route]:
    """The DID-group listing answered by its lean form."""
    return [hot_route(prefix + DID_GROUPS, ["GET", "POST"], answer_did_groups)]


@get_and_post(
    router,
    "/countries",
    response_model=None,
    responses=documented(CountriesResponse, 401, 403),
    openapi_extra=AUTHENTICATED,
    summary="List countries with numbers to provision",
)
async def countries(request: Request, holder: Holder) -> Response:
    found = await holder.read_shared(list_countries)
    return success(CountriesResponse(data=[CountryData.of(country) for country in found]))


@get_and_post(
    router,
    "/states/{country_code}",
    response_model=None,
    responses=documented(StatesResponse, 401, 403, 404, 422),
    openapi_extra=AUTHENTICATED,
    summary="List the states (subdivisions) of a country",
)
async def states(request: Request, country_code: CountryPath, holder: Holder) -> Response:
    found = await holder.read_shared(
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
    request: Request, country_code: CountryPath, state_id: StateIdPath, holder: Holder
) -> Response:
    state = None if is_placeholder(state_id) else parse_id("state_id", state_id)
    query = partial(list_area_codes, country_code=country_segment(country_code), state_id=state)
    found = await holder.read_shared(query)
    return success(AreaCodesResponse(areacodes=[AreaCodeData.of(area) for area in found]))
