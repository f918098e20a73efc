"""Accounts: creation with a trunk and a key, sub-accounts, authentication, login."""

from decimal import Decimal

import pytest

from faxnum.domain.accounts import MAX_SUBACCOUNTS_PER_EMAIL, Caller
from faxnum.domain.errors import Conflict, Invalid, Unauthorized
from faxnum.security.key_cipher import KeyCipher
from faxnum.services.accounts import (
    NewAccount,
    authenticate,
    create_account,
    log_in,
    prepare_registration,
    register,
    rotate_key,
    set_disabled,
)
from faxnum.services.subaccounts import create_subaccount
from tests.fakes import FakeStore
from tests.unit.services.conftest import NOW, open_account

PASSWORD = "correct horse battery"


def test_a_new_account_has_a_default_trunk_a_working_key_and_its_opening_credit(
    store: FakeStore, cipher: KeyCipher
) -> None:
    with store.unit_of_work() as uow:
        created = create_account(
            uow, cipher, " New@Example.COM ", NOW, opening_credit=Decimal("5.00")
        )
    with store.unit_of_work() as uow:
        caller = authenticate(uow, created.api_key)
        assert uow.accounts.balance(caller.account_id) == Decimal("5.00")
        assert uow.accounts.id_by_email("new@example.com") == created.account_id
    assert store.tables.trunks[caller.trunk_id]["account_id"] == created.account_id
    stored = store.tables.keys[caller.key_id]
    assert created.api_key.encode() not in stored["encrypted"] + stored["digest"]


def test_an_email_is_registered_once_whatever_its_case(store: FakeStore, cipher: KeyCipher) -> None:
    with store.unit_of_work() as uow:
        create_account(uow, cipher, "taken@example.com", NOW)
    with store.unit_of_work() as uow, pytest.raises(Conflict):
        create_account(uow, cipher, "TAKEN@example.com", NOW)
    assert len(store.tables.accounts) == 1


def test_registration_reports_every_bad_field_at_once() -> None:
    with pytest.raises(Invalid) as refused:
        prepare_registration("not an email", "short", password_required=True)
    assert set(refused.value.errors) == {"email", "password"}


def test_registration_gives_the_welcome_credit(store: FakeStore, cipher: KeyCipher) -> None:
    registration = prepare_registration("new@example.com", PASSWORD, password_required=True)
    with store.unit_of_work() as uow:
        created = register(uow, cipher, registration, NOW, welcome_credit=Decimal("1.50"))
    with store.unit_of_work() as uow:
        assert uow.accounts.balance(created.account_id) == Decimal("1.50")


def test_a_sub_account_belongs_to_its_parent_and_cannot_have_its_own(
    store: FakeStore, cipher: KeyCipher, caller: Caller
) -> None:
    registration = prepare_registration("child@example.com", None, password_required=False)
    with store.unit_of_work() as uow:
        child = create_subaccount(uow, caller, cipher, registration, NOW)
    with store.unit_of_work() as uow:
        child_caller = authenticate(uow, child.api_key)
    assert child_caller.parent_id == caller.account_id
    assert child_caller.payer_id == caller.account_id

    grandchild = prepare_registration("grandchild@example.com", None, password_required=False)
    with store.unit_of_work() as uow, pytest.raises(Conflict):
        create_subaccount(uow, child_caller, cipher, grandchild, NOW)


@pytest.mark.parametrize("key", [None, "", "fxn_" + "0" * 32, "not-a-key"])
def test_missing_malformed_or_unknown_keys_are_unauthorized(
    store: FakeStore, caller: Caller, key: str | None
) -> None:
    with store.unit_of_work() as uow, pytest.raises(Unauthorized):
        authenticate(uow, key)


def test_a_rotated_key_replaces_the_old_one(
    store: FakeStore, cipher: KeyCipher, caller: Caller
) -> None:
    with store.unit_of_work() as uow:
        new_key = rotate_key(uow, cipher, caller.account_id, NOW)
    with store.unit_of_work() as uow:
        assert authenticate(uow, new_key).account_id == caller.account_id
        assert uow.accounts.holder_of_key(store.tables.keys[caller.key_id]["digest"]) is None


@pytest.fixture
def user(store: FakeStore, cipher: KeyCipher) -> NewAccount:
    """user@example.com, registered with PASSWORD."""
    registration = prepare_registration("user@example.com", PASSWORD, password_required=True)
    with store.unit_of_work() as uow:
        return register(uow, cipher, registration, NOW, welcome_credit=Decimal(0))


