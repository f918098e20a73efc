"""Readiness: whether this process can serve, as a load balancer asks it."""

from faxnum.domain.errors import Unavailable
from faxnum.services.unit_of_work import UnitOfWork

SCHEMA_BEHIND = "Database schema is not at the latest migration; run `faxnum migrate`."


def check_ready(uow: UnitOfWork) -> None:
    """Unavailable unless the store stands at the schema this code expects (a store
    that does not answer at all fails before this runs)."""
    if not uow.schema_is_current():
        raise Unavailable(SCHEMA_BEHIND)
