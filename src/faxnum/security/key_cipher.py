"""Encrypted copies of API keys, so the owner can be shown its key again.

The operator's secret can be rotated: a cipher made with older secrets too still opens
what they sealed, while everything new is sealed under the current one (as
`cryptography`'s MultiFernet does), until `faxnum secret rotate` re-seals the rest.
"""

import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

_NONCE_BYTES = 12
_CONTEXT = b"faxnum api key encryption v1"


class WrongSecret(Exception):
    """A stored copy was sealed under none of the secrets this cipher knows."""


def _aead(secret: bytes) -> AESGCM:
    derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_CONTEXT).derive(secret)
    return AESGCM(derived)


class KeyCipher:
    """AES-GCM under a key derived (HKDF-SHA256) from the operator's secret."""

    def __init__(self, secret: bytes, *older: bytes) -> None:
        self._current = _aead(secret)
        self._all = [self._current, *(_aead(s) for s in older)]

    def encrypt(self, api_key: str) -> bytes:
        nonce = os.urandom(_NONCE_BYTES)
        return nonce + self._current.encrypt(nonce, api_key.encode("ascii"), _CONTEXT)

    def decrypt(self, blob: bytes) -> str:
        nonce, sealed = blob[:_NONCE_BYTES], blob[_NONCE_BYTES:]
        for aead in self._all:
            try:
                return aead.decrypt(nonce, sealed, _CONTEXT).decode("ascii")
            except InvalidTag:
                continue
        raise WrongSecret("sealed under another secret")

    def reseal(self, blob: bytes) -> bytes | None:
        """The copy sealed under the current secret; None when it already is."""
        nonce, sealed = blob[:_NONCE_BYTES], blob[_NONCE_BYTES:]
        try:
            self._current.decrypt(nonce, sealed, _CONTEXT)
            return None
        except InvalidTag:
            return self.encrypt(self.decrypt(blob))
