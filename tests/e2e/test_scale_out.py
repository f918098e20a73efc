"""Several server processes on PostgreSQL, and one rate limit shared through Redis."""

import shutil
import subprocess
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import redis

from faxnum.store.db.database import Database
from faxnum.testing.servers import RunningServer
from tests.conftest import unavailable
from tests.e2e.test_concurrent_provisioning import race_for_one_group
from tests.factories import add_account

CLIENTS = 16


def test_sixteen_processes_four_workers_on_postgresql(
    postgres_env: dict[str, str], start_server: Callable[..., RunningServer]
) -> None:
    database = Database(postgres_env["FAXNUM_DATABASE_URL"])
    try:
        race_for_one_group(
            database, start_server, CLIENTS, "--workers", "4", "--no-access-log", env=postgres_env
        )
    finally:
        database.dispose()


def test_four_workers_share_one_limit_through_redis(
    postgres_env: dict[str, str],
    redis_server: str,
    start_server: Callable[..., RunningServer],
    tmp_path: Path,
) -> None:
    database = Database(postgres_env["FAXNUM_DATABASE_URL"])
    key = add_account(database, "limited@example.com").api_key
    database.dispose()
    redis.Redis.from_url(redis_server).flushdb()
    # A minute's budget: the burst always fits in one window, however slow the machine.
    env = postgres_env | {"FAXNUM_REDIS_URL": redis_server, "FAXNUM_RATE_LIMIT": "10/minute"}
    server = start_server("--workers", "4", "--no-access-log", env=env)
    wrk = shutil.which("wrk")
    if wrk is None:
        unavailable("wrk is not installed (Debian package wrk)")
    script = tmp_path / "burst.lua"
    script.write_text(BURST_SCRIPT.replace("KEY", key))

    # 20 connections, which the kernel spreads over the 4 workers; 200 answers, then stop.
    done = subprocess.run(
        [str(wrk), "-t1", "-c20", "-d5s", "-s", str(script), f"{server.base_url}/api/v2/balance"],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )

    lines = [line.split() for line in done.stdout.splitlines()]
    counts = Counter({int(words[1]): int(words[2]) for words in lines if words[:1] == ["COUNT"]})
    assert set(counts) <= {200, 403}, counts
    assert sum(counts.values()) >= 200
    assert counts[200] == 10, counts  # 4 workers with a budget each would let up to 40 in
    assert "MISSING-RETRY-AFTER" not in done.stdout
    # What Redis recorded: one moving window for the account, holding the 10 admitted.
    shared = redis.Redis.from_url(redis_server)
    windows = list(shared.scan_iter("*account:*"))
    assert len(windows) == 1 and shared.llen(windows[0]) == 10


# wrk's Lua hooks: count statuses per thread, check Retry-After on refusals, stop at 200.
BURST_SCRIPT = """
wrk.headers["X-API-Key"] = "KEY"
local threads = {}
function setup(thread) table.insert(threads, thread) end
function init(args) counts = {}; answered = 0; missing = 0 end
function response(status, headers, body)
  answered = answered + 1
  counts[tostring(status)] = (counts[tostring(status)] or 0) + 1
  local retry_after = headers["retry-after"] or headers["Retry-After"]
  if status == 403 and retry_after == nil then missing = missing + 1 end
  if answered >= 200 then wrk.thread:stop() end
end
function done(summary, latency, requests)
  for _, thread in ipairs(threads) do
    for status, n in pairs(thread:get("counts")) do
      io.write(string.format("COUNT %s %d\\n", status, n))
    end
    if thread:get("missing") > 0 then io.write("MISSING-RETRY-AFTER\\n") end
  end
end
"""
