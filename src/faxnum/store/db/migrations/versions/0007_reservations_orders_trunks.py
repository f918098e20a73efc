"""reservations, orders, routable trunks, reserved-number counter

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-27 21:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("trunks", schema=None) as batch_op:
        batch_op.add_column(sa.Column("uri", sa.String(255), nullable=True))
        batch_op.add_column(
            sa.Column("t38", sa.Boolean(), nullable=False, server_default=sa.text("true"))
        )
        batch_op.add_column(sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index("ix_trunks_account_id", ["account_id", "id"], unique=False)
    with op.batch_alter_table("accounts", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("reserved_numbers", sa.Integer(), nullable=False, server_default=sa.text("0"))
        )
    op.create_table(
        "reservations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name="fk_reservations_account_id_accounts"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_reservations"),
    )
    op.create_index("ix_reservations_account_id", "reservations", ["account_id", "id"])
    op.create_index("ix_reservations_status_expires_at", "reservations", ["status", "expires_at"])
    op.create_table(
        "reservation_dids",
        sa.Column("reservation_id", sa.Integer(), nullable=False),
        sa.Column("did_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["reservation_id"],
            ["reservations.id"],
            name="fk_reservation_dids_reservation_id_reservations",
        ),
        sa.ForeignKeyConstraint(["did_id"], ["dids.id"], name="fk_reservation_dids_did_id_dids"),
        sa.PrimaryKeyConstraint("reservation_id", "did_id", name="pk_reservation_dids"),
    )
    op.create_index("ix_reservation_dids_did_id", "reservation_dids", ["did_id"])
    op.create_table(
        "orders",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("reservation_id", sa.Integer(), nullable=True),
        sa.Column("total_charged_micros", sa.BigInteger(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name="fk_orders_account_id_accounts"
        ),
        sa.ForeignKeyConstraint(
            ["reservation_id"], ["reservations.id"], name="fk_orders_reservation_id_reservations"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_orders"),
    )
    op.create_index("ix_orders_account_id", "orders", ["account_id", "id"])
    with op.batch_alter_table("numbers", schema=None) as batch_op:
        batch_op.add_column(sa.Column("order_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key("fk_numbers_order_id_orders", "orders", ["order_id"], ["id"])
        batch_op.create_index("ix_numbers_order_id", ["order_id"], unique=False)
    with op.batch_alter_table("idempotency_keys", schema=None) as batch_op:
        batch_op.add_column(sa.Column("order_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            "fk_idempotency_keys_order_id_orders", "orders", ["order_id"], ["id"]
        )


def downgrade() -> None:
    with op.batch_alter_table("idempotency_keys", schema=None) as batch_op:
        batch_op.drop_constraint("fk_idempotency_keys_order_id_orders", type_="foreignkey")
        batch_op.drop_column("order_id")
    with op.batch_alter_table("numbers", schema=None) as batch_op:
        batch_op.drop_index("ix_numbers_order_id")
        batch_op.drop_constraint("fk_numbers_order_id_orders", type_="foreignkey")
        batch_op.drop_column("order_id")
    op.drop_table("orders")
    op.drop_table("reservation_dids")
    op.drop_table("reservations")
    with op.batch_alter_table("accounts", schema=None) as batch_op:
        batch_op.drop_column("reserved_numbers")
    with op.batch_alter_table("trunks", schema=None) as batch_op:
        batch_op.drop_index("ix_trunks_account_id")
        batch_op.drop_column("deleted_at")
        batch_op.drop_column("t38")
        batch_op.drop_column("uri")
