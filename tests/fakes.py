"""An in-memory unit of work: the `faxnum.services.unit_of_work` protocols over plain
dictionaries, so use cases can be specified without a database.

Transactions are modelled by copying the tables on `__enter__` and putting the copy
back on `__exit__` unless `commit()` was called: a use case that raises halfway
leaves nothing behind, as on a real store.
"""

import copy
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from decimal import Decimal
from types import TracebackType
from typing import Any, Self

from faxnum.domain.accounts import (
    AccountSummary,
    BalanceChange,
    Caller,
    Credentials,
    KeyHolder,
    sees,
)
from faxnum.domain.catalogue import (
    AreaCode,
    AvailableNumberFilter,
    Country,
    CountryInfo,
    DidGroupFilter,
    State,
    Subdivision,
)
from faxnum.domain.did_states import DidEvent, transition
from faxnum.domain.errors import Conflict
from faxnum.domain.idempotency import Outcome
from faxnum.domain.ledger import LedgerEntry
from faxnum.domain.money import balance_after
from faxnum.domain.numbers import (
    AgedCursor,
    AvailableNumber,
    Did,
    DidGroup,
    DidState,
    DueCursor,
    DueNumber,
    GroupSpec,
    HeldDid,
    InventoryLine,
    NewDid,
    NumberListing,
    NumberStatus,
    NumberType,
    ProvisionedNumber,
    next_from_group,
)
from faxnum.domain.orders import Order
from faxnum.domain.pagination import PageRequest
from faxnum.domain.reservations import Reservation, ReservationStatus
from faxnum.domain.trunks import Trunk, TrunkChanges
from faxnum.domain.webhooks import (
    DEFAULT_EXPIRING_DAYS,
    DEFAULT_LOW_BALANCE,
    Attempt,
    Delivery,
    DeliveryStatus,
    EventType,
    Listener,
    NotificationSettings,
    Outgoing,
    SealedSecrets,
    Target,
    Webhook,
    WebhookChanges,
)

Row = dict[str, Any]


@dataclass
class Tables:
    accounts: dict[int, Row] = field(default_factory=dict)
    trunks: dict[int, Row] = field(default_factory=dict)
    keys: dict[int, Row] = field(default_factory=dict)
    countries: dict[str, CountryInfo] = field(default_factory=dict)
    states: dict[int, State] = field(default_factory=dict)
    area_codes: list[AreaCode] = field(default_factory=list)
    groups: dict[int, DidGroup] = field(default_factory=dict)
    dids: dict[int, Row] = field(default_factory=dict)
    floors: dict[int, str] = field(default_factory=dict)  # group id: stock floor ('')
    numbers: dict[int, Row] = field(default_factory=dict)
    ledger: dict[int, Row] = field(default_factory=dict)
    idempotency: dict[tuple[int, str], Row] = field(default_factory=dict)
    reservations: dict[int, Row] = field(default_factory=dict)  # with their "did_ids"
    orders: dict[int, Row] = field(default_factory=dict)
    webhooks: dict[int, Row] = field(default_factory=dict)
    deliveries: dict[int, Row] = field(default_factory=dict)


def _next_id(table: dict[int, Any]) -> int:
    return max(table, default=0) + 1


def _page(items: list[Any], wanted: PageRequest) -> list[Any]:
    return items[wanted.offset : wanted.offset + wanted.limit]


class _Repository:
    def __init__(self, unit_of_work: "FakeUnitOfWork") -> None:
        self._uow = unit_of_work

    @property
    def t(self) -> Tables:
        return self._uow.tables


