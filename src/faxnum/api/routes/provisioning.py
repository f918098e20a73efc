"""Provision a number from a DID group (the seed endpoint), plus its documented alias."""

from datetime import datetime, timedelta
from functools import partial
from typing import Annotated

from fastapi import APIRouter, Path, Query, Request, Response

from faxnum.api.auth import CurrentCaller
from faxnum.api.openapi import AUTHENTICATED, IDEMPOTENT, merged
from faxnum.api.params import ID_SCHEMA, body_fields, is_placeholder, parse_id
from faxnum.api.responses import documented, success
from faxnum.api.routes import get_and_post
from faxnum.api.schemas import ProvisionedNumberData, ProvisionResponse
from faxnum.config import Settings
from faxnum.domain.accounts import Caller
from faxnum.domain.idempotency import IdempotentRequest
from faxnum.services.provisioning import provision, provision_idempotently
from faxnum.store.database import Database

router = APIRouter(tags=["provisioning"])
_RESPONSES = documented(ProvisionResponse, 401, 402, 403, 404, 409, 422)
GroupIdPath = Annotated[str, Path(json_schema_extra=ID_SCHEMA, description="From List DID groups.")]
GroupIdQuery = Annotated[
    str | None,
    Query(
        alias="did_group_id",
        json_schema_extra=ID_SCHEMA,
        description="Read only when the path segment is the unfilled `{did_group_id}`.",
    ),
]
# The alias reads did_group_id from the query or the body; documented as the query.
_GROUP_ID_PARAMETER = {
    "parameters": [
        {
            "name": "did_group_id",
            "in": "query",
            "required": True,
            "description": "The DID group; may instead be sent as a form or JSON body field.",
            "schema": ID_SCHEMA,
        }
    ]
}


async def _provision(request: Request, caller: Caller, raw_group_id: str | None) -> Response:
    group_id = parse_id("did_group_id", raw_group_id)
    database: Database = request.app.state.database
    now: datetime = request.app.state.clock()
    key = await _idempotency_key(request)
    if key is None:
        provisioned = await database.write(
            partial(provision, caller=caller, group_id=group_id, now=now)
        )
        return success(ProvisionResponse(data=ProvisionedNumberData.of(provisioned)))
    settings: Settings = request.app.state.settings
    provisioned, replayed = await database.write(
        partial(
            provision_idempotently,
            caller=caller,
            group_id=group_id,
            now=now,
            request=IdempotentRequest.for_provisioning(key, group_id),
            retention=timedelta(hours=settings.idempotency_hours),
        )
    )
    response = success(ProvisionResponse(data=ProvisionedNumberData.of(provisioned)))
    if replayed:
        response.headers["Idempotent-Replayed"] = "true"
    return response


async def _idempotency_key(request: Request) -> str | None:
    """`Idempotency-Key` header, or `idempotency_key` in the query or body."""
    return (
        request.headers.get("idempotency-key")
        or request.query_params.get("idempotency_key")
        or (await body_fields(request)).get("idempotency_key")
    )


@get_and_post(
    router,
    "/countries/didgroups/{did_group_id}/provision",
    response_model=None,
    responses=_RESPONSES,
    openapi_extra=merged(AUTHENTICATED, IDEMPOTENT),
    summary="Provision a number from a DID group",
)
async def provision_from_group(
    request: Request,
    did_group_id: GroupIdPath,
    caller: CurrentCaller,
    query_group_id: GroupIdQuery = None,
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
    openapi_extra=merged(AUTHENTICATED, IDEMPOTENT, _GROUP_ID_PARAMETER),
    summary="Provision a number (alias taking did_group_id as a parameter)",
)
async def provision_numbers(request: Request, caller: CurrentCaller) -> Response:
    raw = request.query_params.get("did_group_id") or (await body_fields(request)).get(
        "did_group_id"
    )
    return await _provision(request, caller, raw)
