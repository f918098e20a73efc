"""The SQLAlchemy unit of work (the `UnitOfWork` protocol of `faxnum.services`): one
transaction each, rolled back unless the use case commits.

`SqlUnitOfWork` owns a connection and its transaction. `SavepointUnitOfWork` is one
use case inside a larger transaction (the SQLite group commit): its commit releases
its savepoint, and nothing is visible to anyone until the enclosing transaction commits.
(Use cases may open savepoints of their own inside it, through SQLAlchemy.)
"""

from abc import ABC, abstractmethod
from types import TracebackType
from typing import Self

from sqlalchemy import Connection, Engine
from sqlalchemy.engine import RootTransaction
from sqlalchemy.exc import DBAPIError

from faxnum.store.accounts import SPEND_NEEDS_CHECK, AccountQueries
from faxnum.store.catalogue import CatalogueQueries
from faxnum.store.db.migrate import schema_is_current
from faxnum.store.db.postgres_messages import settle_begin
from faxnum.store.db.sent_with_commit import SentWithCommit
from faxnum.store.faxes import FaxQueries, GatewayQueries
from faxnum.store.idempotency import IdempotencyQueries
from faxnum.store.inventory import DidQueries
from faxnum.store.numbers import LedgerQueries, NumberQueries
from faxnum.store.operator import OperatorQueries
from faxnum.store.orders import OrderQueries
from faxnum.store.outbox import OutboxQueries
from faxnum.store.reservations import ReservationQueries
from faxnum.store.trunks import TrunkQueries
from faxnum.store.web_sessions import WebSessionQueries
from faxnum.store.webhooks import Unheard, WebhookQueries


class SpendNeedsCheck(Exception):
    """A spend sent with the COMMIT was refused, or crossed its account's low-balance
    threshold, so nothing was kept: the use case runs again with spends checked at once,
    which raises the refusal or tells of the crossing. It never reaches a client."""


class ConnectionUnitOfWork(ABC):
    accounts: AccountQueries
    catalogue: CatalogueQueries
    dids: DidQueries
    numbers: NumberQueries
    ledger: LedgerQueries
    idempotency: IdempotencyQueries
    reservations: ReservationQueries
    orders: OrderQueries
    trunks: TrunkQueries
    webhooks: WebhookQueries
    outbox: OutboxQueries
    web_sessions: WebSessionQueries
    operator: OperatorQueries
    faxes: FaxQueries
    gateways: GatewayQueries
    _connection: Connection | None = None
    _transaction: "RootTransaction | _Savepoint | None" = None
    _read_only = False  # a read-only transaction that went well ends with COMMIT
    _later: SentWithCommit
    _spends_at_commit = False  # see `SqlUnitOfWork`
    _skips_held = False  # see `SqlUnitOfWork`
    commit_sent = False

    @abstractmethod
    def _begin(self) -> "tuple[Connection, RootTransaction | _Savepoint]": ...

    @abstractmethod
    def _end(self) -> None:
        """After the transaction is settled: give back what `_begin` took."""

    def __enter__(self) -> Self:
        connection, self._transaction = self._begin()
        self._connection = connection
        self._later = SentWithCommit(connection)
        at_commit = self._later if self._spends_at_commit else None
        unheard = Unheard()
        self.accounts = AccountQueries(connection, at_commit, unheard)
        self.catalogue = CatalogueQueries(connection)
        self.dids = DidQueries(connection, self._skips_held)
        self.numbers = NumberQueries(connection, self._later, self._skips_held)
        self.ledger = LedgerQueries(connection, self._later)
        self.idempotency = IdempotencyQueries(connection)
        self.reservations = ReservationQueries(connection)
        self.orders = OrderQueries(connection)
        self.trunks = TrunkQueries(connection)
        self.webhooks = WebhookQueries(connection, unheard)
        self.outbox = OutboxQueries(connection)
        self.web_sessions = WebSessionQueries(connection)
        self.operator = OperatorQueries(connection)
        self.faxes = FaxQueries(connection)
        self.gateways = GatewayQueries(connection)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            if self._transaction is not None and self._transaction.is_active:
                if self._read_only and exc_type is None:
                    self._transaction.commit()  # of nothing: see `SqlUnitOfWork`
                else:
                    self._transaction.rollback()
        finally:
            self._transaction = None
            self._later.forget()
            self._end()

    def commit(self) -> None:
        assert self._transaction is not None, "commit() outside a `with` block"
        self.numbers.count_pending()
        self.commit_sent = True  # from here on, a lost connection leaves the outcome unknown
        try:
            self._later.commit(self._transaction)
        except DBAPIError as error:
            if getattr(error.orig, "sqlstate", None) == SPEND_NEEDS_CHECK:
                raise SpendNeedsCheck from error
            raise

    def schema_is_current(self) -> bool:
        assert self._connection is not None, "used outside a `with` block"
        return schema_is_current(self._connection)


class SqlUnitOfWork(ConnectionUnitOfWork):
    def __init__(
        self,
        engine: Engine,
        *,
        read_only: bool = False,
        spends_at_commit: bool = False,
        skips_held: bool = False,
    ) -> None:
        """`read_only`: `engine`'s transactions cannot write, and one that went well
        ends with COMMIT, not ROLLBACK: psycopg forgets every statement it prepared on
        a connection at each ROLLBACK, so reads were never prepared, and each wiped
        what the writes had prepared on the connection they shared.
        `spends_at_commit` (PostgreSQL): a spend the use case allows may go with the
        COMMIT (`AccountRepository.spend_at_commit`); the caller runs the use case
        again with this off when its commit raises `SpendNeedsCheck`.
        `skips_held` (PostgreSQL): a take of DIDs skips those other transactions hold
        rather than wait for them, and one that comes back short for it raises
        `StockHeldElsewhere`; the caller runs the use case again with this off."""
        self._engine = engine
        self._read_only = read_only
        postgresql = engine.dialect.name == "postgresql"
        self._spends_at_commit = spends_at_commit and postgresql
        self._skips_held = skips_held and postgresql

    def _begin(self) -> tuple[Connection, RootTransaction]:
        connection = self._engine.connect()
        try:
            return connection, connection.begin()
        except BaseException:
            connection.close()
            raise

    def _end(self) -> None:
        if self._connection is not None:
            self._connection.close()
        self._connection = None


class _Savepoint:
    """A savepoint spoken to the driver directly: SQLAlchemy's nested transaction
    compiles and executes each of its three statements through the full execution
    machinery, a large share of a group-committed provisioning's cost."""

    def __init__(self, connection: Connection) -> None:
        if connection.dialect.name == "postgresql":
            settle_begin(connection)  # the driver's cursor bypasses SQLAlchemy's events
        self._cursor = connection.connection.dbapi_connection.cursor()  # type: ignore[union-attr]  # open while connected
        self._cursor.execute("SAVEPOINT use_case")
        self.is_active = True

    def commit(self) -> None:
        self._end("RELEASE SAVEPOINT use_case")

    def rollback(self) -> None:
        self._end("ROLLBACK TO SAVEPOINT use_case", "RELEASE SAVEPOINT use_case")

    def _end(self, *statements: str) -> None:
        self.is_active = False
        try:
            for statement in statements:
                self._cursor.execute(statement)
        finally:
            self._cursor.close()


class SavepointUnitOfWork(ConnectionUnitOfWork):
    def __init__(self, connection: Connection) -> None:
        self._enclosing = connection

    def _begin(self) -> tuple[Connection, _Savepoint]:
        return self._enclosing, _Savepoint(self._enclosing)

    def _end(self) -> None:
        """The enclosing connection belongs to the batch, which closes it."""
