"""Reading the database's whole state, to prove what changed and what did not."""

from sqlalchemy import Engine, func, select, text

from faxnum.store.tables import accounts, dids, ledger_entries, metadata, numbers


def snapshot(engine: Engine) -> dict[str, list[tuple[object, ...]]]:
    with engine.connect() as connection:
        return {
            table.name: [
                tuple(row)
                for row in connection.execute(select(table).order_by(*table.primary_key.columns))
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


def set_disabled(engine: Engine, account_id: int) -> None:
    with engine.begin() as connection:
        connection.execute(
            accounts.update().where(accounts.c.id == account_id).values(disabled=True)
        )
