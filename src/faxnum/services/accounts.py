"""Accounts and their API keys: creation, authentication, showing the owner its key."""

import re
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from faxnum.domain.accounts import Caller
from faxnum.domain.api_keys import digests_match, is_well_formed, key_digest, new_api_key
from faxnum.domain.errors import Conflict, Invalid, Unauthorized
from faxnum.key_cipher import KeyCipher
from faxnum.passwords import hash_password
from faxnum.services.billing import credit
from faxnum.store.uow import UnitOfWork

_EMAIL = re.compile(r"[^@\s]{1,64}@[^@\s]+\.[^@\s]+")


@dataclass(frozen=True)
class NewAccount:
    account_id: int
    api_key: str


def normalise_email(email: str) -> str:
    cleaned = email.strip().lower()
    if len(cleaned) > 254 or not _EMAIL.fullmatch(cleaned):
        raise Invalid.field("email", "must be a valid email address")
    return cleaned


def authenticate(uow: UnitOfWork, api_key: str | None) -> Caller:
    if not api_key:
        raise Unauthorized("Missing API key.")
    if not is_well_formed(api_key):
        raise Unauthorized("Invalid API key.")
    presented = key_digest(api_key)
    holder = uow.accounts.holder_of_key(presented)
    if holder is None or not digests_match(holder.digest, presented):
        raise Unauthorized("Invalid API key.")
    if holder.disabled:
        raise Unauthorized("This account is disabled.")
    return holder.caller


def create_account(
    uow: UnitOfWork,
    cipher: KeyCipher,
    email: str,
    now: datetime,
    password: str | None = None,
    opening_credit: Decimal = Decimal(0),
    parent_id: int | None = None,
) -> NewAccount:
    """A new account with a default trunk, one API key and an optional opening credit."""
    email = normalise_email(email)
    if uow.accounts.id_by_email(email) is not None:
        raise Conflict("An account with this email already exists.")
    password_hash = hash_password(password) if password else None
    account_id = uow.accounts.create(email, password_hash, parent_id, now)
    uow.accounts.add_default_trunk(account_id)
    api_key = new_api_key()
    uow.accounts.add_key(account_id, key_digest(api_key), cipher.encrypt(api_key), now)
    if opening_credit > 0:
        credit(uow, account_id, opening_credit, "Opening credit", now)
    uow.commit()
    return NewAccount(account_id, api_key)


def current_key(uow: UnitOfWork, cipher: KeyCipher, email: str) -> NewAccount | None:
    """The account's live API key, decrypted for its owner; None if no such account."""
    account_id = uow.accounts.id_by_email(normalise_email(email))
    if account_id is None:
        return None
    encrypted = uow.accounts.encrypted_key(account_id)
    return None if encrypted is None else NewAccount(account_id, cipher.decrypt(encrypted))
