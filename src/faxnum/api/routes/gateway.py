"""`/gateway/v1`: where the operator's fax gateways hand over each received fax.

Only a gateway token opens it (`Authorization: Bearer fxg_...`); an API key is not one.
The upload is spooled by the form parser (to disk past 1 MB), checked from there
(kind, pages, pixels, size) before anything is stored, and stored a chunk at a time.
"""

import asyncio
import time
from collections.abc import Callable
from datetime import datetime
from functools import partial
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Request, Response
from pydantic import BaseModel, Field
from starlette.datastructures import FormData, UploadFile
from starlette.exceptions import HTTPException
from starlette.formparsers import MultiPartException
from starlette.requests import ClientDisconnect
from starlette.routing import Route

from faxnum.api.edge.hot_routes import hot_route
from faxnum.api.edge.metrics import (
    FAX_BYTES_STORED,
    FAX_INGEST_LATENCY,
    FAXES_RECEIVED,
    FAXES_REFUSED,
)
from faxnum.api.edge.route_answers import KeptAnswer
from faxnum.api.openapi import GATEWAY_AUTHENTICATED, merged
from faxnum.api.responses import documented, failure, success
from faxnum.api.state import state_of
from faxnum.domain.errors import (
    ClientGone,
    Conflict,
    DomainError,
    Invalid,
    NotFound,
    TooLarge,
    Unauthorized,
)
from faxnum.domain.faxes import (
    CallFacts,
    check_call_id,
    check_compression,
    check_received_at,
    check_sender,
    check_station_id,
)
from faxnum.domain.routing import CallRoute, dialled_number
from faxnum.services.gateways import gateway_of, token_digest
from faxnum.services.inbox import check_page_count, receive_fax
from faxnum.services.routing import route_for

PREFIX = "/gateway/v1"
ROUTES_PATH = "/routes/{number}"
router = APIRouter(prefix=PREFIX, tags=["gateway"])
_BEARER = "bearer "
_FIELDS = {
    "file",
    "to",
    "from",
    "call_id",
    "received_at",
    "remote_station_id",
    "speed",
    "duration",
    "ecm",
    "compression",
    "pages",
}
# A small fax is checked on the event loop: a thread hop would cost more than the check.
INLINE_CHECK_BYTES = 256 * 1024
_TRUE, _FALSE = {"true", "1", "yes", "on"}, {"false", "0", "no", "off"}


async def current_gateway(request: Request) -> bytes:
    """The digest of a live gateway's token, before the upload is read: a token seen
    live lately is taken from memory, and checked again in the fax's transaction."""
    authorization = request.headers.get("authorization", "")
    token = (
        authorization[len(_BEARER) :].strip() if authorization.lower().startswith(_BEARER) else None
    )
    state = state_of(request)
    digest = token_digest(token)
    if state.gateways.payer_of(digest) is None:
        gateway = await state.database.read(partial(gateway_of, digest=digest))
        state.gateways.remember(digest, gateway.id)
    return digest


GatewayDigest = Annotated[bytes, Depends(current_gateway)]


class RouteTrunk(BaseModel):
    id: int
    uri: str | None = Field(description="Where to send the call; null: not routed yet.")
    t38: bool


class RouteData(BaseModel):
    number: str = Field(description="E.164.")
    trunk: RouteTrunk


class RouteResponse(BaseModel):
    status: str = "success"
    data: RouteData


def _bearer(request: Request) -> str | None:
    authorization = request.headers.get("authorization", "")
    if authorization.lower().startswith(_BEARER):
        return authorization[len(_BEARER) :].strip()
    return None


async def answer_route(request: Request) -> Response:
    """The SIP edge's lookup, its hottest read: answered before FastAPI's routing
    (see `faxnum.api.edge.hot_routes`), the token checked in the lookup's own read,
    and the answer kept until the store next changes (`api/edge/route_answers.py`).
    `format=text` (or `Accept: text/plain`) gets the trunk's URI alone, for a router
    without a JSON parser (Kamailio's `http_client` sends one header of our choosing)."""
    digest = token_digest(_bearer(request))
    number = dialled_number(str(request.path_params["number"]))
    wanted = request.query_params.get("format", "json")
    if wanted not in ("json", "text"):
        raise Invalid.field("format", "must be json or text")
    as_text = wanted == "text" or "text/plain" in request.headers.get("accept", "")
    state = state_of(request)
    kept = state.route_answers
    key = (digest, number, as_text)
    if kept is not None:
        found_before = kept.get(key)
        if found_before is not None:
            return Response(
                found_before.body, found_before.status, media_type=found_before.media_type
            )
        read_at = kept.current()
    try:
        found = await state.database.read(partial(route_for, gateway_digest=digest, number=number))
        answer = _route_answer(found, as_text)
    except NotFound as missing:
        answer = failure(404, missing.message)
    if kept is not None:
        kept.keep(
            key,
            KeptAnswer(answer.status_code, bytes(answer.body), answer.media_type or ""),
            read_at,
        )
    return answer


