"""The SQLAlchemy unit of work (the `UnitOfWork` protocol of `faxnum.services`): one
transaction each, rolled back unless the use case commits.

`SqlUnitOfWork` owns a connection and its transaction. `SavepointUnitOfWork` is one
use case inside a larger transaction (the SQLite group commit): its commit releases
its savepoint, and nothing is visible to anyone until the enclosing transaction commits.
"""

from abc import ABC, abstractmethod
from types import TracebackType
from typing import Self

from sqlalchemy import Connection, Engine
from sqlalchemy.engine import NestedTransaction, RootTransaction

from faxnum.store.accounts import AccountQueries
from faxnum.store.catalogue import CatalogueQueries
from faxnum.store.idempotency import IdempotencyQueries
from faxnum.store.inventory import DidQueries
from faxnum.store.migrate import schema_is_current
from faxnum.store.numbers import LedgerQueries, NumberQueries


class _ConnectionUnitOfWork(ABC):
    accounts: AccountQueries
    catalogue: CatalogueQueries
    dids: DidQueries
    numbers: NumberQueries
    ledger: LedgerQueries
    idempotency: IdempotencyQueries
    _transaction: RootTransaction | NestedTransaction | None = None

    def _bind(self, connection: Connection) -> None:
        self._bound = connection
        self.accounts = AccountQueries(connection)
        self.catalogue = CatalogueQueries(connection)
        self.dids = DidQueries(connection)
        self.numbers = NumberQueries(connection)
        self.ledger = LedgerQueries(connection)
        self.idempotency = IdempotencyQueries(connection)

    @abstractmethod
    def __enter__(self) -> Self: ...

    @abstractmethod
    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...

    def commit(self) -> None:
        assert self._transaction is not None, "commit() outside a `with` block"
        self._transaction.commit()

    def schema_is_current(self) -> bool:
        return schema_is_current(self._bound)

    def _rollback_unless_committed(self) -> None:
        if self._transaction is not None and self._transaction.is_active:
            self._transaction.rollback()
        self._transaction = None


class SqlUnitOfWork(_ConnectionUnitOfWork):
    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._connection: Connection | None = None

    def __enter__(self) -> Self:
        self._connection = self._engine.connect()
        self._transaction = self._connection.begin()
        self._bind(self._connection)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            self._rollback_unless_committed()
        finally:
            if self._connection is not None:
                self._connection.close()
            self._connection = None


class SavepointUnitOfWork(_ConnectionUnitOfWork):
    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    def __enter__(self) -> Self:
        self._transaction = self._connection.begin_nested()
        self._bind(self._connection)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._rollback_unless_committed()
