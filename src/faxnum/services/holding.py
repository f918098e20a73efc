"""Moving chosen DIDs together: all of them, or none and the refused ones named."""

from collections.abc import Iterable, Sequence
from datetime import datetime
from decimal import Decimal

from faxnum.domain.did_states import DidEvent, allowed
from faxnum.domain.errors import Exhausted, NotFound, NumbersUnavailable
from faxnum.domain.numbers import Did, DidGroup, HeldDid
from faxnum.domain.orders import QuantityWanted
from faxnum.services.unit_of_work import UnitOfWork


def move_chosen(
    uow: UnitOfWork, numbers: Sequence[str], event: DidEvent, now: datetime, verb: str
) -> list[HeldDid]:
    """Every number moves along `event`, or `NumbersUnavailable` names those that
    cannot (unknown, or in a state the event does not start from); the caller's
    transaction then rolls back whatever moved."""
    held = {did.number: did for did in uow.dids.lock_numbers(numbers)}
    refused = [n for n in numbers if n not in held or not allowed(event, held[n].state)]
    if refused:
        raise NumbersUnavailable(refused, verb)
    chosen = [held[n] for n in numbers]
    moved = set(uow.dids.move([did.id for did in chosen], event, now))
    if len(moved) != len(chosen):  # changed between the read and the update
        raise NumbersUnavailable([did.number for did in chosen if did.id not in moved], verb)
    return chosen


def move_from_group(
    uow: UnitOfWork, wanted: QuantityWanted, event: DidEvent, now: datetime
) -> list[Did]:
    """The group's `quantity` lowest DIDs move along `event`, or `Exhausted` says how
    many there were (and the caller's transaction rolls back those that moved)."""
    if uow.catalogue.group(wanted.group_id) is None:
        raise NotFound(f"DID group {wanted.group_id} not found.")
    taken = uow.dids.take_from_group(wanted.group_id, wanted.quantity, event, now)
    if len(taken) < wanted.quantity:
        raise Exhausted(
            f"DID group {wanted.group_id} has {len(taken)} numbers available now; "
            f"{wanted.quantity} were asked."
        )
    return taken


def groups_of(uow: UnitOfWork, group_ids: Iterable[int]) -> dict[int, DidGroup]:
    """The groups of DIDs just moved, each read once (their prices say what they cost)."""
    groups: dict[int, DidGroup] = {}
    for group_id in group_ids:
        if group_id not in groups:
            group = uow.catalogue.group(group_id)
            assert group is not None, "a DID always belongs to a group"
            groups[group_id] = group
    return groups


def first_charges(groups: dict[int, DidGroup], group_ids: Iterable[int]) -> Decimal:
    """What taking one DID of each of `group_ids` costs: setup and first month each."""
    return sum((groups[group_id].first_charge for group_id in group_ids), Decimal(0))