class FakeAccounts(_Repository):
    def holder_of_key(self, digest: bytes) -> KeyHolder | None:
        for key_id, key in self.t.keys.items():
            if key["digest"] == digest and key["revoked_at"] is None:
                account_id = key["account_id"]
                account = self.t.accounts[account_id]
                trunk = next(  # new numbers go to the default trunk, as the store joins it
                    i
                    for i, t in self.t.trunks.items()
                    if t["account_id"] == account_id and t["is_default"]
                )
                caller = Caller(account_id, account["parent_id"], key_id, trunk)
                return KeyHolder(caller, digest, self._shut_out(account_id))
        return None

    def create(
        self, email: str, password_hash: str | None, parent_id: int | None, now: datetime
    ) -> int:
        if any(
            a["email"] == email and a["parent_id"] == parent_id for a in self.t.accounts.values()
        ):  # the store's two unique indexes: main accounts, and per parent
            raise Conflict("An account with this email already exists.")
        account_id = _next_id(self.t.accounts)
        self.t.accounts[account_id] = {
            "email": email,
            "password_hash": password_hash,
            "parent_id": parent_id,
            "balance": Decimal(0),
            "disabled": False,
            "created_at": now,
            "reserved_numbers": 0,  # DIDs in the account's active reservations
        }
        return account_id

    def login_candidates(self, email: str) -> list[Credentials]:
        return [
            Credentials(i, self.t.accounts[i]["password_hash"], self._shut_out(i))
            for i in self._ids_with(email)
        ]

    def subaccounts_using(self, email: str) -> int:
        return sum(1 for i in self._ids_with(email) if self.t.accounts[i]["parent_id"])

    def _ids_with(self, email: str) -> list[int]:
        found = [i for i, a in self.t.accounts.items() if a["email"] == email]
        return sorted(found, key=lambda i: (self.t.accounts[i]["parent_id"] is not None, i))

    def _shut_out(self, account_id: int) -> bool:
        account = self.t.accounts[account_id]
        parent = self.t.accounts.get(account["parent_id"]) if account["parent_id"] else None
        return bool(account["disabled"] or (parent and parent["disabled"]))

    def summaries(self) -> list[AccountSummary]:
        return [self._summary(i) for i in sorted(self.t.accounts)]

    def summary(self, account_id: int) -> AccountSummary | None:
        return self._summary(account_id) if account_id in self.t.accounts else None

    def subaccounts_page(
        self, parent_id: int, wanted: PageRequest
    ) -> tuple[list[AccountSummary], int]:
        subs = [i for i in sorted(self.t.accounts) if self.t.accounts[i]["parent_id"] == parent_id]
        page = subs[wanted.offset : wanted.offset + wanted.limit]
        return [self._summary(i) for i in page], len(subs)

    def _summary(self, account_id: int) -> AccountSummary:
        a = self.t.accounts[account_id]
        return AccountSummary(
            account_id, a["email"], a["parent_id"], a["balance"], a["disabled"], a["created_at"]
        )

    def set_disabled(self, account_id: int, disabled: bool) -> bool:
        if account_id not in self.t.accounts:
            return False
        self.t.accounts[account_id]["disabled"] = disabled
        return True

    def set_password_hash(self, account_id: int, password_hash: str) -> bool:
        if account_id not in self.t.accounts:
            return False
        self.t.accounts[account_id]["password_hash"] = password_hash
        return True

    def revoke_key(self, key_id: int, now: datetime) -> bool:
        key = self.t.keys.get(key_id)
        if key is None or key["revoked_at"] is not None:
            return False
        key["revoked_at"] = now
        return True

    def revoke_keys(self, account_id: int, now: datetime) -> int:
        live = [
            k
            for k in self.t.keys.values()
            if k["account_id"] == account_id and k["revoked_at"] is None
        ]
        for key in live:
            key["revoked_at"] = now
        return len(live)

    def id_by_email(self, email: str) -> int | None:
        return next(iter(self._ids_with(email)), None)

    def add_default_trunk(self, account_id: int) -> int:
        trunk_id = _next_id(self.t.trunks)
        self.t.trunks[trunk_id] = {
            "account_id": account_id,
            "name": "default",  # as the store names it
            "uri": None,
            "t38": True,
            "is_default": True,
            "deleted_at": None,
        }
        return trunk_id

    def add_key(self, account_id: int, digest: bytes, encrypted: bytes, now: datetime) -> int:
        key_id = _next_id(self.t.keys)
        self.t.keys[key_id] = {
            "account_id": account_id,
            "digest": digest,
            "encrypted": encrypted,
            "created_at": now,
            "revoked_at": None,
        }
        return key_id

    def encrypted_key(self, account_id: int) -> bytes | None:
        live = [
            (i, k["encrypted"])
            for i, k in self.t.keys.items()
            if k["account_id"] == account_id and k["revoked_at"] is None
        ]
        return max(live)[1] if live else None

    def live_encrypted_keys(
        self, after_id: int, limit: int, newest_first: bool = False
    ) -> list[tuple[int, bytes]]:
        live = [
            (i, k["encrypted"])
            for i, k in sorted(self.t.keys.items(), reverse=newest_first)
            if k["revoked_at"] is None and i > after_id
        ]
        return live[:limit]

    def replace_encrypted(self, key_id: int, encrypted: bytes) -> None:
        self.t.keys[key_id]["encrypted"] = encrypted

    def balance(self, account_id: int) -> Decimal:
        return Decimal(self.t.accounts[account_id]["balance"])

    def change_balance(
        self, account_id: int, delta: Decimal, keep_holds: bool = False
    ) -> BalanceChange | None:
        account = self.t.accounts.get(account_id)
        floor = account.get("held", Decimal(0)) if account and keep_holds else Decimal(0)
        after = None if account is None else balance_after(account["balance"], delta, floor)
        if account is None or after is None:
            return None
        account["balance"] = after
        low = account.get("low_balance", DEFAULT_LOW_BALANCE)
        return BalanceChange(account["balance"] - delta, account["balance"], low)

    def spend_at_commit(self, account_id: int, amount: Decimal, keep_holds: bool = False) -> bool:
        return False  # as a unit of work that checks every spend at once

    def hold_money(self, payer_id: int, amount: Decimal) -> bool:
        account = self.t.accounts.get(payer_id)
        held = Decimal(0) if account is None else account.get("held", Decimal(0))
        if account is None or account["balance"] - held < amount:
            return False
        account["held"] = held + amount
        return True

    def release_money(self, payer_id: int, amount: Decimal) -> None:
        account = self.t.accounts.get(payer_id)
        if account is not None:
            account["held"] = max(account.get("held", Decimal(0)) - amount, Decimal(0))

    def notification_settings(self, account_id: int) -> NotificationSettings:
        account = self.t.accounts[account_id]
        return NotificationSettings(
            account.get("expiring_days", DEFAULT_EXPIRING_DAYS),
            account.get("low_balance", DEFAULT_LOW_BALANCE),
        )

    def set_notification_settings(self, account_id: int, settings: NotificationSettings) -> None:
        account = self.t.accounts[account_id]
        account["expiring_days"] = settings.expiring_days
        account["low_balance"] = settings.low_balance


