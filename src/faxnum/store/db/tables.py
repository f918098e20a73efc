"""Table definitions. Money columns hold 64-bit integer micro-units; ids stay below 2^31.

The partial indexes are declared in `schema`, which migrations and the schema check
use: queries never name an index (see there why they are apart)."""

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    SmallInteger,
    String,
    Table,
    Text,
    UniqueConstraint,
    text,
)

from faxnum.domain.numbers import DidState

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

countries = Table(
    "countries",
    metadata,
    Column("code", String(3), primary_key=True),  # ISO 3166-1 alpha-3
    Column("alpha2", String(2), nullable=False, unique=True),
    Column("name", String(100), nullable=False),
    Column("slug", String(100), nullable=False),
    Column("dial_code", Integer, nullable=False),
)

states = Table(
    "states",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("country_code", String(3), ForeignKey("countries.code"), nullable=False),
    Column("code", String(10), nullable=False),
    Column("name", String(200), nullable=False),
    UniqueConstraint("country_code", "code"),
)

area_codes = Table(
    "area_codes",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("country_code", String(3), ForeignKey("countries.code"), nullable=False),
    Column("state_id", Integer, ForeignKey("states.id"), nullable=True),
    Column("area_code", String(10), nullable=False),
    UniqueConstraint("country_code", "area_code"),
)

accounts = Table(
    "accounts",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("email", String(254), nullable=False),
    Column("password_hash", String(200), nullable=True),
    Column("parent_id", Integer, ForeignKey("accounts.id"), nullable=True, index=True),
    Column("balance_micros", BigInteger, nullable=False, server_default=text("0")),
    Column("disabled", Boolean, nullable=False, server_default=text("false")),
    Column("created_at", DateTime(timezone=True), nullable=False),
    # DIDs in the account's active reservations: a guarded counter caps holds per account.
    Column("reserved_numbers", Integer, nullable=False, server_default=text("0")),
    # What the account tree's live holds would cost to order (kept on its payer): money
    # promised, which no provisioning or order of other numbers may spend.
    Column("held_micros", BigInteger, nullable=False, server_default=text("0")),
    # The account's live numbers, kept with every number added or released: /numbers
    # answers its total without counting them.
    Column("live_numbers", Integer, nullable=False, server_default=text("0")),
    # Notification settings: days of warning before a number's expiry, and the balance
    # under which `balance.low` is sent (once per crossing).
    Column("expiring_days", Integer, nullable=False, server_default=text("7")),
    Column("low_balance_micros", BigInteger, nullable=False, server_default=text("10000000")),
    # Sees the whole inventory, every account and the provisioning chart in the dashboard.
    Column("operator", Boolean, nullable=False, server_default=text("false")),
    Index("ix_accounts_email", "email"),
)

trunks = Table(
    "trunks",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("account_id", Integer, ForeignKey("accounts.id"), nullable=False),
    Column("name", String(100), nullable=False),
    Column("is_default", Boolean, nullable=False, server_default=text("false")),
    Column("uri", String(255), nullable=True),  # sip: or sips:; None until routed
    Column("t38", Boolean, nullable=False, server_default=text("true")),
    # Deleted trunks stay for the released numbers that still name them.
    Column("deleted_at", DateTime(timezone=True), nullable=True),
    Index("ix_trunks_account_id", "account_id", "id"),
)

