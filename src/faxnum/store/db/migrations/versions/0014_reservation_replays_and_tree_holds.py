"""an idempotency key may record the reservation it made; the count of reserved numbers,
and the money live holds promise, are kept once per account tree, on the account whose
balance pays

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-07 06:10:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("idempotency_keys", schema=None) as batch_op:
        batch_op.add_column(sa.Column("reservation_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            "fk_idempotency_keys_reservation_id_reservations",
            "reservations",
            ["reservation_id"],
            ["id"],
        )
    # Holds a sub-account made so far move onto its parent's count, where they are
    # released from now on.
    op.execute(
        "UPDATE accounts SET reserved_numbers = reserved_numbers + COALESCE(("
        " SELECT SUM(sub.reserved_numbers) FROM accounts AS sub"
        " WHERE sub.parent_id = accounts.id), 0) WHERE parent_id IS NULL"
    )
    op.execute("UPDATE accounts SET reserved_numbers = 0 WHERE parent_id IS NOT NULL")
    with op.batch_alter_table("reservations", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("value_micros", sa.BigInteger(), server_default=sa.text("0"), nullable=False)
        )
    with op.batch_alter_table("accounts", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("held_micros", sa.BigInteger(), server_default=sa.text("0"), nullable=False)
        )
    # Live holds promise their numbers' setup and first month, held on the payer.
    op.execute(
        "UPDATE reservations SET value_micros = COALESCE(("
        " SELECT SUM(g.setup_price_micros + g.monthly_price_micros)"
        " FROM reservation_dids AS rd JOIN dids AS d ON d.id = rd.did_id"
        " JOIN did_groups AS g ON g.id = d.did_group_id"
        " WHERE rd.reservation_id = reservations.id), 0) WHERE status = 'active'"
    )
    op.execute(
        "UPDATE accounts SET held_micros = COALESCE(("
        " SELECT SUM(r.value_micros) FROM reservations AS r"
        " JOIN accounts AS h ON h.id = r.account_id"
        " WHERE r.status = 'active' AND (h.id = accounts.id OR h.parent_id = accounts.id)"
        "), 0) WHERE parent_id IS NULL"
    )


def downgrade() -> None:
    with op.batch_alter_table("accounts", schema=None) as batch_op:
        batch_op.drop_column("held_micros")
    with op.batch_alter_table("reservations", schema=None) as batch_op:
        batch_op.drop_column("value_micros")
    with op.batch_alter_table("idempotency_keys", schema=None) as batch_op:
        batch_op.drop_constraint(
            "fk_idempotency_keys_reservation_id_reservations", type_="foreignkey"
        )
        batch_op.drop_column("reservation_id")
