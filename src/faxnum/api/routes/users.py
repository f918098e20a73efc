"""Accounts over the v2 API: register, log in, sub-accounts, and key rotation.

Passwords travel only in the body (never the query string), so these are POST only.
Hashing and checking them is slow by design and runs in a worker thread.
"""

from functools import partial

from fastapi import APIRouter, Request, Response
from starlette.concurrency import run_in_threadpool

from faxnum.api.auth import CurrentCaller, count_anonymous_request
from faxnum.api.openapi import AUTHENTICATED, PASSWORD_BODY, SUBUSER_BODY
from faxnum.api.params import body_fields
from faxnum.api.responses import documented, success
from faxnum.api.schemas import ApiKeyResponse
from faxnum.config import Settings
from faxnum.domain.errors import Invalid
from faxnum.key_cipher import KeyCipher
from faxnum.services.accounts import (
    check_login,
    create_subaccount,
    login_record,
    prepare_registration,
    register,
    rotate_key,
)
from faxnum.store.database import Database

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
    registration = await run_in_threadpool(
        prepare_registration, fields.get("email"), fields.get("password"), password_required=True
    )
    settings: Settings = request.app.state.settings
    database: Database = request.app.state.database
    created = await database.write(
        partial(
            register,
            cipher=request.app.state.cipher,
            registration=registration,
            now=request.app.state.clock(),
            welcome_credit=settings.welcome_credit,
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
    if not fields.get("email"):
        raise Invalid.field("email", "is required")
    database: Database = request.app.state.database
    record = await database.read(partial(login_record, email=fields.get("email")))
    cipher: KeyCipher = request.app.state.cipher
    return _key_response(
        await run_in_threadpool(check_login, cipher, record, fields.get("password"))
    )


@router.post(
    "/subuser",
    response_model=None,
    responses=documented(ApiKeyResponse, 401, 403, 409, 422),
    openapi_extra=AUTHENTICATED | SUBUSER_BODY,
    summary="Create a sub-account",
)
async def create_subuser(request: Request, caller: CurrentCaller) -> Response:
    fields = await body_fields(request)
    registration = await run_in_threadpool(
        prepare_registration, fields.get("email"), fields.get("password"), password_required=False
    )
    database: Database = request.app.state.database
    created = await database.write(
        partial(
            create_subaccount,
            cipher=request.app.state.cipher,
            caller=caller,
            registration=registration,
            now=request.app.state.clock(),
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
    database: Database = request.app.state.database
    new_key = await database.write(
        partial(
            rotate_key,
            cipher=request.app.state.cipher,
            account_id=caller.account_id,
            now=request.app.state.clock(),
        )
    )
    return _key_response(new_key)
