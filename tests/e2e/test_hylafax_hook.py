"""The shipped HylaFAX hook, run exactly as HylaFAX runs its FaxRcvdCmd (from the spool
directory, with faxrcvd(8)'s arguments), on a fax TIFF made by HylaFAX's own tools,
against a real faxnum server; and with faxnum down, the fax kept until it is back."""

import json
import os
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from faxnum.services.accounts import authenticate
from faxnum.services.gateways import create_gateway
from faxnum.services.provisioning import provision
from faxnum.store.db.database import Database
from faxnum.testing.servers import free_port
from tests.conftest import unavailable
from tests.e2e.conftest import StartServer
from tests.factories import add_account, add_group

HOOK = Path(__file__).parents[2] / "deploy" / "hylafax" / "faxnum-faxrcvd"
HYLAFAX_SPOOL = Path("/var/spool/hylafax")
HYLAFAX_CONFIG = Path("/etc/hylafax")
FONTS = Path("/usr/share/fonts/type1/urw-base35")
FAXINFO = Path("/usr/lib/hylafax/bin/faxinfo")
SENDER_TSI = "+49 30 1234567"


def _hylafax_spool(root: Path) -> Path:
    """A spool laid out as HylaFAX's (its bin/ and the configuration Debian keeps in
    /etc/hylafax), where its tools and hooks run as they do in production."""
    needed = [HYLAFAX_SPOOL / "bin" / "ps2fax", FAXINFO, FONTS]
    if not all(path.exists() for path in needed):
        unavailable("HylaFAX (hylafax-server, hylafax-client) is not installed")
    spool = root / "spool"
    (spool / "etc").mkdir(parents=True)
    (spool / "recvq").mkdir()
    (spool / "bin").symlink_to(HYLAFAX_SPOOL / "bin")
    for item in HYLAFAX_CONFIG.iterdir():
        (spool / "etc" / item.name).symlink_to(item)
    return spool


def _received_fax(root: Path, spool: Path, commid: str) -> Path:
    """A 2-page Group 4 fax TIFF as HylaFAX receives one: text set by `textfmt`,
    imaged by `ps2fax`, the sender's TSI and caller id tagged as faxgetty tags them."""
    fonts = root / "fontmap"
    fonts.mkdir(exist_ok=True)
    (fonts / "Fontmap").write_text("/Courier (NimbusMonoPS-Regular.t1) ;\n")
    (root / ".hylarc").write_text(f"FontMap: {fonts}\nFontPath: {FONTS}\n")
    text = root / "fax.txt"
    text.write_text("".join(f"faxnum hook test, line {n}\n" for n in range(101)))
    env = os.environ | {"HOME": str(root)}
    postscript = subprocess.run(
        ["textfmt", "-B", str(text)], capture_output=True, check=True, env=env, timeout=60
    ).stdout
    (root / "fax.ps").write_bytes(postscript)
    fax = spool / "recvq" / f"fax{commid}.tif"
    subprocess.run(
        ["bin/ps2fax", "-o", str(fax), "-r", "196", "-w", "1728", "-l", "297", "-3", "../fax.ps"],
        cwd=spool,
        check=True,
        capture_output=True,
        env=env,
        timeout=120,
    )
    subprocess.run(
        ["tiffset", "-s", "270", f"{SENDER_TSI}\n4930123456\nACME", str(fax)],
        check=True,
        capture_output=True,
    )
    return fax


def _arranged(database: Database) -> tuple[str, str, str]:
    """A holder of one live number, and a gateway token: (api key, number, token)."""
    group_id = add_group(database, count=2)
    key = add_account(database, "holder@example.com").api_key
    now = datetime.now(UTC)
    with database.unit_of_work() as uow:
        number = provision(uow, authenticate(uow, key), group_id, now).did.number
    with database.unit_of_work() as uow:
        _, token = create_gateway(uow, "hylafax", now)
    return key, number, token


def _run_hook(spool: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(HOOK), *args], cwd=spool, env=env, capture_output=True, text=True, timeout=120
    )


