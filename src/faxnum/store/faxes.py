"""Received faxes, their bytes in chunks, and the gateways that deliver them."""

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, delete, exists, func, insert, or_, select, update

from faxnum.domain.faxes import CallFacts, Fax, FaxFormat, InspectedFile, LiveHolder, Rendition
from faxnum.domain.gateways import Gateway
from faxnum.domain.pagination import PageRequest
from faxnum.domain.routing import CallRoute
from faxnum.store.db.dialect import insert_or_ignore
from faxnum.store.db.tables import accounts, dids, fax_chunks, faxes, gateways, numbers, trunks
from faxnum.store.housekeeping import next_cursor, old_ids
from faxnum.store.pages import count, newest_first

_FAX_COLUMNS = (
    faxes.c.id,
    faxes.c.account_id,
    faxes.c.did_id,
    faxes.c.number,
    faxes.c.sender,
    faxes.c.total_pages,
    faxes.c.size_bytes,
    faxes.c.format,
    faxes.c.received_at,
    faxes.c.call_id,
    faxes.c.remote_station_id,
    faxes.c.speed,
    faxes.c.duration,
    faxes.c.ecm,
    faxes.c.compression,
)


def _fax(row: Any) -> Fax:
    values = list(row)
    values[7] = FaxFormat(values[7])
    return Fax(*values)


def _seen_by(viewer_id: int) -> Any:
    """The viewer's faxes and its sub-accounts', not deleted."""
    return faxes.c.deleted_at.is_(None) & or_(
        faxes.c.account_id == viewer_id,
        faxes.c.account_id.in_(select(accounts.c.id).where(accounts.c.parent_id == viewer_id)),
    )


