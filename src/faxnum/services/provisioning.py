"""Provision: one available DID of a group becomes a number of the caller, charged."""

from datetime import datetime

from faxnum.domain.accounts import Caller
from faxnum.domain.dates import add_months
from faxnum.domain.errors import Exhausted, NotFound
from faxnum.domain.numbers import ProvisionedNumber
from faxnum.services.billing import charge
from faxnum.store.uow import UnitOfWork


def provision(uow: UnitOfWork, caller: Caller, group_id: int, now: datetime) -> ProvisionedNumber:
    """All or nothing: DID assigned, number created, balance debited, ledger written."""
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
    uow.commit()
    return ProvisionedNumber(number_id, did, group, caller.trunk_id)