class FakeCatalogue(_Repository):
    def _with_stock(self, group: DidGroup) -> DidGroup:
        stock = sum(
            1
            for d in self.t.dids.values()
            if d["group_id"] == group.id and d["state"] == DidState.AVAILABLE
        )
        return replace(group, stock=stock)

    def group(self, group_id: int) -> DidGroup | None:
        return self.t.groups.get(group_id)  # stock is counted for listings only

    def groups(self, wanted: DidGroupFilter) -> list[DidGroup]:
        found = [self._with_stock(g) for g in self.t.groups.values() if _passes(g, wanted)]
        return sorted(found, key=lambda g: (g.country_code, g.city_name or "", g.id))

    def group_id(
        self, country_code: str, area_code: str, city_name: str | None, type_: str
    ) -> int | None:
        key = (country_code, area_code, city_name, type_)
        return next(
            (
                i
                for i, g in self.t.groups.items()
                if (g.country_code, g.area_code, g.city_name, g.type) == key
            ),
            None,
        )

    def add_group(self, spec: GroupSpec, state_id: int | None) -> int:
        group_id = _next_id(self.t.groups)
        self.t.groups[group_id] = DidGroup(
            group_id,
            spec.country_code,
            state_id,
            spec.area_code,
            spec.city_name,
            NumberType(spec.type),
            spec.setup_price,
            spec.monthly_price,
        )
        return group_id

    def group_count(self) -> int:
        return len(self.t.groups)

    def stock_by_country(self) -> dict[str, int]:
        stock: dict[str, int] = {}
        for did in self.t.dids.values():
            if did["state"] == DidState.AVAILABLE:
                country = self.t.groups[did["group_id"]].country_code
                stock[country] = stock.get(country, 0) + 1
        return stock

    def countries_with_groups(self) -> list[Country]:
        used = {g.country_code for g in self.t.groups.values()}
        return [
            Country(c.alpha3, c.name, c.slug, c.dial_code)
            for c in sorted(self.t.countries.values(), key=lambda c: c.name)
            if c.alpha3 in used
        ]

    def add_countries(self, infos: Iterable[CountryInfo]) -> None:
        for info in infos:
            self.t.countries.setdefault(info.alpha3, info)

    def states(self, country_code: str | None) -> list[State]:
        return sorted(
            (s for s in self.t.states.values() if country_code in (None, s.country_code)),
            key=lambda s: (s.country_code, s.name),
        )

    def state(self, state_id: int) -> State | None:
        return self.t.states.get(state_id)

    def state_id(self, country_code: str, code: str) -> int | None:
        return self.state_ids(country_code).get(code)

    def state_ids(self, country_code: str) -> dict[str, int]:
        return {s.code: s.id for s in self.t.states.values() if s.country_code == country_code}

    def add_states(self, subdivisions: Iterable[Subdivision]) -> None:
        for sub in subdivisions:
            if self.state_id(sub.country_alpha3, sub.code) is None:
                state_id = _next_id(self.t.states)
                self.t.states[state_id] = State(state_id, sub.country_alpha3, sub.code, sub.name)

    def area_codes(self, country_code: str | None, state_id: int | None) -> list[AreaCode]:
        return [
            a
            for a in self.t.area_codes
            if country_code in (None, a.country_code) and state_id in (None, a.state_id)
        ]

    def ensure_area_code(self, country_code: str, area_code: str, state_id: int | None) -> None:
        if not any(
            (a.country_code, a.area_code) == (country_code, area_code) for a in self.t.area_codes
        ):
            self.t.area_codes.append(AreaCode(country_code, state_id, area_code))

    def dial_code(self, country_code: str) -> int | None:
        info = self.t.countries.get(country_code)
        return None if info is None else info.dial_code

    def available(
        self, wanted: AvailableNumberFilter, dial_code: int, page: PageRequest
    ) -> tuple[list[AvailableNumber], int]:
        """The store's LIKE texts, as `NumberPattern.matches` on the national number."""
        prefix = f"+{dial_code}"
        found = []
        for did in sorted(self.t.dids.values(), key=lambda d: d["number"]):
            group = self.t.groups[did["group_id"]]
            number: str = did["number"]
            if (
                did["state"] == DidState.AVAILABLE
                and _passes(group, wanted.groups)
                and wanted.type in (None, group.type)
                and all(
                    number.startswith(prefix) and p.matches(number[len(prefix) :])
                    for p in wanted.patterns
                )
            ):
                found.append(AvailableNumber(number, group))
        return _page(found, page), len(found)


def _passes(group: DidGroup, wanted: DidGroupFilter) -> bool:
    """The DID-group filters of a catalogue request; a city pattern is a whole-name LIKE
    whose only wildcard is `%`."""
    city = (
        None
        if wanted.city is None
        else re.compile(".*".join(re.escape(part) for part in wanted.city.parts), re.DOTALL)
    )
    return (
        wanted.country_code in (None, group.country_code)
        and (wanted.group_ids is None or group.id in wanted.group_ids)
        and wanted.state_id in (None, group.state_id)
        and wanted.area_code in (None, group.area_code)
        and (
            city is None or (group.city_name is not None and bool(city.fullmatch(group.city_name)))
        )
    )


