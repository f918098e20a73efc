"""Countries, states and area codes: what a client browses before choosing a group."""

from functools import partial
from typing import Annotated

from fastapi import APIRouter, Path, Request, Response

from faxnum.api.auth import CurrentCaller
from faxnum.api.openapi import AUTHENTICATED
from faxnum.api.params import COUNTRY_SCHEMA, ID_SCHEMA, country_segment, is_placeholder, parse_id
from faxnum.api.responses import documented, success
from faxnum.api.routes import get_and_post
from faxnum.api.schemas import (
    AreaCodeData,
    AreaCodesResponse,
    CountriesResponse,
    CountryData,
    StateData,
    StatesResponse,
)
from faxnum.services.catalogue import list_area_codes, list_countries, list_states
from faxnum.store.database import Database

router = APIRouter(tags=["catalogue"])
CountryPath = Annotated[str, Path(json_schema_extra=COUNTRY_SCHEMA)]
StateIdPath = Annotated[str, Path(json_schema_extra=ID_SCHEMA, description="From List states.")]


def _database(request: Request) -> Database:
    database: Database = request.app.state.database
    return database


@get_and_post(
    router,
    "/countries",
    response_model=None,
    responses=documented(CountriesResponse, 401, 403),
    openapi_extra=AUTHENTICATED,
    summary="List countries with numbers to provision",
)
async def countries(request: Request, caller: CurrentCaller) -> Response:
    found = await _database(request).read(list_countries)
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
    found = await _database(request).read(
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
    found = await _database(request).read(query)
    return success(AreaCodesResponse(areacodes=[AreaCodeData.of(area) for area in found]))
