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


def test_an_export_never_overwrites_the_database(server_env: dict[str, str]) -> None:
    faxnum(server_env, "export", "dids")  # the store exists, migrated
    store = Path(server_env["FAXNUM_DATA_DIR"]) / "faxnum.db"
    before = store.read_bytes()[:100]
    for target in (store, store.with_name("faxnum.db-wal"), store.with_name("faxnum.db-shm")):
        done = subprocess.run(
            faxnum_command("export", "dids", "--output", str(target)),
            env=server_env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 2, done.stderr
        assert "is the database itself" in done.stderr and len(done.stderr.splitlines()) == 1
    assert store.read_bytes()[:100] == before
    assert faxnum(server_env, "export", "dids").startswith("number,")