class FakeDids(_Repository):
    def take_available(self, group_id: int, now: datetime) -> tuple[Did, DidGroup] | None:
        taken = self.take_from_group(group_id, 1, DidEvent.ASSIGN, now)
        return (taken[0], self.t.groups[group_id]) if taken else None

    def add_missing(self, new: Sequence[NewDid], now: datetime) -> int:
        known = {d["number"] for d in self.t.dids.values()}
        added = 0
        for did in new:
            if did.number in known:
                continue
            row: Row = {
                "group_id": did.group_id,
                "number": did.number,
                "state": did.state,
                "changed_at": now,
                "trunk": did.carrier_trunk,
            }
            self.t.dids[_next_id(self.t.dids)] = row
            self._lower_floor(row)
            known.add(did.number)
            added += 1
        return added

    def inventory(self) -> Iterator[InventoryLine]:
        for did in sorted(self.t.dids.values(), key=lambda d: d["number"]):
            yield self._line(did)

    def _line(self, did: Row) -> InventoryLine:
        g = self.t.groups[did["group_id"]]
        return InventoryLine(
            did["number"],
            g.country_code,
            g.area_code,
            g.city_name,
            g.type.value,
            g.setup_price,
            g.monthly_price,
            did["trunk"],
            DidState(did["state"]).value,
        )

    def start_aging(self, did_id: int, now: datetime) -> bool:
        return len(self.move([did_id], DidEvent.RELEASE, now)) == 1

    def recycle_aged(
        self, aged_before: datetime, now: datetime, after: AgedCursor | None, limit: int
    ) -> tuple[int, AgedCursor | None]:
        step = transition(DidEvent.RECYCLE)
        aged = sorted(
            (d["changed_at"], i)
            for i, d in self.t.dids.items()
            if d["state"] in step.sources and d["changed_at"] <= aged_before
        )
        batch = [key for key in aged if after is None or key > after][:limit]
        for _, did_id in batch:
            self.t.dids[did_id].update(state=step.target, changed_at=now)
            self._lower_floor(self.t.dids[did_id])
        return len(batch), (batch[-1] if len(batch) == limit else None)

    def move(self, did_ids: Sequence[int], event: DidEvent, now: datetime) -> list[int]:
        """Like the store's guarded update: a DID not in a source state of `event` (or
        not there at all) stays as it is and is left out of the answer."""
        step = transition(event)
        moved = []
        for did_id in sorted(set(did_ids)):
            did = self.t.dids.get(did_id)
            if did is not None and did["state"] in step.sources:
                did.update(state=step.target, changed_at=now)
                self._lower_floor(did)
                moved.append(did_id)
        return moved

    def lock_numbers(self, numbers: Sequence[str]) -> list[HeldDid]:
        """No lock to take: a fake unit of work never runs alongside another."""
        wanted = set(numbers)
        return [
            HeldDid(i, d["number"], d["group_id"], DidState(d["state"]))
            for i, d in sorted(self.t.dids.items())
            if d["number"] in wanted
        ]

    def take_from_group(
        self, group_id: int, quantity: int, event: DidEvent, now: datetime
    ) -> list[Did]:
        sources = transition(event).sources
        floor = self.t.floors.get(group_id, "")  # as the store's take: from the floor up
        candidates = [
            (i, d["number"])
            for i, d in self.t.dids.items()
            if d["group_id"] == group_id and d["state"] in sources and d["number"] >= floor
        ]
        moved = self.move(next_from_group(candidates, quantity), event, now)
        return sorted((Did(i, self.t.dids[i]["number"]) for i in moved), key=lambda d: d.number)

    def _lower_floor(self, did: Row) -> None:
        """As the store's triggers: a DID in stock lowers its group's floor to it."""
        if did["state"] == DidState.AVAILABLE:
            group_id = did["group_id"]
            self.t.floors[group_id] = min(self.t.floors.get(group_id, ""), did["number"])

    def _lowest_in_stock(self, group_id: int) -> str | None:
        in_stock = [
            d["number"]
            for d in self.t.dids.values()
            if d["group_id"] == group_id and d["state"] == DidState.AVAILABLE
        ]
        return min(in_stock, default=None)

    def groups_with_floor_behind(self) -> list[int]:
        return [
            group_id
            for group_id in sorted(self.t.groups)
            if (lowest := self._lowest_in_stock(group_id)) is not None
            and self.t.floors.get(group_id, "") < lowest
        ]

    def raise_stock_floor(self, group_id: int) -> bool:
        lowest = self._lowest_in_stock(group_id)
        if lowest is None or self.t.floors.get(group_id, "") >= lowest:
            return False
        self.t.floors[group_id] = lowest
        return True

    def in_state(self, state: DidState, after_number: str, limit: int) -> list[InventoryLine]:
        found = sorted(
            (d for d in self.t.dids.values() if d["state"] == state and d["number"] > after_number),
            key=lambda d: d["number"],
        )
        return [self._line(d) for d in found[:limit]]


class FakeNumbers(_Repository):
    def add_number(
        self,
        account_id: int,
        did_id: int,
        group_id: int,
        trunk_id: int,
        now: datetime,
        expires: date,
        order_id: int | None = None,
    ) -> int:
        if any(n["did_id"] == did_id and n["released_at"] is None for n in self.t.numbers.values()):
            raise AssertionError("a second live number for one DID")  # the store's unique index
        number_id = _next_id(self.t.numbers)
        self.t.numbers[number_id] = {
            "account_id": account_id,
            "did_id": did_id,
            "group_id": group_id,
            "trunk_id": trunk_id,
            "order_id": order_id,
            "status": NumberStatus.ACTIVE.value,
            "provisioned_at": now,
            "expiration_date": expires,
            "released_at": None,
        }
        return number_id

    def add_from_group(
        self, account_id: int, group_id: int, trunk_id: int, now: datetime, expires: date
    ) -> tuple[int, Did, DidGroup] | None:
        taken = FakeDids(self._uow).take_available(group_id, now)
        if taken is None:
            return None
        did, group = taken
        return self.add_number(account_id, did.id, group.id, trunk_id, now, expires), did, group

    def provisioned(self, number_id: int) -> ProvisionedNumber | None:
        number = self.t.numbers.get(number_id)
        if number is None:
            return None
        did = self.t.dids[number["did_id"]]
        group = self._uow.catalogue.group(number["group_id"])
        assert group is not None
        return ProvisionedNumber(
            number_id, Did(number["did_id"], did["number"]), group, number["trunk_id"]
        )

    def due(self, today: date, after: DueCursor | None, limit: int) -> list[DueNumber]:
        due = []
        for number_id, n in self.t.numbers.items():
            live_and_due = n["released_at"] is None and n["expiration_date"] <= today
            if live_and_due and (after is None or (n["expiration_date"], number_id) > after):
                due.append(self._due_number(number_id))
        return sorted(due, key=lambda d: (d.expiration_date, d.id))[:limit]

    def expiring(self, today: date, after_id: int, limit: int) -> list[DueNumber]:
        found = []
        for number_id, n in sorted(self.t.numbers.items()):
            account = self.t.accounts[n["account_id"]]
            days = account.get("expiring_days", DEFAULT_EXPIRING_DAYS)
            heard = any(
                w["enabled"] and w["account_id"] in (n["account_id"], account["parent_id"])
                for w in self.t.webhooks.values()
            )
            if (
                number_id > after_id
                and n["released_at"] is None
                and today < n["expiration_date"] <= today + timedelta(days=days)
                and days > 0
                and n.get("expiring_sent_for") != n["expiration_date"]
                and heard
            ):
                found.append(self._due_number(number_id))
        return found[:limit]

    def mark_expiring_sent(self, number_id: int, expiration_date: date) -> bool:
        n = self.t.numbers.get(number_id)
        if n is None or n["expiration_date"] != expiration_date:
            return False
        if n.get("expiring_sent_for") == expiration_date:
            return False
        n["expiring_sent_for"] = expiration_date
        return True

    def _due_number(self, number_id: int) -> DueNumber:
        n = self.t.numbers[number_id]
        return DueNumber(
            number_id,
            n["account_id"],
            self.t.accounts[n["account_id"]]["parent_id"] or n["account_id"],
            n["did_id"],
            self.t.dids[n["did_id"]]["number"],
            n["expiration_date"],
            n["status"],
            self.t.groups[n["group_id"]].monthly_price,
        )

    def _live(self, number_id: int) -> Row | None:
        """The number unless it is unknown or released: what the store's guards allow."""
        n = self.t.numbers.get(number_id)
        return None if n is None or n["released_at"] is not None else n

    def extend(self, number_id: int, paid_until: date, new_expiration: date) -> bool:
        n = self._live(number_id)
        if n is None or n["expiration_date"] != paid_until:
            return False
        n.update(expiration_date=new_expiration, status=NumberStatus.ACTIVE.value)
        return True

    def mark_expired(self, number_id: int) -> bool:
        n = self._live(number_id)
        if n is None or n["status"] != NumberStatus.ACTIVE.value:
            return False
        n["status"] = NumberStatus.EXPIRED.value
        return True

    def release(self, number_id: int, now: datetime) -> bool:
        n = self._live(number_id)
        if n is None:
            return False
        n.update(status=NumberStatus.RELEASED.value, released_at=now)
        return True

    def _visible_to(self, n: Row, viewer_id: int) -> bool:
        """A live number of the viewer or of one of its sub-accounts."""
        holder = self.t.accounts[n["account_id"]]
        return n["released_at"] is None and sees(viewer_id, n["account_id"], holder["parent_id"])

    def page_for(self, account_id: int, wanted: PageRequest) -> tuple[list[NumberListing], int]:
        visible = [
            number_id
            for number_id, n in sorted(self.t.numbers.items(), reverse=True)
            if self._visible_to(n, account_id)
        ]
        return [self._listing(i) for i in _page(visible, wanted)], len(visible)

    def visible(self, number_id: int, viewer_id: int) -> NumberListing | None:
        n = self.t.numbers.get(number_id)
        if n is None or not self._visible_to(n, viewer_id):
            return None
        return self._listing(number_id)

    def _listing(self, number_id: int) -> NumberListing:
        n = self.t.numbers[number_id]
        g = self.t.groups[n["group_id"]]
        return NumberListing(
            number_id,
            None,  # order_reference: no write of the store ever sets one
            g.country_code,
            self.t.countries[g.country_code].name,
            g.city_name,
            g.area_code,
            g.id,
            self.t.dids[n["did_id"]]["number"],
            n["expiration_date"],
            n["status"],
            n["trunk_id"],
            n["account_id"],
            n["did_id"],
        )

    def set_trunk(self, number_id: int, trunk_id: int) -> bool:
        n = self._live(number_id)
        if n is None:
            return False
        n["trunk_id"] = trunk_id
        return True

    def count_on_trunk(self, trunk_id: int) -> int:
        return sum(
            1
            for n in self.t.numbers.values()
            if n["trunk_id"] == trunk_id and n["released_at"] is None
        )

    def of_order(self, order_id: int) -> list[ProvisionedNumber]:
        """Released ones too: an order's record does not change when a number leaves."""
        found = []
        for number_id, n in sorted(self.t.numbers.items()):
            if n["order_id"] == order_id:
                provisioned = self.provisioned(number_id)
                assert provisioned is not None
                found.append(provisioned)
        return found


