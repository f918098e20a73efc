"""The secret the stored API-key copies are sealed under: checked before serving, and
rotated by re-sealing every copy under the current one."""

from faxnum.domain.errors import Unavailable
from faxnum.security.key_cipher import KeyCipher, WrongSecret
from faxnum.services.unit_of_work import UnitOfWork, UnitOfWorkFactory

RESEAL_BATCH = 1000
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
    resealed, after = 0, 0
    while True:
        with unit_of_work() as uow:
            batch = uow.webhooks.sealed_after(after, RESEAL_BATCH)
            if not batch:
                return resealed
            for webhook_id, sealed in batch:
                current = _reseal(cipher, sealed.current)
                previous = None if sealed.previous is None else _reseal(cipher, sealed.previous)
                if current is not None or previous is not None:
                    uow.webhooks.replace_sealed(
                        webhook_id, current or sealed.current, previous or sealed.previous
                    )
                    resealed += 1
            uow.commit()
        after = batch[-1][0]


def _reseal_keys(unit_of_work: UnitOfWorkFactory, cipher: KeyCipher) -> int:
    resealed, after = 0, 0
    while True:
        with unit_of_work() as uow:
            batch = uow.accounts.live_encrypted_keys(after, RESEAL_BATCH)
            if not batch:
                return resealed
            for key_id, encrypted in batch:
                fresh = _reseal(cipher, encrypted)
                if fresh is not None:
                    uow.accounts.replace_encrypted(key_id, fresh)
                    resealed += 1
            uow.commit()
        after = batch[-1][0]


def _reseal(cipher: KeyCipher, encrypted: bytes) -> bytes | None:
    try:
        return cipher.reseal(encrypted)
    except WrongSecret as wrong:
        raise Unavailable(SEALED_UNDER_ANOTHER_KEY) from wrong
