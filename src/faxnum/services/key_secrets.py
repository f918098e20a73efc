"""The secret the stored API-key copies are sealed under: checked before serving, and
rotated by re-sealing every copy under the current one."""

from collections.abc import Callable
from typing import TypeVar

from faxnum.domain.errors import Unavailable
from faxnum.domain.webhooks import SealedSecrets
from faxnum.security.key_cipher import KeyCipher, WrongSecret
from faxnum.services.unit_of_work import UnitOfWork, UnitOfWorkFactory

RESEAL_BATCH = 1000
S = TypeVar("S")
SEALED_UNDER_ANOTHER_KEY = (
    "The stored API keys were encrypted under another secret than FAXNUM_SECRET_KEY "
    "(or the data directory's secret.key) gives: restore the secret they were made "
    "with, or list it after the new one and run `faxnum secret rotate`."
)


def check_secret(uow: UnitOfWork, cipher: KeyCipher) -> None:
    """Unavailable when the oldest or newest stored copy does not open (a lost or
    replaced secret): every login and key display would fail otherwise."""
    sample = uow.accounts.live_encrypted_keys(0, 1) + uow.accounts.live_encrypted_keys(
        0, 1, newest_first=True
    )
    try:
        for _, encrypted in sample:
            cipher.decrypt(encrypted)
    except WrongSecret as wrong:
        raise Unavailable(SEALED_UNDER_ANOTHER_KEY) from wrong


def reseal_all(unit_of_work: UnitOfWorkFactory, cipher: KeyCipher) -> int:
    """Re-seal every live key copy and every webhook signing secret under the current
    secret, a batch per transaction (safe to interrupt and repeat); how many were
    re-sealed."""
    return _reseal_keys(unit_of_work, cipher) + _reseal_webhook_secrets(unit_of_work, cipher)


def _reseal_webhook_secrets(unit_of_work: UnitOfWorkFactory, cipher: KeyCipher) -> int:
    def reseal(uow: UnitOfWork, webhook_id: int, sealed: SealedSecrets) -> bool:
        current = _reseal(cipher, sealed.current)
        previous = None if sealed.previous is None else _reseal(cipher, sealed.previous)
        if current is None and previous is None:
            return False
        uow.webhooks.replace_sealed(
            webhook_id, current or sealed.current, previous or sealed.previous
        )
        return True

    return _in_batches(
        unit_of_work, lambda uow, after: uow.webhooks.sealed_after(after, RESEAL_BATCH), reseal
    )


def _reseal_keys(unit_of_work: UnitOfWorkFactory, cipher: KeyCipher) -> int:
    def reseal(uow: UnitOfWork, key_id: int, encrypted: bytes) -> bool:
        fresh = _reseal(cipher, encrypted)
        if fresh is None:
            return False
        uow.accounts.replace_encrypted(key_id, fresh)
        return True

    return _in_batches(
        unit_of_work,
        lambda uow, after: uow.accounts.live_encrypted_keys(after, RESEAL_BATCH),
        reseal,
    )


def _in_batches(
    unit_of_work: UnitOfWorkFactory,
    batch_after: Callable[[UnitOfWork, int], list[tuple[int, S]]],
    reseal: Callable[[UnitOfWork, int, S], bool],
) -> int:
    """Every sealed item, a batch per transaction by id; how many were re-sealed."""
    resealed, after = 0, 0
    while True:
        with unit_of_work() as uow:
            batch = batch_after(uow, after)
            if not batch:
                return resealed
            resealed += sum(reseal(uow, item_id, sealed) for item_id, sealed in batch)
            uow.commit()
        after = batch[-1][0]


def _reseal(cipher: KeyCipher, encrypted: bytes) -> bytes | None:
    try:
        return cipher.reseal(encrypted)
    except WrongSecret as wrong:
        raise Unavailable(SEALED_UNDER_ANOTHER_KEY) from wrong
