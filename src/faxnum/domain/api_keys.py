"""API key format: a recognisable prefix so a leaked key is easy to spot."""

import hashlib
import re
import secrets

KEY_PREFIX = "fxn_"
_KEY_SHAPE = re.compile(r"fxn_[0-9a-f]{32}")


def new_api_key() -> str:
    """`fxn_` followed by 128 random bits in hex."""
    return KEY_PREFIX + secrets.token_hex(16)


def is_well_formed(key: str) -> bool:
    return _KEY_SHAPE.fullmatch(key) is not None


def key_digest(key: str) -> bytes:
    """Lookup digest; keys carry 128 random bits, so a fast hash is enough."""
    return hashlib.sha256(key.encode("ascii")).digest()


def digests_match(stored: bytes, presented: bytes) -> bool:
    return secrets.compare_digest(stored, presented)
