"""A DID group read from its row: the catalogue lists groups, inventory gives one with
each DID it takes, numbers answer with theirs."""

from typing import Any

from sqlalchemy import Connection, Row, bindparam, select

from faxnum.domain.money import from_micros
from faxnum.domain.numbers import DidGroup, NumberType
from faxnum.store.db.prepared import Prepared
from faxnum.store.db.tables import did_groups

# Built once: statement construction costs more than SQLite's execution of it.
_GROUP_BY_ID = Prepared(select(did_groups).where(did_groups.c.id == bindparam("group_id")))


def group_by_id(connection: Connection, group_id: int) -> DidGroup | None:
    row = _GROUP_BY_ID.first(connection, {"group_id": group_id})
    return None if row is None else group_of(row)


def group_of(row: Row[Any]) -> DidGroup:
    """A DidGroup from a row holding every did_groups column (and maybe `stock`)."""
    m = row._mapping
    return DidGroup(
        id=m["id"],
        country_code=m["country_code"],
        state_id=m["state_id"],
        area_code=m["area_code"],
        city_name=m["city_name"],
        type=NumberType(m["type"]),
        setup_price=from_micros(m["setup_price_micros"]),
        monthly_price=from_micros(m["monthly_price_micros"]),
        stock=m.get("stock") or 0,
        features=tuple(f for f in m["features"].split(",") if f),
    )