api_keys = Table(
    "api_keys",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("account_id", Integer, ForeignKey("accounts.id"), nullable=False, index=True),
    Column("digest", LargeBinary(32), nullable=False, unique=True),
    Column("encrypted", LargeBinary, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("revoked_at", DateTime(timezone=True), nullable=True),
)

# Dashboard sessions: the digest of the cookie's token; ended server-side on logout.
web_sessions = Table(
    "web_sessions",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("digest", LargeBinary(32), nullable=False, unique=True),
    Column("account_id", Integer, ForeignKey("accounts.id"), nullable=False, index=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=False),
    Column("ended_at", DateTime(timezone=True), nullable=True),
)

did_groups = Table(
    "did_groups",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("country_code", String(3), ForeignKey("countries.code"), nullable=False),
    Column("state_id", Integer, ForeignKey("states.id"), nullable=True),
    Column("area_code", String(10), nullable=False),
    Column("city_name", String(100), nullable=True),
    Column("type", String(20), nullable=False),
    Column("setup_price_micros", BigInteger, nullable=False),
    Column("monthly_price_micros", BigInteger, nullable=False),
    # Comma-separated capabilities shown to clients, e.g. "fax,t38".
    Column("features", String(100), nullable=False, server_default=text("'fax,t38'")),
    # No DID of the group in stock has a lower number (kept so by triggers on `dids`,
    # migration 0020): a take starts its walk of the stock index here, not over the
    # entries of the DIDs taken before, which PostgreSQL keeps until a VACUUM.
    Column("stock_floor", String(16), nullable=False, server_default=text("''")),
    UniqueConstraint("country_code", "area_code", "city_name", "type"),
    Index("ix_did_groups_country_city", "country_code", "city_name"),
)

dids = Table(
    "dids",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("did_group_id", Integer, ForeignKey("did_groups.id"), nullable=False),
    Column("number", String(16), nullable=False, unique=True),  # E.164
    Column("state", String(10), nullable=False),
    Column("state_changed_at", DateTime(timezone=True), nullable=False),
    Column("carrier_trunk", String(100), nullable=True),  # the operator's upstream route
)

# The conditions of the partial indexes of DIDs in stock and out of it (`schema.py`),
# spelled as a query must spell them for a planner to use those indexes: literals,
# since a bound value proves nothing, and whole, since SQLite infers nothing from them.
IN_STOCK = f"state = '{DidState.AVAILABLE.value}'"
OUT_OF_STOCK = f"state <> '{DidState.AVAILABLE.value}'"

# How many DIDs of each group are available, kept by triggers on `dids` in the same
# transaction as every change (migration 0011), so listing groups never counts DIDs.
# PostgreSQL spreads a group over STOCK_SHARDS rows (by DID id) so that concurrent
# provisions from one group rarely wait on the same row; SQLite uses shard 0 alone.
did_group_stock = Table(
    "did_group_stock",
    metadata,
    Column("did_group_id", Integer, ForeignKey("did_groups.id"), primary_key=True),
    Column("shard", SmallInteger, primary_key=True, autoincrement=False),
    Column("available", BigInteger, nullable=False),
)

reservations = Table(
    "reservations",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("account_id", Integer, ForeignKey("accounts.id"), nullable=False),
    Column("status", String(10), nullable=False),
    Column("quantity", Integer, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=False),
    Column("value_micros", BigInteger, nullable=False, server_default=text("0")),  # promised
    Index("ix_reservations_account_id", "account_id", "id"),
    # The expiry sweep reads only the active holds whose time has come.
    Index("ix_reservations_status_expires_at", "status", "expires_at"),
)

reservation_dids = Table(
    "reservation_dids",
    metadata,
    Column("reservation_id", Integer, ForeignKey("reservations.id"), primary_key=True),
    Column("did_id", Integer, ForeignKey("dids.id"), primary_key=True),
    Index("ix_reservation_dids_did_id", "did_id"),
)

orders = Table(
    "orders",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("account_id", Integer, ForeignKey("accounts.id"), nullable=False),
    Column("reservation_id", Integer, ForeignKey("reservations.id"), nullable=True),
    Column("total_charged_micros", BigInteger, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Index("ix_orders_account_id", "account_id", "id"),
)


numbers = Table(
    "numbers",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("account_id", Integer, ForeignKey("accounts.id"), nullable=False),
    Column("did_id", Integer, ForeignKey("dids.id"), nullable=False),
    Column("did_group_id", Integer, ForeignKey("did_groups.id"), nullable=False),
    Column("trunk_id", Integer, ForeignKey("trunks.id"), nullable=False),
    Column("order_reference", String(100), nullable=True),
    Column("order_id", Integer, ForeignKey("orders.id"), nullable=True),
    Column("status", String(20), nullable=False),
    Column("provisioned_at", DateTime(timezone=True), nullable=False),
    Column("expiration_date", Date, nullable=False),
    Column("released_at", DateTime(timezone=True), nullable=True),
    # The expiration date `number.expiring` was last sent for: once per paid period.
    Column("expiring_sent_for", Date, nullable=True),
    Index("ix_numbers_account_id", "account_id", "id"),
    Index("ix_numbers_provisioned_at", "provisioned_at"),  # the operator's daily chart
    Index("ix_numbers_expiration_date", "expiration_date"),
)

ledger_entries = Table(
    "ledger_entries",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("account_id", Integer, ForeignKey("accounts.id"), nullable=False),  # whose money
    Column("actor_id", Integer, ForeignKey("accounts.id"), nullable=True),  # who caused it
    Column("amount_micros", BigInteger, nullable=False),  # credit > 0, charge < 0
    Column("kind", String(20), nullable=False),
    Column("number_id", Integer, ForeignKey("numbers.id"), nullable=True),
    Column("description", String(200), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Index("ix_ledger_entries_account_id", "account_id", "id"),
    # What an account caused on its parent's money: read with its own entries.
    Index("ix_ledger_entries_actor_id", "actor_id", "id"),
)

idempotency_keys = Table(
    "idempotency_keys",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("account_id", Integer, ForeignKey("accounts.id"), nullable=False),
    Column("key", String(255), nullable=False),
    Column("fingerprint", String(64), nullable=False),  # what was asked, to refuse reuse
    Column("number_id", Integer, ForeignKey("numbers.id"), nullable=True),  # the result
    Column("order_id", Integer, ForeignKey("orders.id"), nullable=True),  # or this one
    Column("reservation_id", Integer, ForeignKey("reservations.id"), nullable=True),  # or this
    Column("created_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("account_id", "key"),
    Index("ix_idempotency_keys_created_at", "created_at"),
)

webhooks = Table(
    "webhooks",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("account_id", Integer, ForeignKey("accounts.id"), nullable=False),
    Column("url", String(2000), nullable=False),
    Column("events", String(500), nullable=True),  # comma-separated; NULL: every event
    Column("enabled", Boolean, nullable=False, server_default=text("true")),
    Column("disabled_reason", String(200), nullable=True),
    # The signing secret sealed like API keys; the previous one signs too until its time.
    Column("secret_encrypted", LargeBinary, nullable=False),
    Column("previous_secret_encrypted", LargeBinary, nullable=True),
    Column("previous_secret_until", DateTime(timezone=True), nullable=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    # Delivery state: failing since when, when the head of its queue may be tried
    # again, and which delivery worker holds it until when (one at a time).
    Column("failing_since", DateTime(timezone=True), nullable=True),
    Column("retry_at", DateTime(timezone=True), nullable=True),
    Column("lease_owner", String(64), nullable=True),
    Column("lease_until", DateTime(timezone=True), nullable=True),
    Index("ix_webhooks_account_id", "account_id", "id"),
    # Never reuse an id: a worker still sending for a deleted endpoint must not find
    # its results written onto a newer one's.
    sqlite_autoincrement=True,
)

webhook_deliveries = Table(
    "webhook_deliveries",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("webhook_id", Integer, ForeignKey("webhooks.id"), nullable=False),
    # The event: its webhook-id (the same on every retry, and for every endpoint that
    # hears it), its type, and the exact body signed and sent.
    Column("message_id", String(40), nullable=False),
    Column("type", String(40), nullable=False),
    Column("body", Text, nullable=False),
    Column("status", String(10), nullable=False),
    Column("attempts", Integer, nullable=False, server_default=text("0")),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("first_attempt_at", DateTime(timezone=True), nullable=True),
    Column("next_attempt_at", DateTime(timezone=True), nullable=True),
    Index("ix_webhook_deliveries_webhook_id", "webhook_id", "id"),
    sqlite_autoincrement=True,
)

webhook_attempts = Table(
    "webhook_attempts",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("delivery_id", Integer, ForeignKey("webhook_deliveries.id"), nullable=False),
    Column("attempt", Integer, nullable=False),
    Column("started_at", DateTime(timezone=True), nullable=False),
    Column("status_code", Integer, nullable=True),  # None: no answer (the error says why)
    Column("duration_ms", Integer, nullable=False),
    Column("error", String(500), nullable=True),
    Column("response_excerpt", String(1024), nullable=True),
    Index("ix_webhook_attempts_delivery_id", "delivery_id", "id"),
    sqlite_autoincrement=True,
)

gateways = Table(
    "gateways",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(64), nullable=False, unique=True),
    Column("digest", LargeBinary(32), nullable=False, unique=True),  # of the token
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("revoked_at", DateTime(timezone=True), nullable=True),
)

faxes = Table(
    "faxes",
    metadata,
    Column("id", Integer, primary_key=True),
    # Whose inbox: the holder of the number when the fax arrived, for good.
    Column("account_id", Integer, ForeignKey("accounts.id"), nullable=False),
    Column("did_id", Integer, ForeignKey("dids.id"), nullable=False),
    Column("number", String(16), nullable=False),  # E.164, as it was dialled
    Column("sender", String(33), nullable=False),
    Column("total_pages", Integer, nullable=False),
    Column("size_bytes", BigInteger, nullable=False),
    Column("format", String(20), nullable=False),
    Column("received_at", DateTime(timezone=True), nullable=False),  # the gateway's clock
    Column("created_at", DateTime(timezone=True), nullable=False),  # ours: retention
    Column("gateway_id", Integer, ForeignKey("gateways.id"), nullable=False),
    Column("call_id", String(128), nullable=False),
    Column("fingerprint", String(64), nullable=False),  # file and facts: a retry or not
    Column("remote_station_id", String(64), nullable=True),
    Column("speed", Integer, nullable=True),
    Column("duration", Integer, nullable=True),
    Column("ecm", Boolean, nullable=True),
    Column("compression", String(32), nullable=True),
    # Deleted by its holder: the bytes are gone, the row stays (until retention) so a
    # gateway's retry of the call is answered as before and stores nothing.
    Column("deleted_at", DateTime(timezone=True), nullable=True),
    UniqueConstraint("gateway_id", "call_id"),
    Index("ix_faxes_account_id", "account_id", "id"),
    Index("ix_faxes_account_number", "account_id", "number", "id"),
    Index("ix_faxes_created_at", "created_at"),
    # Never reuse an id: a link signed for a deleted fax must not open a newer one.
    sqlite_autoincrement=True,
)

# A fax's bytes, a chunk per row: the file as received, and the PDF and preview made
# from it on first request. Never read or written whole.
fax_chunks = Table(
    "fax_chunks",
    metadata,
    Column("fax_id", Integer, ForeignKey("faxes.id"), primary_key=True),
    Column("rendition", String(10), primary_key=True),
    Column("seq", Integer, primary_key=True, autoincrement=False),
    Column("data", LargeBinary, nullable=False),
)
