"""Trunks: who sees them, and how many an account holds."""

from datetime import timedelta

from faxnum.domain.pagination import PageRequest
from tests.contract.conftest import NOW, Store, open_account


def test_a_parent_sees_its_subaccounts_trunks_and_nobody_sees_a_parents(store: Store) -> None:
    parent = open_account(store, "parent@example.com")
    sub = open_account(store, "sub@example.com", parent=parent.account_id)
    other = open_account(store, "other@example.com")
    with store.unit_of_work() as uow:
        subs = uow.trunks.add_trunk(
            sub.account_id, "office", "sip:fax@pbx.example.com", False, False
        )
        uow.commit()
    with store.unit_of_work() as uow:
        listed = {
            viewer.account_id: [
                t.id for t in uow.trunks.page_for(viewer.account_id, PageRequest())[0]
            ]
            for viewer in (parent, sub, other)
        }
        seen_by_parent = uow.trunks.visible(subs, parent.account_id)
        assert uow.trunks.visible(parent.trunk_id, sub.account_id) is None
        assert uow.trunks.visible(subs, other.account_id) is None
        assert uow.trunks.get(subs, parent.account_id) is None  # only its holder changes it
    assert listed[parent.account_id] == [parent.trunk_id, sub.trunk_id, subs]
    assert listed[sub.account_id] == [sub.trunk_id, subs]
    assert listed[other.account_id] == [other.trunk_id]
    assert seen_by_parent is not None and seen_by_parent.account_id == sub.account_id


def test_a_deleted_trunk_is_neither_seen_nor_counted(store: Store) -> None:
    caller = open_account(store, "owner@example.com")
    with store.unit_of_work() as uow:
        extra = uow.trunks.add_trunk(
            caller.account_id, "spare", "sip:fax@pbx.example.com", False, False
        )
        assert uow.trunks.count_held(caller.account_id) == 2
        assert uow.trunks.delete(extra, NOW)
        assert not uow.trunks.delete(extra, NOW + timedelta(1))
        assert not uow.trunks.delete(caller.trunk_id, NOW)  # never the default
        uow.commit()
    with store.unit_of_work() as uow:
        assert uow.trunks.count_held(caller.account_id) == 1
        assert uow.trunks.visible(extra, caller.account_id) is None