def _route_answer(found: CallRoute, as_text: bool) -> Response:
    if as_text:
        if found.uri is None:
            raise NotFound(f"{found.number} has no trunk address yet.")
        return Response(found.uri, media_type="text/plain; charset=utf-8")
    trunk = RouteTrunk(id=found.trunk_id, uri=found.uri, t38=found.t38)
    return success(RouteResponse(data=RouteData(number=found.number, trunk=trunk)))


# Documents the lookup in the OpenAPI; requests are answered by `answer_route` from
# `HotRoutes` before FastAPI's routing (or by this route with the fast path off).
@router.get(
    ROUTES_PATH,
    response_model=None,
    responses={
        **documented(RouteResponse, 401, 404, 422),
        200: {
            "model": RouteResponse,
            "description": "The live number's trunk (`format=text`: its URI alone)",
            "content": {"text/plain": {"schema": {"type": "string"}}},
        },
    },
    openapi_extra={
        **GATEWAY_AUTHENTICATED,
        "parameters": [
            {
                "name": "format",
                "in": "query",
                "required": False,
                "schema": {"type": "string", "enum": ["json", "text"], "default": "json"},
                "description": "`text`: the trunk's URI alone (404 while it has none).",
            }
        ],
    },
    summary="Where a call to a live number goes (for the SIP edge)",
)
async def get_route(
    request: Request,
    number: Annotated[
        str,
        Path(
            json_schema_extra={"type": "string", "pattern": r"^\+?[0-9]{1,15}$"},
            description="The dialled number's digits, with or without '+'.",
        ),
    ],
) -> Response:
    return await answer_route(request)


def hot_routes() -> list[Route]:
    return [hot_route(PREFIX + ROUTES_PATH, ["GET"], answer_route)]


class ReceivedFaxData(BaseModel):
    id: int
    did_id: int
    number: str
    total_pages: int


class ReceivedFaxResponse(BaseModel):
    status: str = "success"
    data: ReceivedFaxData


_UPLOAD_SCHEMA = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["file", "to", "from", "call_id"],
                    "properties": {
                        "file": {"type": "string", "format": "binary"},
                        "to": {"type": "string", "pattern": r"^\+?[0-9]{1,15}$"},
                        "from": {"type": "string"},
                        "call_id": {"type": "string", "minLength": 1, "maxLength": 128},
                        "received_at": {"type": "string", "format": "date-time"},
                        "remote_station_id": {"type": "string", "maxLength": 64},
                        "speed": {"type": "integer", "minimum": 0},
                        "duration": {"type": "integer", "minimum": 0},
                        "ecm": {"type": "boolean"},
                        "compression": {"type": "string", "maxLength": 32},
                        "pages": {"type": "integer", "minimum": 1},
                    },
                }
            }
        },
    }
}


@router.post(
    "/faxes",
    response_model=None,
    status_code=201,
    responses={
        201: {"model": ReceivedFaxResponse, "description": "Stored (or stored before)"},
        **{
            code: spec
            for code, spec in documented(ReceivedFaxResponse, 401, 404, 409, 422).items()
            if code != 200
        },
        413: {"description": "Past the size, page or pixel limit"},
    },
    openapi_extra=merged(GATEWAY_AUTHENTICATED, _UPLOAD_SCHEMA),
    summary="A fax received on a live number, from a gateway",
)
async def post_fax(request: Request, gateway: GatewayDigest) -> Response:
    # Pillow and PDFium load with the first fax, not in every worker that never takes one.
    from faxnum.faxfiles.inspect import inspect

    state = state_of(request)
    limits = state.settings.fax_limits
    started = time.perf_counter()
    form = await _form(request)
    try:
        upload, facts, pages = _read_form(form, state.clock())
        try:
            if upload.size is not None and upload.size <= INLINE_CHECK_BYTES:
                inspected = inspect(upload.file, limits)
            else:  # hashing and walking megabytes: off the event loop
                inspected = await asyncio.to_thread(inspect, upload.file, limits)
            check_page_count(inspected, pages)
            received = await state.database.write(
                partial(
                    receive_fax,
                    gateway_digest=gateway,
                    facts=facts,
                    inspected=inspected,
                    file=upload.file,
                    links=state.fax_links,
                    now=state.clock(),
                )
            )
        except DomainError as refused:
            FAXES_REFUSED.labels(_reason(refused)).inc()
            if isinstance(refused, Unauthorized):  # revoked since it was remembered
                state.gateways.forget(gateway)
            raise
    finally:
        await form.close()
    if not received.replayed:
        FAXES_RECEIVED.inc()
        FAX_BYTES_STORED.inc(inspected.size)
        FAX_INGEST_LATENCY.observe(time.perf_counter() - started)
    fax = received.fax
    body = ReceivedFaxData(
        id=fax.id, did_id=fax.did_id, number=fax.number, total_pages=fax.total_pages
    )
    return success(ReceivedFaxResponse(data=body), status_code=201)


