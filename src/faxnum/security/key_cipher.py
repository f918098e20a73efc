"""Encrypted copies of API keys, so the owner can be shown its key again."""

import os

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

_NONCE_BYTES = 12
_CONTEXT = b"faxnum api key encryption v1"


class KeyCipher:
    """AES-GCM under a key derived (HKDF-SHA256) from the operator's secret."""

    def __init__(self, secret: bytes) -> None:
        derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_CONTEXT).derive(
            secret
        )
        self._aead = AESGCM(derived)

    def encrypt(self, api_key: str) -> bytes:
        nonce = os.urandom(_NONCE_BYTES)
        return nonce + self._aead.encrypt(nonce, api_key.encode("ascii"), _CONTEXT)

    def decrypt(self, blob: bytes) -> str:
        nonce, sealed = blob[:_NONCE_BYTES], blob[_NONCE_BYTES:]
        return self._aead.decrypt(nonce, sealed, _CONTEXT).decode("ascii")
