"""Reading the database's whole state, to prove what changed and what did not."""

from collections import Counter
from typing import Any

from sqlalchemy import Column, Engine, Table, func, select, text

from faxnum.store.db.tables import (
    accounts,
    did_group_stock,
    did_groups,
    dids,
    ledger_entries,
    metadata,
    numbers,
    reservation_dids,
    reservations,
)

# What a serving process keeps up to date on its own, whatever the requests do: a
# group's stock floor rises every few seconds (`services/stock_floors.py`).
_KEPT_BY_THE_SERVER = frozenset({(did_groups.name, did_groups.c.stock_floor.name)})


def _compared(table: Table) -> list[Column[Any]]:
    return [c for c in table.columns if (table.name, c.name) not in _KEPT_BY_THE_SERVER]


def snapshot(engine: Engine) -> dict[str, list[tuple[object, ...]]]:
    """Every row of every table, but for the columns the server keeps by itself."""
    with engine.connect() as connection:
        return {
            table.name: [
                tuple(row)
                for row in connection.execute(
                    select(*_compared(table)).order_by(*table.primary_key.columns)
                )
            ]
            for table in metadata.sorted_tables
        }


def balances_match_ledger(engine: Engine) -> bool:
    """Every account's balance equals the sum of its ledger entries."""
    with engine.connect() as connection:
        per_account = select(ledger_entries.c.account_id, func.sum(ledger_entries.c.amount_micros))
        ledger = dict(connection.execute(per_account.group_by(ledger_entries.c.account_id)).all())
        balances = dict(connection.execute(select(accounts.c.id, accounts.c.balance_micros)).all())
    return all(ledger.get(account_id, 0) == balance for account_id, balance in balances.items())


def assignment_is_consistent(engine: Engine) -> bool:
    """Assigned DIDs and live numbers are the same set, one number per DID, and every
    live number was charged."""
    with engine.connect() as connection:
        assigned = set(
            connection.execute(select(dids.c.id).where(dids.c.state == "assigned")).scalars()
        )
        live = connection.execute(
            select(numbers.c.id, numbers.c.did_id).where(numbers.c.released_at.is_(None))
        ).all()
        charged = set(
            connection.execute(
                text("SELECT DISTINCT number_id FROM ledger_entries WHERE number_id IS NOT NULL")
            ).scalars()
        )
    live_dids = [did_id for _, did_id in live]
    return (
        len(live_dids) == len(set(live_dids))
        and set(live_dids) == assigned
        and {number_id for number_id, _ in live} <= charged
    )


def number_counts_match(engine: Engine) -> bool:
    """Every account's kept count of live numbers is what it holds."""
    with engine.connect() as connection:
        held: dict[int, int] = dict(
            connection.execute(
                select(numbers.c.account_id, func.count())
                .where(numbers.c.released_at.is_(None))
                .group_by(numbers.c.account_id)
            ).all()
        )
        kept = dict(connection.execute(select(accounts.c.id, accounts.c.live_numbers)).all())
    return all(count == held.get(account_id, 0) for account_id, count in kept.items())


def group_stock_matches(engine: Engine) -> bool:
    """Every group's kept stock is the number of its DIDs that are available."""
    with engine.connect() as connection:
        counted: dict[int, int] = dict(
            connection.execute(
                select(dids.c.did_group_id, func.count())
                .where(dids.c.state == "available")
                .group_by(dids.c.did_group_id)
            ).all()
        )
        kept: dict[int, int] = dict(
            connection.execute(
                select(
                    did_group_stock.c.did_group_id, func.sum(did_group_stock.c.available)
                ).group_by(did_group_stock.c.did_group_id)
            ).all()
        )
    return {g: n for g, n in kept.items() if n} == counted


def holds_are_consistent(engine: Engine) -> bool:
    """Reserved DIDs are exactly those of active holds, each in one hold, and every
    account's reserved count is what its active holds hold."""
    with engine.connect() as connection:
        reserved = set(
            connection.execute(select(dids.c.id).where(dids.c.state == "reserved")).scalars()
        )
        held = connection.execute(
            select(reservation_dids.c.did_id, reservations.c.account_id)
            .join(reservations, reservations.c.id == reservation_dids.c.reservation_id)
            .where(reservations.c.status == "active")
        ).all()
        counts = dict(connection.execute(select(accounts.c.id, accounts.c.reserved_numbers)).all())
    per_account = Counter(account for _, account in held)
    held_dids = [did for did, _ in held]
    return (
        len(held_dids) == len(set(held_dids))
        and set(held_dids) == reserved
        and all(counts[a] == per_account.get(a, 0) for a in counts)
    )


def set_disabled(engine: Engine, account_id: int) -> None:
    with engine.begin() as connection:
        connection.execute(
            accounts.update().where(accounts.c.id == account_id).values(disabled=True)
        )
