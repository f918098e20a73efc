"""The operator's hand on inventory: block and unblock DIDs, end aging early, list
DIDs by state. Each command is all or nothing, and says why a DID was refused."""

from collections.abc import Sequence
from datetime import datetime

from faxnum.domain.did_states import DidEvent, allowed
from faxnum.domain.errors import Conflict
from faxnum.domain.numbers import DidState, InventoryLine
from faxnum.services.unit_of_work import UnitOfWork

LIST_BATCH = 1000
_VERBS = {DidEvent.BLOCK: "block", DidEvent.UNBLOCK: "unblock", DidEvent.UNAGE: "unage"}


def change_dids(
    uow: UnitOfWork, numbers: Sequence[str], event: DidEvent, now: datetime
) -> list[str]:
    """Move every DID along `event`, or none: `Conflict` names each refused number and
    its state. The numbers that moved, in the order given."""
    wanted = list(dict.fromkeys(numbers))
    held = {did.number: did for did in uow.dids.lock_numbers(wanted)}
    refused = []
    for number in wanted:
        did = held.get(number)
        if did is None:
            refused.append(f"{number} is not in inventory")
        elif not allowed(event, did.state):
            refused.append(f"{number} is {did.state.value}")
    if refused:
        raise Conflict(f"Nothing changed; cannot {_VERBS[event]}: " + "; ".join(refused) + ".")
    moved = set(uow.dids.move([held[n].id for n in wanted], event, now))
    if len(moved) != len(wanted):
        raise Conflict("Nothing changed: some DIDs changed state meanwhile; run it again.")
    uow.commit()
    return wanted


def dids_in_state(uow: UnitOfWork, state: DidState, after_number: str = "") -> list[InventoryLine]:
    """A batch of DIDs in one state, in number order, after `after_number`."""
    return uow.dids.in_state(state, after_number, LIST_BATCH)
