"""`faxnum serve` as a real process on a free loopback port, for tests and benchmarks."""

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

STARTUP_TIMEOUT_S = 60


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class RunningServer:
    base_url: str
    process: "subprocess.Popen[bytes]"
    log_path: Path | None

    def log(self) -> str:
        if self.log_path is None or not self.log_path.is_file():  # nothing, or a pipe
            return ""
        return self.log_path.read_text(errors="replace")

    def stop(self, timeout_s: float = 30) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def faxnum_command(*args: str) -> list[str]:
    """The `faxnum` CLI of this interpreter's installation."""
    return [sys.executable, "-m", "faxnum.cli.main", *args]


def start_server(
    env: Mapping[str, str], *options: str, log_path: Path | None = None
) -> RunningServer:
    """Start `faxnum serve OPTIONS` and wait until `/healthz` answers. Its output goes to
    `log_path` (or nowhere)."""
    port = free_port()
    command = faxnum_command("serve", "--port", str(port), *options)
    if log_path is None:
        process = subprocess.Popen(
            command, env=dict(env), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
    else:
        with log_path.open("wb") as log:
            process = subprocess.Popen(command, env=dict(env), stdout=log, stderr=subprocess.STDOUT)
    server = RunningServer(f"http://127.0.0.1:{port}", process, log_path)
    try:
        wait_until_healthy(server)
    except BaseException:
        server.stop()
        raise
    return server


def wait_until_healthy(server: RunningServer) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(f"server exited early:\n{server.log()}")
        try:
            if httpx.get(f"{server.base_url}/healthz", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            time.sleep(0.1)
    raise RuntimeError(f"server not healthy in {STARTUP_TIMEOUT_S} s:\n{server.log()}")


@contextmanager
def running_server(
    env: Mapping[str, str], *options: str, log_path: Path | None = None
) -> Iterator[RunningServer]:
    server = start_server(os.environ | dict(env), *options, log_path=log_path)
    try:
        yield server
    finally:
        server.stop(timeout_s=60)


@contextmanager
def output_read_by_another_process(directory: Path) -> Iterator[Path]:
    """A named pipe that another process drains, as a terminal, `tee` or the service
    manager's journal reads a server's output: hand it to `running_server` as its
    log_path, and the server pays for its output what it pays in production (a file
    or /dev/null would make each write cheaper than that)."""
    directory.mkdir(parents=True, exist_ok=True)
    pipe = directory / "server-output"
    pipe.unlink(missing_ok=True)  # an earlier server's
    os.mkfifo(pipe)
    reader = subprocess.Popen(["cat", str(pipe)], stdout=subprocess.DEVNULL)
    try:
        yield pipe
    finally:
        reader.wait(timeout=60)  # the server closed its end, so cat has ended
        pipe.unlink(missing_ok=True)
