"""Provision a number from a DID group (the seed endpoint), plus its documented alias."""

from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Path, Request, Response
from starlette.routing import Route

from faxnum.api.body import idempotency_key, parameter
from faxnum.api.edge.auth import key_holder
from faxnum.api.edge.hot_routes import hot_route
from faxnum.api.edge.metrics import PROVISIONS
from faxnum.api.openapi import AUTHENTICATED, IDEMPOTENT, merged
from faxnum.api.params import ID_SCHEMA, is_placeholder, parse_id
from faxnum.api.responses import documented, success
from faxnum.api.routes import get_and_post
from faxnum.api.schemas import ProvisionedNumberData, ProvisionResponse
from faxnum.api.state import state_of
from faxnum.domain.idempotency import IdempotentRequest
from faxnum.services.provisioning import provision, provision_idempotently

router = APIRouter(tags=["provisioning"])
FROM_GROUP = "/countries/didgroups/{did_group_id}/provision"
ALIAS = "/provision-numbers"
_RESPONSES = documented(
    ProvisionResponse,
    401,
    402,
    403,
    404,
    409,
    422,
    reasons={
        409: "The DID group has no number left to provision, or the first request with "
        "this Idempotency-Key is still in progress"
    },
)
GroupIdPath = Annotated[str, Path(json_schema_extra=ID_SCHEMA, description="From List DID groups.")]
# did_group_id is read from the query or the body (`parameter`), so it is documented
# here rather than declared: a declared text parameter would show the wrong type.
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
_PLACEHOLDER_GROUP_ID_PARAMETER = {
    "parameters": [
        {
            "name": "did_group_id",
            "in": "query",
            "required": False,
            "description": "Read only when the path segment is the unfilled `{did_group_id}` "
            "(as the published SDKs send it); may instead be a form or JSON body field.",
            "schema": ID_SCHEMA,
        }
    ]
}


async def _provision(request: Request, raw_group_id: str | None) -> Response:
    """The key is authenticated inside the provisioning's own transaction (one
    transaction per request), after its account tree's budget was spent."""
    holder = await key_holder(request)
    group_id = parse_id("did_group_id", raw_group_id)
    state = state_of(request)
    now = state.clock()
    key = idempotency_key(request, await parameter(request, "idempotency_key"))
    if key is None:
        provisioned = await holder.write(provision, group_id=group_id, now=now)
        replayed = False
    else:
        provisioned, replayed = await holder.write(
            provision_idempotently,
            group_id=group_id,
            now=now,
            request=IdempotentRequest.for_provisioning(key, group_id),
            retention=timedelta(hours=state.settings.idempotency_hours),
        )
    response = success(ProvisionResponse(data=ProvisionedNumberData.of(provisioned)))
    if replayed:
        response.headers["Idempotent-Replayed"] = "true"
    else:
        PROVISIONS.inc()
    return response


async def answer_provision_from_group(request: Request) -> Response:
    raw: str | None = request.path_params["did_group_id"]
    if is_placeholder(str(raw)):
        raw = await parameter(request, "did_group_id")
    return await _provision(request, raw)


async def answer_provision_numbers(request: Request) -> Response:
    return await _provision(request, await parameter(request, "did_group_id"))


# The routes below document these endpoints in the OpenAPI; requests to them are
# answered by the same functions from `HotRoutes`, before FastAPI's routing.
@get_and_post(
    router,
    FROM_GROUP,
    response_model=None,
    responses=_RESPONSES,
    openapi_extra=merged(AUTHENTICATED, IDEMPOTENT, _PLACEHOLDER_GROUP_ID_PARAMETER),
    summary="Provision a number from a DID group",
)
async def provision_from_group(request: Request, did_group_id: GroupIdPath) -> Response:
    return await answer_provision_from_group(request)


@get_and_post(
    router,
    ALIAS,
    response_model=None,
    responses=_RESPONSES,
    openapi_extra=merged(AUTHENTICATED, IDEMPOTENT, _GROUP_ID_PARAMETER),
    summary="Provision a number (alias taking did_group_id as a parameter)",
)
async def provision_numbers(request: Request) -> Response:
    return await answer_provision_numbers(request)


def hot_routes(prefix: str) -> list[Route]:
    """Provisioning answered by its lean form (see `faxnum.api.edge.hot_routes`)."""
    return [
        hot_route(prefix + FROM_GROUP, ["GET", "POST"], answer_provision_from_group),
        hot_route(prefix + ALIAS, ["GET", "POST"], answer_provision_numbers),
    ]
