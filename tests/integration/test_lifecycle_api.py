"""Choosing, holding, ordering and giving back numbers, and trunks, through the HTTP
app on each store: the wire shapes of the extensions and the rules behind them."""

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from faxnum.api.app import create_app
from faxnum.config import Settings
from faxnum.domain.did_states import DidEvent
from faxnum.security.key_cipher import KeyCipher
from faxnum.services.accounts import create_account
from faxnum.services.did_admin import change_dids
from faxnum.store import catalogue as catalogue_store
from faxnum.store.db.database import Database
from faxnum.store.db.tables import dids, ledger_entries
from tests.conftest import make_settings
from tests.dbstate import assignment_is_consistent, balances_match_ledger
from tests.factories import TEST_SECRET, add_account, add_group, balance_of

API = "/api/v2"
KEYPAD = {"2": "A", "3": "D", "4": "G", "5": "J", "6": "M", "7": "P", "8": "T", "9": "W"}


class Clock:
    """The app's clock, moved by the test (expiry without waiting)."""

    def __init__(self) -> None:
        self.now = datetime.now(UTC)

    def __call__(self) -> datetime:
        return self.now


@dataclass
class World:
    client: TestClient
    database: Database
    clock: Clock
    group: int  # Winnipeg, 8 DIDs at 1.00 + 2.00
    other_group: int  # London ON, 4 DIDs
    key: str
    account_id: int
    rival: str  # another account's key

    def h(self, key: str | None = None) -> dict[str, str]:
        return {"X-API-Key": key or self.key}

    def available(self, **params: object) -> list[str]:
        response = self.client.get(
            f"{API}/available-numbers",
            params={"country": "CAN", "limit": 100, **params},
            headers=self.h(),
        )
        assert response.status_code == 200, response.text
        return [item["number"] for item in response.json()["data"]]

    def did_states(self) -> dict[str, str]:
        with self.database.write_engine.connect() as connection:
            rows = connection.execute(select(dids.c.number, dids.c.state))
            return {str(number): str(state) for number, state in rows}


@pytest.fixture
def world(tmp_path: Path, database_url: str, database: Database) -> Iterator[World]:
    group = add_group(database, count=8, setup="1.00", monthly="2.00")
    other = add_group(database, description="London, ON", count=4, setup="0.50", monthly="1.50")
    owner = add_account(database, "owner@example.com", "100.00")
    rival = add_account(database, "rival@example.com", "100.00")
    settings: Settings = make_settings(tmp_path, database_url).model_copy(
        update={"max_reserved": 6, "reservation_sweep_s": 0.05}
    )
    clock = Clock()
    with TestClient(create_app(settings, clock=clock), raise_server_exceptions=False) as client:
        yield World(
            client, database, clock, group, other, owner.api_key, owner.account_id, rival.api_key
        )


def ok(response: object) -> dict:  # type: ignore[type-arg]
    assert response.status_code == 200, response.text  # type: ignore[attr-defined]
    body = response.json()  # type: ignore[attr-defined]
    assert body["status"] == "success"
    return body  # type: ignore[no-any-return]


def refused(response: object, status: int) -> dict:  # type: ignore[type-arg]
    assert response.status_code == status, response.text  # type: ignore[attr-defined]
    body = response.json()  # type: ignore[attr-defined]
    assert body["status"] == "failed" and body["message"]
    return body  # type: ignore[no-any-return]


# Choosing numbers


