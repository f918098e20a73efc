"""Orders: several numbers provisioned as one all-or-nothing unit."""

from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Path, Request, Response

from faxnum.api.body import body_schema, idempotency_key, model_body
from faxnum.api.edge.auth import Holder
from faxnum.api.edge.metrics import PROVISIONS
from faxnum.api.extension_schemas import OrderData, OrderRequest, OrderResponse, OrdersResponse
from faxnum.api.openapi import AUTHENTICATED, IDEMPOTENT, merged
from faxnum.api.params import ID_SCHEMA, Paging, parse_id
from faxnum.api.responses import documented, page_meta, success
from faxnum.api.state import state_of
from faxnum.domain.idempotency import IdempotentRequest
from faxnum.services.orders import order, orders_page, place_order

router = APIRouter(tags=["ordering"])
OrderIdPath = Annotated[str, Path(json_schema_extra=ID_SCHEMA)]


@router.post(
    "/orders",
    response_model=None,
    responses=documented(
        OrderResponse,
        401,
        402,
        403,
        404,
        409,
        422,
        reasons={
            402: "The balance cannot cover the whole order; nothing was provisioned",
            409: "A number is unavailable (named in `errors.numbers`), the group has too "
            "few, the reservation ended, or the first request with this Idempotency-Key "
            "is still in progress; nothing was provisioned",
        },
    ),
    openapi_extra=merged(AUTHENTICATED, IDEMPOTENT, body_schema(OrderRequest)),
    summary="Provision several numbers at once, all or nothing",
)
async def create_order(request: Request, holder: Holder) -> Response:
    body = await model_body(request, OrderRequest)
    state = state_of(request)
    key = idempotency_key(
        request, request.query_params.get("idempotency_key") or body.idempotency_key
    )
    placed, replayed = await holder.write(
        place_order,
        wanted=body.wanted(),
        now=state.clock(),
        request=None if key is None else IdempotentRequest.of(key, body.fingerprint()),
        retention=timedelta(hours=state.settings.idempotency_hours),
    )
    response = success(OrderResponse(data=OrderData.of(placed)))
    if replayed:
        response.headers["Idempotent-Replayed"] = "true"
    else:
        PROVISIONS.inc(len(placed.numbers))
    return response


@router.get(
    "/orders",
    response_model=None,
    responses=documented(OrdersResponse, 401, 403, 422),
    openapi_extra=AUTHENTICATED,
    summary="The caller's orders (and its sub-accounts'), newest first",
)
async def list_orders(request: Request, holder: Holder, paging: Paging) -> Response:
    state = state_of(request)
    found = await holder.read(orders_page, wanted=paging)
    return success(
        OrdersResponse(
            data=[OrderData.of(item) for item in found.items],
            meta=page_meta(request, found, state.settings.public_url),
        )
    )


@router.get(
    "/orders/{order_id}",
    response_model=None,
    responses=documented(OrderResponse, 401, 403, 404, 422),
    openapi_extra=AUTHENTICATED,
    summary="One order",
)
async def get_order(request: Request, order_id: OrderIdPath, holder: Holder) -> Response:
    found = await holder.read(order, order_id=parse_id("order_id", order_id))
    return success(OrderResponse(data=OrderData.of(found)))
