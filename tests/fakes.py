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
from datetime import date, datetime
from decimal import Decimal
from types import TracebackType
from typing import Any, Self

from faxnum.domain.accounts import AccountSummary, Caller, Credentials, KeyHolder
from faxnum.domain.catalogue import (
    AreaCode,
    Country,
    CountryInfo,
    DidGroupFilter,
    State,
    Subdivision,
)
from faxnum.domain.errors import Conflict
from faxnum.domain.ledger import LedgerEntry
from faxnum.domain.numbers import (
    Did,
    DidGroup,
    DidState,
    DueNumber,
    GroupSpec,
    InventoryLine,
    NewDid,
    NumberListing,
    NumberStatus,
    NumberType,
    ProvisionedNumber,
)
from faxnum.domain.pagination import PageRequest

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
    numbers: dict[int, Row] = field(default_factory=dict)
    ledger: dict[int, Row] = field(default_factory=dict)
    idempotency: dict[tuple[int, str], Row] = field(default_factory=dict)


def _next_id(table: dict[int, Any]) -> int:
    return max(table, default=0) + 1


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
                trunk = next(i for i, t in self.t.trunks.items() if t["account_id"] == account_id)
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
        self.t.trunks[trunk_id] = {"account_id": account_id, "is_default": True}
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

    def change_balance(self, account_id: int, delta: Decimal) -> bool:
        account = self.t.accounts.get(account_id)
        if account is None or account["balance"] + delta < 0:
            return False
        account["balance"] += delta
        return True


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
        city = (
            None
            if wanted.city is None
            else re.compile(".*".join(re.escape(part) for part in wanted.city.parts), re.DOTALL)
        )
        found = [
            self._with_stock(g)
            for g in self.t.groups.values()
            if wanted.country_code in (None, g.country_code)
            and (wanted.group_ids is None or g.id in wanted.group_ids)
            and wanted.state_id in (None, g.state_id)
            and wanted.area_code in (None, g.area_code)
            and (city is None or (g.city_name is not None and city.fullmatch(g.city_name)))
        ]
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


class FakeDids(_Repository):
    def take_available(self, group_id: int, now: datetime) -> Did | None:
        for did_id, did in sorted(self.t.dids.items()):
            if did["group_id"] == group_id and did["state"] == DidState.AVAILABLE:
                did.update(state=DidState.ASSIGNED, changed_at=now)
                return Did(did_id, did["number"])
        return None

    def add_missing(self, new: Sequence[NewDid], now: datetime) -> int:
        known = {d["number"] for d in self.t.dids.values()}
        added = 0
        for did in new:
            if did.number in known:
                continue
            self.t.dids[_next_id(self.t.dids)] = {
                "group_id": did.group_id,
                "number": did.number,
                "state": did.state,
                "changed_at": now,
                "trunk": did.carrier_trunk,
            }
            known.add(did.number)
            added += 1
        return added

    def inventory(self) -> Iterator[InventoryLine]:
        for did in sorted(self.t.dids.values(), key=lambda d: d["number"]):
            g = self.t.groups[did["group_id"]]
            yield InventoryLine(
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
        did = self.t.dids[did_id]
        if did["state"] != DidState.ASSIGNED:
            return False
        did.update(state=DidState.AGING, changed_at=now)
        return True

    def recycle_aged(self, aged_before: datetime, now: datetime) -> int:
        aged = [
            d
            for d in self.t.dids.values()
            if d["state"] == DidState.AGING and d["changed_at"] <= aged_before
        ]
        for did in aged:
            did.update(state=DidState.AVAILABLE, changed_at=now)
        return len(aged)


class FakeNumbers(_Repository):
    def add(
        self,
        account_id: int,
        did_id: int,
        group_id: int,
        trunk_id: int,
        now: datetime,
        expires: date,
    ) -> int:
        if any(n["did_id"] == did_id and n["released_at"] is None for n in self.t.numbers.values()):
            raise AssertionError("a second live number for one DID")  # the store's unique index
        number_id = _next_id(self.t.numbers)
        self.t.numbers[number_id] = {
            "account_id": account_id,
            "did_id": did_id,
            "group_id": group_id,
            "trunk_id": trunk_id,
            "status": NumberStatus.ACTIVE.value,
            "provisioned_at": now,
            "expiration_date": expires,
            "released_at": None,
        }
        return number_id

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

    def due(self, today: date) -> list[DueNumber]:
        due = []
        for number_id, n in self.t.numbers.items():
            if n["released_at"] is None and n["expiration_date"] <= today:
                account = self.t.accounts[n["account_id"]]
                due.append(
                    DueNumber(
                        number_id,
                        n["account_id"],
                        account["parent_id"] or n["account_id"],
                        n["did_id"],
                        self.t.dids[n["did_id"]]["number"],
                        n["expiration_date"],
                        n["status"],
                        self.t.groups[n["group_id"]].monthly_price,
                    )
                )
        return sorted(due, key=lambda d: (d.expiration_date, d.id))

    def extend(self, number_id: int, paid_until: date, new_expiration: date) -> bool:
        n = self.t.numbers[number_id]
        if n["expiration_date"] != paid_until or n["released_at"] is not None:
            return False
        n.update(expiration_date=new_expiration, status=NumberStatus.ACTIVE.value)
        return True

    def mark_expired(self, number_id: int) -> bool:
        n = self.t.numbers[number_id]
        if n["status"] != NumberStatus.ACTIVE.value or n["released_at"] is not None:
            return False
        n["status"] = NumberStatus.EXPIRED.value
        return True

    def release(self, number_id: int, now: datetime) -> bool:
        n = self.t.numbers[number_id]
        if n["released_at"] is not None:
            return False
        n.update(status=NumberStatus.RELEASED.value, released_at=now)
        return True

    def page_for(self, account_id: int, wanted: PageRequest) -> tuple[list[NumberListing], int]:
        visible = sorted(
            (
                (i, n)
                for i, n in self.t.numbers.items()
                if n["released_at"] is None
                and account_id in (n["account_id"], self.t.accounts[n["account_id"]]["parent_id"])
            ),
            reverse=True,
            key=lambda item: item[0],
        )
        page = visible[wanted.offset : wanted.offset + wanted.limit]
        listings = []
        for number_id, n in page:
            g = self.t.groups[n["group_id"]]
            listings.append(
                NumberListing(
                    number_id,
                    None,
                    g.country_code,
                    self.t.countries[g.country_code].name,
                    g.city_name,
                    g.area_code,
                    g.id,
                    self.t.dids[n["did_id"]]["number"],
                    n["expiration_date"],
                    n["status"],
                )
            )
        return listings, len(visible)


class FakeLedger(_Repository):
    def add(
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
            "number_id": None,
            "created_at": now,
        }
        return True

    def recorded(self, account_id: int, key: str) -> tuple[str, int | None] | None:
        found = self.t.idempotency.get((account_id, key))
        return None if found is None else (found["fingerprint"], found["number_id"])

    def complete(self, account_id: int, key: str, number_id: int) -> None:
        self.t.idempotency[(account_id, key)]["number_id"] = number_id

    def purge(self, before: datetime) -> int:
        old = [k for k, v in self.t.idempotency.items() if v["created_at"] < before]
        for key in old:
            del self.t.idempotency[key]
        return len(old)


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
