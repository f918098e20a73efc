"""Provision a number from a DID group (the seed endpoint), plus its documented alias."""

from datetime import datetime
from functools import partial
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response

from faxnum.api.auth import CurrentCaller
from faxnum.api.openapi import AUTHENTICATED
from faxnum.api.params import body_fields, is_placeholder, parse_id
from faxnum.api.responses import documented, success
from faxnum.api.routes import get_and_post
from faxnum.api.schemas import ProvisionedNumberData, ProvisionResponse
from faxnum.domain.accounts import Caller
from faxnum.services.provisioning import provision
from faxnum.store.database import Database

router = APIRouter(tags=["provisioning"])
_RESPONSES = documented(ProvisionResponse, 401, 402, 403, 404, 409, 422)
GroupIdQuery = Annotated[
    str | None,
    Query(
        alias="did_group_id",
        description="Used when the path is missing it or left as {did_group_id}.",
    ),
]


async def _provision(request: Request, caller: Caller, raw_group_id: str | None) -> Response:
    group_id = parse_id("did_group_id", raw_group_id)
    database: Database = request.app.state.database
    now: datetime = request.app.state.clock()
    provisioned = await database.write(
        partial(provision, caller=caller, group_id=group_id, now=now)
    )
    return success(ProvisionResponse(data=ProvisionedNumberData.of(provisioned)))


@get_and_post(
    router,
    "/countries/didgroups/{did_group_id}/provision",
    response_model=None,
    responses=_RESPONSES,
    openapi_extra=AUTHENTICATED,
    summary="Provision a number from a DID group",
)
async def provision_from_group(
    request: Request, did_group_id: str, caller: CurrentCaller, query_group_id: GroupIdQuery = None
) -> Response:
    raw: str | None = did_group_id
    if is_placeholder(did_group_id):
        raw = query_group_id or (await body_fields(request)).get("did_group_id")
    return await _provision(request, caller, raw)


@get_and_post(
    router,
    "/provision-numbers",
    response_model=None,
    responses=_RESPONSES,
    openapi_extra=AUTHENTICATED,
    summary="Provision a number (alias taking did_group_id as a parameter)",
)
async def provision_numbers(
    request: Request, caller: CurrentCaller, query_group_id: GroupIdQuery = None
) -> Response:
    raw = query_group_id or (await body_fields(request)).get("did_group_id")
    return await _provision(request, caller, raw)
