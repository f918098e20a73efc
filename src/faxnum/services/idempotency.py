"""Idempotent requests: the key is claimed in the use case's own transaction, so a
failed attempt leaves it free for a retry, and a repeat answers the first result and
changes nothing."""

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import TypeVar

from faxnum.domain.accounts import Caller
from faxnum.domain.errors import Conflict, Invalid, NotFound
from faxnum.domain.idempotency import IdempotentRequest, Outcome
from faxnum.services.unit_of_work import UnitOfWork

T = TypeVar("T")


def claim_or_replay(
    uow: UnitOfWork,
    caller: Caller,
    request: IdempotentRequest | None,
    outcome: Outcome,
    fetch: Callable[[int], T | None],
    now: datetime,
    retention: timedelta,
) -> T | None:
    """None when the request goes ahead (no key, or this transaction now owns it and
    `record` names its result); else the first result, as `fetch` finds it by id."""
    if request is None or uow.idempotency.claim(
        caller.account_id, request.key, request.fingerprint, now, now - retention
    ):
        return None
    fingerprint, result_id = uow.idempotency.recorded(caller.account_id, request.key, outcome) or (
        "",
        None,
    )
    if fingerprint != request.fingerprint:  # other parameters, or another endpoint
        raise Invalid.field("Idempotency-Key", "was already used with different parameters")
    if result_id is None:  # claimed by a transaction not yet settled
        raise Conflict("A request with this Idempotency-Key is still in progress; retry.")
    first = fetch(result_id)
    if first is None:
        raise NotFound(f"The {outcome.value} of this Idempotency-Key no longer exists.")
    return first


def record(
    uow: UnitOfWork,
    caller: Caller,
    request: IdempotentRequest | None,
    outcome: Outcome,
    result_id: int,
) -> None:
    """The key (if any) now answers with this result, from the same transaction's
    commit on."""
    if request is not None:
        uow.idempotency.complete(caller.account_id, request.key, outcome, result_id)
