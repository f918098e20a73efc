"""Events and signed webhooks through the HTTP app on each store, delivered by the
real delivery worker to a real receiver on loopback; the clock is the test's."""

import asyncio
import json
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError
from standardwebhooks.webhooks import Webhook as Verifier
from standardwebhooks.webhooks import WebhookVerificationError

from faxnum.api.app import create_app
from faxnum.config import Settings
from faxnum.domain.errors import Conflict
from faxnum.domain.webhooks import MAX_WEBHOOKS, Attempt, DeliveryPolicy
from faxnum.outbound.addresses import OutboundPolicy
from faxnum.outbound.sender import Sender
from faxnum.security.key_cipher import KeyCipher
from faxnum.services.accounts import authenticate
from faxnum.services.billing import credit_account
from faxnum.services.lifecycle import renew_due
from faxnum.services.reservations import expire_due
from faxnum.services.webhook_delivery import DeliveryWorker, record_outcome
from faxnum.services.webhooks import add_webhook
from faxnum.store.db.database import Database
from faxnum.store.db.tables import webhook_deliveries
from faxnum.store.idempotency import IdempotencyQueries
from tests.conftest import make_settings
from tests.factories import TEST_SECRET, add_account, add_group
from tests.webhook_receiver import Receiver, running_receiver

API = "/api/v2"
PUBLIC_ADDRESS = "93.184.216.34"


class Clock:
    def __init__(self) -> None:
        self.now = datetime.now(UTC)

    def __call__(self) -> datetime:
        return self.now


@dataclass
class World:
    client: TestClient
    database: Database
    clock: Clock
    group: int
    key: str
    account_id: int
    receiver: Receiver
    settings: Settings

    def h(self, key: str | None = None) -> dict[str, str]:
        return {"X-API-Key": key or self.key}

    def register(self, url: str | None = None, **fields: Any) -> dict[str, Any]:
        body = {"url": url or self.receiver.url, **fields}
        data: dict[str, Any] = ok(self.client.post(f"{API}/webhooks", json=body, headers=self.h()))[
            "data"
        ]
        return data

    def provision(self, key: str | None = None) -> dict[str, Any]:
        path = f"{API}/countries/didgroups/{self.group}/provision"
        data: dict[str, Any] = ok(self.client.post(path, headers=self.h(key)))["data"]
        return data

    def worker(self, database: Database | None = None, owner: str | None = None) -> DeliveryWorker:
        policy = DeliveryPolicy(timeout_s=2, retry_base=timedelta(seconds=5), poll_s=0.01)
        sender = Sender(OutboundPolicy(allow_private=self.settings.webhook_allow_private), 2)
        db = database or self.database
        return DeliveryWorker(
            db.read, db.write, sender, KeyCipher(TEST_SECRET), self.clock, policy, owner
        )

    def deliver(self) -> None:
        asyncio.run(self.worker().deliver_until_idle())

    def deliver_across_retries(self, rounds: int) -> None:
        """Deliver, then move the clock past the next retry, `rounds` times."""
        for _ in range(rounds):
            self.deliver()
            self.clock.now += timedelta(hours=6, seconds=1)

    def events(self, of_type: str | None = None) -> list[dict[str, Any]]:
        bodies = [json.loads(item.body) for item in self.receiver.received]
        return [b for b in bodies if of_type is None or b["type"] == of_type]


@pytest.fixture
def world(tmp_path: Path, database_url: str, database: Database) -> Iterator[World]:
    group = add_group(database, count=8, setup="1.00", monthly="2.00")
    owner = add_account(database, "owner@example.com", "100.00")
    settings = make_settings(tmp_path, database_url).model_copy(
        update={"webhook_allow_private": True, "webhook_delivery": False}
    )
    clock = Clock()
    with (
        running_receiver() as receiver,
        TestClient(create_app(settings, clock=clock), raise_server_exceptions=False) as client,
    ):
        yield World(
            client, database, clock, group, owner.api_key, owner.account_id, receiver, settings
        )


