"""`faxnum import dids` and `faxnum export dids` as an operator runs them."""

import subprocess
from pathlib import Path

from faxnum.testing.servers import faxnum_command
from tests.e2e.conftest import faxnum
from tests.factories import real_numbers


def summary_value(output: str, row: str) -> str:
    """The count in one row of the summary table."""
    line = next(line for line in output.splitlines() if row in line)
    return line.strip("│ ").split("│")[-1].strip()


def test_import_reports_rejects_and_is_idempotent_then_exports(
    server_env: dict[str, str], tmp_path: Path
) -> None:
    numbers = real_numbers("US", "New York, NY", 4)
    source = tmp_path / "dids.csv"
    source.write_text(
        "number,setup_price\n" + "\n".join(f"{n},0.75" for n in numbers) + "\nnonsense,1\n"
    )

    first = faxnum(server_env, "import", "dids", str(source))
    second = faxnum(server_env, "import", "dids", str(source))

    assert summary_value(first, "DIDs added") == "4"
    rejects = (tmp_path / "dids.csv.rejects.csv").read_text().splitlines()
    assert rejects == ["line,number,reason", "6,nonsense,not a phone number"]
    assert (summary_value(second, "DIDs added"), summary_value(second, "already in inventory")) == (
        "0",
        "4",
    )
    exported = faxnum(server_env, "export", "dids").splitlines()
    assert exported[0] == (
        "number,country,area_code,city,type,setup_price,monthly_price,trunk,state"
    )
    assert all(line.endswith(",available") for line in exported[1:])
    assert sorted(line.split(",")[0] for line in exported[1:]) == sorted(numbers)
    assert all(",0.75," in line for line in exported[1:])


def test_the_rejects_file_can_never_be_the_file_being_imported(
    server_env: dict[str, str], tmp_path: Path
) -> None:
    source = tmp_path / "dids.csv"
    source.write_text("number\nnonsense\n")
    linked = tmp_path / "hard-link.csv"
    linked.hardlink_to(source)
    (tmp_path / "symlink.csv").symlink_to(source)
    for given in (
        str(source),
        str(tmp_path / "." / "dids.csv"),
        str(linked),
        str(tmp_path / "symlink.csv"),
    ):
        done = subprocess.run(
            faxnum_command("import", "dids", str(source), "--rejects", given),
            env=server_env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode != 0
        assert "--rejects" in done.stderr and "must not be the file being imported" in done.stderr
    assert source.read_text() == "number\nnonsense\n"


def test_an_import_with_nothing_valid_fails_and_an_unreadable_file_imports_nothing(
    server_env: dict[str, str], tmp_path: Path
) -> None:
    rejected = tmp_path / "rejected.csv"
    rejected.write_text("number\nnonsense\n+1204\n")
    latin = tmp_path / "latin.csv"
    latin.write_bytes(b"number,city\n" + b"+12045551234,Montr\xe9al\n")
    statuses = []
    for path in (rejected, latin):
        done = subprocess.run(
            faxnum_command("import", "dids", str(path)),
            env=server_env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        statuses.append(done.returncode)
        assert "error:" in done.stderr
    assert statuses == [1, 2]
    assert faxnum(server_env, "export", "dids").splitlines()[1:] == []


def test_no_command_writes_over_the_database_or_the_secret(
    server_env: dict[str, str], tmp_path: Path
) -> None:
    env = {k: v for k, v in server_env.items() if k != "FAXNUM_SECRET_KEY"}  # secret.key
    faxnum(env, "accounts", "create", "kept@example.com")  # the store and secret exist
    data = Path(env["FAXNUM_DATA_DIR"])
    store, secret = data / "faxnum.db", data / "secret.key"
    kept = {path: path.read_bytes() for path in (store, secret)}
    (tmp_path / "alias.db").hardlink_to(store)
    (tmp_path / "alias.key").symlink_to(secret)
    source = tmp_path / "dids.csv"
    source.write_text("number\nnonsense\n")
    targets = [
        store,
        store.with_name("faxnum.db-wal"),
        store.with_name("faxnum.db-shm"),
        store.with_name("faxnum.db-journal"),
        secret,
        tmp_path / "alias.db",
        tmp_path / "alias.key",
    ]
    for target in targets:
        for command in (
            ("export", "dids", "--output", str(target)),
            ("import", "dids", str(source), "--rejects", str(target)),
            ("backup", str(target)),
        ):
            done = subprocess.run(
                faxnum_command(*command), env=env, capture_output=True, text=True, timeout=120
            )
            assert done.returncode == 2, (command, done.stderr)
            assert "which faxnum keeps" in done.stderr, (command, done.stderr)
            assert len(done.stderr.splitlines()) == 1, done.stderr
    assert {path: path.read_bytes() for path in kept} == kept
    assert "kept@example.com" in faxnum(env, "accounts", "list")
