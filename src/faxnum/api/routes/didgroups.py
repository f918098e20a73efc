"""List DID groups of a country (or of all, for SDKs that leave {countryCode} unfilled)."""

from functools import partial
from typing import Annotated

from fastapi import APIRouter, Path, Query, Request, Response

from faxnum.api.auth import CurrentCaller
from faxnum.api.openapi import AUTHENTICATED
from faxnum.api.params import COUNTRY_SCHEMA, ID_LIST_PATTERN, MAX_ID, country_segment, parse_ids
from faxnum.api.responses import documented, success
from faxnum.api.routes import get_and_post
from faxnum.api.schemas import DidGroupData, DidGroupsResponse
from faxnum.domain.catalogue import CityPattern, DidGroupFilter
from faxnum.services.catalogue import find_did_groups
from faxnum.store.database import Database

router = APIRouter(tags=["catalogue"])


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
    country_code: Annotated[str, Path(json_schema_extra=COUNTRY_SCHEMA)],
    caller: CurrentCaller,
    did_group_ids: Annotated[
        str | None,
        Query(alias="didGroupIds", pattern=ID_LIST_PATTERN, description="Comma-separated ids."),
    ] = None,
    state_id: Annotated[int | None, Query(alias="stateId", ge=1, le=MAX_ID)] = None,
    city_name_pattern: Annotated[
        str | None,
        Query(alias="cityNamePattern", max_length=100, description="Prefix; `%` matches any run."),
    ] = None,
    area_code: Annotated[
        str | None, Query(alias="areaCode", pattern=r"^[0-9]{1,10}$", description="Digits.")
    ] = None,
) -> Response:
    wanted = DidGroupFilter(
        country_code=country_segment(country_code),
        group_ids=parse_ids("didGroupIds", did_group_ids) if did_group_ids else None,
        state_id=state_id,
        city=CityPattern(city_name_pattern) if city_name_pattern else None,
        area_code=area_code,
    )
    database: Database = request.app.state.database
    groups = await database.read(partial(find_did_groups, wanted=wanted))
    return success(DidGroupsResponse(data=[DidGroupData.of(group) for group in groups]))
