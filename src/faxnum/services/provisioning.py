"""Provision: one available DID of a group becomes a number of the caller, charged."""

from datetime import datetime, timedelta

from faxnum.domain.accounts import Caller
from faxnum.domain.errors import Exhausted, NotFound
from faxnum.domain.idempotency import IdempotentRequest, Outcome
from faxnum.domain.numbers import ProvisionedNumber
from faxnum.domain.webhooks import EventType
from faxnum.services.assigning import charge_and_tell, first_expiry
from faxnum.services.events import listening
from faxnum.services.idempotency import claim_or_replay, record
from faxnum.services.unit_of_work import UnitOfWork


def provision(uow: UnitOfWork, caller: Caller, group_id: int, now: datetime) -> ProvisionedNumber:
    """All or nothing: DID assigned, number created, balance debited, ledger written."""
    provisioned = _provision(uow, caller, group_id, now)
    uow.commit()
    return provisioned


def _provision(uow: UnitOfWork, caller: Caller, group_id: int, now: datetime) -> ProvisionedNumber:
    hearing = listening(uow, caller.account_id, EventType.NUMBER_PROVISIONED)
    made = uow.numbers.add_from_group(
        caller.account_id, group_id, caller.trunk_id, now, first_expiry(now)
    )
    if made is None:
        if uow.catalogue.group(group_id) is None:
            raise NotFound(f"DID group {group_id} not found.")
        raise Exhausted(f"DID group {group_id} has no number left to provision.")
    number_id, did, group = made
    return charge_and_tell(uow, caller, number_id, did, group, now, hearing, spend_at_commit=True)


def provision_idempotently(
    uow: UnitOfWork,
    caller: Caller,
    group_id: int,
    now: datetime,
    request: IdempotentRequest,
    retention: timedelta,
) -> tuple[ProvisionedNumber, bool]:
    """Provision once per idempotency key; a repeat answers the first result (True
    as second value) and changes nothing."""
    replayed = claim_or_replay(
        uow, caller, request, Outcome.NUMBER, uow.numbers.provisioned, now, retention
    )
    if replayed is not None:
        return replayed, True
    provisioned = _provision(uow, caller, group_id, now)
    record(uow, caller, request, Outcome.NUMBER, provisioned.id)
    uow.commit()
    return provisioned, False
