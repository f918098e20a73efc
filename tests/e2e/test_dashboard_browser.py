"""The dashboard driven by a real browser (Debian's Chromium, headless, through
Playwright) against a running `faxnum serve`: a customer's whole journey and the
operator's view, with axe-core checking every page and a screenshot of each saved
under build/screenshots/ (or FAXNUM_SCREENSHOTS)."""

import os
import re
import shutil
import subprocess
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest

from faxnum.services.accounts import account_id_for
from faxnum.services.billing import credit_account
from faxnum.store.db.database import Database
from faxnum.testing.servers import RunningServer, faxnum_command
from tests.fax_samples import g4_tiff

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
SCREENSHOTS = Path(
    os.environ.get("FAXNUM_SCREENSHOTS", Path(__file__).parents[2] / "build" / "screenshots")
)
PASSWORD = "correct horse battery staple"
SERIOUS = {"serious", "critical"}

playwright_api = pytest.importorskip("playwright.sync_api")
axe_api = pytest.importorskip("axe_playwright_python.sync_playwright")


@pytest.fixture
def browser_page() -> Iterator[Any]:
    if not Path(CHROMIUM).exists():
        if os.environ.get("FAXNUM_REQUIRE_BACKENDS") == "1":
            pytest.fail(f"Chromium is required here and missing ({CHROMIUM})")
        pytest.skip("Chromium is not installed (apt-get install chromium)")
    with playwright_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        context = browser.new_context(viewport={"width": 390, "height": 844})  # a phone
        page = context.new_page()
        page.set_default_timeout(15_000)
        yield page
        context.close()
        browser.close()


class Journey:
    """One browser on the dashboard: each page it lands on is checked and saved."""

    def __init__(self, page: Any, base_url: str) -> None:
        self.page, self.base_url = page, base_url
        self.axe = axe_api.Axe()
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    def open(self, path: str) -> None:
        self.page.goto(self.base_url + path)

    def check(self, name: str) -> None:
        """No serious accessibility violation; a full-page screenshot as `name`.png."""
        found = self.axe.run(self.page).response["violations"]
        serious = [(v["id"], v["help"]) for v in found if v.get("impact") in SERIOUS]
        assert not serious, f"{name}: {serious}"
        self.page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)

    def balance(self) -> Decimal:
        self.open("/dashboard")
        return Decimal(self.page.inner_text("#balance"))

    def listed_numbers(self) -> list[str]:
        self.open("/dashboard/numbers")
        cells = self.page.locator("tbody tr td:first-child").all_inner_texts()
        return [cell for cell in cells if cell.startswith("+")]


def seeded_server(
    server_env: dict[str, str], start_server: Callable[..., RunningServer]
) -> RunningServer:
    subprocess.run(faxnum_command("seed-demo"), env=server_env, check=True, capture_output=True)
    operator = subprocess.run(
        faxnum_command("accounts", "create", "ops@example.com", "--operator", "--password-stdin"),
        env=server_env,
        input=PASSWORD + "\n",
        capture_output=True,
        text=True,
    )
    assert operator.returncode == 0, operator.stderr
    return start_server()


def credit(database: Database, email: str, amount: str) -> None:
    with database.unit_of_work() as uow:
        account = account_id_for(uow, email)
        credit_account(uow, account, Decimal(amount), "top-up", datetime.now(UTC))


