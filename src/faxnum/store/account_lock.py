"""One account's changes of a kind taken one after another (PostgreSQL: its row locked
to the end of the transaction; an SQLite writer holds the whole database already)."""

from sqlalchemy import Connection, select

from faxnum.store.db.tables import accounts


def hold_account(connection: Connection, account_id: int) -> None:
    """Counting then adding (trunks, webhooks) stays under a limit, and an account's
    default trunk moves once at a time, however many transactions try at once."""
    if connection.dialect.name == "postgresql":
        connection.execute(
            select(accounts.c.id).where(accounts.c.id == account_id).with_for_update(key_share=True)
        )
