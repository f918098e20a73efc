"""Fax ingestion against provisioning, and a worker's memory while taking large faxes.

One `faxnum serve` (SQLite, one worker) holding a large DID group and one live number.
Round after round, for the same number of seconds each, alternating:
  - 4 concurrent gateways POST 2-page Group 4 TIFFs to /gateway/v1/faxes, each a new call;
  - 4 concurrent clients provision numbers.
Both loads come from the same asyncio/httpx driver in this process, so the driver's
own cost is alike on both sides. Prints each round and the ratio of the medians:
target faxes/s >= 0.5x provisions/s.

Then memory: the server's resident set idle (after one small fax), and its peak,
sampled every 10 ms, while one gateway hands over 20 MB faxes one after another.
Target: peak <= 1.5x idle + 20 MB.

    python bench/fax_ingest.py [--seconds 5] [--rounds 3] [--big 5]
"""

import argparse
import asyncio
import itertools
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).parents[1]))  # the tests' fax samples

from tests.fax_samples import g4_tiff, pdf

from faxnum.domain.numbers import NumberType
from faxnum.services.accounts import authenticate
from faxnum.services.gateways import create_gateway
from faxnum.services.provisioning import provision
from faxnum.store.db.database import Database
from provision import prepare, running_server

CONCURRENCY = 4
BIG_BYTES = 20 * 1024 * 1024 - 8192  # under the default 20 MB limit, with the form around it
Send = Callable[[httpx.AsyncClient, int], Awaitable[httpx.Response]]


def arrange(url: str, dids: int) -> tuple[str, str, str, int]:
    """The bench account (`prepare`) holding one number, and a gateway token:
    (api key, number, token, group id)."""
    key = prepare(url, dids)
    database = Database(url)
    now = datetime.now(UTC)
    with database.reader() as uow:
        group_id = uow.catalogue.group_id("CAN", "204", "WINNIPEG", NumberType.GEOGRAPHIC)
    assert group_id is not None
    with database.unit_of_work() as uow:
        number = provision(uow, authenticate(uow, key), group_id, now).did.number
    with database.unit_of_work() as uow:
        _, token = create_gateway(uow, "bench", now)
    database.dispose()
    return key, number, token, group_id


async def drive(seconds: float, send: Send, base_url: str) -> float:
    """Requests/s of `CONCURRENCY` loops sending for `seconds`; any failure stops it."""
    done, counter = 0, itertools.count()
    deadline = time.perf_counter() + seconds

    async def loop(client: httpx.AsyncClient) -> None:
        nonlocal done
        while time.perf_counter() < deadline:
            response = await send(client, next(counter))
            if response.status_code // 100 != 2:
                raise SystemExit(f"{response.status_code}: {response.text[:300]}")
            done += 1

    async with httpx.AsyncClient(base_url=base_url, timeout=60) as client:
        started = time.perf_counter()
        await asyncio.gather(*(loop(client) for _ in range(CONCURRENCY)))
        return done / (time.perf_counter() - started)


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--big", type=int, default=5, help="20 MB faxes for the memory run")
    options = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        url = f"sqlite:///{scratch}/faxnum.db"
        key, number, token, group_id = arrange(url, 200_000)
        tiff = g4_tiff(2)
        fax_headers = {"Authorization": f"Bearer {token}"}
        run_id = int(time.time())

        # The form is encoded once: per request only the call id changes, so the driver
        # spends about as much on a fax as on a provisioning.
        boundary = "faxnumbench"
        head = "".join(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'
            for name, value in (("to", number), ("from", "4930123456"))
        ).encode()
        tail = (
            (
                f'--{boundary}\r\nContent-Disposition: form-data; name="file"; '
                f'filename="fax.tif"\r\nContent-Type: image/tiff\r\n\r\n'
            ).encode()
            + tiff
            + f"\r\n--{boundary}--\r\n".encode()
        )
        fax_form = {**fax_headers, "Content-Type": f"multipart/form-data; boundary={boundary}"}

        async def send_fax(client: httpx.AsyncClient, n: int) -> httpx.Response:
            call = (
                f'--{boundary}\r\nContent-Disposition: form-data; name="call_id"\r\n\r\n'
                f"bench-{run_id}-{n}\r\n"
            ).encode()
            return await client.post(
                "/gateway/v1/faxes", headers=fax_form, content=head + call + tail
            )

        async def send_provision(client: httpx.AsyncClient, _: int) -> httpx.Response:
            return await client.post(
                f"/api/v2/countries/didgroups/{group_id}/provision", headers={"X-API-Key": key}
            )

        with running_server(url, scratch) as server:
            pid = server.process.pid
            print(f"fax: {len(tiff)} bytes, 2 pages, CCITT G4; {CONCURRENCY} clients each side")
            faxes, provisions = [], []
            asyncio.run(drive(1.0, send_fax, server.base_url))  # warm both paths
            asyncio.run(drive(1.0, send_provision, server.base_url))
            for round_number in range(1, options.rounds + 1):
                faxes.append(asyncio.run(drive(options.seconds, send_fax, server.base_url)))
                provisions.append(
                    asyncio.run(drive(options.seconds, send_provision, server.base_url))
                )
                print(
                    f"round {round_number}: faxes {faxes[-1]:,.0f}/s, "
                    f"provisions {provisions[-1]:,.0f}/s"
                )
            ratio = statistics.median(faxes) / statistics.median(provisions)
            print(f"faxes/s : provisions/s = {ratio:.2f}x (target >= 0.5x)")

            big = pdf(1) + b"\n%" + b"x" * (BIG_BYTES - len(pdf(1))) + b"\n"
            idle = rss_mb(pid)
            peak, sampling = idle, True

            def sample() -> None:
                nonlocal peak
                while sampling:
                    peak = max(peak, rss_mb(pid))
                    time.sleep(0.01)

            sampler = threading.Thread(target=sample)
            sampler.start()
            started = time.perf_counter()
            with httpx.Client(base_url=server.base_url, timeout=120) as client:
                for n in range(options.big):
                    answer = client.post(
                        "/gateway/v1/faxes",
                        headers=fax_headers,
                        data={"to": number, "from": "", "call_id": f"big-{run_id}-{n}"},
                        files={"file": ("big.pdf", big, "application/pdf")},
                    )
                    if answer.status_code != 201:
                        raise SystemExit(f"{answer.status_code}: {answer.text[:300]}")
            elapsed = time.perf_counter() - started
            sampling = False
            sampler.join()
            limit = 1.5 * idle + 20
            print(
                f"{options.big} faxes of {len(big) / 2**20:.1f} MB in {elapsed:.1f} s; worker RSS "
                f"idle {idle:.0f} MB, peak {peak:.0f} MB; limit 1.5x idle + 20 MB = "
                f"{limit:.0f} MB: {'within' if peak <= limit else 'OVER'}"
            )


if __name__ == "__main__":
    main()
