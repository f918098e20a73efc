"""Routing lookups for the SIP edge: a live number's trunk, on both stores and with the
fast path on and off; a release, a re-route or a trunk edit is seen by the next lookup."""

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient
from httpx import Response
from sqlalchemy import update

from faxnum.api.app import create_app
from faxnum.config import Settings
from faxnum.services.gateways import create_gateway, revoke_gateway
from faxnum.store.db.database import Database
from faxnum.store.db.tables import trunks
from tests.conftest import FAST_PATH_IDS, settings_on_both_paths
from tests.factories import add_account, add_group

settings = pytest.fixture(params=[True, False], ids=FAST_PATH_IDS)(settings_on_both_paths)


@dataclass
class Edge:
    client: TestClient
    token: str
    key: str
    number: str
    number_id: int

    def route(self, number: str, **headers: str) -> Response:
        answer: Response = self.client.get(
            f"/gateway/v1/routes/{number}",
            headers={"Authorization": f"Bearer {self.token}", **headers},
        )
        return answer

    def api(self, method: str, path: str, **json: object) -> dict:  # type: ignore[type-arg]
        answer = self.client.request(
            method, f"/api/v2{path}", headers={"X-API-Key": self.key}, json=json or None
        )
        assert answer.status_code == 200, answer.text
        return answer.json()  # type: ignore[no-any-return]


@pytest.fixture
def edge(settings: Settings, database: Database) -> Iterator[Edge]:
    group_id = add_group(database, count=3)
    key = add_account(database).api_key
    with database.unit_of_work() as uow:
        _, token = create_gateway(uow, "kamailio", datetime.now(UTC))
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        made = client.post(
            f"/api/v2/countries/didgroups/{group_id}/provision", headers={"X-API-Key": key}
        ).json()["data"]
        yield Edge(client, token, key, made["number"], made["id"])


def test_a_live_numbers_route_names_its_trunk_with_or_without_plus(edge: Edge) -> None:
    trunk = edge.api("POST", "/trunks", name="PBX", uri="sip:fax@pbx.example.com", t38=True)
    edge.api("PATCH", f"/numbers/{edge.number_id}", trunk_id=trunk["data"]["id"])
    digits = edge.number.lstrip("+")
    for form in (edge.number, digits, "%2B" + digits):
        got = edge.route(form)
        assert got.status_code == 200, (form, got.text)
        assert got.json() == {
            "status": "success",
            "data": {
                "number": edge.number,
                "trunk": {"id": trunk["data"]["id"], "uri": "sip:fax@pbx.example.com", "t38": True},
            },
        }
    text = edge.route(digits, accept="text/plain")
    assert text.status_code == 200 and text.text == "sip:fax@pbx.example.com"
    text = edge.route(f"{digits}?format=text")
    assert text.status_code == 200 and text.text == "sip:fax@pbx.example.com"
    assert edge.route(f"{digits}?format=xml").status_code == 422


def test_a_route_follows_a_re_route_a_trunk_edit_and_a_release_at_once(edge: Edge) -> None:
    first = edge.api("POST", "/trunks", name="A", uri="sip:fax@a.example.com")["data"]["id"]
    second = edge.api("POST", "/trunks", name="B", uri="sip:fax@b.example.com")["data"]["id"]
    edge.api("PATCH", f"/numbers/{edge.number_id}", trunk_id=first)
    assert edge.route(edge.number).json()["data"]["trunk"]["id"] == first
    edge.api("PATCH", f"/numbers/{edge.number_id}", trunk_id=second)
    assert edge.route(edge.number).json()["data"]["trunk"]["id"] == second
    edge.api("PATCH", f"/trunks/{second}", uri="sips:fax@c.example.com")
    routed = edge.route(edge.number).json()["data"]["trunk"]
    assert routed["uri"] == "sips:fax@c.example.com"
    edge.api("DELETE", f"/numbers/{edge.number_id}")
    assert edge.route(edge.number).status_code == 404


def test_a_number_not_live_or_not_a_number_or_no_token_gets_a_clean_refusal(edge: Edge) -> None:
    assert edge.route("+15550000000").status_code == 404
    for junk in ("abc", "1" * 16, "%00", "+", "'%20OR%201=1", "%E2%81%B5"):
        got = edge.route(junk)
        assert got.status_code == 422, (junk, got.text)
        assert got.json()["status"] == "failed"
    no_token = edge.client.get(f"/gateway/v1/routes/{edge.number}")
    assert no_token.status_code == 401
    api_key = edge.client.get(
        f"/gateway/v1/routes/{edge.number}", headers={"Authorization": f"Bearer {edge.key}"}
    )
    assert api_key.status_code == 401
    unrouted = edge.route(edge.number, accept="text/plain")  # the default trunk has no URI
    assert unrouted.status_code == 404
    assert edge.route(edge.number).json()["data"]["trunk"]["uri"] is None
    assert edge.client.post(f"/gateway/v1/routes/{edge.number}").status_code == 405


def test_a_change_committed_by_another_process_is_seen_by_the_next_lookup(
    edge: Edge, database: Database
) -> None:
    """Answers are kept until the store changes: a revocation or a re-route written by
    another process (here: another connection) is seen at once, not after a while."""
    trunk = edge.api("POST", "/trunks", name="PBX", uri="sip:fax@a.example.com")["data"]["id"]
    edge.api("PATCH", f"/numbers/{edge.number_id}", trunk_id=trunk)
    for _ in range(3):  # answered, then given again
        assert edge.route(edge.number).json()["data"]["trunk"]["uri"] == "sip:fax@a.example.com"
    with database.write_engine.begin() as connection:
        connection.execute(
            update(trunks).where(trunks.c.id == trunk).values(uri="sip:fax@b.example.com")
        )
    assert edge.route(edge.number).json()["data"]["trunk"]["uri"] == "sip:fax@b.example.com"
    with database.unit_of_work() as uow:
        revoke_gateway(uow, "kamailio", datetime.now(UTC))
    assert edge.route(edge.number).status_code == 401
