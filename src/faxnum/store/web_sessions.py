"""Dashboard sessions: each a digest of the cookie's random token, revocable."""

from datetime import datetime

from sqlalchemy import Connection, insert, or_, select, update

from faxnum.store.db.tables import accounts, web_sessions


class WebSessionQueries:
    def __init__(self, connection: Connection) -> None:
        self._db = connection

    def add_session(self, digest: bytes, account_id: int, now: datetime, expires: datetime) -> None:
        self._db.execute(
            insert(web_sessions).values(
                digest=digest, account_id=account_id, created_at=now, expires_at=expires
            )
        )

    def account_of(self, digest: bytes, now: datetime) -> int | None:
        """The account of a live session: not ended, not expired, neither the account
        nor the parent it spends for disabled."""
        parent = accounts.alias("parent")
        found = self._db.execute(
            select(web_sessions.c.account_id)
            .join(accounts, accounts.c.id == web_sessions.c.account_id)
            .outerjoin(parent, parent.c.id == accounts.c.parent_id)
            .where(
                web_sessions.c.digest == digest,
                web_sessions.c.ended_at.is_(None),
                web_sessions.c.expires_at > now,
                accounts.c.disabled.is_(False),
                or_(parent.c.id.is_(None), parent.c.disabled.is_(False)),
            )
        ).scalar()
        return None if found is None else int(found)

    def end(self, digest: bytes, now: datetime) -> None:
        self._db.execute(
            update(web_sessions)
            .where(web_sessions.c.digest == digest, web_sessions.c.ended_at.is_(None))
            .values(ended_at=now)
        )
