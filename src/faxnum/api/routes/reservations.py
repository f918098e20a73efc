"""Reservations: hold numbers while a customer decides."""

from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Path, Request, Response

from faxnum.api.body import body_schema, idempotency_key, model_body
from faxnum.api.edge.auth import Holder
from faxnum.api.extension_schemas import (
    ReservationData,
    ReservationRequest,
    ReservationResponse,
    ReservationsResponse,
)
from faxnum.api.openapi import AUTHENTICATED, IDEMPOTENT, merged
from faxnum.api.params import ID_SCHEMA, Paging, parse_id
from faxnum.api.responses import documented, page_meta, success
from faxnum.api.state import state_of
from faxnum.domain.idempotency import IdempotentRequest
from faxnum.services.reservations import cancel, reservation, reservations_page, reserve

router = APIRouter(tags=["choosing numbers"])
ReservationIdPath = Annotated[str, Path(json_schema_extra=ID_SCHEMA)]


@router.post(
    "/reservations",
    response_model=None,
    responses=documented(
        ReservationResponse,
        401,
        402,
        403,
        404,
        409,
        422,
        reasons={
            402: "The balance cannot cover the setup and first month of these numbers "
            "with those the account and its sub-accounts already hold; nothing was held",
            409: "A number cannot be held (named in `errors.numbers`), the group has too "
            "few available, the account and its sub-accounts would hold more than their "
            "limit, or the first request with this Idempotency-Key is still in progress",
        },
    ),
    openapi_extra=merged(AUTHENTICATED, IDEMPOTENT, body_schema(ReservationRequest)),
    summary="Hold numbers for a while, all or nothing",
)
async def create_reservation(request: Request, holder: Holder) -> Response:
    body = await model_body(request, ReservationRequest)
    state = state_of(request)
    now = state.clock()
    key = idempotency_key(
        request, request.query_params.get("idempotency_key") or body.idempotency_key
    )
    held, replayed = await holder.write(
        reserve,
        wanted=body.wanted(),
        ttl_seconds=body.ttl_seconds,
        max_reserved=state.settings.max_reserved,
        now=now,
        request=None if key is None else IdempotentRequest.of(key, body.fingerprint()),
        retention=timedelta(hours=state.settings.idempotency_hours),
    )
    response = success(ReservationResponse(data=ReservationData.of(held, now)))
    if replayed:
        response.headers["Idempotent-Replayed"] = "true"
    return response


@router.get(
    "/reservations",
    response_model=None,
    responses=documented(ReservationsResponse, 401, 403, 422),
    openapi_extra=AUTHENTICATED,
    summary="The caller's reservations, newest first",
)
async def list_reservations(request: Request, holder: Holder, paging: Paging) -> Response:
    state = state_of(request)
    found = await holder.read(reservations_page, wanted=paging)
    now = state.clock()
    return success(
        ReservationsResponse(
            data=[ReservationData.of(item, now) for item in found.items],
            meta=page_meta(request, found, state.settings.public_url),
        )
    )


@router.get(
    "/reservations/{reservation_id}",
    response_model=None,
    responses=documented(ReservationResponse, 401, 403, 404, 422),
    openapi_extra=AUTHENTICATED,
    summary="One of the caller's reservations",
)
async def get_reservation(
    request: Request, reservation_id: ReservationIdPath, holder: Holder
) -> Response:
    state = state_of(request)
    found = await holder.read(
        reservation, reservation_id=parse_id("reservation_id", reservation_id)
    )
    return success(ReservationResponse(data=ReservationData.of(found, state.clock())))


@router.delete(
    "/reservations/{reservation_id}",
    response_model=None,
    responses=documented(
        ReservationResponse,
        401,
        403,
        404,
        409,
        422,
        reasons={409: "The reservation already ended (ordered, cancelled or expired)"},
    ),
    openapi_extra=AUTHENTICATED,
    summary="Cancel a reservation: its numbers are available again at once",
)
async def cancel_reservation(
    request: Request, reservation_id: ReservationIdPath, holder: Holder
) -> Response:
    state = state_of(request)
    now = state.clock()
    cancelled = await holder.write(
        cancel,
        reservation_id=parse_id("reservation_id", reservation_id),
        now=now,
    )
    return success(ReservationResponse(data=ReservationData.of(cancelled, now)))
