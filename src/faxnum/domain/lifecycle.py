"""How long numbers and DIDs linger between states."""

from dataclasses import dataclass


@dataclass(frozen=True)
class LifecyclePolicy:
    grace_days: int = 7  # an expired number is kept this long for the balance to recover
    aging_days: int = 30  # a released DID rests this long before it is offered again
    idempotency_hours: int = 24  # how long a repeated Idempotency-Key replays its answer
    fax_retention_days: int = 90  # received faxes, then deleted