class FakeLedger(_Repository):
    def add_entry(
        self,
        account_id: int,
        amount: Decimal,
        kind: str,
        description: str,
        now: datetime,
        number_id: int | None = None,
        actor_id: int | None = None,
    ) -> None:
        self.t.ledger[_next_id(self.t.ledger)] = {
            "account_id": account_id,
            "amount": amount,
            "kind": kind,
            "description": description,
            "created_at": now,
            "number_id": number_id,
            "actor_id": actor_id,
        }

    def page_for(self, account_id: int, wanted: PageRequest) -> tuple[list[LedgerEntry], int]:
        visible = [
            LedgerEntry(
                i, e["created_at"], e["kind"], e["description"], e["amount"], e["number_id"]
            )
            for i, e in sorted(self.t.ledger.items(), reverse=True)
            if account_id in (e["account_id"], e["actor_id"])
        ]
        return visible[wanted.offset : wanted.offset + wanted.limit], len(visible)

    def sum_for(self, account_id: int) -> Decimal:
        return sum(
            (e["amount"] for e in self.t.ledger.values() if e["account_id"] == account_id),
            Decimal(0),
        )


class FakeIdempotency(_Repository):
    def claim(
        self, account_id: int, key: str, fingerprint: str, now: datetime, expired_before: datetime
    ) -> bool:
        found = self.t.idempotency.get((account_id, key))
        if found is not None and found["created_at"] >= expired_before:
            return False
        self.t.idempotency[(account_id, key)] = {
            "fingerprint": fingerprint,
            "results": {},
            "created_at": now,
        }
        return True

    def recorded(
        self, account_id: int, key: str, outcome: Outcome
    ) -> tuple[str, int | None] | None:
        found = self.t.idempotency.get((account_id, key))
        return None if found is None else (found["fingerprint"], found["results"].get(outcome))

    def complete(self, account_id: int, key: str, outcome: Outcome, result_id: int) -> None:
        self.t.idempotency[(account_id, key)]["results"][outcome] = result_id

    def purge(self, before: datetime, after_id: int, limit: int) -> tuple[int, int | None]:
        old = [k for k, v in self.t.idempotency.items() if v["created_at"] < before]
        for key in old:
            del self.t.idempotency[key]
        return len(old), None  # one batch: the fake keeps no ids


