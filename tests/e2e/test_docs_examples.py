"""Every example of the README's tour and of docs/api.md runs as printed against a
fresh `faxnum serve --demo`, as `make run` starts it, in the order the pages give them."""

import json
import os
import re
import shlex
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import httpx

from faxnum.testing.servers import RunningServer, faxnum_command

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
API_DOC = ROOT / "docs" / "api.md"
# A block that needs more than the demo (a public receiver) says so on its first line.
NOT_RUN = "# Not run by the docs' test"


def blocks(page: Path, language: str) -> list[str]:
    return re.findall(rf"^```{language}\n(.*?)^```", page.read_text(), re.M | re.S)


def lines_starting(pages: list[Path], command: str) -> list[str]:
    found = []
    for page in pages:
        for block in blocks(page, "sh"):
            if not block.startswith(NOT_RUN):
                found += [line for line in block.splitlines() if line.startswith(command + " ")]
    return found


def printed(server: RunningServer, pattern: str) -> str:
    found = re.search(pattern, server.log())
    assert found, server.log()
    return found.group(1)


def test_the_readme_and_api_examples_run_as_printed_on_the_demo(
    server_env: dict[str, str], start_server: Callable[..., RunningServer], tmp_path: Path
) -> None:
    server = start_server("--demo")
    key = printed(server, r"API key: (fxn_\w+)")
    env = os.environ | {"KEY": key, "API": f"{server.base_url}/api/v2"}

    curls = lines_starting([README, API_DOC], "curl")
    assert len(curls) >= 20  # the extraction found the pages' examples
    for line in curls:
        done = subprocess.run(
            ["bash", "-c", line + " -sS"], env=env, capture_output=True, text=True, timeout=60
        )
        assert done.returncode == 0, (line, done.stderr)
        assert json.loads(done.stdout)["status"] == "success", (line, done.stdout)

    client_env = os.environ | {
        "FAXNUM_URL": server.base_url,
        "FAXNUM_API_KEY": key,
        "HOME": str(tmp_path),  # no login saved elsewhere is read
        "XDG_CONFIG_HOME": str(tmp_path),
    }
    commands = lines_starting([README], "faxnum")
    assert len(commands) >= 4
    for line in commands:
        words = shlex.split(line.split("#")[0])[1:]
        done = subprocess.run(
            faxnum_command(*words), env=client_env, capture_output=True, text=True, timeout=60
        )
        assert done.returncode == 0, (line, done.stdout, done.stderr)
        assert "none." not in done.stdout, (line, done.stdout)  # each finds something

    [sdk_example] = blocks(README, "python")
    done = subprocess.run(
        [sys.executable, "-c", sdk_example],
        env=client_env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert re.search(r"^\+1204\d{7} \d{4}-\d{2}-\d{2} \d+$", done.stdout, re.M), done.stdout


def test_the_demo_account_signs_in_to_the_dashboard_with_the_printed_password(
    server_env: dict[str, str], start_server: Callable[..., RunningServer]
) -> None:
    server = start_server("--demo")
    email, password = re.search(  # type: ignore[union-attr]
        r"sign in as (\S+) with password (\S+)\)", server.log()
    ).groups()
    with httpx.Client(base_url=server.base_url, follow_redirects=False) as browser:
        page = browser.get("/dashboard/login").text
        token = re.search(r'name="csrf_token" value="([^"]+)"', page)
        assert token, page
        signed_in = browser.post(
            "/dashboard/login",
            data={"csrf_token": token.group(1), "email": email, "password": password},
        )
        assert signed_in.status_code == 303, signed_in.text
        home = browser.get("/dashboard")
        assert home.status_code == 200 and email in home.text

    again = start_server("--demo")  # the same data directory: the same password
    assert f"with password {password})" in again.log()
