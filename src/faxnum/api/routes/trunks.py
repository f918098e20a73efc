"""Trunks: where the caller's numbers deliver inbound faxes."""

from typing import Annotated

from fastapi import APIRouter, Path, Request, Response

from faxnum.api.body import body_schema, model_body
from faxnum.api.edge.auth import Holder
from faxnum.api.extension_schemas import (
    TrunkCreate,
    TrunkData,
    TrunkPatch,
    TrunkResponse,
    TrunksResponse,
)
from faxnum.api.openapi import AUTHENTICATED, merged
from faxnum.api.params import ID_SCHEMA, Paging, parse_id
from faxnum.api.responses import documented, page_meta, success
from faxnum.api.state import state_of
from faxnum.domain.trunks import TrunkChanges
from faxnum.services.trunks import (
    add_trunk,
    change_trunk,
    delete_trunk,
    trunks_page,
    visible_trunk,
)

router = APIRouter(tags=["trunks"])
TrunkIdPath = Annotated[str, Path(json_schema_extra=ID_SCHEMA)]


@router.get(
    "/trunks",
    response_model=None,
    responses=documented(TrunksResponse, 401, 403, 422),
    openapi_extra=AUTHENTICATED,
    summary="The caller's trunks",
)
async def list_trunks(request: Request, holder: Holder, paging: Paging) -> Response:
    state = state_of(request)
    found = await holder.read(trunks_page, wanted=paging)
    return success(
        TrunksResponse(
            data=[TrunkData.of(item) for item in found.items],
            meta=page_meta(request, found, state.settings.public_url),
        )
    )


@router.post(
    "/trunks",
    response_model=None,
    responses=documented(
        TrunkResponse, 401, 403, 409, 422, reasons={409: "The account has its most trunks"}
    ),
    openapi_extra=merged(AUTHENTICATED, body_schema(TrunkCreate)),
    summary="Add a trunk",
)
async def create_trunk(request: Request, holder: Holder) -> Response:
    body = await model_body(request, TrunkCreate)
    created = await holder.write(
        add_trunk,
        name=body.name,
        uri=body.uri,
        t38=body.t38,
        is_default=body.is_default,
        allow_private=state_of(request).settings.trunk_allow_private,
    )
    return success(TrunkResponse(data=TrunkData.of(created)))


@router.get(
    "/trunks/{trunk_id}",
    response_model=None,
    responses=documented(TrunkResponse, 401, 403, 404, 422),
    openapi_extra=AUTHENTICATED,
    summary="One trunk of the caller or of one of its sub-accounts",
)
async def get_trunk(request: Request, trunk_id: TrunkIdPath, holder: Holder) -> Response:
    found = await holder.read(visible_trunk, trunk_id=parse_id("trunk_id", trunk_id))
    return success(TrunkResponse(data=TrunkData.of(found)))


@router.patch(
    "/trunks/{trunk_id}",
    response_model=None,
    responses=documented(TrunkResponse, 401, 403, 404, 409, 422),
    openapi_extra=merged(AUTHENTICATED, body_schema(TrunkPatch)),
    summary="Change a trunk; is_default true makes it the default",
)
async def patch_trunk(request: Request, trunk_id: TrunkIdPath, holder: Holder) -> Response:
    body = await model_body(request, TrunkPatch)
    changes = TrunkChanges(name=body.name, uri=body.uri, t38=body.t38, is_default=body.is_default)
    changed = await holder.write(
        change_trunk,
        trunk_id=parse_id("trunk_id", trunk_id),
        changes=changes,
        allow_private=state_of(request).settings.trunk_allow_private,
    )
    return success(TrunkResponse(data=TrunkData.of(changed)))


@router.delete(
    "/trunks/{trunk_id}",
    response_model=None,
    responses=documented(
        TrunkResponse,
        401,
        403,
        404,
        409,
        422,
        reasons={
            409: "Numbers still point to the trunk (the message says how many), or it "
            "is the default trunk"
        },
    ),
    openapi_extra=AUTHENTICATED,
    summary="Delete a trunk no number points to",
)
async def remove_trunk(request: Request, trunk_id: TrunkIdPath, holder: Holder) -> Response:
    state = state_of(request)
    deleted = await holder.write(
        delete_trunk, trunk_id=parse_id("trunk_id", trunk_id), now=state.clock()
    )
    return success(TrunkResponse(data=TrunkData.of(deleted)))