class FakeReservations(_Repository):
    def hold_count(self, payer_id: int, quantity: int, limit: int) -> bool:
        account = self.t.accounts.get(payer_id)
        if account is None or account["reserved_numbers"] + quantity > limit:
            return False
        account["reserved_numbers"] += quantity
        return True

    def release_count(self, payer_id: int, quantity: int) -> None:
        account = self.t.accounts.get(payer_id)
        if account is not None:
            account["reserved_numbers"] -= quantity

    def add_hold(
        self,
        account_id: int,
        did_ids: Sequence[int],
        now: datetime,
        expires_at: datetime,
        value: Decimal,
    ) -> int:
        reservation_id = _next_id(self.t.reservations)
        self.t.reservations[reservation_id] = {
            "account_id": account_id,
            "value": value,
            "status": ReservationStatus.ACTIVE,
            "created_at": now,
            "expires_at": expires_at,
            "did_ids": sorted(did_ids),
        }
        return reservation_id

    def get(self, reservation_id: int, account_id: int) -> Reservation | None:
        """The account's reservation (None for anyone else's)."""
        r = self.t.reservations.get(reservation_id)
        if r is None or r["account_id"] != account_id:
            return None
        return self._reservation(reservation_id)

    def visible(self, reservation_id: int, viewer_id: int) -> Reservation | None:
        r = self.t.reservations.get(reservation_id)
        if r is None or not self._seen(r, viewer_id):
            return None
        return self._reservation(reservation_id)

    def page_for(self, viewer_id: int, wanted: PageRequest) -> tuple[list[Reservation], int]:
        seen = [
            i
            for i, r in sorted(self.t.reservations.items(), reverse=True)
            if self._seen(r, viewer_id)
        ]
        return [self._reservation(i) for i in _page(seen, wanted)], len(seen)

    def _seen(self, r: Row, viewer_id: int) -> bool:
        return sees(viewer_id, r["account_id"], self.t.accounts[r["account_id"]]["parent_id"])

    def close(
        self,
        reservation_id: int,
        status: ReservationStatus,
        *,
        live_at: datetime | None = None,
        expired_at: datetime | None = None,
    ) -> bool:
        """The store's guarded update: only an active hold, and only in the required time."""
        r = self.t.reservations.get(reservation_id)
        if (
            r is None
            or r["status"] != ReservationStatus.ACTIVE
            or (live_at is not None and not r["expires_at"] > live_at)
            or (expired_at is not None and not r["expires_at"] <= expired_at)
        ):
            return False
        r["status"] = status
        return True

    def did_ids(self, reservation_id: int) -> list[int]:
        r = self.t.reservations.get(reservation_id)
        return [] if r is None else list(r["did_ids"])

    def due(self, now: datetime, limit: int) -> list[Reservation]:
        due = sorted(
            (r["expires_at"], i)
            for i, r in self.t.reservations.items()
            if r["status"] == ReservationStatus.ACTIVE and r["expires_at"] <= now
        )
        return [self._reservation(i) for _, i in due[:limit]]

    def _reservation(self, reservation_id: int) -> Reservation:
        r = self.t.reservations[reservation_id]
        numbers = sorted(self.t.dids[i]["number"] for i in r["did_ids"])
        return Reservation(
            reservation_id,
            r["account_id"],
            tuple(numbers),
            r["created_at"],
            r["expires_at"],
            ReservationStatus(r["status"]),
            r["value"],
        )


class FakeOrders(_Repository):
    def add_order(
        self, account_id: int, reservation_id: int | None, total: Decimal, now: datetime
    ) -> int:
        order_id = _next_id(self.t.orders)
        self.t.orders[order_id] = {
            "account_id": account_id,
            "reservation_id": reservation_id,
            "total": total,
            "created_at": now,
        }
        return order_id

    def get(self, order_id: int, viewer_id: int) -> Order | None:
        """An order the viewer or one of its sub-accounts placed."""
        o = self.t.orders.get(order_id)
        if o is None or not self._placed_by(o, viewer_id):
            return None
        return self._order(order_id)

    def page_for(self, viewer_id: int, wanted: PageRequest) -> tuple[list[Order], int]:
        visible = [
            i
            for i, o in sorted(self.t.orders.items(), reverse=True)
            if self._placed_by(o, viewer_id)
        ]
        return [self._order(i) for i in _page(visible, wanted)], len(visible)

    def _placed_by(self, o: Row, viewer_id: int) -> bool:
        placer = self.t.accounts[o["account_id"]]
        return sees(viewer_id, o["account_id"], placer["parent_id"])

    def _order(self, order_id: int) -> Order:
        o = self.t.orders[order_id]
        numbers = tuple(self._uow.numbers.of_order(order_id))
        return Order(order_id, o["account_id"], o["created_at"], numbers, o["total"])


class FakeTrunks(_Repository):
    """Deleted trunks stay, marked by `deleted_at`, for the released numbers naming them."""

    def add_trunk(
        self, account_id: int, name: str, uri: str | None, t38: bool, is_default: bool
    ) -> int:
        self._one_default(account_id, is_default)
        trunk_id = _next_id(self.t.trunks)
        self.t.trunks[trunk_id] = {
            "account_id": account_id,
            "name": name,
            "uri": uri,
            "t38": t38,
            "is_default": is_default,
            "deleted_at": None,
        }
        return trunk_id

    def get(self, trunk_id: int, account_id: int, lock: bool = False) -> Trunk | None:
        """`lock` means nothing here: a fake unit of work never runs alongside another."""
        t = self._live(trunk_id)
        if t is None or t["account_id"] != account_id:
            return None
        return self._trunk(trunk_id)

    def visible(self, trunk_id: int, viewer_id: int) -> Trunk | None:
        t = self._live(trunk_id)
        if t is None or not self._seen(t, viewer_id):
            return None
        return self._trunk(trunk_id)

    def page_for(self, viewer_id: int, wanted: PageRequest) -> tuple[list[Trunk], int]:
        seen = [
            i
            for i, t in sorted(self.t.trunks.items())
            if t["deleted_at"] is None and self._seen(t, viewer_id)
        ]
        return [self._trunk(i) for i in _page(seen, wanted)], len(seen)

    def count_held(self, account_id: int) -> int:
        """No lock to take: a fake unit of work never runs alongside another."""
        return sum(
            1
            for t in self.t.trunks.values()
            if t["account_id"] == account_id and t["deleted_at"] is None
        )

    def _seen(self, t: Row, viewer_id: int) -> bool:
        return sees(viewer_id, t["account_id"], self.t.accounts[t["account_id"]]["parent_id"])

    def change(self, trunk_id: int, changes: TrunkChanges) -> bool:
        values = {name: value for name, value in vars(changes).items() if value is not None}
        if not values:
            return True  # as the store: nothing to update is no failure, found or not
        t = self._live(trunk_id)
        if t is None:
            return False
        if values.get("is_default") and not t["is_default"]:
            self._one_default(t["account_id"], True)
        t.update(values)
        return True

    def clear_default(self, account_id: int) -> None:
        for t in self.t.trunks.values():
            if t["account_id"] == account_id:
                t["is_default"] = False

    def delete(self, trunk_id: int, now: datetime) -> bool:
        t = self._live(trunk_id)
        if t is None or t["is_default"]:
            return False
        t["deleted_at"] = now
        return True

    def _live(self, trunk_id: int) -> Row | None:
        t = self.t.trunks.get(trunk_id)
        return None if t is None or t["deleted_at"] is not None else t

    def _one_default(self, account_id: int, is_default: bool) -> None:
        """The store's unique index: one default trunk per account, deleted or not."""
        if is_default and any(
            t["account_id"] == account_id and t["is_default"] for t in self.t.trunks.values()
        ):
            raise AssertionError("a second default trunk for one account")

    def _trunk(self, trunk_id: int) -> Trunk:
        t = self.t.trunks[trunk_id]
        return Trunk(trunk_id, t["account_id"], t["name"], t["uri"], t["t38"], t["is_default"])