def test_a_customer_signs_up_buys_searches_orders_releases_rotates_and_logs_out(
    browser_page: Any,
    server_env: dict[str, str],
    start_server: Callable[..., RunningServer],
    served_database: Database,
) -> None:
    server = seeded_server(server_env, start_server)
    me = Journey(browser_page, server.base_url)
    page = browser_page

    me.open("/dashboard/signup")
    me.check("signup")
    page.get_by_label("Email").fill("ada@example.com")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign up").click()
    assert "Welcome" in page.inner_text("[role=status]")
    me.check("account-new")
    credit(served_database, "ada@example.com", "100.00")

    # Find a group (country, then DID groups) and provision a number from it.
    start = me.balance()
    me.open("/dashboard/find")
    page.get_by_label("Country").select_option("CAN")
    page.get_by_role("button", name="Show DID groups").click()
    me.check("find-groups")
    page.locator("form[action$='/provision'] button").first.click()
    assert "The number is yours" in page.inner_text("[role=status]")
    me.check("numbers-after-provision")
    first = me.listed_numbers()
    assert len(first) == 1
    assert me.balance() < start

    # A vanity search, then order two of the numbers it found.
    me.open("/dashboard/search")
    page.get_by_label("Country").select_option("CAN")
    page.get_by_label(re.compile("Number contains")).fill("20")
    page.get_by_role("button", name="Search").click()
    me.check("search")
    boxes = page.locator("input[name=numbers]")
    assert boxes.count() >= 2
    chosen = [boxes.nth(i).get_attribute("value") for i in range(2)]
    boxes.nth(0).check()
    boxes.nth(1).check()
    page.get_by_role("button", name="Order the chosen numbers").click()
    assert "Your order went through" in page.inner_text("[role=status]")
    held = me.listed_numbers()
    assert set(chosen) <= set(held) and len(held) == 3

    # Release one, after confirming.
    page.locator("a[href$='/release']").first.click()
    me.check("release-confirm")
    page.locator("form button.danger").click()
    assert "released" in page.inner_text("[role=status]")
    assert len(me.listed_numbers()) == 2

    # Rotate the key: the old one is refused by the API, the new one works.
    me.open("/dashboard")
    page.locator("details summary").click()
    old_key = page.input_value("#api-key")
    me.check("account")
    page.get_by_label(re.compile("current key stops working")).check()
    page.get_by_role("button", name="Rotate key").click()
    page.locator("details summary").click()
    new_key = page.input_value("#api-key")
    assert new_key != old_key and new_key.startswith("fxn_")
    api = f"{server.base_url}/api/v2/numbers"
    assert httpx.get(api, headers={"X-API-Key": old_key}).status_code == 401
    assert httpx.get(api, headers={"X-API-Key": new_key}).status_code == 200

    me.open("/dashboard/ledger")
    me.check("ledger")

    # Hold a number, then the pages for what else an account manages.
    me.open("/dashboard/find?country=CAN")
    page.locator("form[action$='/reserve'] button").first.click()
    assert "held for you" in page.inner_text("[role=status]")
    me.check("reservations")
    me.open("/dashboard/subaccounts")
    page.get_by_label("Email").fill("clerk@example.com")
    page.get_by_role("button", name="Add sub-account").click()
    assert page.input_value("#secret-value").startswith("fxn_")
    me.check("subaccount-key")
    me.open("/dashboard/subaccounts")
    me.check("subaccounts")
    me.open("/dashboard/trunks")
    me.check("trunks")
    me.open("/dashboard/webhooks")
    me.check("webhooks")
    gateway = (
        subprocess.run(
            faxnum_command("gateways", "create", "browser-gw"),
            env=server_env,
            capture_output=True,
            text=True,
            check=True,
        )
        .stdout.strip()
        .splitlines()[-1]
    )
    received = httpx.post(
        f"{server.base_url}/gateway/v1/faxes",
        headers={"Authorization": f"Bearer {gateway}"},
        data={"to": me.listed_numbers()[0], "from": "4930123456", "call_id": "browser-1"},
        files={"file": ("fax.tif", g4_tiff(2), "image/tiff")},
    )
    assert received.status_code == 201, received.text
    me.open("/dashboard/inbox")
    page.wait_for_function(  # made on the first request, then kept
        "() => { const img = document.querySelector(\"img[alt^='Page 1 of fax']\");"
        " return img && img.complete && img.naturalWidth > 0; }"
    )
    me.check("inbox")

    # Log out: the session is dead on the server, even for a replayed cookie.
    cookie = next(c for c in page.context.cookies() if c["name"] == "faxnum_session")
    page.get_by_role("button", name="Log out").click()
    assert page.url.endswith("/dashboard/login")
    me.check("login")
    replay = httpx.get(
        f"{server.base_url}/dashboard",
        cookies={"faxnum_session": cookie["value"]},
        follow_redirects=False,
    )
    assert replay.status_code == 303 and replay.headers["location"] == "/dashboard/login"


def test_an_operator_sees_inventory_accounts_and_the_provisioning_chart(
    browser_page: Any,
    server_env: dict[str, str],
    start_server: Callable[..., RunningServer],
    served_database: Database,
) -> None:
    server = seeded_server(server_env, start_server)
    base = server.base_url
    key = httpx.post(
        f"{base}/api/v2/user/login", data={"email": "ops@example.com", "password": PASSWORD}
    ).json()["api_key"]
    credit(served_database, "ops@example.com", "50.00")
    group = httpx.get(f"{base}/api/v2/countries/CAN/didgroups", headers={"X-API-Key": key})
    group_id = group.json()["data"][0]["did_group_id"]
    for _ in range(3):
        provisioned = httpx.post(
            f"{base}/api/v2/countries/didgroups/{group_id}/provision", headers={"X-API-Key": key}
        )
        assert provisioned.status_code == 200
    me = Journey(browser_page, base)
    page = browser_page
    me.open("/dashboard/login")
    page.get_by_label("Email").fill("ops@example.com")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.get_by_role("link", name="Operator").click()
    assert page.locator("svg.chart rect.bar").count() == 30
    assert page.locator("svg.chart rect.bar").last.get_attribute("height") != "0.0"
    assert "3" in page.locator("tbody tr", has_text="CAN").inner_text()  # assigned
    assert "ops@example.com" in page.inner_text("main")
    me.check("operator")
    page.get_by_role("link", name="CAN").click()
    assert page.locator("tbody tr").count() >= 1
    me.check("operator-groups")
