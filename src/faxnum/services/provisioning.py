"""Provision: one available DID of a group becomes a number of the caller, charged."""

from datetime import datetime, timedelta

from faxnum.domain.accounts import Caller
from faxnum.domain.dates import add_months
from faxnum.domain.errors import Conflict, Exhausted, Invalid, NotFound
from faxnum.domain.idempotency import IdempotentRequest
from faxnum.domain.numbers import ProvisionedNumber
from faxnum.domain.webhooks import EventType
from faxnum.services.billing import charge
from faxnum.services.events import emit, provisioned_data
from faxnum.services.unit_of_work import UnitOfWork


def provision(uow: UnitOfWork, caller: Caller, group_id: int, now: datetime) -> ProvisionedNumber:
    """All or nothing: DID assigned, number created, balance debited, ledger written."""
    provisioned = _provision(uow, caller, group_id, now)
    uow.commit()
    return provisioned


def _provision(uow: UnitOfWork, caller: Caller, group_id: int, now: datetime) -> ProvisionedNumber:
    group = uow.catalogue.group(group_id)
    if group is None:
        raise NotFound(f"DID group {group_id} not found.")
    did = uow.dids.take_available(group.id, now)
    if did is None:
        raise Exhausted(f"DID group {group_id} has no number left to provision.")
    number_id = uow.numbers.add(
        caller.account_id, did.id, group.id, caller.trunk_id, now, add_months(now.date())
    )
    charge(
        uow,
        caller.payer_id,
        group.first_charge,
        f"Provisioned {did.number}",
        now,
        number_id=number_id,
        actor_id=caller.account_id,
    )
    provisioned = ProvisionedNumber(number_id, did, group, caller.trunk_id)
    emit(
        uow,
        caller.account_id,
        EventType.NUMBER_PROVISIONED,
        provisioned_data(provisioned, caller.account_id),
        now,
    )
    return provisioned


def provision_idempotently(
    uow: UnitOfWork,
    caller: Caller,
    group_id: int,
    now: datetime,
    request: IdempotentRequest,
    retention: timedelta,
) -> tuple[ProvisionedNumber, bool]:
    """Provision once per idempotency key; a repeat answers the first result (True
    as second value) and changes nothing. The key is claimed in the provisioning's own
    transaction, so a failed attempt leaves the key free for a retry."""
    if not uow.idempotency.claim(
        caller.account_id, request.key, request.fingerprint, now, now - retention
    ):
        fingerprint, number_id = uow.idempotency.recorded(caller.account_id, request.key) or (
            "",
            None,
        )
        if fingerprint != request.fingerprint:  # another group, or an order
            raise Invalid.field("Idempotency-Key", "was already used with different parameters")
        if number_id is None:  # claimed by a transaction not yet settled
            raise Conflict("A request with this Idempotency-Key is still in progress; retry.")
        replayed = uow.numbers.provisioned(number_id)
        if replayed is None:
            raise NotFound("The number of this Idempotency-Key no longer exists.")
        return replayed, True
    provisioned = _provision(uow, caller, group_id, now)
    uow.idempotency.complete(caller.account_id, request.key, provisioned.id)
    uow.commit()
    return provisioned, False
