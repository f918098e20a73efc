"""What the use cases need from storage, stated as protocols the services own.

The store implements them with SQLAlchemy (`faxnum.store.db.uow`); the unit tests with
plain dictionaries (`tests/fakes.py`). Money crosses this boundary as `Decimal`;
every data type that crosses it lives in `faxnum.domain`.

A unit of work is one transaction: nothing it did is kept unless the use case calls
`commit()` before leaving the `with` block.
"""

from collections.abc import Callable
from types import TracebackType
from typing import Protocol, Self

from faxnum.services.ports.accounts import AccountRepository
from faxnum.services.ports.billing import LedgerRepository
from faxnum.services.ports.catalogue import CatalogueRepository
from faxnum.services.ports.holds import OrderRepository, ReservationRepository
from faxnum.services.ports.idempotency import IdempotencyRepository
from faxnum.services.ports.inventory import DidRepository
from faxnum.services.ports.numbers import NumberRepository
from faxnum.services.ports.trunks import TrunkRepository
from faxnum.services.ports.webhooks import OutboxRepository, WebhookRepository


class UnitOfWork(Protocol):
    # Read-only members, so an implementation may narrow them to its own classes.
    @property
    def accounts(self) -> AccountRepository: ...

    @property
    def catalogue(self) -> CatalogueRepository: ...

    @property
    def dids(self) -> DidRepository: ...

    @property
    def numbers(self) -> NumberRepository: ...

    @property
    def ledger(self) -> LedgerRepository: ...

    @property
    def idempotency(self) -> IdempotencyRepository: ...

    @property
    def reservations(self) -> ReservationRepository: ...

    @property
    def orders(self) -> OrderRepository: ...

    @property
    def trunks(self) -> TrunkRepository: ...

    @property
    def webhooks(self) -> WebhookRepository: ...

    @property
    def outbox(self) -> OutboxRepository: ...

    def __enter__(self) -> Self: ...

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...

    def commit(self) -> None: ...

    def schema_is_current(self) -> bool:
        """The store stands at the newest schema revision this code knows."""
        ...


UnitOfWorkFactory = Callable[[], UnitOfWork]
