"""Routing lookups over HTTP as the inventory grows, and INVITEs through Kamailio.

1. Stores of 10^3 and 10^7 DIDs (`big_store.py`, cached), every DID held as a live
   number of one account whose trunk has a URI (made once per size, cached beside it).
   `faxnum serve` (SQLite, one worker) on each in turn; wrk (32 connections) asks
   `GET /gateway/v1/routes/{number}` for numbers drawn at random across the whole store,
   then `/healthz` on the same server: with answers kept until the store changes (the
   default), and with every lookup a read (FAXNUM_KEEP_ROUTE_ANSWERS=0). Targets:
   lookups/s at 10^3 <= 1.5x those at 10^7; lookups/s >= 0.5x the same server's
   `/healthz`.
2. With `kamailio` installed: the shipped `deploy/kamailio/faxnum.cfg` in front of the
   10^3 server, a UDP load generator here sending INVITEs for live numbers (the cache
   warm), a UDP trunk here answering each 486 and the caller acknowledging it: calls
   relayed per second. A figure, not a target (the generator is Python on the same two
   cores).

    python bench/routes.py [--seconds 5] [--rounds 3] [--sizes 1000,10000000]
"""

import argparse
import os
import random
import shutil
import signal
import socket
import sqlite3
import statistics
import subprocess
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx

from big_store import CACHE, build, store_url
from faxnum.security.key_cipher import KeyCipher
from faxnum.services.accounts import create_account
from faxnum.services.gateways import create_gateway
from faxnum.store.db.database import Database
from faxnum.testing.servers import free_port
from faxnum.testing.servers import running_server as served
from provision import SECRET, server_env, wrk_figures

CONFIG = Path(__file__).parents[1] / "deploy" / "kamailio" / "faxnum.cfg"
TRUNK_URI = "sip:fax@pbx.example.com"
SAMPLE = 20_000  # numbers wrk draws from, spread over the whole store
LUA = """
local numbers = {}
for line in io.lines("%s") do numbers[#numbers + 1] = line end
math.randomseed(os.time())
request = function()
  local number = numbers[math.random(#numbers)]
  return wrk.format("GET", "/gateway/v1/routes/" .. number, {["Authorization"] = "Bearer %s"})
end
"""


def held_store(size: int) -> Path:
    """A copy of the `size`-DID store in which every DID is a live number of one
    account, whose default trunk has a URI; made once, cached."""
    held = CACHE / f"routes-{size}.db"
    if held.exists():
        return held
    source = store_url(size, None)
    build(source, size)
    scratch = held.with_suffix(".partial")
    shutil.copyfile(source.removeprefix("sqlite:///"), scratch)
    database = Database(f"sqlite:///{scratch}")
    now = datetime.now(UTC)
    with database.unit_of_work() as uow:
        account = create_account(uow, KeyCipher(SECRET.encode()), "routes@example.com", now)
    database.dispose()
    started = time.perf_counter()
    connection = sqlite3.connect(scratch)
    connection.executescript(
        f"""
        PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF;
        UPDATE trunks SET uri = '{TRUNK_URI}' WHERE account_id = {account.account_id};
        UPDATE dids SET state = 'assigned';
        INSERT INTO numbers (account_id, did_id, did_group_id, trunk_id, status,
                             provisioned_at, expiration_date)
          SELECT {account.account_id}, d.id, d.did_group_id,
                 (SELECT id FROM trunks WHERE account_id = {account.account_id}),
                 'Active', '{now:%Y-%m-%d %H:%M:%S}', '2099-01-01'
          FROM dids AS d ORDER BY d.id;
        UPDATE accounts SET live_numbers = (SELECT count(*) FROM numbers)
          WHERE id = {account.account_id};
        UPDATE did_group_stock SET available = 0;
        """
    )
    connection.commit()
    connection.close()
    print(f"  {size:,} live numbers made in {time.perf_counter() - started:.0f} s")
    scratch.rename(held)
    return held


def sample_numbers(store: Path, out: Path) -> None:
    connection = sqlite3.connect(f"file:{store}?mode=ro", uri=True)
    total = connection.execute("SELECT max(id) FROM dids").fetchone()[0]
    ids = random.Random(7).sample(range(1, total + 1), min(SAMPLE, total))
    rows = [
        connection.execute("SELECT number FROM dids WHERE id = ?", (i,)).fetchone()[0] for i in ids
    ]
    connection.close()
    out.write_text("\n".join(number.lstrip("+") for number in rows) + "\n")


