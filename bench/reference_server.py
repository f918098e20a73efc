"""The stack's limit for provisioning: raw ASGI on the same uvicorn, raw `sqlite3`.

No framework, no ORM, no middleware: the same schema (a store faxnum's migrations
built), the same statements faxnum runs for one provisioning (key lookup, group, DID
taken, number added, live count, balance, ledger, webhook listeners), the same
durability (WAL, `synchronous=FULL`) and the same group commit (the requests queued in
one turn of the event loop share a transaction, each in its own savepoint). What
faxnum does beyond this (request ids, safety headers, rate limit, access log, metrics,
validation, idempotency) is its cost over the limit; `bench/provision.py` measures
both in one run and prints the ratio.

    python bench/reference_server.py --database PATH --port N
"""

import argparse
import asyncio
import hashlib
import json
import sqlite3
from datetime import UTC, date, datetime
from typing import Any

import uvicorn

KEY_LOOKUP = (
    "SELECT accounts.id, accounts.parent_id, "
    "accounts.disabled = 1 OR parent.disabled IS 1, trunks.id "
    "FROM api_keys JOIN accounts ON accounts.id = api_keys.account_id "
    "LEFT OUTER JOIN accounts AS parent ON parent.id = accounts.parent_id "
    "JOIN trunks ON trunks.account_id = accounts.id AND trunks.is_default = 1 "
    "WHERE api_keys.digest = ? AND api_keys.revoked_at IS NULL"
)
GROUP = (
    "SELECT id, country_code, area_code, city_name, type, setup_price_micros "
    "FROM did_groups WHERE id = ?"
)
TAKE_DID = (
    "UPDATE dids SET state = 'assigned', state_changed_at = ? WHERE dids.id = "
    "(SELECT id FROM dids WHERE did_group_id = ? AND state = 'available' ORDER BY number LIMIT 1) "
    "AND state = 'available' RETURNING id, number"
)
ADD_NUMBER = (
    "INSERT INTO numbers (account_id, did_id, did_group_id, trunk_id, status, "
    "provisioned_at, expiration_date) VALUES (?, ?, ?, ?, 'active', ?, ?) RETURNING id"
)
COUNT_LIVE = "UPDATE accounts SET live_numbers = live_numbers + 1 WHERE id = ?"
CHARGE = (
    "UPDATE accounts SET balance_micros = balance_micros - ? "
    "WHERE id = ? AND balance_micros - ? >= 0 RETURNING balance_micros"
)
LEDGER = (
    "INSERT INTO ledger_entries (account_id, actor_id, amount_micros, kind, number_id, "
    "description, created_at) VALUES (?, ?, ?, 'charge', ?, ?, ?)"
)
LISTENERS = (
    "SELECT id, events FROM webhooks WHERE enabled IS 1 AND (account_id = ? OR "
    "account_id = (SELECT parent_id FROM accounts WHERE id = ?))"
)
JSON = [(b"content-type", b"application/json; charset=utf-8")]


class Refused(Exception):
    def __init__(self, status: int, message: str) -> None:
        self.status, self.message = status, message


class Store:
    """One writer connection; provisions queued in one loop turn commit together."""

    def __init__(self, path: str) -> None:
        self.db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        for pragma in ("journal_mode=WAL", "synchronous=FULL", "foreign_keys=ON"):
            self.db.execute(f"PRAGMA {pragma}")
        self.pending: list[tuple[bytes, int, asyncio.Future[dict[str, Any]]]] = []

    async def provision(self, digest: bytes, group_id: int) -> dict[str, Any]:
        loop = asyncio.get_running_loop()
        future: asyncio.Future[dict[str, Any]] = loop.create_future()
        self.pending.append((digest, group_id, future))
        if len(self.pending) == 1:
            loop.call_soon(self.flush)
        return await future

    def flush(self) -> None:
        batch, self.pending = self.pending, []
        outcomes: list[tuple[asyncio.Future[dict[str, Any]], Any]] = []
        cursor = self.db.cursor()
        cursor.execute("BEGIN IMMEDIATE")
        for digest, group_id, future in batch:
            cursor.execute("SAVEPOINT request")
            try:
                outcomes.append((future, self.provision_one(cursor, digest, group_id)))
                cursor.execute("RELEASE request")
            except Refused as refused:
                cursor.execute("ROLLBACK TO request")
                cursor.execute("RELEASE request")
                outcomes.append((future, refused))
        cursor.execute("COMMIT")
        for future, outcome in outcomes:
            if isinstance(outcome, Refused):
                future.set_exception(outcome)
            else:
                future.set_result(outcome)

    @staticmethod
    def provision_one(cursor: sqlite3.Cursor, digest: bytes, group_id: int) -> dict[str, Any]:
        holder = cursor.execute(KEY_LOOKUP, (digest,)).fetchone()
        if holder is None or holder[2]:
            raise Refused(401, "Invalid API key.")
        account_id, parent_id, _, trunk_id = holder
        payer = parent_id or account_id
        group = cursor.execute(GROUP, (group_id,)).fetchone()
        if group is None:
            raise Refused(404, f"DID group {group_id} not found.")
        now = datetime.now(UTC).replace(tzinfo=None)
        stamp = now.isoformat(" ", "microseconds")
        did = cursor.execute(TAKE_DID, (stamp, group_id)).fetchone()
        if did is None:
            raise Refused(409, "No number left.")
        expires = date(now.year + (now.month == 12), now.month % 12 + 1, min(now.day, 28))
        number_id = cursor.execute(
            ADD_NUMBER, (account_id, did[0], group_id, trunk_id, stamp, expires.isoformat())
        ).fetchone()[0]
        cursor.execute(COUNT_LIVE, (account_id,))
        price = group[5]
        if cursor.execute(CHARGE, (price, payer, price)).fetchone() is None:
            raise Refused(402, "Insufficient balance.")
        cursor.execute(
            LEDGER, (payer, account_id, -price, number_id, f"Provisioned {did[1]}", stamp)
        )
        cursor.execute(LISTENERS, (account_id, account_id)).fetchall()
        return {
            "id": number_id,
            "didid": did[0],
            "did_id": did[0],
            "did_group_id": group_id,
            "country_code": group[1],
            "city_name": group[3],
            "area_code": group[2],
            "number": did[1],
            "type": group[4],
            "trunk_id": trunk_id,
        }


def reference_app(store: Store) -> Any:
    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        path = scope["path"]
        if path == "/healthz":
            await respond(send, 200, {"status": "ok"})
            return
        parts = path.split("/")  # /api/v2/countries/didgroups/{id}/provision
        if len(parts) != 7 or parts[-1] != "provision" or not parts[5].isdigit():
            await respond(send, 404, {"status": "failed", "message": "Resource not found."})
            return
        key = dict(scope["headers"]).get(b"x-api-key", b"")
        try:
            data = await store.provision(hashlib.sha256(key).digest(), int(parts[5]))
        except Refused as refused:
            await respond(send, refused.status, {"status": "failed", "message": refused.message})
            return
        await respond(send, 200, {"status": "success", "data": data})

    return app


async def respond(send: Any, status: int, document: dict[str, Any]) -> None:
    body = json.dumps(document).encode()
    await send({"type": "http.response.start", "status": status, "headers": JSON})
    await send({"type": "http.response.body", "body": body})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", required=True, help="a SQLite file faxnum migrated")
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    app = reference_app(Store(args.database))
    uvicorn.run(
        app,
        host="127.0.0.1",
        port=args.port,
        log_level="warning",
        access_log=False,
        server_header=False,  # as faxnum serves
    )


if __name__ == "__main__":
    main()
