"""Accounts over the v2 API: register, log in, sub-accounts, and key rotation.

Passwords travel only in the body (never the query string), so these are POST only.
Hashing and checking them is slow by design and runs off the event loop.
"""

from functools import partial
from typing import Annotated

from fastapi import APIRouter, Path, Request, Response

from faxnum.api.body import body_parameters
from faxnum.api.edge.auth import Holder, KeyHolder, count_account_change, count_anonymous_request
from faxnum.api.openapi import AUTHENTICATED, PASSWORD_BODY, SUBUSER_BODY
from faxnum.api.params import MAX_ID, Paging
from faxnum.api.responses import documented, page_meta, success
from faxnum.api.schemas import (
    ApiKeyData,
    ApiKeyResponse,
    SubuserData,
    SubuserKeyResponse,
    SubuserResponse,
    SubusersResponse,
)
from faxnum.api.state import state_of
from faxnum.security.passwords import with_password_work
from faxnum.services.accounts import (
    Registration,
    log_in,
    prepare_registration,
    register,
    rotate_own_key,
)
from faxnum.services.subaccounts import (
    create_subaccount,
    list_subaccounts,
    rotate_subaccount_key,
    set_subaccount_disabled,
)

router = APIRouter(tags=["accounts"])


def _key_response(api_key: str) -> Response:
    return success(ApiKeyResponse(api_key=api_key))


@router.post(
    "/user",
    response_model=None,
    responses=documented(
        ApiKeyResponse, 403, 409, 422, reasons={409: "An account with this email already exists"}
    ),
    openapi_extra=PASSWORD_BODY,
    summary="Register an account",
)
async def register_user(request: Request) -> Response:
    await count_anonymous_request(request)
    registration = await _registration(request, password_required=True)
    state = state_of(request)
    created = await state.database.write(
        partial(
            register,
            cipher=state.cipher,
            registration=registration,
            now=state.clock(),
            welcome_credit=state.settings.welcome_credit,
        )
    )
    return _key_response(created.api_key)


async def _registration(request: Request, password_required: bool) -> Registration:
    """The body's email and password, checked, with the slow password hash computed
    off the event loop before anything is written."""
    fields = await body_parameters(request, "email", "password")
    return await with_password_work(
        partial(
            prepare_registration, fields.get("email"), fields.get("password"), password_required
        )
    )


@router.post(
    "/user/login",
    response_model=None,
    responses=documented(
        ApiKeyResponse, 401, 403, 422, reasons={401: "Wrong email or password (one answer)"}
    ),
    openapi_extra=PASSWORD_BODY,
    summary="Log in: the account's API key",
)
async def login(request: Request) -> Response:
    await count_anonymous_request(request)
    fields = await body_parameters(request, "email", "password")
    state = state_of(request)
    api_key = await with_password_work(
        partial(
            log_in, state.database.reader, state.cipher, fields.get("email"), fields.get("password")
        )
    )
    return _key_response(api_key)


@router.post(
    "/subuser",
    response_model=None,
    responses=documented(
        ApiKeyResponse,
        401,
        403,
        409,
        422,
        reasons={
            409: "The email is taken, the caller is a sub-account, or it has the most "
            "sub-accounts it may have"
        },
    ),
    openapi_extra=AUTHENTICATED | SUBUSER_BODY,
    summary="Create a sub-account",
)
async def create_subuser(request: Request, holder: Holder) -> Response:
    await count_account_change(request, holder.payer_id)
    await count_anonymous_request(request)
    registration = await _registration(request, password_required=False)
    state = state_of(request)
    created = await holder.write(
        create_subaccount,
        cipher=state.cipher,
        registration=registration,
        now=state.clock(),
        most=state.settings.max_subaccounts,
    )
    return _key_response(created.api_key)


@router.post(
    "/keys/rotate",
    response_model=None,
    responses=documented(ApiKeyResponse, 401, 403),
    openapi_extra=AUTHENTICATED,
    summary="Replace the caller's API key (the old one stops working)",
)
async def rotate(request: Request, holder: Holder) -> Response:
    await count_account_change(request, holder.payer_id)
    state = state_of(request)
    new_key = await holder.write(rotate_own_key, cipher=state.cipher, now=state.clock())
    return _key_response(new_key)


SubuserId = Annotated[int, Path(ge=1, le=MAX_ID, description="From List sub-accounts.")]


@router.get(
    "/subusers",
    response_model=None,
    responses=documented(SubusersResponse, 401, 403, 422),
    openapi_extra=AUTHENTICATED,
    summary="List the caller's sub-accounts, oldest first",
)
async def subusers(request: Request, holder: Holder, paging: Paging) -> Response:
    state = state_of(request)
    found = await holder.read(list_subaccounts, wanted=paging)
    return success(
        SubusersResponse(
            data=[SubuserData.of(account) for account in found.items],
            meta=page_meta(request, found, state.settings.public_url),
        )
    )


async def _set_disabled(holder: KeyHolder, subuser_id: int, disabled: bool) -> Response:
    changed = await holder.write(
        set_subaccount_disabled, subaccount_id=subuser_id, disabled=disabled
    )
    return success(SubuserResponse(data=SubuserData.of(changed)))


@router.post(
    "/subusers/{subuser_id}/disable",
    response_model=None,
    responses=documented(SubuserResponse, 401, 403, 404, 422),
    openapi_extra=AUTHENTICATED,
    summary="Disable a sub-account: its key and login get 401 at once",
)
async def disable_subuser(request: Request, holder: Holder, subuser_id: SubuserId) -> Response:
    return await _set_disabled(holder, subuser_id, True)


@router.post(
    "/subusers/{subuser_id}/enable",
    response_model=None,
    responses=documented(SubuserResponse, 401, 403, 404, 422),
    openapi_extra=AUTHENTICATED,
    summary="Enable a sub-account again",
)
async def enable_subuser(request: Request, holder: Holder, subuser_id: SubuserId) -> Response:
    return await _set_disabled(holder, subuser_id, False)


@router.post(
    "/subusers/{subuser_id}/keys/rotate",
    response_model=None,
    responses=documented(SubuserKeyResponse, 401, 403, 404, 422),
    openapi_extra=AUTHENTICATED,
    summary="Replace a sub-account's API key (the old one stops working)",
)
async def rotate_subuser_key(request: Request, holder: Holder, subuser_id: SubuserId) -> Response:
    await count_account_change(request, holder.payer_id)
    state = state_of(request)
    new_key = await holder.write(
        rotate_subaccount_key, cipher=state.cipher, subaccount_id=subuser_id, now=state.clock()
    )
    return success(SubuserKeyResponse(data=ApiKeyData(api_key=new_key)))
