"""Operator commands for accounts, keys and billing, run as an operator runs them."""

import secrets
import shutil
import stat
import subprocess
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import httpx

from faxnum.services.accounts import authenticate
from faxnum.services.provisioning import provision
from faxnum.store.db.database import Database
from faxnum.testing.servers import RunningServer, faxnum_command
from tests.e2e.conftest import faxnum
from tests.factories import add_account, add_group


def test_operator_manages_an_account_through_the_cli(
    server_env: dict[str, str], start_server: Callable[..., RunningServer]
) -> None:
    key = faxnum(
        server_env, "accounts", "create", "Op@Example.com", "--credit", "1.25"
    ).splitlines()[-1]
    assert "Credited 2.50" in faxnum(server_env, "accounts", "credit", "op@example.com", "2.50")
    listing = faxnum(server_env, "accounts", "list")
    assert "op@example.com" in listing and "3.75" in listing
    server: RunningServer = start_server()
    balance = httpx.get(f"{server.base_url}/api/v2/balance", headers={"X-API-Key": key})
    assert balance.text == '{"status":"success","balance":3.75}'
    ledger = httpx.get(f"{server.base_url}/api/v2/ledger", headers={"X-API-Key": key}).json()[
        "entries"
    ]
    assert [(e["kind"], e["amount"]) for e in ledger] == [("credit", 2.5), ("credit", 1.25)]

    new_key = faxnum(server_env, "keys", "rotate", "op@example.com").splitlines()[-1]
    assert (
        httpx.get(f"{server.base_url}/api/v2/balance", headers={"X-API-Key": key}).status_code
        == 401
    )
    assert (
        httpx.get(f"{server.base_url}/api/v2/balance", headers={"X-API-Key": new_key}).status_code
        == 200
    )

    faxnum(server_env, "accounts", "disable", "op@example.com")
    assert (
        httpx.get(f"{server.base_url}/api/v2/balance", headers={"X-API-Key": new_key}).status_code
        == 401
    )
    faxnum(server_env, "accounts", "enable", "op@example.com")
    assert (
        httpx.get(f"{server.base_url}/api/v2/balance", headers={"X-API-Key": new_key}).status_code
        == 200
    )