def wrk(url: str, seconds: float, script: Path | None = None) -> float:
    command = ["wrk", "-t1", "-c32", f"-d{max(1, round(seconds))}s", "--latency"]
    if script is not None:
        command += ["-s", str(script)]
    done = subprocess.run([*command, url], capture_output=True, text=True, check=True)
    figures = wrk_figures(done.stdout)
    if figures.non_2xx:
        raise SystemExit(f"{figures.non_2xx} answers were not 2xx:\n{done.stdout}")
    return figures.requests_per_second


def kamailio_calls(
    server_url: str, store: Path, token: str, numbers: list[str], seconds: float
) -> float:
    """Calls relayed per second through Kamailio, the route cache warm: each INVITE
    reaches the trunk (a socket here: the store's trunk is pointed at it), which
    answers 486, which the caller acknowledges."""
    trunk = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    trunk.bind(("127.0.0.1", 0))
    connection = sqlite3.connect(store)
    connection.execute(
        "UPDATE trunks SET uri = ? WHERE uri = ?",
        (f"sip:fax@127.0.0.1:{trunk.getsockname()[1]}", TRUNK_URI),
    )
    connection.commit()
    connection.close()
    port = free_port()
    env = os.environ | {"FAXNUM_URL": server_url, "FAXNUM_GATEWAY_TOKEN": token}
    with tempfile.TemporaryDirectory() as runtime:
        kamailio = subprocess.Popen(
            ["kamailio", "-f", str(CONFIG), "-DD", "-E", "-l", f"udp:127.0.0.1:{port}",
             "-Y", runtime],
            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            start_new_session=True,
        )  # fmt: skip
        try:  # the edge has no readiness signal of its own: it starts in about a second
            time.sleep(1.5)
            _call_load(("127.0.0.1", port), trunk, numbers, 2)  # the edge's cache warmed
            return _call_load(("127.0.0.1", port), trunk, numbers, seconds)
        finally:
            os.killpg(kamailio.pid, signal.SIGKILL)
            kamailio.wait()
            trunk.close()


def _call_load(
    edge: tuple[str, int], trunk: socket.socket, numbers: list[str], seconds: float
) -> float:
    trunk.settimeout(0.5)
    caller = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    caller.bind(("127.0.0.1", 0))
    caller.settimeout(2)
    cport, done, stop = caller.getsockname()[1], [0], threading.Event()

    def answer_busy() -> None:
        while not stop.is_set():
            try:
                data, peer = trunk.recvfrom(65535)
            except TimeoutError:
                continue
            text = data.decode()
            if not text.startswith("INVITE "):
                continue
            head = [line for line in text.split("\r\n") if line.split(":", 1)[0] in
                    ("Via", "From", "To", "Call-ID", "CSeq")]  # fmt: skip
            head = [line + ";tag=busy" if line.startswith("To:") else line for line in head]
            trunk.sendto(("SIP/2.0 486 Busy Here\r\n" + "\r\n".join(head) +
                          "\r\nContent-Length: 0\r\n\r\n").encode(), peer)  # fmt: skip

    responder = threading.Thread(target=answer_busy)
    responder.start()
    window, sent, started = 32, 0, time.perf_counter()
    run = random.randbytes(4).hex()  # call ids (and branches) never repeat across runs
    in_flight: dict[str, str] = {}
    deadline = started + seconds
    try:
        while time.perf_counter() < deadline or in_flight:
            while len(in_flight) < window and time.perf_counter() < deadline:
                number = numbers[sent % len(numbers)]
                call, sent = f"{run}-{sent}", sent + 1
                in_flight[call] = number
                caller.sendto(_invite(number, call, cport, edge).encode(), edge)
            try:
                data, _ = caller.recvfrom(65535)
            except TimeoutError:
                break
            text = data.decode()
            if not text.startswith("SIP/2.0 486"):
                continue
            call = next(line for line in text.split("\r\n") if line.startswith("Call-ID:"))
            call_id = call.split(":", 1)[1].strip()
            if call_id not in in_flight:
                continue  # a retransmission
            dialled = in_flight.pop(call_id)
            to = next(line for line in text.split("\r\n") if line.startswith("To:"))
            caller.sendto(_ack(dialled, call_id, to, cport, edge).encode(), edge)
            done[0] += 1
    finally:
        stop.set()
        responder.join()
        caller.close()
    return done[0] / (time.perf_counter() - started)