def test_the_hook_hands_a_received_fax_to_faxnum_as_hylafax_calls_it(
    tmp_path: Path, served_database: Database, start_server: StartServer
) -> None:
    key, number, token = _arranged(served_database)
    server = start_server()
    spool = _hylafax_spool(tmp_path)
    fax = _received_fax(tmp_path, spool, "000000042")
    outbox = tmp_path / "outbox"
    env = os.environ | {
        "FAXNUM_URL": server.base_url,
        "FAXNUM_GATEWAY_TOKEN": token,
        "FAXNUM_OUTBOX": str(outbox),
        "FAXNUM_FAXINFO": str(FAXINFO),
    }
    digits = number.lstrip("+")
    done = _run_hook(
        spool,
        env,
        str(fax.relative_to(spool)),
        "ttyIAX0",
        "000000042",
        "",
        "4930123456",
        "ACME",
        digits,
    )
    assert done.returncode == 0, done.stderr
    inbox = httpx.get(f"{server.base_url}/api/v2/incoming-faxes", headers={"api_key": key}).json()
    (item,) = inbox["inbox"]
    assert item["number"] == number and item["total_pages"] == 2
    assert item["sender"] == "4930123456"
    detail = httpx.get(f"{server.base_url}/api/v2/inbox/{item['id']}", headers={"X-API-Key": key})
    call = detail.json()["data"]["call"]
    assert call["remote_station_id"] == SENDER_TSI and call["call_id"].endswith("-000000042")
    assert call["compression"] == "2-D MMR"
    pdf = httpx.get(item["file_url"].replace("http://127.0.0.1:8000", server.base_url))
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    assert [p.name for p in outbox.iterdir()] == []  # delivered: nothing left behind
    again = _run_hook(
        spool,
        env,
        str(fax.relative_to(spool)),
        "ttyIAX0",
        "000000042",
        "",
        "4930123456",
        "ACME",
        digits,
    )
    assert again.returncode == 0  # HylaFAX ran it twice: the same call, stored once
    inbox = httpx.get(f"{server.base_url}/api/v2/incoming-faxes", headers={"api_key": key}).json()
    assert len(inbox["inbox"]) == 1


def test_with_faxnum_down_the_fax_is_kept_and_delivered_by_a_later_flush(
    tmp_path: Path, served_database: Database, start_server: StartServer
) -> None:
    key, number, token = _arranged(served_database)
    spool = _hylafax_spool(tmp_path)
    fax = _received_fax(tmp_path, spool, "000000043")
    outbox = tmp_path / "outbox"
    env = os.environ | {
        "FAXNUM_URL": f"http://127.0.0.1:{free_port()}",  # nothing listens there
        "FAXNUM_GATEWAY_TOKEN": token,
        "FAXNUM_OUTBOX": str(outbox),
        "FAXNUM_FAXINFO": str(FAXINFO),
        "FAXNUM_RETRY_SECONDS": "2",
    }
    args = (str(fax.relative_to(spool)), "ttyIAX0", "000000043", "", "", "", number.lstrip("+"))
    done = _run_hook(spool, env, *args)
    assert done.returncode == 0, done.stderr
    (kept,) = [entry for entry in outbox.iterdir() if not entry.name.startswith(".")]
    assert (kept / "fax.tif").read_bytes() == fax.read_bytes()
    facts = json.loads((kept / "facts.json").read_text())
    assert facts["pages"] == "2" and facts["from"] == ""
    fax.unlink()  # HylaFAX's own copy may be gone by now: the outbox's is what counts
    server = start_server()
    flushed = _run_hook(spool, env | {"FAXNUM_URL": server.base_url}, "--flush")
    assert flushed.returncode == 0, flushed.stderr
    inbox = httpx.get(f"{server.base_url}/api/v2/incoming-faxes", headers={"api_key": key}).json()
    (item,) = inbox["inbox"]
    assert item["total_pages"] == 2 and item["sender"] == ""
    assert not kept.exists()


def test_a_reception_without_pages_delivers_nothing(tmp_path: Path) -> None:
    if not FAXINFO.exists():
        unavailable("HylaFAX (hylafax-server) is not installed")
    env = os.environ | {
        "FAXNUM_OUTBOX": str(tmp_path / "outbox"),
        "FAXNUM_URL": "http://127.0.0.1:9",
    }
    done = _run_hook(tmp_path, env, "recvq/fax000000044.tif", "ttyIAX0", "000000044", "No carrier")
    assert done.returncode == 0 and "nothing to deliver" in done.stderr
    assert list((tmp_path / "outbox").iterdir()) == []


@pytest.fixture(autouse=True)
def _no_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    """The hook talks to loopback directly, whatever proxy the machine names."""
    for name in ("http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY"):
        monkeypatch.delenv(name, raising=False)
