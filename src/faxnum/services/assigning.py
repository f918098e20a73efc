"""One DID, already moved to `assigned`, made a number of the caller: the number row,
its charge (setup and first month, one ledger entry) and its event, in the caller's
transaction. Orders end in `assign_number`; provisioning, whose store takes the DID and
adds its number in one call, in `charge_and_tell`, as `assign_number` does: a number is
charged and told of one way."""

from datetime import date, datetime

from faxnum.domain.accounts import Caller
from faxnum.domain.dates import add_months
from faxnum.domain.numbers import Did, DidGroup, ProvisionedNumber
from faxnum.domain.webhooks import EventType
from faxnum.services.billing import charge
from faxnum.services.events import emit, listening, provisioned_data
from faxnum.services.unit_of_work import UnitOfWork


def assign_number(
    uow: UnitOfWork,
    caller: Caller,
    did: Did,
    group: DidGroup,
    now: datetime,
    order_id: int | None = None,
) -> ProvisionedNumber:
    # The account rows as late as the order of things allows: who hears the event is
    # read before anything of the account is locked, the live count is applied at the
    # commit. The balance comes before the ledger entry and the event after both, so
    # that entries and events are numbered in the account tree's commit order.
    hearing = listening(uow, caller.account_id, EventType.NUMBER_PROVISIONED)
    number_id = uow.numbers.add_number(
        caller.account_id, did.id, group.id, caller.trunk_id, now, first_expiry(now), order_id
    )
    return charge_and_tell(uow, caller, number_id, did, group, now, hearing, order_id)


def first_expiry(now: datetime) -> date:
    """A new number is paid for its first month."""
    return add_months(now.date())


def charge_and_tell(
    uow: UnitOfWork,
    caller: Caller,
    number_id: int,
    did: Did,
    group: DidGroup,
    now: datetime,
    hearing: list[int],
    order_id: int | None = None,
    spend_at_commit: bool = False,
) -> ProvisionedNumber:
    """The new number charged, and its event queued for `hearing` (`listening`, read
    before anything of the account was locked). `spend_at_commit`: the use case reads
    nothing the charge changes (see `charge`)."""
    ordered = "" if order_id is None else f" (order {order_id})"
    charge(
        uow,
        caller.payer_id,
        group.first_charge,
        f"Provisioned {did.number}{ordered}",
        now,
        number_id=number_id,
        actor_id=caller.account_id,
        keep_holds=True,  # a purchase: what live holds were promised stays theirs
        # An event someone hears is numbered under the account row's lock, which the
        # spend takes: with it, the spend is made at once, ahead of the event.
        at_commit=spend_at_commit and not hearing,
    )
    assigned = ProvisionedNumber(number_id, did, group, caller.trunk_id)
    data = provisioned_data(assigned, caller.account_id)
    emit(uow, caller.account_id, EventType.NUMBER_PROVISIONED, data, now, hearing)
    return assigned