class FakeWebhooks(_Repository):
    def add_webhook(
        self,
        account_id: int,
        url: str,
        events: tuple[EventType, ...] | None,
        sealed_secret: bytes,
        now: datetime,
    ) -> int:
        webhook_id = _next_id(self.t.webhooks)
        self.t.webhooks[webhook_id] = {
            "account_id": account_id,
            "url": url,
            "events": events,
            "enabled": True,
            "created_at": now,
            "disabled_reason": None,
            "secrets": SealedSecrets(sealed_secret, None, None),
        }
        return webhook_id

    def count_held(self, account_id: int) -> int:
        return sum(1 for w in self.t.webhooks.values() if w["account_id"] == account_id)

    def get(self, webhook_id: int, account_id: int) -> Webhook | None:
        w = self.t.webhooks.get(webhook_id)
        return None if w is None or w["account_id"] != account_id else self._webhook(webhook_id)

    def page_for(self, account_id: int, wanted: PageRequest) -> tuple[list[Webhook], int]:
        mine = [
            self._webhook(i)
            for i, w in sorted(self.t.webhooks.items())
            if w["account_id"] == account_id
        ]
        return _page(mine, wanted), len(mine)

    def change(self, webhook_id: int, changes: WebhookChanges) -> bool:
        w = self.t.webhooks.get(webhook_id)
        if w is None:
            return False
        if changes.url is not None:
            w["url"] = changes.url
        if changes.events is not None or changes.all_events:
            w["events"] = changes.events
        if changes.enabled is not None:
            w["enabled"] = changes.enabled
            w["disabled_reason"] = None if changes.enabled else "Disabled by the account."
        return True

    def delete(self, webhook_id: int) -> bool:
        self.t.deliveries = {
            i: d for i, d in self.t.deliveries.items() if d["webhook_id"] != webhook_id
        }
        return self.t.webhooks.pop(webhook_id, None) is not None

    def disable(self, webhook_id: int, reason: str) -> bool:
        w = self.t.webhooks.get(webhook_id)
        if w is None or not w["enabled"]:
            return False
        w.update(enabled=False, disabled_reason=reason)
        return True

    def subscribers(self, account_id: int) -> list[Listener]:
        parent = self.t.accounts[account_id]["parent_id"] if account_id in self.t.accounts else None
        return [
            Listener(i, None if w["events"] is None else frozenset(e.value for e in w["events"]))
            for i, w in sorted(self.t.webhooks.items())
            if w["enabled"] and w["account_id"] in (account_id, parent)
        ]

    def others_of(self, account_id: int, webhook_id: int) -> list[int]:
        return [
            i
            for i, w in sorted(self.t.webhooks.items())
            if w["account_id"] == account_id and i != webhook_id and w["enabled"]
        ]

    def rotate(self, webhook_id: int, sealed_secret: bytes, previous_until: datetime) -> bool:
        w = self.t.webhooks.get(webhook_id)
        if w is None:
            return False
        w["secrets"] = SealedSecrets(sealed_secret, w["secrets"].current, previous_until)
        return True

    def sealed_after(self, after_id: int, limit: int) -> list[tuple[int, SealedSecrets]]:
        return [(i, w["secrets"]) for i, w in sorted(self.t.webhooks.items()) if i > after_id][
            :limit
        ]

    def replace_sealed(self, webhook_id: int, current: bytes, previous: bytes | None) -> None:
        w = self.t.webhooks[webhook_id]
        w["secrets"] = replace(w["secrets"], current=current, previous=previous)

    def _webhook(self, webhook_id: int) -> Webhook:
        w = self.t.webhooks[webhook_id]
        return Webhook(
            webhook_id,
            w["account_id"],
            w["url"],
            w["events"],
            w["enabled"],
            w["created_at"],
            w["disabled_reason"],
        )


