"""PostgreSQL: a spend checked at its transaction's COMMIT can refuse that COMMIT

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-07 19:30:00.000000

A provisioning's balance update may travel in the message that commits it, so that
the account row is locked for that one message only (`store.accounts`). It is then
checked there, in SQL: when the spend would be refused, or would take the balance
below its low-balance threshold, this function fails the statement, the transaction
ends with nothing kept, and the use case runs again with the spend checked at once.
SQLite sends no messages and has no such function.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The SQLSTATE `store.accounts.SPEND_NEEDS_CHECK` names; class "FX" is not PostgreSQL's.
_UP = """
CREATE FUNCTION faxnum_spend_needs_check() RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'a spend checked at commit needs checking at once'
        USING ERRCODE = 'FX001';
END
$$
"""


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(_UP)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS faxnum_spend_needs_check()")
