"""SIGTERM lets a request already in flight finish before the server exits."""

import signal
import threading
import time
from collections.abc import Callable, Iterator

import httpx

from faxnum.store.db.database import Database
from faxnum.testing.servers import RunningServer
from tests.factories import add_account, add_group


def test_a_request_in_flight_at_sigterm_completes(
    served_database: Database, start_server: Callable[..., RunningServer]
) -> None:
    group_id = add_group(served_database, count=2)
    key = add_account(served_database).api_key
    server = start_server()
    body_started = threading.Event()

    def slow_body() -> Iterator[bytes]:
        yield b"did_group_id="
        body_started.set()
        time.sleep(1.5)  # the server is told to stop while this request is half sent
        yield str(group_id).encode()

    def stop_when_started() -> None:
        body_started.wait(10)
        time.sleep(0.3)
        server.process.send_signal(signal.SIGTERM)

    stopper = threading.Thread(target=stop_when_started)
    stopper.start()
    response = httpx.post(
        f"{server.base_url}/api/v2/provision-numbers",
        content=slow_body(),
        headers={"X-API-Key": key, "content-type": "application/x-www-form-urlencoded"},
        timeout=30,
    )
    stopper.join()

    assert response.status_code == 200, response.text
    assert response.json()["data"]["did_group_id"] == group_id
    # uvicorn drains, then re-raises the signal so the exit status tells what stopped it.
    assert server.process.wait(timeout=40) in (0, -signal.SIGTERM)
    assert "Finished server process" in server.log()
    try:
        httpx.get(f"{server.base_url}/healthz", timeout=2)
        raise AssertionError("the server still answers after SIGTERM")
    except httpx.TransportError:
        pass