class FakeOutbox(_Repository):
    """The emitting side and the delivery log; sending is proven on real stores."""

    def keep_order(self, account_id: int) -> None:
        """One fake transaction at a time: the order is the order of the calls."""

    def enqueue(
        self, webhook_ids: Sequence[int], message_id: str, type_: str, body: str, now: datetime
    ) -> None:
        for webhook_id in webhook_ids:
            self.t.deliveries[_next_id(self.t.deliveries)] = {
                "webhook_id": webhook_id,
                "message_id": message_id,
                "type": type_,
                "body": body,
                "status": DeliveryStatus.PENDING,
                "attempts": [],
                "created_at": now,
                "next_attempt_at": now,
                "first_attempt_at": None,
            }

    def deliveries_page(self, webhook_id: int, wanted: PageRequest) -> tuple[list[Delivery], int]:
        mine = [
            self._delivery(i)
            for i, d in sorted(self.t.deliveries.items(), reverse=True)
            if d["webhook_id"] == webhook_id
        ]
        return _page(mine, wanted), len(mine)

    def delivery(self, delivery_id: int, webhook_id: int) -> Delivery | None:
        d = self.t.deliveries.get(delivery_id)
        return None if d is None or d["webhook_id"] != webhook_id else self._delivery(delivery_id)

    def attempts(self, delivery_id: int) -> list[Attempt]:
        return list(self.t.deliveries[delivery_id]["attempts"])

    def due_webhooks(self, now: datetime, limit: int) -> list[tuple[int, int]]:
        due = {
            d["webhook_id"]
            for d in self.t.deliveries.values()
            if d["status"] is DeliveryStatus.PENDING
            and self.t.webhooks[d["webhook_id"]]["enabled"]
            and d["next_attempt_at"] <= now
        }
        return [(i, self.t.webhooks[i]["account_id"]) for i in sorted(due)][:limit]

    def lease(self, webhook_id: int, owner: str, now: datetime, until: datetime) -> bool:
        w = self.t.webhooks[webhook_id]
        if w.get("lease_until") and w["lease_until"] > now and w.get("lease_owner") != owner:
            return False
        w.update(lease_owner=owner, lease_until=until)
        return True

    def end_lease(self, webhook_id: int, owner: str, now: datetime) -> None:
        w = self.t.webhooks.get(webhook_id)
        if w is not None and w.get("lease_owner") == owner:
            w.update(lease_owner=None, lease_until=now)

    def pending_of_type(self, webhook_id: int, type_: str) -> int:
        return sum(
            1
            for d in self.t.deliveries.values()
            if d["webhook_id"] == webhook_id
            and d["status"] is DeliveryStatus.PENDING
            and d["type"] == type_
        )

    def target(self, webhook_id: int) -> Target | None:
        w = self.t.webhooks.get(webhook_id)
        if w is None:
            return None
        return Target(webhook_id, w["account_id"], w["url"], w["enabled"], w["secrets"])

    def queue_head(self, webhook_id: int, limit: int) -> list[Outgoing]:
        head = []
        for i, d in sorted(self.t.deliveries.items()):
            if d["webhook_id"] == webhook_id and d["status"] is DeliveryStatus.PENDING:
                head.append(
                    Outgoing(
                        i,
                        d["message_id"],
                        d["body"],
                        len(d["attempts"]),
                        d["first_attempt_at"],
                        d["next_attempt_at"],
                    )
                )
        return head[:limit]

    def record_attempt(
        self,
        webhook_id: int,
        delivery_id: int,
        attempt: Attempt,
        status: DeliveryStatus,
        next_attempt_at: datetime | None,
    ) -> bool:
        d = self.t.deliveries.get(delivery_id)
        if d is None or d["webhook_id"] != webhook_id or d["status"] is not DeliveryStatus.PENDING:
            return False
        d["attempts"].append(attempt)
        d["first_attempt_at"] = d["first_attempt_at"] or attempt.started_at
        d.update(status=status, next_attempt_at=next_attempt_at)
        return True

    def endpoint_state(
        self,
        webhook_id: int,
        owner: str,
        *,
        failing_since: datetime | None,
        retry_at: datetime | None,
        lease_until: datetime,
    ) -> bool:
        w = self.t.webhooks.get(webhook_id)
        if w is None or w.get("lease_owner") != owner:
            return False
        w.update(failing_since=failing_since, retry_at=retry_at, lease_until=lease_until)
        return True

    def failing_since(self, webhook_id: int) -> datetime | None:
        found: datetime | None = self.t.webhooks[webhook_id].get("failing_since")
        return found

    def redeliver(self, delivery_id: int, webhook_id: int, now: datetime) -> int | None:
        d = self.t.deliveries.get(delivery_id)
        if d is None or d["webhook_id"] != webhook_id or d["status"] is DeliveryStatus.PENDING:
            return None
        self.enqueue([webhook_id], d["message_id"], d["type"], d["body"], now)
        return max(self.t.deliveries)

    def purge(self, before: datetime, after_id: int, limit: int) -> tuple[int, int | None]:
        old = sorted(
            i
            for i, d in self.t.deliveries.items()
            if i > after_id
            and d["status"] is not DeliveryStatus.PENDING
            and d["created_at"] < before
        )[:limit]
        for i in old:
            del self.t.deliveries[i]
        return len(old), (old[-1] if len(old) == limit else None)

    def _delivery(self, delivery_id: int) -> Delivery:
        d = self.t.deliveries[delivery_id]
        return Delivery(
            delivery_id,
            d["webhook_id"],
            d["message_id"],
            d["type"],
            d["status"],
            len(d["attempts"]),
            d["created_at"],
            d["next_attempt_at"],
            d["attempts"][-1] if d["attempts"] else None,
        )


class FakeStore:
    """The committed state, shared by every unit of work made from it."""

    def __init__(self) -> None:
        self.tables = Tables()

    def unit_of_work(self) -> "FakeUnitOfWork":
        return FakeUnitOfWork(self)


class FakeUnitOfWork:
    def __init__(self, store: FakeStore) -> None:
        self._store = store
        self.tables = store.tables
        self.accounts = FakeAccounts(self)
        self.catalogue = FakeCatalogue(self)
        self.dids = FakeDids(self)
        self.numbers = FakeNumbers(self)
        self.ledger = FakeLedger(self)
        self.idempotency = FakeIdempotency(self)
        self.reservations = FakeReservations(self)
        self.orders = FakeOrders(self)
        self.trunks = FakeTrunks(self)
        self.webhooks = FakeWebhooks(self)
        self.outbox = FakeOutbox(self)

    def __enter__(self) -> Self:
        self.tables = copy.deepcopy(self._store.tables)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.tables = self._store.tables  # whatever was not committed is dropped

    def commit(self) -> None:
        self._store.tables = copy.deepcopy(self.tables)

    def schema_is_current(self) -> bool:
        return True
