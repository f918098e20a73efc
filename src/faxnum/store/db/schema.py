"""The whole declared schema, for migrations and the check that they build it: the
tables, and their partial indexes.

Queries need only `tables`. A partial index names its condition for each dialect,
and declaring PostgreSQL's loads SQLAlchemy's PostgreSQL dialect, which a SQLite
worker would otherwise hold for nothing (about 2 MB).
"""

from typing import Any

from sqlalchemy import Index, text

from faxnum.store.db.tables import (
    IN_STOCK,
    OUT_OF_STOCK,
    accounts,
    dids,
    metadata,
    numbers,
    trunks,
    webhook_deliveries,
)


def _where(condition: str) -> dict[str, Any]:
    return {"sqlite_where": text(condition), "postgresql_where": text(condition)}


# Two namespaces: a main account's email is unique among main accounts; a sub-account's
# only among its parent's. No key holder can take a stranger's email.
Index("uq_accounts_main_email", accounts.c.email, unique=True, **_where("parent_id IS NULL"))
Index(
    "uq_accounts_sub_email",
    accounts.c.parent_id,
    accounts.c.email,
    unique=True,
    **_where("parent_id IS NOT NULL"),
)
Index("uq_trunks_default_per_account", trunks.c.account_id, unique=True, **_where("is_default"))
# An account's live numbers, newest first: paging and counting from the index alone.
Index(
    "ix_numbers_live_account", numbers.c.account_id, numbers.c.id, **_where("released_at IS NULL")
)
# The last line of defence against double assignment: one live number per DID.
Index("uq_numbers_live_did", numbers.c.did_id, unique=True, **_where("released_at IS NULL"))
# The numbers an order made; most numbers have no order, and need no entry.
Index("ix_numbers_order_id", numbers.c.order_id, **_where("order_id IS NOT NULL"))
# A group's DIDs in stock in number order, whatever the size: picking the next one to
# provision and a search's page are both a range scan of this index. Taking a DID
# writes no entry here, nor in the trigram index (migration 0018).
Index("ix_dids_in_stock", dids.c.did_group_id, dids.c.number, **_where(IN_STOCK))
# The DIDs out of stock by state, oldest change first: the aging ones due back in stock,
# and the operator's counts of DIDs held. The DIDs in stock, most of them, need none.
Index(
    "ix_dids_state_changed",
    dids.c.state,
    dids.c.state_changed_at,
    **_where(OUT_OF_STOCK),
)
# Each endpoint's queue, oldest first: what the delivery worker reads.
Index(
    "ix_webhook_deliveries_pending",
    webhook_deliveries.c.webhook_id,
    webhook_deliveries.c.id,
    **_where("status = 'pending'"),
)

# Checked at the COMMIT on PostgreSQL (migration 0019, which says why); at once on
# SQLite, whose group commit needs each use case's errors within its own savepoint.
DEFERRED_ON_POSTGRESQL = frozenset(
    {
        "fk_numbers_account_id_accounts",
        "fk_ledger_entries_account_id_accounts",
        "fk_ledger_entries_actor_id_accounts",
    }
)

__all__ = ["DEFERRED_ON_POSTGRESQL", "metadata"]