def test_billing_renew_charges_every_month_that_has_come_as_of_the_given_date(
    server_env: dict[str, str],
    served_database: Database,
) -> None:
    group_id = add_group(served_database, setup="1.00", monthly="2.00")
    owner = add_account(served_database, email="billed@example.com", credit="10.00")
    with served_database.reader() as uow:
        caller = authenticate(uow, owner.api_key)
    with served_database.unit_of_work() as uow:
        provision(uow, caller, group_id, datetime(2030, 1, 15, tzinfo=UTC))

    looked = faxnum(server_env, "billing", "renew", "--today", "2030-03-15", "--dry-run")
    assert "would have renewed 2 number-months" in looked
    assert "7.00" in faxnum(server_env, "accounts", "list")  # nothing charged yet
    unconfirmed = subprocess.run(
        faxnum_command("billing", "renew", "--today", "2030-03-15"),
        env=server_env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert unconfirmed.returncode == 2 and "--yes" in unconfirmed.stderr

    out = faxnum(server_env, "billing", "renew", "--today", "2030-03-15", "--yes")

    assert "Renewed 2 number-months" in out  # February 15 and March 15
    listing = faxnum(server_env, "accounts", "list")
    assert "billed@example.com" in listing and "3.00" in listing  # 10 - 3 - 2 x 2
    again = faxnum(server_env, "billing", "renew", "--today", "2030-03-15", "--yes")
    assert "Renewed 0 number-months" in again


def test_a_lost_secret_stops_the_server_and_rotation_keeps_every_key(
    server_env: dict[str, str], tmp_path: Path
) -> None:
    env = {k: v for k, v in server_env.items() if k != "FAXNUM_SECRET_KEY"}  # secret.key
    key = faxnum(env, "accounts", "create", "ada@example.com").splitlines()[-1]
    secret_file = Path(env["FAXNUM_DATA_DIR"]) / "secret.key"
    before = secret_file.read_text()

    assert "Re-sealed 1 stored keys" in faxnum(env, "secret", "rotate")
    assert secret_file.read_text() != before and len(secret_file.read_text().split()) == 1
    assert faxnum(env, "keys", "rotate", "ada@example.com")  # opens the copy: same secret

    secret_file.write_text(secrets.token_urlsafe(32) + "\n")  # lost and replaced
    refused = subprocess.run(
        faxnum_command("serve", "--port", "1"), env=env, capture_output=True, text=True, timeout=60
    )
    assert refused.returncode != 0
    assert "encrypted under another secret" in refused.stdout + refused.stderr
    assert "Traceback" not in refused.stdout + refused.stderr
    assert key not in refused.stdout + refused.stderr

    secret_file.unlink()  # lost outright: the refused start writes no new one
    for command in (("serve", "--port", "1"), ("accounts", "create", "bob@example.com")):
        gone = subprocess.run(
            faxnum_command(*command), env=env, capture_output=True, text=True, timeout=60
        )
        assert gone.returncode != 0
        assert "encrypted under another secret" in gone.stdout + gone.stderr
        assert not secret_file.exists()


def test_a_weak_secret_is_refused_in_one_line(server_env: dict[str, str]) -> None:
    for weak in ("", "x", "..."):
        done = subprocess.run(
            faxnum_command("accounts", "list"),
            env=server_env | {"FAXNUM_SECRET_KEY": weak},
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert done.returncode == 2
        lines = done.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("error: FAXNUM_SECRET_KEY")


def test_an_operator_gives_a_password_on_standard_input_and_it_logs_in(
    server_env: dict[str, str], start_server: Callable[..., RunningServer]
) -> None:
    created = subprocess.run(
        faxnum_command("accounts", "create", "pw@example.com", "--password-stdin"),
        env=server_env,
        input="correct horse battery\n",
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert created.returncode == 0, created.stderr
    key = created.stdout.splitlines()[-1]
    server = start_server()
    login = httpx.post(
        f"{server.base_url}/api/v2/user/login",
        json={"email": "pw@example.com", "password": "correct horse battery"},
    )
    assert login.json() == {"status": "success", "api_key": key}


def test_a_backup_taken_while_serving_restores_to_a_working_store(
    server_env: dict[str, str],
    start_server: Callable[..., RunningServer],
    tmp_path: Path,
) -> None:
    key = faxnum(server_env, "accounts", "create", "kept@example.com", "--credit", "5")
    key = key.splitlines()[-1]
    server = start_server()
    copy = tmp_path / "backup.db"
    with httpx.Client(base_url=server.base_url, headers={"X-API-Key": key}) as client:
        assert client.get("/api/v2/balance").status_code == 200  # the server is writing
        assert "Backed up" in faxnum(server_env, "backup", str(copy))
    assert stat.S_IMODE(copy.stat().st_mode) == 0o600

    restored_dir = tmp_path / "restored"
    restored_dir.mkdir()
    shutil.copyfile(copy, restored_dir / "faxnum.db")
    restored_env = server_env | {
        "FAXNUM_DATA_DIR": str(restored_dir),
        "FAXNUM_DATABASE_URL": f"sqlite:///{restored_dir / 'faxnum.db'}",
    }
    restored = start_server(env=restored_env)
    balance = httpx.get(f"{restored.base_url}/api/v2/balance", headers={"X-API-Key": key})
    assert balance.json() == {"status": "success", "balance": 5.0}


def test_backup_refuses_what_it_cannot_copy(server_env: dict[str, str], tmp_path: Path) -> None:
    database_file = server_env["FAXNUM_DATABASE_URL"].removeprefix("sqlite:///")
    for env, target, says in (
        (server_env, database_file, "which faxnum keeps"),
        (server_env | {"FAXNUM_DATABASE_URL": "postgresql+psycopg://x@h/db"}, "b.db", "pg_dump"),
    ):
        faxnum(server_env, "migrate")
        done = subprocess.run(
            faxnum_command("backup", str(target)),
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert done.returncode == 2 and says in done.stderr, done.stderr


def test_a_command_that_starts_an_empty_store_says_where(
    server_env: dict[str, str], tmp_path: Path
) -> None:
    env = {k: v for k, v in server_env.items() if k != "FAXNUM_DATABASE_URL"}
    env["FAXNUM_DATA_DIR"] = str(tmp_path / "elsewhere")
    first, second = (
        subprocess.run(
            faxnum_command("accounts", "list"), env=env, capture_output=True, text=True, timeout=60
        )
        for _ in range(2)
    )
    assert f"creating a new, empty database at {tmp_path / 'elsewhere' / 'faxnum.db'}" in (
        first.stderr.replace("\n", "")
    )
    assert "creating" not in second.stderr
