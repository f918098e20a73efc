"""Webhook rules without a database: who hears what, the retry schedule, the limits,
and secrets that survive a rotation of the operator's secret."""

import json
import random
from datetime import timedelta
from decimal import Decimal

import pytest

from faxnum.domain.accounts import Caller
from faxnum.domain.errors import Conflict, Invalid
from faxnum.domain.webhooks import (
    MAX_RETRY_DELAY,
    MAX_WEBHOOKS,
    RETRY_FOR,
    EventType,
    gives_up,
    parse_event_types,
    retry_delay,
)
from faxnum.security.key_cipher import KeyCipher
from faxnum.services.events import body
from faxnum.services.key_secrets import reseal_all
from faxnum.services.provisioning import provision
from faxnum.services.webhooks import add_webhook, rotate_secret
from tests.factories import TEST_SECRET
from tests.fakes import FakeStore
from tests.unit.services.conftest import NOW, open_account

NEW_SECRET = b"another-secret-for-tests-0123456789abcdef"


def queued_types(store: FakeStore) -> list[str]:
    return [d["type"] for d in store.tables.deliveries.values()]


def test_an_event_is_queued_only_for_endpoints_that_hear_it(
    store: FakeStore, cipher: KeyCipher, caller: Caller, group_id: int
) -> None:
    with store.unit_of_work() as uow:
        add_webhook(uow, caller, "https://a.example/", (EventType.ORDER_COMPLETED,), cipher, NOW)
    with store.unit_of_work() as uow:
        provision(uow, caller, group_id, NOW)
    assert queued_types(store) == []
    with store.unit_of_work() as uow:
        add_webhook(uow, caller, "https://b.example/", None, cipher, NOW)
    with store.unit_of_work() as uow:
        provision(uow, caller, group_id, NOW)
    # 10.00 -> 7.00 -> 4.00: the first provisioning also crossed the 10.00 threshold
    assert queued_types(store) == ["number.provisioned"]


def test_a_parent_hears_its_subaccounts_and_a_subaccount_not_its_parent(
    store: FakeStore, cipher: KeyCipher, caller: Caller, group_id: int
) -> None:
    sub = open_account(store, cipher, "sub@example.com", parent=caller.account_id)
    with store.unit_of_work() as uow:
        add_webhook(uow, caller, "https://parent.example/", None, cipher, NOW)
    with store.unit_of_work() as uow:
        add_webhook(uow, sub, "https://sub.example/", None, cipher, NOW)
    with store.unit_of_work() as uow:
        provision(uow, sub, group_id, NOW)
    with store.unit_of_work() as uow:
        provision(uow, caller, group_id, NOW)
    hooks = [
        d["webhook_id"]
        for d in store.tables.deliveries.values()
        if d["type"] == "number.provisioned"
    ]
    assert hooks == [1, 2, 1]  # the sub's number: both; the parent's: the parent only
    lows = [d["webhook_id"] for d in store.tables.deliveries.values() if d["type"] == "balance.low"]
    assert lows == [1]  # the parent's money: the parent hears it


def test_an_account_has_at_most_its_webhooks(
    store: FakeStore, cipher: KeyCipher, caller: Caller
) -> None:
    for n in range(MAX_WEBHOOKS):
        with store.unit_of_work() as uow:
            add_webhook(uow, caller, f"https://{n}.example/", None, cipher, NOW)
    with store.unit_of_work() as uow, pytest.raises(Conflict):
        add_webhook(uow, caller, "https://one-more.example/", None, cipher, NOW)


def test_event_names_are_checked_and_none_means_every_event() -> None:
    assert parse_event_types(None) is None and parse_event_types([]) is None
    assert parse_event_types(["balance.low", "balance.low"]) == (EventType.BALANCE_LOW,)
    with pytest.raises(Invalid):
        parse_event_types(["webhook.test"])  # sent on request, never subscribed to
    with pytest.raises(Invalid):
        parse_event_types(["number.everything"])


def test_retries_back_off_with_jitter_up_to_a_ceiling_and_end_after_three_days() -> None:
    base = timedelta(seconds=5)
    rng = random.Random(7)
    delays = [retry_delay(n, base, rng.random) for n in range(1, 200)]
    ceilings = [min(base * 3 ** min(n - 1, 20), MAX_RETRY_DELAY) for n in range(1, 200)]
    assert all(c / 2 <= d <= c for d, c in zip(delays, ceilings, strict=True))
    assert retry_delay(1, base, lambda: 0.0) == timedelta(seconds=2.5)
    assert retry_delay(10_000, base, lambda: 1.0) == MAX_RETRY_DELAY  # never overflows
    assert not gives_up(NOW, NOW + RETRY_FOR)
    assert gives_up(NOW, NOW + RETRY_FOR + timedelta(seconds=1))


def test_a_body_writes_money_with_two_decimals_and_times_in_utc() -> None:
    text = body(EventType.BALANCE_LOW, NOW, {"balance": Decimal("9.5"), "at": NOW})
    assert '"balance":9.50' in text
    assert json.loads(text) == {
        "type": "balance.low",
        "timestamp": "2026-01-31T12:00:00Z",
        "data": {"balance": 9.5, "at": "2026-01-31T12:00:00Z"},
    }


def test_webhook_secrets_are_resealed_with_the_operators_secret(
    store: FakeStore, cipher: KeyCipher, caller: Caller
) -> None:
    with store.unit_of_work() as uow:
        _, first = add_webhook(uow, caller, "https://a.example/", None, cipher, NOW)
    with store.unit_of_work() as uow:
        _, second = rotate_secret(uow, caller, 1, cipher, NOW)
    rotated = KeyCipher(NEW_SECRET, TEST_SECRET)
    assert reseal_all(store.unit_of_work, rotated) >= 1
    only_new = KeyCipher(NEW_SECRET)
    sealed = store.tables.webhooks[1]["secrets"]
    assert only_new.decrypt(sealed.current) == second
    assert sealed.previous is not None and only_new.decrypt(sealed.previous) == first
