"""Throwaway PostgreSQL and Redis servers, started from the installed binaries on free
loopback ports and removed afterwards.

PostgreSQL refuses to run as root, so as root it runs as the `postgres` (or `nobody`)
user; this is why the tests do not use pytest-postgresql, whose `pg_ctl` runs as the
current user. The benchmarks start the same servers outside pytest.
"""

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from faxnum.testing.servers import free_port

STARTUP_TIMEOUT_S = 60


class BackendUnavailable(RuntimeError):
    pass


def _postgres_bin(name: str) -> str:
    candidates = [
        shutil.which(name),
        *sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), reverse=True),
    ]
    for candidate in candidates:
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    raise BackendUnavailable(f"PostgreSQL's {name} is not installed")


def _as_unprivileged(command: list[str]) -> list[str]:
    """PostgreSQL refuses to run as root: run it as the `postgres` (or `nobody`) user."""
    if os.geteuid() != 0:
        return command
    for user in ("postgres", "nobody"):
        try:
            pwd.getpwnam(user)
        except KeyError:
            continue
        return ["runuser", "-u", user, "--", *command]
    raise BackendUnavailable("running as root and no unprivileged user to run PostgreSQL")


def _owned_by_runner(path: Path) -> None:
    if os.geteuid() == 0:
        user = next(u for u in ("postgres", "nobody") if _user_exists(u))
        entry = pwd.getpwnam(user)
        os.chown(path, entry.pw_uid, entry.pw_gid)


def _user_exists(name: str) -> bool:
    try:
        pwd.getpwnam(name)
    except KeyError:
        return False
    return True


def _wait_for(
    check: Callable[[], bool], what: str, process: "subprocess.Popen[bytes] | None" = None
) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise BackendUnavailable(f"{what} exited with status {process.returncode}")
        if check():
            return
        time.sleep(0.1)
    raise BackendUnavailable(f"{what} did not start in {STARTUP_TIMEOUT_S} s")


def _accepts(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


# For tests: nothing a test asserts depends on durability, and they run faster without it.
TEST_SETTINGS = ("fsync=off", "synchronous_commit=off", "full_page_writes=off")


@contextmanager
def throwaway_postgres(settings: tuple[str, ...] = TEST_SETTINGS) -> Iterator[str]:
    """initdb into a temporary directory, serve it on a free port with `settings`
    (`name=value`, as `postgres -c` takes them), remove it afterwards."""
    initdb, postgres, isready = (
        _postgres_bin("initdb"),
        _postgres_bin("postgres"),
        _postgres_bin("pg_isready"),
    )
    root = Path(tempfile.mkdtemp(prefix="faxnum-pg-"))
    _owned_by_runner(root)
    data = root / "data"
    port = free_port()
    subprocess.run(
        _as_unprivileged(
            [initdb, "-D", str(data), "-U", "faxnum", "--auth=trust", "-E", "UTF8", "--no-sync"]
        ),
        check=True,
        capture_output=True,
    )
    process = subprocess.Popen(
        _as_unprivileged(
            [
                postgres,
                "-D",
                str(data),
                "-p",
                str(port),
                "-k",
                str(root),
                "-c",
                "listen_addresses=127.0.0.1",
                "-c",
                "max_connections=300",
                *(part for setting in settings for part in ("-c", setting)),
            ]
        ),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        _wait_for(
            lambda: (
                subprocess.run(
                    [isready, "-h", "127.0.0.1", "-p", str(port)], capture_output=True
                ).returncode
                == 0
            ),
            "PostgreSQL",
            process,
        )
        yield f"postgresql+psycopg://faxnum@127.0.0.1:{port}/postgres"
    finally:
        process.terminate()
        process.wait(timeout=30)
        shutil.rmtree(root, ignore_errors=True)


@contextmanager
def throwaway_redis() -> Iterator[str]:
    server = shutil.which("redis-server")
    if server is None:
        raise BackendUnavailable("redis-server is not installed")
    port = free_port()
    process = subprocess.Popen(
        [server, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        _wait_for(lambda: _accepts(port), "Redis", process)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        process.terminate()
        process.wait(timeout=30)
