"""Encrypted copies of API keys, so the owner can be shown its key again.

The operator's secret can be rotated: a cipher made with older secrets too still opens
what they sealed, while everything new is sealed under the current one (as
`cryptography`'s MultiFernet does), until `faxnum secret rotate` re-seals the rest.
"""

import os
from functools import cached_property
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

_NONCE_BYTES = 12
_CONTEXT = b"faxnum api key encryption v1"


class WrongSecret(Exception):
    """A stored copy was sealed under none of the secrets this cipher knows."""


def _aead(secret: bytes) -> "AESGCM":
    # Loaded at the first seal or open, not with the module: a serving process that
    # only provisions and lists never needs the library (8 MB of its memory).
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM
    from cryptography.hazmat.primitives.kdf.hkdf import HKDF

    derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_CONTEXT).derive(secret)
    return AESGCM(derived)


class KeyCipher:
    """AES-GCM under a key derived (HKDF-SHA256) from the operator's secret."""

    def __init__(self, secret: bytes, *older: bytes) -> None:
        self._secrets = (secret, *older)

    @cached_property
    def _all(self) -> list["AESGCM"]:
        """The current secret's cipher first, then the older ones'."""
        return [_aead(secret) for secret in self._secrets]

    def encrypt(self, api_key: str) -> bytes:
        nonce = os.urandom(_NONCE_BYTES)
        return nonce + self._all[0].encrypt(nonce, api_key.encode("ascii"), _CONTEXT)

    def decrypt(self, blob: bytes) -> str:
        from cryptography.exceptions import InvalidTag

        nonce, sealed = blob[:_NONCE_BYTES], blob[_NONCE_BYTES:]
        for aead in self._all:
            try:
                return aead.decrypt(nonce, sealed, _CONTEXT).decode("ascii")
            except InvalidTag:
                continue
        raise WrongSecret("sealed under another secret")

    def reseal(self, blob: bytes) -> bytes | None:
        """The copy sealed under the current secret; None when it already is."""
        from cryptography.exceptions import InvalidTag

        nonce, sealed = blob[:_NONCE_BYTES], blob[_NONCE_BYTES:]
        try:
            self._all[0].decrypt(nonce, sealed, _CONTEXT)
            return None
        except InvalidTag:
            return self.encrypt(self.decrypt(blob))
