"""Idempotency keys: a client's name for one attempt, so retries cannot do it twice."""

import hashlib
import re
from dataclasses import dataclass
from enum import StrEnum

from faxnum.domain.errors import Invalid

KEY_PATTERN = r"[\x21-\x7e]{1,255}"  # 1 to 255 printable ASCII characters, no space
_KEY = re.compile(KEY_PATTERN)


@dataclass(frozen=True)
class IdempotentRequest:
    key: str
    fingerprint: str  # the request's parameters; the same key with others is refused

    @classmethod
    def for_provisioning(cls, key: str, group_id: int) -> "IdempotentRequest":
        return cls.of(key, f"provision:{group_id}")

    @classmethod
    def of(cls, key: str, what: str) -> "IdempotentRequest":
        """`what`: the request's parameters in a canonical text form."""
        if not _KEY.fullmatch(key):
            raise Invalid.field("Idempotency-Key", "must be 1 to 255 printable ASCII characters")
        return cls(key, hashlib.sha256(what.encode()).hexdigest())


class Outcome(StrEnum):
    """What an idempotent request made, recorded under its key for the replay."""

    NUMBER = "number"
    ORDER = "order"
    RESERVATION = "reservation"