def test_login_answers_the_key_for_the_right_password_only(
    store: FakeStore, cipher: KeyCipher, user: NewAccount
) -> None:
    read = store.unit_of_work
    assert log_in(read, cipher, "USER@example.com", PASSWORD) == user.api_key
    for email, password in [
        ("user@example.com", "wrong password!"),
        ("nobody@example.com", PASSWORD),
        ("not an email", PASSWORD),
    ]:
        with pytest.raises(Unauthorized) as refused:
            log_in(read, cipher, email, password)
        assert refused.value.message == "Wrong email or password."
    with pytest.raises(Invalid):
        log_in(read, cipher, None, PASSWORD)


def test_a_disabled_account_can_neither_log_in_nor_use_its_key(
    store: FakeStore, cipher: KeyCipher, user: NewAccount
) -> None:
    with store.unit_of_work() as uow:
        set_disabled(uow, "user@example.com", True)
    with pytest.raises(Unauthorized):
        log_in(store.unit_of_work, cipher, "user@example.com", PASSWORD)
    with store.unit_of_work() as uow, pytest.raises(Unauthorized):
        authenticate(uow, user.api_key)


def test_a_disabled_parent_shuts_out_its_sub_accounts_keys_and_logins(
    store: FakeStore, cipher: KeyCipher, caller: Caller
) -> None:
    registration = prepare_registration("child@example.com", PASSWORD, password_required=False)
    with store.unit_of_work() as uow:
        child = create_subaccount(uow, caller, cipher, registration, NOW)
    with store.unit_of_work() as uow:
        set_disabled(uow, "owner@example.com", True)
    with store.unit_of_work() as uow, pytest.raises(Unauthorized):
        authenticate(uow, child.api_key)
    with pytest.raises(Unauthorized):
        log_in(store.unit_of_work, cipher, "child@example.com", PASSWORD)
    with store.unit_of_work() as uow:
        set_disabled(uow, "owner@example.com", False)
    with store.unit_of_work() as uow:
        assert authenticate(uow, child.api_key).account_id == child.account_id


def test_a_sub_account_never_takes_an_email_from_its_owner(
    store: FakeStore, cipher: KeyCipher, caller: Caller
) -> None:
    squatted = prepare_registration("stranger@example.com", "squatter password", False)
    with store.unit_of_work() as uow:
        squatter = create_subaccount(uow, caller, cipher, squatted, NOW)

    owner = prepare_registration("stranger@example.com", PASSWORD, password_required=True)
    with store.unit_of_work() as uow:
        registered = register(uow, cipher, owner, NOW, welcome_credit=Decimal(0))

    assert log_in(store.unit_of_work, cipher, "stranger@example.com", PASSWORD) == (
        registered.api_key
    )
    assert log_in(store.unit_of_work, cipher, "stranger@example.com", "squatter password") == (
        squatter.api_key
    )


def test_only_so_many_sub_accounts_share_one_email_and_each_logs_in_to_its_own(
    store: FakeStore, cipher: KeyCipher
) -> None:
    keys = []
    for n in range(MAX_SUBACCOUNTS_PER_EMAIL):
        parent = open_account(store, cipher, f"parent{n}@example.com")
        shared = prepare_registration("shared@example.com", f"password number {n}", False)
        with store.unit_of_work() as uow:
            keys.append(create_subaccount(uow, parent, cipher, shared, NOW).api_key)
    for n, key in enumerate(keys):
        assert (
            log_in(store.unit_of_work, cipher, "shared@example.com", f"password number {n}") == key
        )

    one_more = open_account(store, cipher, "late@example.com")
    shared = prepare_registration("shared@example.com", None, False)
    with store.unit_of_work() as uow, pytest.raises(Conflict):
        create_subaccount(uow, one_more, cipher, shared, NOW)
    with store.unit_of_work() as uow:
        create_subaccount(
            uow, one_more, cipher, prepare_registration("x@example.com", None, False), NOW
        )
    with store.unit_of_work() as uow, pytest.raises(Conflict):  # and once per parent
        create_subaccount(
            uow, one_more, cipher, prepare_registration("x@example.com", None, False), NOW
        )


def test_of_two_rotations_with_one_key_only_the_first_wins(
    store: FakeStore, cipher: KeyCipher, caller: Caller
) -> None:
    with store.unit_of_work() as uow:
        first = rotate_key(uow, cipher, caller.account_id, NOW, replacing=caller.key_id)
    with store.unit_of_work() as uow, pytest.raises(Unauthorized):
        rotate_key(uow, cipher, caller.account_id, NOW, replacing=caller.key_id)
    with store.unit_of_work() as uow:
        assert authenticate(uow, first).account_id == caller.account_id
