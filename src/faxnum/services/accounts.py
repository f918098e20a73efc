"""Accounts and their API keys: creation, authentication, showing the owner its key."""

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from functools import cache
from typing import Concatenate, ParamSpec, TypeVar

from faxnum.domain.accounts import (
    MAX_EMAIL_LENGTH,
    MAX_PASSWORD_LENGTH,
    AccountSummary,
    Caller,
    check_password,
)
from faxnum.domain.api_keys import digests_match, is_well_formed, key_digest, new_api_key
from faxnum.domain.errors import Invalid, NotFound, Unauthorized
from faxnum.security.key_cipher import KeyCipher
from faxnum.security.passwords import hash_password, verify_password
from faxnum.services.billing import credit
from faxnum.services.unit_of_work import UnitOfWork, UnitOfWorkFactory

T = TypeVar("T")
U = TypeVar("U", bound=UnitOfWork)
P = ParamSpec("P")

WRONG_CREDENTIALS = "Wrong email or password."


@cache
def _decoy_hash() -> str:
    """Verified against when the email is unknown, so both answers take as long.
    Made on first use: hashing costs 64 MiB and a tenth of a second, which every
    command and worker start would otherwise pay."""
    return hash_password("decoy password that no account has")


def prepare_login_decoy() -> None:
    """Make the decoy hash now (a server at start), not in some caller's login."""
    _decoy_hash()


_EMAIL = re.compile(
    r"[a-z0-9.!#$%&'*+/=?^_`{|}~-]{1,64}@(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}"
)


@dataclass(frozen=True)
class NewAccount:
    account_id: int
    api_key: str


@dataclass(frozen=True)
class Registration:
    """Checked sign-up details; the slow password hash is computed before any write."""

    email: str
    password_hash: str | None


def prepare_registration(
    email: str | None, password: str | None, password_required: bool
) -> Registration:
    """Validate every field (all problems reported at once), then hash the password."""
    errors: dict[str, list[str]] = {}
    normalised = ""
    try:
        if not email:
            raise Invalid.field("email", "is required")
        normalised = normalise_email(email)
    except Invalid as problem:
        errors |= problem.errors
    try:
        if not password and password_required:
            raise Invalid.field("password", "is required")
        if password:
            check_password(password)
    except Invalid as problem:
        errors |= problem.errors
    if errors:
        raise Invalid(errors, "Invalid parameters: " + ", ".join(errors) + ".")
    return Registration(normalised, hash_password(password) if password else None)


def normalise_email(email: str) -> str:
    cleaned = email.strip().lower()
    if len(cleaned) > MAX_EMAIL_LENGTH or not _EMAIL.fullmatch(cleaned):
        raise Invalid.field("email", "must be a valid email address")
    return cleaned


def plausible_key(api_key: str | None) -> str:
    """The key, if it could be one at all: a missing or malformed key is refused before
    any query."""
    if not api_key:
        raise Unauthorized("Missing API key.")
    if not is_well_formed(api_key):
        raise Unauthorized("Invalid API key.")
    return api_key


def authenticate(uow: UnitOfWork, api_key: str | None) -> Caller:
    presented = key_digest(plausible_key(api_key))
    holder = uow.accounts.holder_of_key(presented)
    if holder is None or not digests_match(holder.digest, presented):
        raise Unauthorized("Invalid API key.")
    if holder.disabled:
        raise Unauthorized("This account is disabled.")
    return holder.caller


def as_holder_of(
    api_key: str,
    use_case: Callable[Concatenate[U, Caller, P], T],
    *args: P.args,
    **kwargs: P.kwargs,
) -> Callable[[U], T]:
    """`use_case(uow, caller, *args, **kwargs)` run as the key's holder, authenticated
    in the use case's own transaction: one transaction instead of a read and a write,
    and a key revoked (or an account disabled) a moment before is refused in that same
    moment."""

    def run(uow: U) -> T:
        return use_case(uow, authenticate(uow, api_key), *args, **kwargs)

    return run


def once_authenticated(api_key: str, query: Callable[[UnitOfWork], T]) -> Callable[[UnitOfWork], T]:
    """`query(uow)`, which reads what every account sees alike, after the key was
    authenticated in the same transaction: one read instead of two."""

    def run(uow: UnitOfWork) -> T:
        authenticate(uow, api_key)
        return query(uow)

    return run


