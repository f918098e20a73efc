"""Trunks: where an account's numbers deliver. One is the default, which new numbers
get; a trunk that live numbers point to stays until they point elsewhere."""

from dataclasses import replace
from datetime import datetime

from faxnum.domain.accounts import Caller
from faxnum.domain.errors import Conflict, NotFound, existing
from faxnum.domain.pagination import Page, PageRequest
from faxnum.domain.trunks import Trunk, TrunkChanges, check_sip_uri, check_trunk_name
from faxnum.services.unit_of_work import UnitOfWork

MAX_TRUNKS = 100


def trunks_page(uow: UnitOfWork, caller: Caller, wanted: PageRequest) -> Page[Trunk]:
    """A parent sees its sub-accounts' trunks too: it routes their numbers."""
    return Page.of(uow.trunks.page_for(caller.account_id, wanted), wanted)


def visible_trunk(uow: UnitOfWork, caller: Caller, trunk_id: int) -> Trunk:
    return existing(uow.trunks.visible(trunk_id, caller.account_id), f"Trunk {trunk_id}")


def trunk(uow: UnitOfWork, caller: Caller, trunk_id: int) -> Trunk:
    """One of the caller's own trunks: only its holder changes or deletes it."""
    return existing(uow.trunks.get(trunk_id, caller.account_id), f"Trunk {trunk_id}")


def add_trunk(
    uow: UnitOfWork,
    caller: Caller,
    name: str,
    uri: str,
    t38: bool,
    is_default: bool,
    allow_private: bool = False,
) -> Trunk:
    if uow.trunks.count_held(caller.account_id) >= MAX_TRUNKS:
        raise Conflict(f"An account has at most {MAX_TRUNKS} trunks; delete one first.")
    name, uri = check_trunk_name(name), check_sip_uri(uri, allow_private)
    if is_default:
        uow.trunks.clear_default(caller.account_id)
    trunk_id = uow.trunks.add_trunk(caller.account_id, name, uri, t38, is_default)
    created = trunk(uow, caller, trunk_id)
    uow.commit()
    return created


def change_trunk(
    uow: UnitOfWork,
    caller: Caller,
    trunk_id: int,
    changes: TrunkChanges,
    allow_private: bool = False,
) -> Trunk:
    uow.trunks.count_held(caller.account_id)  # one change of the account's trunks at a time
    current = trunk(uow, caller, trunk_id)
    changes = replace(
        changes,
        name=None if changes.name is None else check_trunk_name(changes.name),
        uri=None if changes.uri is None else check_sip_uri(changes.uri, allow_private),
    )
    if changes.is_default is False and current.is_default:
        raise Conflict("The default trunk stays the default until another trunk is made it.")
    if changes.is_default and not current.is_default:
        uow.trunks.clear_default(caller.account_id)
    if not uow.trunks.change(trunk_id, changes):
        raise NotFound(f"Trunk {trunk_id} not found.")
    changed = trunk(uow, caller, trunk_id)
    uow.commit()
    return changed


def delete_trunk(uow: UnitOfWork, caller: Caller, trunk_id: int, now: datetime) -> Trunk:
    """Marked deleted first, then its numbers counted: a number routed to it at the
    same moment waits for this transaction (it locks the trunk), then finds it gone."""
    current = trunk(uow, caller, trunk_id)
    if current.is_default:
        raise Conflict("The default trunk cannot be deleted; make another trunk the default first.")
    if not uow.trunks.delete(trunk_id, now):
        raise NotFound(f"Trunk {trunk_id} not found.")
    routed = uow.numbers.count_on_trunk(trunk_id)
    if routed:
        raise Conflict(
            f"{routed} numbers still point to trunk {trunk_id}; route them elsewhere first."
        )
    uow.commit()
    return current
