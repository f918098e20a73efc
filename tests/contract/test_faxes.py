"""Received faxes, routes and gateways: each repository behaviour the inbox, ingestion
and routing use cases rely on, on SQLite and PostgreSQL alike. There is no fake of
these repositories (their use cases are tested through the stores), so they run on
the two stores only."""

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from faxnum.domain.api_keys import key_digest
from faxnum.domain.faxes import CallFacts, FaxFormat, InspectedFile, Rendition
from faxnum.domain.pagination import PageRequest
from faxnum.services.provisioning import provision
from faxnum.store.db.database import Database
from tests.conftest import database_url_for
from tests.contract.conftest import NOW, load_group, open_account
from tests.factories import real_numbers

FILE = InspectedFile(format=FaxFormat.TIFF, pages=2, size=3, sha256="0" * 64)


@pytest.fixture(params=["sqlite", "postgresql"])
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    found = Database(database_url_for(request, request.param, tmp_path, "contract"))
    yield found
    found.dispose()


def facts(call_id: str, to: str) -> CallFacts:
    return CallFacts(call_id=call_id, to=to, sender="4930123456", received_at=None)


def arrange(database: Database) -> tuple[int, int, int, str, int]:
    """A parent with a sub-account holding one live number, a stranger, a gateway:
    (parent, sub, stranger, number, gateway id)."""
    group = load_group(database, real_numbers("CA", "Winnipeg, MB", 3))
    parent = open_account(database, "parent@example.com")
    sub = open_account(database, "sub@example.com", parent=parent.account_id)
    stranger = open_account(database, "stranger@example.com")
    with database.unit_of_work() as uow:
        number = provision(uow, sub, group, NOW).did.number
    with database.unit_of_work() as uow:
        gateway = uow.gateways.add_gateway("gw", key_digest("fxg_token"), NOW)
        uow.commit()
    return parent.account_id, sub.account_id, stranger.account_id, number, gateway


def receive(database: Database, gateway: int, number: str, call_id: str) -> int | None:
    with database.unit_of_work() as uow:
        holder = uow.faxes.live_holder(number)
        assert holder is not None
        fax_id = uow.faxes.add_fax(holder, gateway, facts(call_id, number), FILE, "f" * 64, NOW)
        if fax_id is not None:
            uow.faxes.add_chunk(fax_id, Rendition.ORIGINAL, 0, b"abc")
        uow.commit()
        return fax_id


def test_a_call_is_taken_once_per_gateway_and_seen_by_its_holder_tree_only(
    database: Database,
) -> None:
    parent, sub, stranger, number, gateway = arrange(database)
    fax_id = receive(database, gateway, number, "call-1")
    assert fax_id is not None
    assert receive(database, gateway, number, "call-1") is None  # the same call again
    with database.reader() as uow:
        earlier = uow.faxes.of_call(gateway, "call-1")
        assert earlier is not None and earlier[0].id == fax_id and earlier[1] == "f" * 64
        assert uow.faxes.visible(fax_id, sub) is not None
        assert uow.faxes.visible(fax_id, parent) is not None
        assert uow.faxes.visible(fax_id, stranger) is None
        assert [f.id for f in uow.faxes.page_for(parent, number, PageRequest())[0]] == [fax_id]
        assert uow.faxes.page_for(stranger, None, PageRequest()) == ([], 0)
        assert uow.faxes.ever_held(parent, number) and not uow.faxes.ever_held(stranger, number)
        assert uow.faxes.chunk(fax_id, Rendition.ORIGINAL, 0) == b"abc"
        assert uow.faxes.stored(fax_id, Rendition.PDF) == (0, 0)


def test_a_rendition_is_kept_once_and_a_discarded_fax_keeps_only_its_call(
    database: Database,
) -> None:
    parent, _, _, number, gateway = arrange(database)
    fax_id = receive(database, gateway, number, "call-2")
    assert fax_id is not None
    with database.unit_of_work() as uow:
        assert uow.faxes.add_chunk_once(fax_id, Rendition.PDF, 0, b"pdf")
        assert not uow.faxes.add_chunk_once(fax_id, Rendition.PDF, 0, b"other")
        uow.commit()
    with database.unit_of_work() as uow:
        assert uow.faxes.stored(fax_id, Rendition.PDF) == (1, 3)
        assert uow.faxes.discard(fax_id, NOW)
        assert not uow.faxes.discard(fax_id, NOW)  # never twice
        uow.commit()
    with database.reader() as uow:
        assert uow.faxes.get(fax_id) is None and uow.faxes.visible(fax_id, parent) is None
        assert uow.faxes.stored(fax_id, Rendition.ORIGINAL) == (0, 0)
        assert uow.faxes.of_call(gateway, "call-2") is not None  # a retry still finds it
    with database.unit_of_work() as uow:
        assert uow.faxes.purge(NOW + timedelta(seconds=1), 0, 10) == (1, None)
        uow.commit()
    with database.reader() as uow:
        assert uow.faxes.of_call(gateway, "call-2") is None


def test_a_route_names_the_live_numbers_trunk_and_a_revoked_gateway_is_unknown(
    database: Database,
) -> None:
    _, _, _, number, gateway = arrange(database)
    with database.reader() as uow:
        route = uow.faxes.route_of(number)
        assert route is not None and route.number == number and route.uri is None
        assert uow.faxes.route_of("+15550000000") is None
        found = uow.gateways.by_digest(key_digest("fxg_token"))
        assert found is not None and found.id == gateway
    with database.unit_of_work() as uow:
        assert uow.gateways.revoke("gw", NOW) and not uow.gateways.revoke("gw", NOW)
        uow.commit()
    with database.reader() as uow:
        assert uow.gateways.by_digest(key_digest("fxg_token")) is None
        assert [g.name for g in uow.gateways.all()] == ["gw"]