def create_account(
    uow: UnitOfWork,
    cipher: KeyCipher,
    email: str,
    now: datetime,
    password_hash: str | None = None,
    opening_credit: Decimal = Decimal(0),
    parent_id: int | None = None,
) -> NewAccount:
    """A new account with a default trunk, one API key and an optional opening credit."""
    account_id = uow.accounts.create(normalise_email(email), password_hash, parent_id, now)
    uow.accounts.add_default_trunk(account_id)
    api_key = new_api_key()
    uow.accounts.add_key(account_id, key_digest(api_key), cipher.encrypt(api_key), now)
    if opening_credit > 0:
        credit(uow, account_id, opening_credit, "Opening credit", now)
    uow.commit()
    return NewAccount(account_id, api_key)


def register(
    uow: UnitOfWork,
    cipher: KeyCipher,
    registration: Registration,
    now: datetime,
    welcome_credit: Decimal,
) -> NewAccount:
    email, password_hash = registration.email, registration.password_hash
    return create_account(uow, cipher, email, now, password_hash, opening_credit=welcome_credit)


def log_in(
    unit_of_work: UnitOfWorkFactory, cipher: KeyCipher, email: str | None, password: str | None
) -> str:
    """The key of the account this email and password open: the main account with the
    email, else a sub-account with it (sub-accounts of different parents may share one).
    An unknown email, a wrong password and a disabled account get one answer; a decoy
    hash is checked when no account has a password. The slow checks run after the
    read's transaction ended."""
    if not email:
        raise Invalid.field("email", "is required")
    try:
        normalised = normalise_email(email)
    except Invalid:
        normalised = None
    candidates, keys = [], {}
    if normalised is not None:
        with unit_of_work() as uow:
            candidates = [c for c in uow.accounts.login_candidates(normalised) if c.password_hash]
            keys = {c.account_id: uow.accounts.encrypted_key(c.account_id) for c in candidates}
    given = (password or "")[:MAX_PASSWORD_LENGTH]
    if not candidates:
        verify_password(_decoy_hash(), given)
        raise Unauthorized(WRONG_CREDENTIALS)
    for candidate in candidates:
        assert candidate.password_hash is not None
        if verify_password(candidate.password_hash, given):
            encrypted = keys[candidate.account_id]
            if candidate.disabled or encrypted is None:
                raise Unauthorized(WRONG_CREDENTIALS)
            return cipher.decrypt(encrypted)
    raise Unauthorized(WRONG_CREDENTIALS)


def rotate_key(
    uow: UnitOfWork,
    cipher: KeyCipher,
    account_id: int,
    now: datetime,
    replacing: int | None = None,
) -> str:
    """A new key for the account; every older one stops working with this commit.

    `replacing`: the id of the key the request came with. Of concurrent rotations with
    one key, only the first wins; the others are refused instead of answering a key
    that the next one revokes at once."""
    if replacing is not None and not uow.accounts.revoke_key(replacing, now):
        raise Unauthorized("This API key was replaced meanwhile.")
    uow.accounts.revoke_keys(account_id, now)
    api_key = new_api_key()
    uow.accounts.add_key(account_id, key_digest(api_key), cipher.encrypt(api_key), now)
    uow.commit()
    return api_key


def rotate_own_key(uow: UnitOfWork, caller: Caller, cipher: KeyCipher, now: datetime) -> str:
    """The caller's account gets a new key in place of the one it came with."""
    return rotate_key(uow, cipher, caller.account_id, now, replacing=caller.key_id)


def account_id_for(uow: UnitOfWork, email: str) -> int:
    account_id = uow.accounts.id_by_email(normalise_email(email))
    if account_id is None:
        raise NotFound(f"No account with email {email}.")
    return account_id


def set_disabled(uow: UnitOfWork, email: str, disabled: bool) -> None:
    uow.accounts.set_disabled(account_id_for(uow, email), disabled)
    uow.commit()


def list_accounts(uow: UnitOfWork) -> list[AccountSummary]:
    return uow.accounts.summaries()


def current_key(uow: UnitOfWork, cipher: KeyCipher, email: str) -> NewAccount | None:
    """The account's live API key, decrypted for its owner; None if no such account."""
    account_id = uow.accounts.id_by_email(normalise_email(email))
    if account_id is None:
        return None
    encrypted = uow.accounts.encrypted_key(account_id)
    return None if encrypted is None else NewAccount(account_id, cipher.decrypt(encrypted))