async def _form(request: Request) -> FormData:
    content_type = request.headers.get("content-type", "")
    if not content_type.lower().startswith("multipart/form-data"):
        FAXES_REFUSED.labels("not_multipart").inc()
        raise Invalid.field("file", "send the fax as multipart/form-data")
    try:
        return await request.form(max_files=1, max_fields=len(_FIELDS), max_part_size=4096)
    except (MultiPartException, HTTPException) as error:  # Starlette's 400 for a bad form
        FAXES_REFUSED.labels("bad_form").inc()
        reason = getattr(error, "message", None) or getattr(error, "detail", "")
        raise Invalid.field("file", f"the form could not be read: {reason}") from None
    except ClientDisconnect:
        raise ClientGone("The gateway closed the connection during the upload.") from None


def _read_form(form: FormData, now: datetime) -> tuple[UploadFile, CallFacts, int | None]:
    unknown = sorted(set(form.keys()) - _FIELDS)
    if unknown:
        raise Invalid.field(unknown[0], "is not a field of this form")
    repeated = sorted(name for name in set(form.keys()) if len(form.getlist(name)) > 1)
    if repeated:
        raise Invalid.field(repeated[0], "is given more than once")
    upload = form.get("file")
    if not isinstance(upload, UploadFile):
        raise Invalid.field("file", "is required, as a file part")
    errors: dict[str, list[str]] = {}

    def text(name: str, required: bool = False) -> str | None:
        value = form.get(name)
        if isinstance(value, UploadFile):
            errors[name] = ["must be a text field, not a file"]
            return None
        if value is None and required:
            errors[name] = ["is required"]
        return value

    def whole(name: str, low: int, high: int) -> int | None:
        value = text(name)
        if value is None or value == "":
            return None
        if not value.isascii() or not value.isdigit() or not low <= int(value) <= high:
            errors[name] = [f"must be a whole number from {low} to {high}"]
            return None
        return int(value)

    def checked(check: Callable[[str], str | None], value: str | None) -> str | None:
        if value is None:
            return None
        try:
            return check(value)
        except Invalid as invalid:
            errors.update(invalid.errors)
            return None

    to = checked(lambda raw: dialled_number(raw, "to"), text("to", required=True))
    call_id = checked(check_call_id, text("call_id", required=True))
    sender = checked(check_sender, text("from", required=True))
    station = checked(check_station_id, text("remote_station_id"))
    compression = checked(check_compression, text("compression"))
    given_arrival, arrived = text("received_at"), None
    if given_arrival:
        try:
            arrived = check_received_at(given_arrival, now)
        except Invalid as invalid:
            errors.update(invalid.errors)
    speed = whole("speed", 0, 10_000_000)
    duration = whole("duration", 0, 86_400)
    pages = whole("pages", 1, 100_000)
    ecm = _flag(text("ecm"), errors)
    if errors:
        raise Invalid.naming(errors)
    facts = CallFacts(
        call_id=str(call_id),
        to=str(to),
        sender=str(sender),
        received_at=arrived,
        remote_station_id=station,
        speed=speed,
        duration=duration,
        ecm=ecm,
        compression=compression,
    )
    return upload, facts, pages


def _flag(value: str | None, errors: dict[str, list[str]]) -> bool | None:
    if value is None or value == "":
        return None
    if value.lower() in _TRUE:
        return True
    if value.lower() in _FALSE:
        return False
    errors["ecm"] = ["must be true or false"]
    return None


def _reason(refused: DomainError) -> str:
    if isinstance(refused, TooLarge):
        return "too_large"
    if isinstance(refused, NotFound):
        return "not_live"
    if isinstance(refused, Conflict):
        return "call_conflict"
    if isinstance(refused, Unauthorized):
        return "unauthorized"
    if isinstance(refused, Invalid):
        return "unreadable" if "file" in refused.errors else "bad_facts"
    return type(refused).__name__.lower()