class FaxQueries:
    def __init__(self, connection: Connection) -> None:
        self._db = connection

    def live_holder(self, number: str) -> LiveHolder | None:
        row = self._db.execute(
            select(dids.c.id, numbers.c.id, numbers.c.account_id, dids.c.number)
            .join(numbers, numbers.c.did_id == dids.c.id)
            .where(dids.c.number == number, numbers.c.released_at.is_(None))
        ).first()
        return None if row is None else LiveHolder(*row)

    def route_of(self, number: str) -> CallRoute | None:
        """One indexed read: the DID by number, its live number, that number's trunk."""
        row = self._db.execute(
            select(dids.c.number, trunks.c.id, trunks.c.uri, trunks.c.t38)
            .join(numbers, numbers.c.did_id == dids.c.id)
            .join(trunks, trunks.c.id == numbers.c.trunk_id)
            .where(dids.c.number == number, numbers.c.released_at.is_(None))
        ).first()
        return None if row is None else CallRoute(*row)

    def add_fax(
        self,
        holder: LiveHolder,
        gateway_id: int,
        facts: CallFacts,
        file: InspectedFile,
        fingerprint: str,
        now: datetime,
    ) -> int | None:
        """The new fax's id; None if the gateway already gave this call (whose
        transaction this one waited for, on PostgreSQL)."""
        statement = (
            insert_or_ignore(self._db, faxes, "gateway_id", "call_id")
            .values(
                account_id=holder.account_id,
                did_id=holder.did_id,
                number=holder.number,
                sender=facts.sender,
                total_pages=file.pages,
                size_bytes=file.size,
                format=file.format.value,
                received_at=facts.received_at or now,
                created_at=now,
                gateway_id=gateway_id,
                call_id=facts.call_id,
                fingerprint=fingerprint,
                remote_station_id=facts.remote_station_id,
                speed=facts.speed,
                duration=facts.duration,
                ecm=facts.ecm,
                compression=facts.compression,
            )
            .returning(faxes.c.id)
        )
        found = self._db.execute(statement).scalar_one_or_none()
        return None if found is None else int(found)

    def of_call(self, gateway_id: int, call_id: str) -> tuple[Fax, str] | None:
        """The fax a gateway gave for this call, and its fingerprint."""
        row = self._db.execute(
            select(*_FAX_COLUMNS, faxes.c.fingerprint).where(
                faxes.c.gateway_id == gateway_id, faxes.c.call_id == call_id
            )
        ).first()
        return None if row is None else (_fax(row[:-1]), str(row[-1]))

    def add_chunk(self, fax_id: int, rendition: Rendition, seq: int, data: bytes) -> None:
        self._db.execute(
            insert(fax_chunks).values(fax_id=fax_id, rendition=rendition.value, seq=seq, data=data)
        )

    def add_chunk_once(self, fax_id: int, rendition: Rendition, seq: int, data: bytes) -> bool:
        """False if that chunk is there already (another request made it first)."""
        added = self._db.execute(
            insert_or_ignore(self._db, fax_chunks, "fax_id", "rendition", "seq")
            .values(fax_id=fax_id, rendition=rendition.value, seq=seq, data=data)
            .returning(fax_chunks.c.seq)  # (PostgreSQL's rowcount does not say)
        ).scalar_one_or_none()
        return added is not None

    def chunk(self, fax_id: int, rendition: Rendition, seq: int) -> bytes | None:
        found = self._db.execute(
            select(fax_chunks.c.data).where(
                fax_chunks.c.fax_id == fax_id,
                fax_chunks.c.rendition == rendition.value,
                fax_chunks.c.seq == seq,
            )
        ).scalar_one_or_none()
        return None if found is None else bytes(found)

    def stored(self, fax_id: int, rendition: Rendition) -> tuple[int, int]:
        """How many chunks of `rendition` are kept, and their bytes in all."""
        chunks, size = self._db.execute(
            select(func.count(), func.coalesce(func.sum(func.length(fax_chunks.c.data)), 0)).where(
                fax_chunks.c.fax_id == fax_id, fax_chunks.c.rendition == rendition.value
            )
        ).one()
        return int(chunks), int(size)

    def get(self, fax_id: int) -> Fax | None:
        row = self._db.execute(
            select(*_FAX_COLUMNS).where(faxes.c.id == fax_id, faxes.c.deleted_at.is_(None))
        ).first()
        return None if row is None else _fax(row)

    def visible(self, fax_id: int, viewer_id: int) -> Fax | None:
        row = self._db.execute(
            select(*_FAX_COLUMNS).where(faxes.c.id == fax_id, _seen_by(viewer_id))
        ).first()
        return None if row is None else _fax(row)

    def page_for(
        self, viewer_id: int, number: str | None, wanted: PageRequest
    ) -> tuple[list[Fax], int]:
        """Newest first."""
        where = [_seen_by(viewer_id)]
        if number is not None:
            where.append(faxes.c.number == number)
        rows = self._db.execute(
            newest_first(select(*_FAX_COLUMNS).where(*where), faxes.c.id, wanted)
        )
        return [_fax(row) for row in rows], count(self._db, faxes, *where)

    def ever_held(self, viewer_id: int, number: str) -> bool:
        """Whether the viewer (or a sub-account) holds or once held `number`, or has a
        fax to it."""
        holders = select(accounts.c.id).where(
            or_(accounts.c.id == viewer_id, accounts.c.parent_id == viewer_id)
        )
        held = exists(
            select(numbers.c.id)
            .join(dids, dids.c.id == numbers.c.did_id)
            .where(dids.c.number == number, numbers.c.account_id.in_(holders))
        )
        received = exists(
            select(faxes.c.id).where(faxes.c.number == number, faxes.c.account_id.in_(holders))
        )
        return bool(self._db.execute(select(held | received)).scalar_one())

    def discard(self, fax_id: int, now: datetime) -> bool:
        """Its bytes deleted and the fax marked deleted: gone for its holder, while a
        retry of its call still finds it. False if it was deleted already."""
        marked = self._db.execute(
            update(faxes)
            .where(faxes.c.id == fax_id, faxes.c.deleted_at.is_(None))
            .values(deleted_at=now)
        ).rowcount
        if marked:
            self._db.execute(delete(fax_chunks).where(fax_chunks.c.fax_id == fax_id))
        return bool(marked)

    def delete(self, fax_ids: Sequence[int]) -> int:
        """The faxes and all their bytes, for good; how many faxes were deleted."""
        if not fax_ids:
            return 0
        self._db.execute(delete(fax_chunks).where(fax_chunks.c.fax_id.in_(fax_ids)))
        return int(self._db.execute(delete(faxes).where(faxes.c.id.in_(fax_ids))).rowcount)

    def purge(self, before: datetime, after_id: int, limit: int) -> tuple[int, int | None]:
        """One batch of faxes that arrived before `before`, deleted with their bytes."""
        ids = old_ids(self._db, faxes, before, after_id, limit)
        return self.delete(ids), next_cursor(ids, limit)


class GatewayQueries:
    def __init__(self, connection: Connection) -> None:
        self._db = connection

    def add_gateway(self, name: str, digest: bytes, now: datetime) -> int:
        return int(
            self._db.execute(
                insert(gateways)
                .values(name=name, digest=digest, created_at=now)
                .returning(gateways.c.id)
            ).scalar_one()
        )

    def named(self, name: str) -> Gateway | None:
        row = self._db.execute(
            select(
                gateways.c.id, gateways.c.name, gateways.c.created_at, gateways.c.revoked_at
            ).where(gateways.c.name == name)
        ).first()
        return None if row is None else Gateway(*row)

    def all(self) -> list[Gateway]:
        rows = self._db.execute(
            select(
                gateways.c.id, gateways.c.name, gateways.c.created_at, gateways.c.revoked_at
            ).order_by(gateways.c.id)
        )
        return [Gateway(*row) for row in rows]

    def revoke(self, name: str, now: datetime) -> bool:
        result = self._db.execute(
            update(gateways)
            .where(gateways.c.name == name, gateways.c.revoked_at.is_(None))
            .values(revoked_at=now)
        )
        return bool(result.rowcount)

    def by_digest(self, digest: bytes) -> Gateway | None:
        """A gateway whose token has this digest and is not revoked."""
        row = self._db.execute(
            select(
                gateways.c.id, gateways.c.name, gateways.c.created_at, gateways.c.revoked_at
            ).where(gateways.c.digest == digest, gateways.c.revoked_at.is_(None))
        ).first()
        return None if row is None else Gateway(*row)