def ok(response: Any) -> dict[str, Any]:
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    assert body["status"] == "success"
    return body


def refused(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    assert body["status"] == "failed" and body["message"]
    return body


def queued(database: Database) -> int:
    with database.write_engine.connect() as connection:
        found = connection.execute(select(func.count()).select_from(webhook_deliveries)).scalar()
    return int(found or 0)


# Delivery, signatures, payloads


def test_a_provisioning_arrives_signed_verifiable_and_shaped_like_the_api_answer(
    world: World,
) -> None:
    hook = world.register()
    assert hook["secret"].startswith("whsec_") and hook["all_events"] is True
    provisioned = world.provision()
    world.deliver()
    [message] = world.receiver.received
    payload = Verifier(hook["secret"]).verify(message.body, message.headers)
    assert payload["type"] == "number.provisioned"
    assert payload["timestamp"].endswith("Z")
    assert payload["data"] == provisioned | {"account_id": world.account_id}
    assert message.headers["webhook-id"].startswith("msg_")
    assert message.headers["content-type"] == "application/json"
    with pytest.raises(WebhookVerificationError):  # another secret does not verify it
        Verifier("whsec_" + "A" * 43 + "=").verify(message.body, message.headers)
    assert (
        "secret"
        not in ok(world.client.get(f"{API}/webhooks/{hook['id']}", headers=world.h()))["data"]
    )


def test_a_receiver_failing_four_times_then_succeeding_gets_the_event_once_under_one_id(
    world: World,
) -> None:
    hook = world.register()
    world.receiver.answers = [500, 503, 500, 502]
    world.provision()
    world.deliver_across_retries(6)
    ids = [item.message_id for item in world.receiver.received]
    assert len(ids) == 5 and len(set(ids)) == 1
    log = ok(world.client.get(f"{API}/webhooks/{hook['id']}/deliveries", headers=world.h()))
    [delivery] = log["data"]
    assert delivery["status"] == "succeeded" and delivery["attempts"] == 5
    assert delivery["message_id"] == ids[0]
    assert delivery["last_attempt"]["status_code"] == 200
    detail = ok(
        world.client.get(
            f"{API}/webhooks/{hook['id']}/deliveries/{delivery['id']}", headers=world.h()
        )
    )["data"]
    assert [a["status_code"] for a in detail["attempt_log"]] == [500, 503, 500, 502, 200]
    assert detail["attempt_log"][0]["error"] == "answered 500"
    assert detail["attempt_log"][0]["response_excerpt"] == "try again later"


def test_whatever_an_endpoint_answers_is_logged_without_breaking_the_log(world: World) -> None:
    hook = world.register()
    world.receiver.answers = [500]
    world.receiver.reply = b"nul\x00here \xff" + b"x" * 5000
    world.provision()
    world.deliver_across_retries(2)
    [delivery] = ok(world.client.get(f"{API}/webhooks/{hook['id']}/deliveries", headers=world.h()))[
        "data"
    ]
    assert delivery["status"] == "succeeded" and delivery["attempts"] == 2
    detail = ok(
        world.client.get(
            f"{API}/webhooks/{hook['id']}/deliveries/{delivery['id']}", headers=world.h()
        )
    )["data"]
    excerpt = detail["attempt_log"][0]["response_excerpt"]
    assert excerpt.startswith("nul\ufffdhere \ufffd") and len(excerpt) <= 1024


def test_a_failing_event_holds_the_ones_behind_it_and_the_order_is_kept(world: World) -> None:
    world.register()
    world.receiver.answers = [500, 500]
    numbers = [world.provision()["number"] for _ in range(3)]
    world.deliver_across_retries(4)
    arrived = [body["data"]["number"] for body in world.events("number.provisioned")]
    assert arrived == [numbers[0], numbers[0], numbers[0], numbers[1], numbers[2]]


def test_a_rolled_back_provisioning_emits_nothing(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    world.register()

    def broken(*_: object, **__: object) -> None:
        raise RuntimeError("the store failed after the event was written")

    monkeypatch.setattr(IdempotencyQueries, "complete", broken)
    path = f"{API}/countries/didgroups/{world.group}/provision"
    response = world.client.post(path, headers=world.h() | {"Idempotency-Key": "k-1"})
    assert response.status_code == 500
    assert queued(world.database) == 0
    world.deliver()
    assert world.receiver.received == []


def test_events_reach_only_the_endpoints_that_hear_them_and_the_parent_hears_its_subaccounts(
    world: World,
) -> None:
    released_only = world.register(events=["number.released"])
    everything = world.register()
    created = world.client.post(
        f"{API}/subuser", json={"email": "sub@example.com"}, headers=world.h()
    )
    assert created.status_code == 200, created.text
    sub_key = created.json()["api_key"]
    number = world.provision(key=sub_key)
    ok(world.client.delete(f"{API}/numbers/{number['id']}", headers=world.h()))
    world.deliver()
    kinds = [body["type"] for body in world.events()]
    assert sorted(kinds) == ["number.provisioned", "number.released", "number.released"]
    for body in world.events():
        assert body["data"]["account_id"] != world.account_id  # the sub-account's number
    logs = {
        hook["id"]: ok(
            world.client.get(f"{API}/webhooks/{hook['id']}/deliveries", headers=world.h())
        )["data"]
        for hook in (released_only, everything)
    }
    assert [d["type"] for d in logs[released_only["id"]]] == ["number.released"]
    assert len(logs[everything["id"]]) == 2


def test_orders_releases_and_expired_reservations_each_tell(world: World) -> None:
    world.register()
    order = ok(
        world.client.post(
            f"{API}/orders", json={"did_group_id": world.group, "quantity": 2}, headers=world.h()
        )
    )["data"]
    ok(world.client.delete(f"{API}/numbers/{order['numbers'][0]['id']}", headers=world.h()))
    held = ok(
        world.client.post(
            f"{API}/reservations",
            json={"did_group_id": world.group, "quantity": 1, "ttl_seconds": 60},
            headers=world.h(),
        )
    )["data"]
    world.clock.now += timedelta(seconds=61)
    asyncio.run(world.database.write(lambda uow: expire_due(uow, world.clock.now)))
    world.deliver()
    kinds = [body["type"] for body in world.events()]
    assert kinds == [
        "number.provisioned",
        "number.provisioned",
        "order.completed",
        "number.released",
        "reservation.expired",
    ]
    completed = world.events("order.completed")[0]["data"]
    assert completed["id"] == order["id"] and completed["total_charged"] == 6.00
    assert '"total_charged":6.00' in world.receiver.received[2].body  # money: two decimals
    assert world.events("number.released")[0]["data"]["status"] == "Released"
    expired = world.events("reservation.expired")[0]["data"]
    assert expired["id"] == held["id"] and expired["status"] == "expired"


@pytest.mark.parametrize("threshold", [0.001, "0.001", 10.005, -0.001])
def test_a_threshold_in_fractions_of_a_cent_is_refused_not_rounded(
    world: World, threshold: object
) -> None:
    before = ok(world.client.get(f"{API}/notification-settings", headers=world.h()))["data"]
    refused = world.client.patch(
        f"{API}/notification-settings",
        json={"low_balance_threshold": threshold},
        headers=world.h(),
    )
    assert refused.status_code == 422 and "low_balance_threshold" in refused.json()["errors"]
    after = ok(world.client.get(f"{API}/notification-settings", headers=world.h()))["data"]
    assert after == before


def test_balance_low_is_told_once_per_crossing(world: World) -> None:
    world.register(events=["balance.low"])
    ok(
        world.client.patch(
            f"{API}/notification-settings",
            json={"low_balance_threshold": 95},
            headers=world.h(),
        )
    )
    for _ in range(3):
        world.provision()  # 100 -> 97 -> 94 (crossed) -> 91
    with world.database.unit_of_work() as uow:
        credit_account(uow, world.account_id, Decimal("9.00"), "top-up", world.clock.now)
    for _ in range(2):
        world.provision()  # 100 -> 97 -> 94 (crossed again)
    world.deliver()
    lows = world.events("balance.low")
    assert [body["data"]["balance"] for body in lows] == [94.0, 94.0]
    assert lows[0]["data"]["low_balance_threshold"] == 95.0


def test_number_expiring_is_told_once_per_paid_period_and_renewal_tells(world: World) -> None:
    world.register()
    number = world.provision()
    expiry = date.fromisoformat(
        ok(world.client.get(f"{API}/numbers/{number['id']}", headers=world.h()))["data"][
            "expiration_date"
        ]
    )
    ok(
        world.client.patch(
            f"{API}/notification-settings", json={"expiring_days": 5}, headers=world.h()
        )
    )
    policy = world.settings.lifecycle
    for today in (
        expiry - timedelta(days=6),
        expiry - timedelta(days=5),
        expiry - timedelta(days=4),
    ):
        renew_due(world.database.unit_of_work, today, world.clock.now, policy)
    renew_due(world.database.unit_of_work, expiry, world.clock.now, policy)
    world.deliver()
    expiring = world.events("number.expiring")
    assert len(expiring) == 1
    assert expiring[0]["data"]["days_left"] == 5
    assert expiring[0]["data"]["expiration_date"] == expiry.isoformat()
    [renewed] = world.events("number.renewed")
    assert renewed["data"]["months_renewed"] == 1
    assert renewed["data"]["expiration_date"] > expiry.isoformat()


# The endpoint's lifecycle


def test_a_rotated_secret_signs_beside_the_old_one_for_24_hours(world: World) -> None:
    hook = world.register()
    rotated = ok(
        world.client.post(f"{API}/webhooks/{hook['id']}/rotate-secret", headers=world.h())
    )["data"]
    assert rotated["secret"] != hook["secret"]
    world.provision()
    world.deliver()
    message = world.receiver.received[-1]
    assert len(message.headers["webhook-signature"].split(" ")) == 2
    Verifier(hook["secret"]).verify(message.body, message.headers)
    Verifier(rotated["secret"]).verify(message.body, message.headers)
    world.clock.now += timedelta(hours=24, seconds=1)
    world.provision()
    world.deliver()
    later = world.receiver.received[-1]
    sent_at = datetime.fromtimestamp(int(later.headers["webhook-timestamp"]), UTC)
    # (the clock is a day ahead, so `verify` would refuse the timestamp: sign to compare)
    only_new = Verifier(rotated["secret"]).sign(later.message_id, sent_at, later.body)
    assert later.headers["webhook-signature"] == only_new


def test_an_endpoint_failing_for_five_days_is_disabled_and_the_others_are_told(
    world: World,
) -> None:
    with running_receiver(answers=[500] * 1000) as failing:
        broken = world.register(url=failing.url)
        healthy = world.register(events=["webhook.disabled"])
        world.provision()  # given up after 3 days,
        world.provision()  # then this one fails on until day 5
        for _ in range(60):
            world.deliver()
            world.clock.now += timedelta(hours=6, seconds=1)
            state = ok(world.client.get(f"{API}/webhooks/{broken['id']}", headers=world.h()))
            if not state["data"]["enabled"]:
                break
    assert state["data"]["enabled"] is False
    assert "Failing since" in state["data"]["disabled_reason"]
    log = ok(world.client.get(f"{API}/webhooks/{broken['id']}/deliveries", headers=world.h()))
    assert [d["status"] for d in log["data"]] == ["pending", "failed"]
    world.deliver()
    [told] = world.events("webhook.disabled")
    assert told["data"]["webhook_id"] == broken["id"]
    assert healthy["id"] != broken["id"]
    again = ok(
        world.client.patch(
            f"{API}/webhooks/{broken['id']}", json={"enabled": True}, headers=world.h()
        )
    )["data"]
    assert again["enabled"] is True and again["disabled_reason"] is None


def test_test_events_and_redelivery_reuse_nothing_but_the_event(world: World) -> None:
    hook = world.register()
    queued = ok(world.client.post(f"{API}/webhooks/{hook['id']}/test", headers=world.h()))["data"]
    assert queued["type"] == "webhook.test" and queued["status"] == "pending"
    refused(world.client.post(f"{API}/webhooks/{hook['id']}/test", headers=world.h()), 409)
    path = f"{API}/webhooks/{hook['id']}/deliveries/{queued['id']}/redeliver"
    refused(world.client.post(path, headers=world.h()), 409)  # still pending
    world.deliver()
    again = ok(world.client.post(path, headers=world.h()))["data"]
    assert again["id"] != queued["id"] and again["message_id"] == queued["message_id"]
    world.deliver()
    assert [m.message_id for m in world.receiver.received] == [queued["message_id"]] * 2


def test_two_delivery_workers_never_send_one_endpoint_two_events_at_once(
    world: World, settings: Settings
) -> None:
    world.register()
    world.receiver.delay_s = 0.03
    for _ in range(8):
        world.provision()
    second = Database(settings.effective_database_url)

    async def both() -> None:
        """Each worker polls every 10 ms for as long as the other is sending."""
        workers = [world.worker(owner="one"), world.worker(second, owner="two")]
        running = [asyncio.create_task(worker.run_forever()) for worker in workers]
        for _ in range(2000):
            if len(world.receiver.received) == 8:
                break
            await asyncio.sleep(0.01)
        for task in running:
            task.cancel()
        await asyncio.gather(*running, return_exceptions=True)
        for worker in workers:
            await worker.stop()

    try:
        asyncio.run(both())
    finally:
        second.dispose()
    ids = [m.message_id for m in world.receiver.received]
    assert len(ids) == 8 and len(set(ids)) == 8
    assert world.receiver.most_in_flight == 1


# Refusals


def test_webhook_requests_are_checked_and_scoped_to_the_caller(world: World) -> None:
    hook = world.register(events=["number.provisioned"])
    rival = add_account(world.database, "rival@example.com", "10.00")
    for path in (f"/webhooks/{hook['id']}", f"/webhooks/{hook['id']}/deliveries"):
        refused(world.client.get(API + path, headers=world.h(rival.api_key)), 404)
    refused(
        world.client.delete(f"{API}/webhooks/{hook['id']}", headers=world.h(rival.api_key)), 404
    )
    bad = refused(
        world.client.post(
            f"{API}/webhooks",
            json={"url": world.receiver.url, "events": ["nope"]},
            headers=world.h(),
        ),
        422,
    )
    assert "events" in bad["errors"]
    refused(world.client.post(f"{API}/webhooks", json={"url": ""}, headers=world.h()), 422)
    refused(world.client.post(f"{API}/webhooks", json={"url": 5}, headers=world.h()), 422)
    refused(world.client.get(f"{API}/webhooks/0", headers=world.h()), 422)
    refused(world.client.get(f"{API}/webhooks/{hook['id']}/deliveries/99", headers=world.h()), 404)
    refused(
        world.client.patch(
            f"{API}/notification-settings", json={"expiring_days": 61}, headers=world.h()
        ),
        422,
    )
    everything = ok(
        world.client.patch(f"{API}/webhooks/{hook['id']}", json={"events": []}, headers=world.h())
    )["data"]
    assert everything["all_events"] is True
    ok(world.client.delete(f"{API}/webhooks/{hook['id']}", headers=world.h()))
    refused(world.client.get(f"{API}/webhooks/{hook['id']}", headers=world.h()), 404)


def test_one_accounts_busy_endpoints_do_not_hold_back_another_accounts(world: World) -> None:
    with running_receiver(delay_s=0.05) as slow:
        for _ in range(3):
            world.register(url=slow.url)
        for _ in range(4):
            world.provision()  # 12 deliveries to the slow endpoints
        other = add_account(world.database, "other@example.com", "10.00")
        hook = world.client.post(
            f"{API}/webhooks",
            json={"url": world.receiver.url, "events": ["number.provisioned"]},
            headers=world.h(other.api_key),
        )
        assert hook.status_code == 200, hook.text
        world.provision(key=other.api_key)
        policy = DeliveryPolicy(
            timeout_s=2, poll_s=0.01, endpoints_at_once=2, per_account=1, batch=2, turn_s=1
        )
        sender = Sender(OutboundPolicy(allow_private=True), 2)
        worker = DeliveryWorker(
            world.database.read,
            world.database.write,
            sender,
            KeyCipher(TEST_SECRET),
            world.clock,
            policy,
        )

        async def until_the_other_is_served() -> int:
            running = asyncio.create_task(worker.run_forever())
            for _ in range(1000):
                if world.receiver.received:
                    break
                await asyncio.sleep(0.01)
            served_before = len(slow.received)
            running.cancel()
            await asyncio.gather(running, return_exceptions=True)
            await worker.stop()
            await sender.aclose()
            return served_before

        busy_served = asyncio.run(until_the_other_is_served())
    assert len(world.receiver.received) == 1
    assert busy_served <= 2  # served in the first round, not after the 12 others


def test_a_result_is_never_written_onto_another_endpoints_delivery(world: World) -> None:
    first = world.register()
    ok(world.client.post(f"{API}/webhooks/{first['id']}/test", headers=world.h()))
    target, head = asyncio.run(
        world.database.read(
            lambda uow: (uow.outbox.target(first["id"]), uow.outbox.queue_head(first["id"], 5))
        )
    )
    ok(world.client.delete(f"{API}/webhooks/{first['id']}", headers=world.h()))
    second = world.register()
    queued = ok(world.client.post(f"{API}/webhooks/{second['id']}/test", headers=world.h()))["data"]
    assert second["id"] != first["id"] and queued["id"] != head[0].delivery_id  # never reused
    late = Attempt(1, world.clock(), 200, 8000, None, "ok")
    with world.database.unit_of_work() as uow:
        assert target is not None
        kept = record_outcome(
            uow, target, head[0], late, "gone-worker", world.clock(), DeliveryPolicy()
        )
    assert kept is False
    [still] = ok(world.client.get(f"{API}/webhooks/{second['id']}/deliveries", headers=world.h()))[
        "data"
    ]
    assert still["status"] == "pending" and still["attempts"] == 0


def test_concurrent_registrations_never_pass_the_limit(world: World, settings: Settings) -> None:
    with world.database.reader() as uow:
        caller = authenticate(uow, world.key)
    for n in range(MAX_WEBHOOKS - 2):
        with world.database.unit_of_work() as uow:
            add_webhook(
                uow,
                caller,
                f"https://{n}.example/",
                None,
                KeyCipher(TEST_SECRET),
                datetime.now(UTC),
            )
    databases = [Database(settings.effective_database_url) for _ in range(6)]

    def register_one(database: Database) -> bool:
        try:
            with database.unit_of_work() as uow:
                add_webhook(
                    uow,
                    caller,
                    "https://more.example/",
                    None,
                    KeyCipher(TEST_SECRET),
                    datetime.now(UTC),
                )
            return True
        except Conflict:
            return False
        except OperationalError:  # SQLite: the writer lock not had in time; not added
            return False

    try:
        with ThreadPoolExecutor(6) as pool:
            added = sum(pool.map(register_one, databases))
    finally:
        for database in databases:
            database.dispose()
    with world.database.unit_of_work() as uow:  # the count locks the account on PostgreSQL
        assert uow.webhooks.count_held(caller.account_id) == MAX_WEBHOOKS
    assert added == 2
