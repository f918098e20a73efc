"""Unit of work: one connection, one transaction, rolled back unless committed."""

from types import TracebackType
from typing import Self

from sqlalchemy import Connection, Engine

from faxnum.store.accounts import AccountQueries
from faxnum.store.catalogue import CatalogueQueries
from faxnum.store.inventory import DidQueries
from faxnum.store.numbers import LedgerQueries, NumberQueries


class SqlUnitOfWork:
    accounts: AccountQueries
    catalogue: CatalogueQueries
    dids: DidQueries
    numbers: NumberQueries
    ledger: LedgerQueries

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._connection: Connection | None = None

    def __enter__(self) -> Self:
        connection = self._engine.connect()
        connection.begin()
        self._connection = connection
        self.accounts = AccountQueries(connection)
        self.catalogue = CatalogueQueries(connection)
        self.dids = DidQueries(connection)
        self.numbers = NumberQueries(connection)
        self.ledger = LedgerQueries(connection)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        assert self._connection is not None
        try:
            self._connection.rollback()  # a no-op after commit()
        finally:
            self._connection.close()
            self._connection = None

    def commit(self) -> None:
        assert self._connection is not None
        self._connection.commit()
