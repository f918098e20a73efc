"""Accounts over the v2 API: register, log in, sub-accounts, and key rotation.

Passwords travel only in the body (never the query string), so these are POST only.
Hashing and checking them is slow by design and runs off the event loop.
"""

import asyncio
from functools import partial

from fastapi import APIRouter, Request, Response

from faxnum.api.auth import CurrentCaller, count_anonymous_request
from faxnum.api.body import body_fields
from faxnum.api.openapi import AUTHENTICATED, PASSWORD_BODY, SUBUSER_BODY
from faxnum.api.responses import documented, success
from faxnum.api.schemas import ApiKeyResponse
from faxnum.api.state import state_of
from faxnum.services.accounts import (
    create_subaccount,
    log_in,
    prepare_registration,
    register,
    rotate_key,
)

router = APIRouter(tags=["accounts"])


def _key_response(api_key: str) -> Response:
    return success(ApiKeyResponse(api_key=api_key))


@router.post(
    "/user",
    response_model=None,
    responses=documented(ApiKeyResponse, 403, 409, 422),
    openapi_extra=PASSWORD_BODY,
    summary="Register an account",
)
async def register_user(request: Request) -> Response:
    await count_anonymous_request(request)
    fields = await body_fields(request)
    registration = await asyncio.to_thread(
        prepare_registration, fields.get("email"), fields.get("password"), password_required=True
    )
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


@router.post(
    "/user/login",
    response_model=None,
    responses=documented(ApiKeyResponse, 401, 403, 422),
    openapi_extra=PASSWORD_BODY,
    summary="Log in: the account's API key",
)
async def login(request: Request) -> Response:
    await count_anonymous_request(request)
    fields = await body_fields(request)
    state = state_of(request)
    api_key = await state.database.read_off_loop(
        partial(
            log_in, cipher=state.cipher, email=fields.get("email"), password=fields.get("password")
        )
    )
    return _key_response(api_key)


@router.post(
    "/subuser",
    response_model=None,
    responses=documented(ApiKeyResponse, 401, 403, 409, 422),
    openapi_extra=AUTHENTICATED | SUBUSER_BODY,
    summary="Create a sub-account",
)
async def create_subuser(request: Request, caller: CurrentCaller) -> Response:
    fields = await body_fields(request)
    registration = await asyncio.to_thread(
        prepare_registration, fields.get("email"), fields.get("password"), password_required=False
    )
    state = state_of(request)
    created = await state.database.write(
        partial(
            create_subaccount,
            cipher=state.cipher,
            caller=caller,
            registration=registration,
            now=state.clock(),
        )
    )
    return _key_response(created.api_key)


@router.post(
    "/keys/rotate",
    response_model=None,
    responses=documented(ApiKeyResponse, 401, 403),
    openapi_extra=AUTHENTICATED,
    summary="Replace the caller's API key (the old one stops working)",
)
async def rotate(request: Request, caller: CurrentCaller) -> Response:
    state = state_of(request)
    new_key = await state.database.write(
        partial(rotate_key, cipher=state.cipher, account_id=caller.account_id, now=state.clock())
    )
    return _key_response(new_key)
