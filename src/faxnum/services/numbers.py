"""The caller's own numbers."""

from faxnum.domain.accounts import Caller
from faxnum.domain.numbers import NumberListing
from faxnum.domain.pagination import Page, PageRequest
from faxnum.services.unit_of_work import UnitOfWork


def list_numbers(uow: UnitOfWork, caller: Caller, wanted: PageRequest) -> Page[NumberListing]:
    """Newest first; a parent account sees its sub-accounts' numbers too."""
    items, total = uow.numbers.page_for(caller.account_id, wanted)
    return Page(items, total, wanted)
