"""What the operator's dashboard reads: inventory by state, accounts, provisioning by day.

Available DIDs come from the kept group stock; the other states are counted through
the (state, changed) index, so a view costs the DIDs that are not available, never a
scan of the whole inventory.
"""

from datetime import date, datetime

from sqlalchemy import Connection, func, select, update

from faxnum.domain.numbers import DidGroup, DidState
from faxnum.domain.pagination import PageRequest
from faxnum.store.db.dialect import utc_day
from faxnum.store.db.tables import accounts, did_group_stock, did_groups, dids, numbers
from faxnum.store.group_stock import stock_of_group
from faxnum.store.groups import group_of
from faxnum.store.inventory import OUT_OF_STOCK_ONLY

_HELD = [state.value for state in DidState if state is not DidState.AVAILABLE]
Counts = dict[str, int]


class OperatorQueries:
    def __init__(self, connection: Connection) -> None:
        self._db = connection

    def is_operator(self, account_id: int) -> bool:
        found = self._db.execute(
            select(accounts.c.operator).where(accounts.c.id == account_id)
        ).scalar()
        return bool(found)

    def grant(self, account_id: int) -> None:
        self._db.execute(update(accounts).where(accounts.c.id == account_id).values(operator=True))

    def inventory_by_country(self) -> dict[str, Counts]:
        found: dict[str, Counts] = {}
        available = self._db.execute(
            select(did_groups.c.country_code, func.sum(did_group_stock.c.available))
            .join(did_groups, did_groups.c.id == did_group_stock.c.did_group_id)
            .group_by(did_groups.c.country_code)
        )
        for country, count in available:
            found.setdefault(country, {})[DidState.AVAILABLE.value] = int(count or 0)
        held = self._db.execute(
            select(did_groups.c.country_code, dids.c.state, func.count())
            .join(did_groups, did_groups.c.id == dids.c.did_group_id)
            .where(OUT_OF_STOCK_ONLY, dids.c.state.in_(_HELD))
            .group_by(did_groups.c.country_code, dids.c.state)
        )
        for country, state, count in held:
            found.setdefault(country, {})[state] = int(count)
        return dict(sorted(found.items()))

    def groups_with_counts(
        self, country_code: str, page: PageRequest
    ) -> tuple[list[tuple[DidGroup, Counts]], int]:
        """One page of a country's groups, each with its DIDs counted by state."""
        mine = did_groups.c.country_code == country_code
        total = self._db.execute(select(func.count()).select_from(did_groups).where(mine))
        rows = self._db.execute(
            select(did_groups, stock_of_group().label("stock"))
            .where(mine)
            .order_by(did_groups.c.id)
            .limit(page.limit)
            .offset(page.offset)
        ).all()
        groups = [group_of(row) for row in rows]
        counts: dict[int, Counts] = {g.id: {DidState.AVAILABLE.value: g.stock} for g in groups}
        if groups:
            held = self._db.execute(
                select(dids.c.did_group_id, dids.c.state, func.count())
                .where(
                    OUT_OF_STOCK_ONLY,
                    dids.c.did_group_id.in_(list(counts)),
                    dids.c.state.in_(_HELD),
                )
                .group_by(dids.c.did_group_id, dids.c.state)
            )
            for group_id, state, count in held:
                counts[group_id][state] = int(count)
        return [(g, counts[g.id]) for g in groups], int(total.scalar_one())

    def provisioned_per_day(self, since: datetime) -> dict[date, int]:
        day = utc_day(self._db, numbers.c.provisioned_at)
        rows = self._db.execute(
            select(day, func.count()).where(numbers.c.provisioned_at >= since).group_by(day)
        )
        return {date.fromisoformat(str(d)): int(count) for d, count in rows}
