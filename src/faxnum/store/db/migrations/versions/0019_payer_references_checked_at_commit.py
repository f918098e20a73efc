"""the references to the payer that a provisioning writes are checked at the COMMIT

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-07 22:30:00.000000

A number's and a ledger entry's reference to an account was checked
as each row was written, by a share lock on the account's row, while concurrent
provisionings of the same account held or wanted locks on that row too: PostgreSQL
records such a lock in a multixact, and the account's update then waits on it.
Checked at the COMMIT, after the transaction has updated the row itself, the lock is
the transaction's own.

PostgreSQL only: SQLite has one writer at a time, so nobody else holds the row; and
its group commit runs each use case of a batch in a savepoint, where a reference checked
only at the batch's COMMIT would fail every use case of the batch, not the one at fault.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PAYER_REFERENCES = (
    ("numbers", "fk_numbers_account_id_accounts"),
    ("ledger_entries", "fk_ledger_entries_account_id_accounts"),
    ("ledger_entries", "fk_ledger_entries_actor_id_accounts"),
)


def _alter(deferred: bool) -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    timing = "DEFERRABLE INITIALLY DEFERRED" if deferred else "NOT DEFERRABLE"
    for table, constraint in PAYER_REFERENCES:
        op.execute(f"ALTER TABLE {table} ALTER CONSTRAINT {constraint} {timing}")


def upgrade() -> None:
    _alter(deferred=True)


def downgrade() -> None:
    _alter(deferred=False)
