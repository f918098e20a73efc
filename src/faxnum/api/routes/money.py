"""The caller's balance and ledger."""

from decimal import ROUND_HALF_UP, Decimal

from fastapi import APIRouter, Request, Response

from faxnum.api.edge.auth import Holder
from faxnum.api.openapi import AUTHENTICATED
from faxnum.api.params import Paging
from faxnum.api.responses import V2JSONResponse, documented, page_meta, success
from faxnum.api.routes import get_and_post
from faxnum.api.schemas import BalanceResponse, LedgerEntryData, LedgerResponse
from faxnum.api.state import state_of
from faxnum.services.billing import balance, ledger_page

router = APIRouter(tags=["money"])
_CENTS = Decimal("0.01")


@get_and_post(
    router,
    "/balance",
    response_model=None,
    responses=documented(BalanceResponse, 401, 403),
    openapi_extra=AUTHENTICATED,
    summary="The balance the caller can spend",
)
async def get_balance(request: Request, holder: Holder) -> Response:
    amount = (await holder.read(balance)).quantize(_CENTS, ROUND_HALF_UP)
    # A JSON number written with exactly two decimals (100.10, not 100.1): no float on the way.
    body = f'{{"status":"success","balance":{amount:.2f}}}'
    return Response(body, media_type=V2JSONResponse.media_type)


@get_and_post(
    router,
    "/ledger",
    response_model=None,
    responses=documented(LedgerResponse, 401, 403, 422),
    openapi_extra=AUTHENTICATED,
    summary="The caller's money movements, newest first",
)
async def get_ledger(
    request: Request,
    holder: Holder,
    paging: Paging,
) -> Response:
    state = state_of(request)
    found = await holder.read(ledger_page, wanted=paging)
    return success(
        LedgerResponse(
            entries=[LedgerEntryData.of(entry) for entry in found.items],
            meta=page_meta(request, found, state.settings.public_url),
        )
    )