@pytest.fixture(params=["by index or group", "in number order"])
def search_road(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """A search takes the trigram index's candidates or the groups' DIDs when they are
    few, else reads numbers in order: both roads must give the same answers."""
    if request.param == "in number order":
        monkeypatch.setattr(catalogue_store, "MAX_LISTED_GROUPS", 0)
        monkeypatch.setattr(catalogue_store, "MAX_CANDIDATES", 0)
    return str(request.param)


def test_available_numbers_come_in_number_order_with_the_documented_fields(world: World) -> None:
    body = ok(world.client.get(f"{API}/available-numbers?country=can&limit=5", headers=world.h()))
    items = body["data"]
    assert [i["number"] for i in items] == sorted(i["number"] for i in items)
    assert set(items[0]) == {
        "number",
        "did_group_id",
        "country_code",
        "city_name",
        "area_code",
        "type",
        "setup_price",
        "monthly_price",
        "features",
    }
    assert body["meta"]["pagination"]["total"] == 12
    assert body["meta"]["pagination"]["per_page"] == 5
    page2 = ok(
        world.client.get(f"{API}/available-numbers?country=CAN&limit=5&page=2", headers=world.h())
    )
    assert page2["data"][0]["number"] > items[-1]["number"]
    text = world.client.get(
        f"{API}/available-numbers?country=CAN&didGroupId={world.group}", headers=world.h()
    ).text
    assert '"setup_price":1.00,"monthly_price":2.00' in text  # money: two decimals, a number


def test_every_search_filter_narrows_the_answer(world: World, search_road: str) -> None:
    everything = world.available()
    winnipeg = world.available(didGroupId=world.group)
    assert len(winnipeg) == 8 and set(winnipeg) < set(everything)
    assert world.available(cityNamePattern="winn%") == winnipeg
    assert world.available(cityNamePattern="London") == world.available(
        didGroupId=world.other_group
    )
    area = winnipeg[0][2:5]
    assert set(world.available(areaCode=area)) >= set(winnipeg)
    assert world.available(type="TOLL_FREE") == []
    assert world.available(type="GEOGRAPHIC") == everything
    target = winnipeg[3]
    national = target[2:]
    assert world.available(contains=national[-5:]) == [target]
    assert target in world.available(startsWith=national[:4])
    assert all(n[2:].startswith(national[:4]) for n in world.available(startsWith=national[:4]))
    in_group = [n for n in winnipeg if n[2:].startswith(national[:5])]
    assert world.available(startsWith=national[:5], didGroupId=world.group) == in_group
    assert world.available(endsWith=national[-6:]) == [target]
    assert world.available(endsWith=national[-6:], didGroupId=world.other_group) == []
    wildcard = national[-6:-3] + "*" + national[-2:]
    assert target in world.available(endsWith=wildcard)
    assert all(
        n[-6:-3] == national[-6:-3] and n[-2:] == national[-2:]
        for n in world.available(endsWith=wildcard)
    )
    digits = next(
        national[i : i + 4]
        for i in range(len(national) - 3)
        if all(c in KEYPAD for c in national[i : i + 4])
    )
    letters = "".join(KEYPAD[c] for c in digits)
    assert target in world.available(contains=letters.lower())
    assert all(digits in n[2:] for n in world.available(contains=letters))


def test_bad_search_parameters_are_refused_with_the_parameter_named(world: World) -> None:
    for params, name in [
        ({}, "country"),
        ({"country": "CA"}, "country"),
        ({"country": "CAN", "contains": "1"}, "contains"),
        ({"country": "CAN", "contains": "12#4"}, "contains"),
        ({"country": "CAN", "startsWith": "1" * 17}, "startsWith"),
        ({"country": "CAN", "endsWith": "' OR 1=1 --"}, "endsWith"),
        ({"country": "CAN", "limit": 101}, "limit"),
        ({"country": "CAN", "limit": 0}, "limit"),
        ({"country": "CAN", "page": -1}, "page"),
        ({"country": "CAN", "type": "PIGEON"}, "type"),
        ({"country": "CAN", "didGroupId": "x"}, "didGroupId"),
        ({"country": "CAN", "cityNamePattern": "a\x00"}, "cityNamePattern"),
    ]:
        body = refused(
            world.client.get(f"{API}/available-numbers", params=params, headers=world.h()), 422
        )
        assert name in body["errors"], (params, body)
    refused(world.client.get(f"{API}/available-numbers?country=ZZZ", headers=world.h()), 404)
    assert (
        ok(world.client.get(f"{API}/available-numbers?country=FRA", headers=world.h()))["data"]
        == []
    )
    refused(world.client.get(f"{API}/available-numbers?country=CAN"), 401)


def test_numbers_held_taken_aging_or_blocked_are_never_available(
    world: World, search_road: str
) -> None:
    numbers = world.available(didGroupId=world.group)
    ok(
        world.client.post(
            f"{API}/reservations", json={"numbers": [numbers[0]]}, headers=world.h(world.rival)
        )
    )
    provisioned = ok(
        world.client.post(f"{API}/countries/didgroups/{world.group}/provision", headers=world.h())
    )
    released = ok(
        world.client.post(f"{API}/countries/didgroups/{world.group}/provision", headers=world.h())
    )
    ok(world.client.delete(f"{API}/numbers/{released['data']['id']}", headers=world.h()))
    with world.database.unit_of_work() as uow:
        change_dids(uow, [numbers[-1]], DidEvent.BLOCK, datetime.now(UTC))
    gone = {numbers[0], provisioned["data"]["number"], released["data"]["number"], numbers[-1]}
    assert len(gone) == 4
    for key in (world.key, world.rival):
        listed = world.client.get(
            f"{API}/available-numbers?country=CAN&limit=100", headers=world.h(key)
        ).json()
        assert not gone & {i["number"] for i in listed["data"]}
        assert listed["meta"]["pagination"]["total"] == 12 - 4


# Reservations


def test_a_reservation_holds_all_its_numbers_or_none_and_names_the_refused(world: World) -> None:
    n = world.available(didGroupId=world.group)
    held = ok(world.client.post(f"{API}/reservations", json={"numbers": n[:2]}, headers=world.h()))[
        "data"
    ]
    assert held["numbers"] == n[:2] and held["status"] == "active"
    expires = datetime.fromisoformat(held["expires_at"])
    assert expires - datetime.fromisoformat(held["created_at"]) == timedelta(seconds=600)
    body = refused(
        world.client.post(
            f"{API}/reservations",
            json={"numbers": [n[2], n[1], "+15555550100"]},
            headers=world.h(world.rival),
        ),
        409,
    )
    assert body["errors"]["numbers"] == [n[1], "+15555550100"]
    assert n[2] in world.available()  # the one that could be held was not
    assert ok(world.client.get(f"{API}/reservations", headers=world.h(world.rival)))["data"] == []
    states = world.did_states()
    assert [states[x] for x in n[:3]] == ["reserved", "reserved", "available"]


def test_reservations_are_listed_fetched_and_cancelled_by_their_holder_only(world: World) -> None:
    n = world.available(didGroupId=world.group)
    first = ok(
        world.client.post(
            f"{API}/reservations", json={"numbers": [n[0]], "ttl_seconds": 60}, headers=world.h()
        )
    )["data"]
    second = ok(
        world.client.post(
            f"{API}/reservations",
            json={"did_group_id": world.other_group, "quantity": 2},
            headers=world.h(),
        )
    )["data"]
    assert len(second["numbers"]) == 2
    listed = ok(world.client.get(f"{API}/reservations?limit=1", headers=world.h()))
    assert [r["id"] for r in listed["data"]] == [second["id"]]
    assert listed["meta"]["pagination"]["total"] == 2
    assert (
        ok(world.client.get(f"{API}/reservations/{first['id']}", headers=world.h()))["data"]
        == first
    )
    refused(
        world.client.get(f"{API}/reservations/{first['id']}", headers=world.h(world.rival)), 404
    )
    refused(
        world.client.delete(f"{API}/reservations/{first['id']}", headers=world.h(world.rival)), 404
    )
    cancelled = ok(world.client.delete(f"{API}/reservations/{first['id']}", headers=world.h()))[
        "data"
    ]
    assert cancelled["status"] == "cancelled"
    assert n[0] in world.available()
    refused(world.client.delete(f"{API}/reservations/{first['id']}", headers=world.h()), 409)
    refused(
        world.client.post(f"{API}/orders", json={"reservation_id": first["id"]}, headers=world.h()),
        409,
    )
    for bad in ("0", "x", "99999999999", "-1"):
        refused(world.client.get(f"{API}/reservations/{bad}", headers=world.h()), 422)


def test_an_expired_reservation_frees_its_numbers_within_seconds_and_cannot_be_ordered(
    world: World,
) -> None:
    n = world.available(didGroupId=world.group)
    held = ok(
        world.client.post(
            f"{API}/reservations", json={"numbers": n[:2], "ttl_seconds": 60}, headers=world.h()
        )
    )["data"]
    before = balance_of(world.database, world.account_id)
    world.clock.now += timedelta(seconds=61)
    assert (
        ok(world.client.get(f"{API}/reservations/{held['id']}", headers=world.h()))["data"][
            "status"
        ]
        == "expired"
    )
    refused(
        world.client.post(f"{API}/orders", json={"reservation_id": held["id"]}, headers=world.h()),
        409,
    )
    assert balance_of(world.database, world.account_id) == before
    deadline = datetime.now(UTC) + timedelta(seconds=5)  # the sweep runs every 0.05 s here
    while set(n[:2]) - set(world.available()) and datetime.now(UTC) < deadline:
        world.client.get("/healthz")
    assert set(n[:2]) <= set(world.available())
    ok(
        world.client.post(
            f"{API}/reservations", json={"numbers": n[:2]}, headers=world.h(world.rival)
        )
    )


def test_reservation_bounds_are_enforced(world: World) -> None:
    n = world.available(didGroupId=world.group)
    for body, name in [
        ({"numbers": n[:1], "ttl_seconds": 59}, "ttl_seconds"),
        ({"numbers": n[:1], "ttl_seconds": 1801}, "ttl_seconds"),
        ({"numbers": []}, "numbers"),
        ({"numbers": ["12125550100"]}, "numbers.0"),
        ({"numbers": [n[0], n[0]]}, "numbers"),
        ({"did_group_id": world.group}, "body"),
        ({"did_group_id": world.group, "quantity": 0}, "quantity"),
        ({"did_group_id": world.group, "quantity": 101}, "quantity"),
        ({"numbers": n[:1], "did_group_id": world.group, "quantity": 1}, "body"),
        ({}, "body"),
    ]:
        problem = refused(
            world.client.post(f"{API}/reservations", json=body, headers=world.h()), 422
        )
        assert name in problem["errors"], (body, problem)
    refused(
        world.client.post(
            f"{API}/reservations", json={"did_group_id": 999999, "quantity": 1}, headers=world.h()
        ),
        404,
    )
    refused(
        world.client.post(
            f"{API}/reservations",
            json={"did_group_id": world.other_group, "quantity": 5},
            headers=world.h(),
        ),
        409,
    )
    ok(world.client.post(f"{API}/reservations", json={"numbers": n[:4]}, headers=world.h()))
    too_many = refused(
        world.client.post(f"{API}/reservations", json={"numbers": n[4:7]}, headers=world.h()), 409
    )
    assert "at most 6" in too_many["message"]
    assert world.did_states()[n[4]] == "available"


def test_a_retried_reservation_with_its_idempotency_key_holds_once(world: World) -> None:
    n = world.available(didGroupId=world.group)
    headers = {**world.h(), "Idempotency-Key": "hold-5e1b"}
    first = world.client.post(f"{API}/reservations", json={"numbers": n[:2]}, headers=headers)
    again = world.client.post(f"{API}/reservations", json={"numbers": n[:2]}, headers=headers)
    assert ok(first) == ok(again)
    assert again.headers["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first.headers
    listed = ok(world.client.get(f"{API}/reservations", headers=world.h()))["data"]
    assert len(listed) == 1
    in_body = {"numbers": n[:2], "idempotency_key": "hold-5e1b"}
    assert ok(world.client.post(f"{API}/reservations", json=in_body, headers=world.h())) == ok(
        first
    )
    other = refused(
        world.client.post(f"{API}/reservations", json={"numbers": n[2:3]}, headers=headers), 422
    )
    assert "Idempotency-Key" in other["errors"]
    refused(world.client.post(f"{API}/orders", json={"numbers": n[2:3]}, headers=headers), 422)
    assert world.did_states()[n[2]] == "available"


def test_a_hold_is_a_promise_to_buy_that_the_balance_must_cover(world: World) -> None:
    n = world.available(didGroupId=world.group)  # 1.00 setup + 2.00 a month each
    broke = add_account(world.database, "broke@example.com", "0.00").api_key
    refused(
        world.client.post(f"{API}/reservations", json={"numbers": n[:1]}, headers=world.h(broke)),
        402,
    )
    refused(
        world.client.post(
            f"{API}/reservations",
            json={"did_group_id": world.group, "quantity": 1},
            headers=world.h(broke),
        ),
        402,
    )
    thrifty = add_account(world.database, "thrifty@example.com", "5.00").api_key
    held = ok(
        world.client.post(f"{API}/reservations", json={"numbers": n[:1]}, headers=world.h(thrifty))
    )["data"]
    second = refused(
        world.client.post(
            f"{API}/reservations", json={"numbers": n[1:2]}, headers=world.h(thrifty)
        ),
        402,
    )
    assert "3.00" in second["message"]
    assert world.did_states()[n[1]] == "available"
    ok(world.client.delete(f"{API}/reservations/{held['id']}", headers=world.h(thrifty)))
    ok(world.client.post(f"{API}/reservations", json={"numbers": n[1:2]}, headers=world.h(thrifty)))


def test_money_promised_to_a_hold_is_not_spent_on_other_numbers(world: World) -> None:
    n = world.available(didGroupId=world.group)  # 3.00 each
    saver = add_account(world.database, "saver@example.com", "10.00")
    with world.database.unit_of_work() as uow:
        sub = create_account(
            uow,
            KeyCipher(TEST_SECRET),
            "clerk@example.com",
            world.clock(),
            parent_id=saver.account_id,
        )
    held = ok(
        world.client.post(
            f"{API}/reservations", json={"numbers": n[:3]}, headers=world.h(saver.api_key)
        )
    )["data"]  # 9.00 of the 10.00 promised
    for key in (saver.api_key, sub.api_key):
        provisioning = f"{API}/countries/didgroups/{world.group}/provision"
        refused(world.client.post(provisioning, headers=world.h(key)), 402)
        order = {"numbers": n[3:4]}
        refused(world.client.post(f"{API}/orders", json=order, headers=world.h(key)), 402)
    assert balance_of(world.database, saver.account_id) == Decimal("10.00")
    placed = ok(
        world.client.post(
            f"{API}/orders", json={"reservation_id": held["id"]}, headers=world.h(saver.api_key)
        )
    )["data"]
    assert sorted(number["number"] for number in placed["numbers"]) == sorted(n[:3])
    assert balance_of(world.database, saver.account_id) == Decimal("1.00")


def test_the_reserved_limit_counts_the_whole_account_tree(world: World) -> None:
    n = world.available(didGroupId=world.group)
    with world.database.unit_of_work() as uow:
        sub = create_account(
            uow,
            KeyCipher(TEST_SECRET),
            "sub@example.com",
            world.clock(),
            parent_id=world.account_id,
        )
    ok(world.client.post(f"{API}/reservations", json={"numbers": n[:4]}, headers=world.h()))
    too_many = refused(
        world.client.post(
            f"{API}/reservations", json={"numbers": n[4:7]}, headers=world.h(sub.api_key)
        ),
        409,
    )
    assert "at most 6" in too_many["message"]
    ok(
        world.client.post(
            f"{API}/reservations", json={"numbers": n[4:6]}, headers=world.h(sub.api_key)
        )
    )
    assert [world.did_states()[number] for number in n[:7]] == ["reserved"] * 6 + ["available"]


# Orders


def test_an_order_provisions_and_charges_every_number_once(world: World) -> None:
    n = world.available(didGroupId=world.group)
    other = world.available(didGroupId=world.other_group)
    placed = ok(
        world.client.post(f"{API}/orders", json={"numbers": [n[1], other[0]]}, headers=world.h())
    )["data"]
    assert set(placed) == {"id", "created_at", "numbers", "total_charged"}
    assert placed["total_charged"] == 5.0
    assert [x["number"] for x in placed["numbers"]] == [n[1], other[0]]
    seed = ok(
        world.client.post(f"{API}/countries/didgroups/{world.group}/provision", headers=world.h())
    )["data"]
    assert set(placed["numbers"][0]) == set(seed)
    assert balance_of(world.database, world.account_id) == Decimal("100.00") - Decimal(
        "5.00"
    ) - Decimal("3.00")
    with world.database.write_engine.connect() as connection:
        charged = (
            connection.execute(
                select(ledger_entries.c.number_id).where(ledger_entries.c.amount_micros < 0)
            )
            .scalars()
            .all()
        )
    assert sorted(charged) == sorted([x["id"] for x in placed["numbers"]] + [seed["id"]])
    assert ok(world.client.get(f"{API}/orders/{placed['id']}", headers=world.h()))["data"] == placed
    assert [o["id"] for o in ok(world.client.get(f"{API}/orders", headers=world.h()))["data"]] == [
        placed["id"]
    ]
    refused(world.client.get(f"{API}/orders/{placed['id']}", headers=world.h(world.rival)), 404)
    listed = {x["id"] for x in ok(world.client.get(f"{API}/numbers", headers=world.h()))["numbers"]}
    assert {x["id"] for x in placed["numbers"]} <= listed
    assert assignment_is_consistent(world.database.write_engine)
    assert balances_match_ledger(world.database.write_engine)


def test_an_order_that_cannot_be_completed_changes_nothing(world: World) -> None:
    n = world.available(didGroupId=world.group)
    poor = add_account(world.database, "poor@example.com", "5.00")
    before = world.did_states()
    refused(
        world.client.post(f"{API}/orders", json={"numbers": n[:2]}, headers=world.h(poor.api_key)),
        402,
    )
    refused(
        world.client.post(
            f"{API}/orders",
            json={"did_group_id": world.group, "quantity": 2},
            headers=world.h(poor.api_key),
        ),
        402,
    )
    assert balance_of(world.database, poor.account_id) == Decimal("5.00")
    ok(world.client.post(f"{API}/orders", json={"numbers": [n[0]]}, headers=world.h(world.rival)))
    body = refused(
        world.client.post(f"{API}/orders", json={"numbers": [n[1], n[0]]}, headers=world.h()), 409
    )
    assert body["errors"]["numbers"] == [n[0]]
    refused(
        world.client.post(
            f"{API}/orders",
            json={"did_group_id": world.other_group, "quantity": 5},
            headers=world.h(),
        ),
        409,
    )
    refused(
        world.client.post(
            f"{API}/orders", json={"did_group_id": 424242, "quantity": 1}, headers=world.h()
        ),
        404,
    )
    refused(
        world.client.post(f"{API}/orders", json={"reservation_id": 424242}, headers=world.h()), 404
    )
    after = world.did_states()
    assert {k for k in before if before[k] != after[k]} == {n[0]}
    assert balance_of(world.database, world.account_id) == Decimal("100.00")
    assert ok(world.client.get(f"{API}/orders", headers=world.h()))["data"] == []


def test_an_order_by_quantity_takes_the_lowest_available_dids(world: World) -> None:
    with world.database.write_engine.connect() as connection:
        lowest = (
            connection.execute(
                select(dids.c.number)
                .where(dids.c.did_group_id == world.group)
                .order_by(dids.c.number)
                .limit(3)
            )
            .scalars()
            .all()
        )
    placed = ok(
        world.client.post(
            f"{API}/orders", json={"did_group_id": world.group, "quantity": 3}, headers=world.h()
        )
    )["data"]
    assert [x["number"] for x in placed["numbers"]] == list(lowest)
    assert placed["total_charged"] == 9.0


def test_an_order_from_a_reservation_takes_exactly_its_numbers(world: World) -> None:
    held = ok(
        world.client.post(
            f"{API}/reservations",
            json={"did_group_id": world.group, "quantity": 2},
            headers=world.h(),
        )
    )["data"]
    refused(
        world.client.post(
            f"{API}/orders", json={"reservation_id": held["id"]}, headers=world.h(world.rival)
        ),
        404,
    )
    refused(
        world.client.post(
            f"{API}/orders", json={"numbers": held["numbers"]}, headers=world.h(world.rival)
        ),
        409,
    )
    placed = ok(
        world.client.post(f"{API}/orders", json={"reservation_id": held["id"]}, headers=world.h())
    )["data"]
    assert sorted(x["number"] for x in placed["numbers"]) == held["numbers"]
    assert (
        ok(world.client.get(f"{API}/reservations/{held['id']}", headers=world.h()))["data"][
            "status"
        ]
        == "ordered"
    )
    refused(
        world.client.post(f"{API}/orders", json={"reservation_id": held["id"]}, headers=world.h()),
        409,
    )
    # the ordered hold no longer counts against the account's limit
    ok(
        world.client.post(
            f"{API}/reservations",
            json={"did_group_id": world.group, "quantity": 6},
            headers=world.h(),
        )
    )


def test_a_retried_order_with_its_idempotency_key_is_placed_once(world: World) -> None:
    n = world.available(didGroupId=world.group)
    headers = {**world.h(), "Idempotency-Key": "order-7f3a"}
    first = world.client.post(f"{API}/orders", json={"numbers": n[:2]}, headers=headers)
    again = world.client.post(f"{API}/orders", json={"numbers": n[:2]}, headers=headers)
    assert ok(first) == ok(again)
    assert (
        again.headers["Idempotent-Replayed"] == "true"
        and "Idempotent-Replayed" not in first.headers
    )
    assert balance_of(world.database, world.account_id) == Decimal("94.00")
    refused(world.client.post(f"{API}/orders", json={"numbers": n[2:4]}, headers=headers), 422)
    refused(
        world.client.post(f"{API}/countries/didgroups/{world.group}/provision", headers=headers),
        422,
    )
    refused(
        world.client.post(
            f"{API}/orders",
            json={"numbers": n[2:3]},
            headers={**world.h(), "Idempotency-Key": "bad key"},
        ),
        422,
    )
    rival = world.client.post(
        f"{API}/orders",
        json={"numbers": n[2:3]},
        headers={**world.h(world.rival), "Idempotency-Key": "order-7f3a"},
    )
    assert ok(rival)["data"]["id"] != ok(first)["data"]["id"]  # keys are per account


def test_a_did_still_aging_cannot_be_ordered_or_reserved(world: World) -> None:
    number = ok(
        world.client.post(f"{API}/countries/didgroups/{world.group}/provision", headers=world.h())
    )["data"]
    ok(world.client.post(f"{API}/numbers/{number['id']}/release", headers=world.h()))
    assert world.did_states()[number["number"]] == "aging"
    refused(
        world.client.post(
            f"{API}/orders", json={"numbers": [number["number"]]}, headers=world.h(world.rival)
        ),
        409,
    )
    refused(
        world.client.post(
            f"{API}/reservations",
            json={"numbers": [number["number"]]},
            headers=world.h(world.rival),
        ),
        409,
    )


def test_the_seed_endpoint_never_takes_a_reserved_did(world: World) -> None:
    n = world.available(didGroupId=world.group)
    lowest = world.client.get(
        f"{API}/available-numbers?country=CAN&didGroupId={world.group}&limit=1", headers=world.h()
    ).json()["data"][0]["number"]
    with world.database.write_engine.connect() as connection:
        in_order = (
            connection.execute(
                select(dids.c.number)
                .where(dids.c.did_group_id == world.group)
                .order_by(dids.c.number)
            )
            .scalars()
            .all()
        )
    ok(
        world.client.post(
            f"{API}/reservations", json={"numbers": [in_order[0]]}, headers=world.h(world.rival)
        )
    )
    taken = ok(
        world.client.post(f"{API}/countries/didgroups/{world.group}/provision", headers=world.h())
    )["data"]
    assert taken["number"] == in_order[1]
    assert lowest in n


# The caller's numbers


def test_a_number_is_fetched_routed_and_released_by_its_holder_only(world: World) -> None:
    number = ok(
        world.client.post(f"{API}/countries/didgroups/{world.group}/provision", headers=world.h())
    )["data"]
    path = f"{API}/numbers/{number['id']}"
    detail = ok(world.client.get(path, headers=world.h()))["data"]
    assert detail["trunk_id"] == number["trunk_id"] and detail["did_number"] == number["number"]
    listed = ok(world.client.get(f"{API}/numbers", headers=world.h()))["numbers"][0]
    assert {k: v for k, v in detail.items() if k != "trunk_id"} == listed
    trunk = ok(
        world.client.post(
            f"{API}/trunks",
            json={"name": "PBX", "uri": "sips:fax@pbx.example.com"},
            headers=world.h(),
        )
    )["data"]
    rival_trunk = ok(
        world.client.post(
            f"{API}/trunks",
            json={"name": "Theirs", "uri": "sip:93.184.216.34"},
            headers=world.h(world.rival),
        )
    )["data"]
    assert (
        ok(world.client.patch(path, json={"trunk_id": trunk["id"]}, headers=world.h()))["data"][
            "trunk_id"
        ]
        == trunk["id"]
    )
    refused(world.client.patch(path, json={"trunk_id": rival_trunk["id"]}, headers=world.h()), 404)
    refused(world.client.patch(path, json={"trunk_id": "x"}, headers=world.h()), 422)
    for method in ("GET", "DELETE"):
        refused(world.client.request(method, path, headers=world.h(world.rival)), 404)
    refused(
        world.client.patch(
            path, json={"trunk_id": rival_trunk["id"]}, headers=world.h(world.rival)
        ),
        404,
    )
    refused(world.client.post(f"{path}/release", headers=world.h(world.rival)), 404)
    before = balance_of(world.database, world.account_id)
    released = ok(world.client.delete(path, headers=world.h()))["data"]
    assert released["status"] == "Released"
    assert balance_of(world.database, world.account_id) == before  # no refund
    refused(world.client.delete(path, headers=world.h()), 404)
    refused(world.client.post(f"{path}/release", headers=world.h()), 404)
    refused(world.client.get(path, headers=world.h()), 404)
    assert ok(world.client.get(f"{API}/numbers", headers=world.h()))["numbers"] == []
    assert world.did_states()[number["number"]] == "aging"
    assert assignment_is_consistent(world.database.write_engine)


# Trunks


def test_trunks_are_created_changed_and_deleted_with_one_default(world: World) -> None:
    trunks = ok(world.client.get(f"{API}/trunks", headers=world.h()))["data"]
    assert len(trunks) == 1 and trunks[0]["is_default"] and trunks[0]["uri"] is None
    first = trunks[0]
    pbx = ok(
        world.client.post(
            f"{API}/trunks",
            json={
                "name": " PBX ",
                "uri": "sip:fax@[2606:4700::1111]:5061;transport=tls",
                "t38": False,
            },
            headers=world.h(),
        )
    )["data"]
    assert pbx == {
        "id": pbx["id"],
        "account_id": world.account_id,
        "name": "PBX",
        "uri": "sip:fax@[2606:4700::1111]:5061;transport=tls",
        "t38": False,
        "is_default": False,
    }
    made_default = ok(
        world.client.patch(
            f"{API}/trunks/{pbx['id']}", json={"is_default": True}, headers=world.h()
        )
    )["data"]
    assert made_default["is_default"]
    assert not ok(world.client.get(f"{API}/trunks/{first['id']}", headers=world.h()))["data"][
        "is_default"
    ]
    number = ok(
        world.client.post(f"{API}/countries/didgroups/{world.group}/provision", headers=world.h())
    )["data"]
    assert number["trunk_id"] == pbx["id"]
    refused(
        world.client.patch(
            f"{API}/trunks/{pbx['id']}", json={"is_default": False}, headers=world.h()
        ),
        409,
    )
    refused(world.client.delete(f"{API}/trunks/{pbx['id']}", headers=world.h()), 409)
    ok(
        world.client.patch(
            f"{API}/trunks/{first['id']}",
            json={"is_default": True, "uri": "sip:pbx.example.com"},
            headers=world.h(),
        )
    )
    in_use = refused(world.client.delete(f"{API}/trunks/{pbx['id']}", headers=world.h()), 409)
    assert "1 numbers" in in_use["message"]
    ok(
        world.client.patch(
            f"{API}/numbers/{number['id']}", json={"trunk_id": first["id"]}, headers=world.h()
        )
    )
    assert (
        ok(world.client.delete(f"{API}/trunks/{pbx['id']}", headers=world.h()))["data"]["id"]
        == pbx["id"]
    )
    refused(world.client.get(f"{API}/trunks/{pbx['id']}", headers=world.h()), 404)
    refused(world.client.delete(f"{API}/trunks/{pbx['id']}", headers=world.h()), 404)
    refused(world.client.get(f"{API}/trunks/{first['id']}", headers=world.h(world.rival)), 404)
    refused(
        world.client.patch(
            f"{API}/trunks/{first['id']}", json={"name": "mine"}, headers=world.h(world.rival)
        ),
        404,
    )
    assert [t["id"] for t in ok(world.client.get(f"{API}/trunks", headers=world.h()))["data"]] == [
        first["id"]
    ]


BAD_TRUNKS: list[dict[str, object]] = [
    {"name": "x", "uri": "http://pbx.example.com"},
    {"name": "x", "uri": "sip:"},
    {"name": "x", "uri": "sip:pbx.example.com:0"},
    {"name": "x", "uri": "sip:pbx.example.com:70000"},
    {"name": "x", "uri": "sip:fax @pbx.example.com"},
    {"name": "x", "uri": "sip:pbx.example.com\r\nVia: evil"},
    {"name": "", "uri": "sip:pbx.example.com"},
    {"name": "   ", "uri": "sip:pbx.example.com"},
    {"name": "a\x00b", "uri": "sip:pbx.example.com"},
    {"name": "x" * 101, "uri": "sip:pbx.example.com"},
    {"name": ["x"], "uri": "sip:pbx.example.com"},
    {"uri": "sip:pbx.example.com"},
    {"name": "x"},
]


def test_a_bad_trunk_is_refused_and_nothing_is_created(world: World) -> None:
    for body in BAD_TRUNKS:
        refused(world.client.post(f"{API}/trunks", json=body, headers=world.h()), 422)
    assert len(ok(world.client.get(f"{API}/trunks", headers=world.h()))["data"]) == 1


def test_hostile_extension_bodies_never_cause_a_server_error(world: World) -> None:
    hostile: list[tuple[str, str, object]] = [
        ("POST", "/reservations", "not json"),
        ("POST", "/reservations", ["+12045550100"]),
        ("POST", "/reservations", {"numbers": "+12045550100"}),
        ("POST", "/reservations", {"numbers": ["+1204555010\u0660"]}),
        ("POST", "/reservations", {"numbers": ["+12045550100'; DROP TABLE dids; --"]}),
        ("POST", "/reservations", {"did_group_id": 2**63, "quantity": 1}),
        ("POST", "/reservations", {"did_group_id": -1, "quantity": 1}),
        ("POST", "/reservations", {"did_group_id": 1.5, "quantity": 1}),
        ("POST", "/reservations", {"numbers": ["+12045550100"], "ttl_seconds": "forever"}),
        ("POST", "/orders", {"numbers": ["+1" + "2" * 500]}),
        ("POST", "/orders", {"numbers": ["+12045550100"] * 501}),
        ("POST", "/orders", {"reservation_id": True}),
        ("POST", "/orders", {"reservation_id": None}),
        ("POST", "/orders", {"did_group_id": 1, "quantity": 501}),
        ("PATCH", "/numbers/1", {"trunk_id": {"$gt": 0}}),
        ("PATCH", "/trunks/1", '{"name": "\\ud800"}'),
        ("PATCH", "/trunks/1", {"uri": "sip:" + "a" * 300}),
        ("DELETE", "/trunks/%2e%2e%2f1", None),
        ("GET", "/orders/1%20OR%201=1", None),
    ]
    for method, path, body in hostile:
        if isinstance(body, str):
            response = world.client.request(
                method,
                API + path,
                content=body,
                headers={**world.h(), "content-type": "application/json"},
            )
        else:
            response = world.client.request(method, API + path, json=body, headers=world.h())
        assert 400 <= response.status_code < 500, (method, path, body, response.text)
        assert response.json()["status"] == "failed"
    assert assignment_is_consistent(world.database.write_engine)


def test_bodies_are_json_whatever_their_content_type_or_a_form(world: World) -> None:
    n = world.available(didGroupId=world.group)
    curl_form = {**world.h(), "content-type": "application/x-www-form-urlencoded"}
    held = ok(
        world.client.post(
            f"{API}/reservations", content=f'{{"numbers": ["{n[0]}"]}}', headers=curl_form
        )
    )
    assert held["data"]["numbers"] == [n[0]]
    ok(
        world.client.post(
            f"{API}/reservations",
            content=f'{{"numbers": ["{n[1]}"]}}',
            headers={**world.h(), "content-type": "text/plain"},
        )
    )
    placed = ok(
        world.client.post(f"{API}/orders", data={"numbers": [n[2], n[3]]}, headers=world.h())
    )
    assert [x["number"] for x in placed["data"]["numbers"]] == [n[2], n[3]]
    trunk = ok(
        world.client.post(
            f"{API}/trunks",
            data={"name": "Form", "uri": "sip:pbx.example.com", "t38": "false"},
            headers=world.h(),
        )
    )
    assert trunk["data"]["t38"] is False
    number_id = placed["data"]["numbers"][0]["id"]
    ok(
        world.client.patch(
            f"{API}/numbers/{number_id}",
            content=f'{{"trunk_id": {trunk["data"]["id"]}}}',
            headers=curl_form,
        )
    )
    for depth in (1000, 5000):
        nested = "[" * depth + "]" * depth
        for method, path in (
            ("POST", "/orders"),
            ("POST", "/trunks"),
            ("PATCH", f"/numbers/{number_id}"),
        ):
            problem = refused(
                world.client.request(
                    method,
                    API + path,
                    content=nested,
                    headers={**world.h(), "content-type": "application/json"},
                ),
                422,
            )
            assert "body" in problem["errors"]


WRONG_TYPES: list[tuple[str, dict[str, object], str]] = [
    ("/orders", {"did_group_id": "GROUP", "quantity": True}, "quantity"),
    ("/orders", {"did_group_id": "GROUP", "quantity": "2"}, "quantity"),
    ("/orders", {"did_group_id": "1", "quantity": 1}, "did_group_id"),
    (
        "/reservations",
        {"did_group_id": "GROUP", "quantity": 1, "ttl_seconds": "600"},
        "ttl_seconds",
    ),
    ("/reservations", {"did_group_id": "GROUP", "quantity": 1.5}, "quantity"),
    ("/trunks", {"name": "x", "uri": "sip:pbx.example.com", "t38": "yes"}, "t38"),
    ("/trunks", {"name": "x", "uri": "sip:pbx.example.com", "is_default": 1}, "is_default"),
]


def test_json_fields_of_the_wrong_type_are_refused_not_converted(world: World) -> None:
    before = world.did_states()
    for path, sent, field in WRONG_TYPES:
        body = {k: world.group if v == "GROUP" else v for k, v in sent.items()}
        problem = refused(world.client.post(API + path, json=body, headers=world.h()), 422)
        assert field in problem["errors"], (path, body, problem)
    assert world.did_states() == before
    assert balance_of(world.database, world.account_id) == Decimal("100.00")
    assert len(ok(world.client.get(f"{API}/trunks", headers=world.h()))["data"]) == 1


def test_an_order_the_balance_cannot_cover_names_its_total(world: World) -> None:
    poor = add_account(world.database, "poorer@example.com", "5.00")
    problem = refused(
        world.client.post(
            f"{API}/orders",
            json={"did_group_id": world.group, "quantity": 4},
            headers=world.h(poor.api_key),
        ),
        402,
    )
    assert "12.00" in problem["message"]


def test_an_idempotency_key_in_the_body_or_an_empty_header(world: World) -> None:
    body = {"did_group_id": world.group, "quantity": 1, "idempotency_key": "in-body-1"}
    first = ok(world.client.post(f"{API}/orders", json=body, headers=world.h()))
    again = world.client.post(f"{API}/orders", json=body, headers=world.h())
    assert ok(again) == first and again.headers["Idempotent-Replayed"] == "true"
    assert balance_of(world.database, world.account_id) == Decimal("97.00")
    by_query = f"{API}/orders?idempotency_key=in-query-1"
    once = ok(
        world.client.post(
            by_query, json={"did_group_id": world.group, "quantity": 1}, headers=world.h()
        )
    )
    assert (
        ok(
            world.client.post(
                by_query, json={"did_group_id": world.group, "quantity": 1}, headers=world.h()
            )
        )
        == once
    )
    assert balance_of(world.database, world.account_id) == Decimal("94.00")
    both = {**world.h(), "Idempotency-Key": "one-key"}
    refused(
        world.client.post(
            f"{API}/orders?idempotency_key=another-key",
            json={"did_group_id": world.group, "quantity": 1},
            headers=both,
        ),
        422,
    )
    empty = {**world.h(), "Idempotency-Key": ""}
    refused(
        world.client.post(
            f"{API}/orders", json={"did_group_id": world.group, "quantity": 1}, headers=empty
        ),
        422,
    )
    refused(
        world.client.post(f"{API}/countries/didgroups/{world.group}/provision", headers=empty), 422
    )
    assert balance_of(world.database, world.account_id) == Decimal("94.00")