def _invite(number: str, call_id: str, cport: int, edge: tuple[str, int]) -> str:
    return (
        f"INVITE sip:{number}@{edge[0]}:{edge[1]} SIP/2.0\r\n"
        f"Via: SIP/2.0/UDP 127.0.0.1:{cport};branch=z9hG4bK{call_id};rport\r\n"
        "Max-Forwards: 70\r\nFrom: <sip:bench@127.0.0.1>;tag=b\r\n"
        f"To: <sip:{number}@{edge[0]}>\r\nCall-ID: {call_id}\r\nCSeq: 1 INVITE\r\n"
        f"Contact: <sip:bench@127.0.0.1:{cport}>\r\nContent-Length: 0\r\n\r\n"
    )


def _ack(number: str, call_id: str, to: str, cport: int, edge: tuple[str, int]) -> str:
    return (
        f"ACK sip:{number}@{edge[0]}:{edge[1]} SIP/2.0\r\n"
        f"Via: SIP/2.0/UDP 127.0.0.1:{cport};branch=z9hG4bK{call_id};rport\r\n"
        f"Max-Forwards: 70\r\nFrom: <sip:bench@127.0.0.1>;tag=b\r\n{to}\r\n"
        f"Call-ID: {call_id}\r\nCSeq: 1 ACK\r\nContent-Length: 0\r\n\r\n"
    )


def _ask_each(base_url: str, token: str, numbers: Path) -> None:
    """One lookup of every sampled number: with answers kept, the rounds then measure
    lookups whose answers are kept (the steady state of an edge asking for the same
    numbers), not the filling of the keep."""
    with httpx.Client(base_url=base_url, headers={"Authorization": f"Bearer {token}"}) as client:
        for number in numbers.read_text().split():
            client.get(f"/gateway/v1/routes/{number}").raise_for_status()


def _rates(values: list[float]) -> str:
    return ", ".join(f"{value:,.0f}/s" for value in values)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--sizes", default="1000,10000000")
    options = parser.parse_args()
    sizes = [int(size) for size in options.sizes.split(",")]
    modes = {"kept": "1", "read": "0"}
    lookups: dict[tuple[int, str], list[float]] = {}
    health: dict[tuple[int, str], list[float]] = {}
    calls = None
    for size in sizes:
        store = held_store(size)
        with tempfile.TemporaryDirectory() as scratch:
            working = Path(scratch) / "faxnum.db"
            shutil.copyfile(store, working)
            url = f"sqlite:///{working}"
            database = Database(url)
            with database.unit_of_work() as uow:
                _, token = create_gateway(uow, "bench", datetime.now(UTC))
            database.dispose()
            numbers = Path(scratch) / "numbers.txt"
            sample_numbers(working, numbers)
            script = Path(scratch) / "routes.lua"
            script.write_text(LUA % (numbers, token))
            for mode, keep in modes.items():
                env = server_env(url, scratch) | {"FAXNUM_KEEP_ROUTE_ANSWERS": keep}
                with served(env, "--no-access-log") as server:
                    wrk(server.base_url + "/healthz", 1, None)  # warm
                    _ask_each(server.base_url, token, numbers)  # each answer made once
                    runs, bare = (
                        lookups.setdefault((size, mode), []),
                        health.setdefault((size, mode), []),
                    )
                    for _ in range(options.rounds):
                        runs.append(wrk(server.base_url, options.seconds, script))
                        bare.append(wrk(server.base_url + "/healthz", options.seconds))
                    print(
                        f"{size:>10,} live numbers, answers {mode}: lookups {_rates(runs)}; "
                        f"/healthz {_rates(bare)}"
                    )
                    if size == sizes[0] and mode == "kept" and shutil.which("kamailio"):
                        live = numbers.read_text().split()[:200]
                        calls = kamailio_calls(
                            server.base_url, working, token, live, options.seconds
                        )
    small, big = sizes[0], sizes[-1]
    for mode in modes:
        growth = statistics.median(lookups[small, mode]) / statistics.median(lookups[big, mode])
        print(
            f"answers {mode}: lookups/s at {small:,} / at {big:,} = {growth:.2f}x (target <= 1.5x)"
        )
        for size in sizes:
            share = statistics.median(lookups[size, mode]) / statistics.median(health[size, mode])
            print(
                f"answers {mode}: lookups/s / /healthz at {size:,} = {share:.2f}x (target >= 0.5x)"
            )
    if calls is not None:
        print(f"through Kamailio (cache warm): {calls:,.0f} calls relayed/s")


if __name__ == "__main__":
    main()
