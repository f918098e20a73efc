"""The caller's own numbers: list, look at, route, give back."""

from dataclasses import replace
from datetime import datetime

from faxnum.domain.accounts import Caller
from faxnum.domain.did_states import DidEvent
from faxnum.domain.errors import NotFound, existing
from faxnum.domain.numbers import NumberListing, NumberStatus
from faxnum.domain.pagination import Page, PageRequest
from faxnum.domain.webhooks import EventType
from faxnum.services.events import emit, number_data
from faxnum.services.unit_of_work import UnitOfWork


def list_numbers(uow: UnitOfWork, caller: Caller, wanted: PageRequest) -> Page[NumberListing]:
    """Newest first; a parent account sees its sub-accounts' numbers too."""
    return Page.of(uow.numbers.page_for(caller.account_id, wanted), wanted)


def number(uow: UnitOfWork, caller: Caller, number_id: int) -> NumberListing:
    """A live number the caller (or one of its sub-accounts) holds; anyone else's, or
    a released one, is not found."""
    return existing(uow.numbers.visible(number_id, caller.account_id), f"Number {number_id}")


def route(uow: UnitOfWork, caller: Caller, number_id: int, trunk_id: int) -> NumberListing:
    """Point a number at another trunk of the account holding it."""
    held = number(uow, caller, number_id)
    if uow.trunks.get(trunk_id, held.account_id, lock=True) is None:
        raise NotFound(
            f"Trunk {trunk_id} not found among the trunks of number {number_id}'s holder."
        )
    if not uow.numbers.set_trunk(number_id, trunk_id):
        raise NotFound(f"Number {number_id} not found.")
    uow.commit()
    return replace(held, trunk_id=trunk_id)


def release(uow: UnitOfWork, caller: Caller, number_id: int, now: datetime) -> NumberListing:
    """Give a number back: it leaves the account at once and its DID rests in aging.
    The running month is not refunded. A second release finds nothing."""
    held = number(uow, caller, number_id)
    if not uow.numbers.release(number_id, now):
        raise NotFound(f"Number {number_id} not found.")
    uow.dids.move([held.did_id], DidEvent.RELEASE, now)
    released = replace(held, status=NumberStatus.RELEASED.value)
    emit(uow, held.account_id, EventType.NUMBER_RELEASED, number_data(released), now)
    uow.commit()
    return released
