"""Receiving faxes through the HTTP app on both stores: a gateway hands over a file, the
holder reads it over v2, links open without the key, and every refusal stores nothing."""

import io
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import urlsplit

import pypdfium2 as pdfium
import pytest
from fastapi.testclient import TestClient
from httpx import Response
from PIL import Image
from sqlalchemy import func, select

from faxnum.api.app import create_app
from faxnum.config import Settings
from faxnum.services.gateways import create_gateway
from faxnum.store.db.database import Database
from faxnum.store.db.tables import fax_chunks, faxes, webhook_deliveries
from tests.factories import add_account, add_group
from tests.fax_samples import (
    content_g4_tiff,
    cut_off_page,
    g4_tiff,
    pdf,
    thin_pdf,
    tiff_claiming,
    tiff_with,
)

CREATED_AT_TYPES = {"date": str, "timezone_type": int, "timezone": str}
# What the published SDK's InlineResponse2004Inbox model reads, and its types.
INBOX_ITEM_TYPES = {
    "id": int,
    "did_id": int,
    "filename": str,
    "filesize": str,
    "number": str,
    "sender": str,
    "total_pages": int,
    "created_at": dict,
    "preview_file": str,
    "file_url": str,
}
PUBLIC = "https://fax.example.net"


@dataclass
class Setup:
    client: TestClient
    database: Database
    token: str
    key: str
    number: str
    number_id: int
    other_key: str

    def send(
        self,
        content: bytes,
        call_id: str = "call-1",
        to: str | None = None,
        token: str | None = None,
        **fields: str,
    ) -> Response:
        data = {"to": to or self.number, "from": "+4930123456", "call_id": call_id, **fields}
        response: Response = self.client.post(
            "/gateway/v1/faxes",
            headers={"Authorization": f"Bearer {token or self.token}"},
            data=data,
            files={"file": ("fax.bin", content, "application/octet-stream")},
        )
        return response

    def stored(self) -> tuple[int, int]:
        """How many faxes, and chunks of fax bytes, the store holds."""
        with self.database.read_engine.connect() as connection:
            return (
                int(connection.execute(select(func.count()).select_from(faxes)).scalar_one()),
                int(connection.execute(select(func.count()).select_from(fax_chunks)).scalar_one()),
            )


@pytest.fixture
def setup(settings: Settings, database: Database) -> Iterator[Setup]:
    settings = settings.model_copy(
        update={
            "public_url": PUBLIC,
            "webhook_allow_private": True,
            "webhook_allow_http": True,
            "webhook_delivery": False,
        }
    )
    group_id = add_group(database, count=4)
    holder = add_account(database, "holder@example.com")
    other = add_account(database, "other@example.com")
    with database.unit_of_work() as uow:
        _, token = create_gateway(uow, "hylafax-1", datetime.now(UTC))
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        provisioned = client.post(
            f"/api/v2/countries/didgroups/{group_id}/provision",
            headers={"X-API-Key": holder.api_key},
        ).json()["data"]
        yield Setup(
            client,
            database,
            token,
            holder.api_key,
            provisioned["number"],
            provisioned["id"],
            other.api_key,
        )


def test_a_fax_from_the_gateway_lands_in_the_holders_inbox_with_every_v2_field(
    setup: Setup,
) -> None:
    sent = setup.send(g4_tiff(2), received_at="2026-12-01T10:20:30Z", speed="14400", ecm="true")
    assert sent.status_code == 201, sent.text
    data = sent.json()["data"]
    assert data["number"] == setup.number and data["total_pages"] == 2
    body = setup.client.get("/api/v2/incoming-faxes", headers={"api_key": setup.key}).json()
    assert list(body) == ["status", "inbox", "meta"]
    (item,) = body["inbox"]
    assert set(item) == set(INBOX_ITEM_TYPES)
    for field, kind in INBOX_ITEM_TYPES.items():
        assert type(item[field]) is kind, field
    assert {k: type(v) for k, v in item["created_at"].items()} == CREATED_AT_TYPES
    assert item["created_at"] == {
        "date": "2026-12-01 10:20:30.000000",
        "timezone_type": 3,
        "timezone": "UTC",
    }
    assert item["sender"] == "4930123456" and item["number"] == setup.number
    assert item["id"] == data["id"] and item["did_id"] == data["did_id"]
    assert item["filesize"].endswith(" KB") and item["filename"].endswith(".pdf")
    for link in (item["file_url"], item["preview_file"]):
        assert link.startswith(PUBLIC + "/receivefax/api/v1/inbox/")
        assert setup.key not in link
    assert body["meta"]["pagination"]["total"] == 1


def test_links_open_without_the_key_and_give_a_pdf_and_a_png(setup: Setup) -> None:
    setup.send(g4_tiff(2))
    item = setup.client.get("/api/v2/incoming-faxes", headers={"api_key": setup.key}).json()[
        "inbox"
    ][0]
    got = setup.client.get(_local(item["file_url"]))
    assert got.status_code == 200, got.text
    assert got.headers["content-type"] == "application/pdf"
    assert got.headers["content-disposition"].startswith("attachment")
    assert len(pdfium.PdfDocument(got.content)) == 2
    again = setup.client.get(_local(item["file_url"]))  # kept from the first request
    assert again.content == got.content
    preview = setup.client.get(_local(item["preview_file"]))
    assert preview.status_code == 200 and preview.headers["content-type"] == "image/png"
    assert Image.open(io.BytesIO(preview.content)).format == "PNG"


def test_a_pdf_is_passed_through_unchanged(setup: Setup) -> None:
    original = pdf(3)
    fax_id = setup.send(original).json()["data"]["id"]
    got = setup.client.get(
        f"/receivefax/api/v1/inbox/{fax_id}/file", headers={"X-API-Key": setup.key}
    )
    assert got.status_code == 200 and got.content == original


def test_a_tampered_or_expired_link_is_refused_and_the_key_still_opens_it(
    setup: Setup,
) -> None:
    setup.send(g4_tiff(1))
    item = setup.client.get("/api/v2/incoming-faxes", headers={"api_key": setup.key}).json()[
        "inbox"
    ][0]
    url = _local(item["file_url"])
    tampered = url.replace("signature=", "signature=x")
    assert setup.client.get(tampered).status_code == 401
    bare = url.split("?")[0]
    assert setup.client.get(bare).status_code == 401
    assert setup.client.get(bare, headers={"X-API-Key": setup.key}).status_code == 200
    expired = url.split("expires=")[0] + "expires=1000000000&signature=abc"
    assert setup.client.get(expired).status_code == 401
    other_fax = url.replace(f"/inbox/{item['id']}/", f"/inbox/{item['id'] + 1}/")
    assert setup.client.get(other_fax).status_code == 401  # the signature names the fax
    preview_with_file_signature = url.replace("/file?", "/preview?")
    assert setup.client.get(preview_with_file_signature).status_code == 401


def test_another_account_sees_nothing_of_the_fax(setup: Setup) -> None:
    fax_id = setup.send(g4_tiff(1)).json()["data"]["id"]
    other = {"X-API-Key": setup.other_key}
    assert setup.client.get("/api/v2/incoming-faxes", headers=other).json()["inbox"] == []
    digits = setup.number.lstrip("+")
    assert setup.client.get(f"/api/v2/incoming-faxes/{digits}", headers=other).status_code == 404
    assert setup.client.get(f"/api/v2/inbox/{fax_id}", headers=other).status_code == 404
    assert setup.client.delete(f"/api/v2/inbox/{fax_id}", headers=other).status_code == 404
    for what in ("file", "preview"):
        url = f"/receivefax/api/v1/inbox/{fax_id}/{what}"
        assert setup.client.get(url, headers=other).status_code == 404


def test_the_recipient_listing_takes_the_number_with_or_without_plus(setup: Setup) -> None:
    setup.send(g4_tiff(1))
    digits = setup.number.lstrip("+")
    for form in (digits, "%2B" + digits, "+" + digits):
        got = setup.client.get(
            f"/api/v2/incoming-faxes/{form}",
            headers={"api_key": setup.key},
            params={"limit": "5", "page": "1"},
        )
        assert got.status_code == 200, (form, got.text)
        assert len(got.json()["inbox"]) == 1
    for junk in ("abc", "1" * 16, "%00", "'%20OR%201=1"):
        got = setup.client.get(f"/api/v2/incoming-faxes/{junk}", headers={"api_key": setup.key})
        assert got.status_code == 422, junk


def test_the_same_call_again_gets_the_first_answer_and_other_content_a_409(
    setup: Setup,
) -> None:
    tiff = g4_tiff(2)
    first = setup.send(tiff, call_id="c-77")
    again = setup.send(tiff, call_id="c-77")
    assert first.status_code == again.status_code == 201
    assert first.json() == again.json()
    assert setup.stored()[0] == 1
    other = setup.send(g4_tiff(1), call_id="c-77")
    assert other.status_code == 409
    other_facts = setup.send(tiff, call_id="c-77", speed="9600")
    assert other_facts.status_code == 409
    assert setup.stored()[0] == 1


def test_refusals_store_nothing(setup: Setup, database: Database) -> None:
    refusals = {
        "free number": (setup.send(g4_tiff(1), to="+15550000000"), 404),
        "junk": (setup.send(b"not a fax at all", call_id="c2"), 422),
        "empty": (setup.send(b"", call_id="c3"), 422),
        "pixel bomb": (setup.send(tiff_claiming(200_000, 200_000), call_id="c4"), 413),
        "wrong pages": (setup.send(g4_tiff(2), call_id="c5", pages="3"), 422),
        "no token": (
            setup.client.post(
                "/gateway/v1/faxes",
                data={"to": setup.number, "from": "", "call_id": "c6"},
                files={"file": ("f", g4_tiff(1))},
            ),
            401,
        ),
        "api key as token": (setup.send(g4_tiff(1), call_id="c7", token=setup.key), 401),
        "bad call id": (setup.send(g4_tiff(1), call_id="\u00e9" * 3), 422),
        "unknown field": (setup.send(g4_tiff(1), call_id="c8", colour="red"), 422),
        "future": (setup.send(g4_tiff(1), call_id="c9", received_at="2999-01-01T00:00:00Z"), 422),
        "no offset": (
            setup.send(g4_tiff(1), call_id="c10", received_at="2026-01-01T00:00:00"),
            422,
        ),
        "negative speed": (setup.send(g4_tiff(1), call_id="c11", speed="-1"), 422),
        "truncated tiff": (setup.send(g4_tiff(2)[:300], call_id="c12"), 422),
        "truncated pdf": (setup.send(pdf(1)[:200], call_id="c13"), 422),
        "cut-off g4 tiff": (setup.send(content_g4_tiff(3)[:-200], call_id="c14"), 422),
        "pdf behind html": (setup.send(b"<html>" + pdf(1), call_id="c15"), 422),
        "iso week date": (
            setup.send(g4_tiff(1), call_id="c16", received_at="2026W011T000000Z"),
            422,
        ),
        "space not T": (
            setup.send(g4_tiff(1), call_id="c17", received_at="2026-01-01 00:00:00+00:00"),
            422,
        ),
    }
    for name, (response, status) in refusals.items():
        assert response.status_code == status, (name, response.text)
        assert response.json()["status"] == "failed", name
    assert setup.stored() == (0, 0)


def test_a_gateway_token_is_refused_on_the_v2_api(setup: Setup) -> None:
    got = setup.client.get(
        "/api/v2/incoming-faxes", headers={"Authorization": f"Bearer {setup.token}"}
    )
    assert got.status_code == 401


def test_a_gateway_revoked_after_it_was_seen_is_refused_at_once(setup: Setup) -> None:
    from faxnum.services.gateways import revoke_gateway

    assert setup.send(g4_tiff(1), call_id="before").status_code == 201
    with setup.database.unit_of_work() as uow:
        revoke_gateway(uow, "hylafax-1", datetime.now(UTC))
    assert setup.send(g4_tiff(1), call_id="after").status_code == 401
    assert setup.send(g4_tiff(1), call_id="after").status_code == 401
    assert setup.stored()[0] == 1


def test_a_released_numbers_faxes_stay_readable_and_new_ones_are_refused(setup: Setup) -> None:
    fax_id = setup.send(g4_tiff(1)).json()["data"]["id"]
    released = setup.client.delete(
        f"/api/v2/numbers/{setup.number_id}", headers={"X-API-Key": setup.key}
    )
    assert released.status_code == 200
    assert setup.send(g4_tiff(1), call_id="after").status_code == 404
    digits = setup.number.lstrip("+")
    listed = setup.client.get(f"/api/v2/incoming-faxes/{digits}", headers={"api_key": setup.key})
    assert [item["id"] for item in listed.json()["inbox"]] == [fax_id]
    got = setup.client.get(
        f"/receivefax/api/v1/inbox/{fax_id}/file", headers={"X-API-Key": setup.key}
    )
    assert got.status_code == 200


def test_an_inbox_fax_shows_the_call_and_can_be_deleted(setup: Setup) -> None:
    fax_id = setup.send(
        g4_tiff(1), remote_station_id="+49 30 123456", speed="14400", duration="42", ecm="yes"
    ).json()["data"]["id"]
    one = setup.client.get(f"/api/v2/inbox/{fax_id}", headers={"X-API-Key": setup.key}).json()
    call = one["data"]["call"]
    assert call["remote_station_id"] == "+49 30 123456" and call["speed"] == 14400
    assert call["duration"] == 42 and call["ecm"] is True and call["call_id"] == "call-1"
    gone = setup.client.delete(f"/api/v2/inbox/{fax_id}", headers={"X-API-Key": setup.key})
    assert gone.status_code == 200
    assert setup.stored() == (1, 0)  # its bytes gone; the call's record kept for retries
    assert (
        setup.client.get(f"/api/v2/inbox/{fax_id}", headers={"X-API-Key": setup.key}).status_code
        == 404
    )


def test_listing_is_newest_first_and_paged(setup: Setup) -> None:
    ids = [setup.send(g4_tiff(1), call_id=f"c{n}").json()["data"]["id"] for n in range(3)]
    first = setup.client.get(
        "/api/v2/incoming-faxes", headers={"api_key": setup.key}, params={"limit": 2}
    ).json()
    assert [item["id"] for item in first["inbox"]] == ids[::-1][:2]
    pagination = first["meta"]["pagination"]
    assert pagination["total"] == 3 and pagination["total_pages"] == 2
    assert urlsplit(pagination["links"]["next"]).netloc == urlsplit(PUBLIC).netloc


def test_fax_received_is_queued_for_the_holders_webhooks(setup: Setup) -> None:
    hook = setup.client.post(
        "/api/v2/webhooks",
        headers={"X-API-Key": setup.key},
        json={"url": "http://127.0.0.1:9/faxes", "events": ["fax.received"]},
    )
    assert hook.status_code in (200, 201), hook.text
    setup.send(g4_tiff(1))
    with setup.database.read_engine.connect() as connection:
        bodies = connection.execute(select(webhook_deliveries.c.body)).scalars().all()
    (body,) = [json.loads(text) for text in bodies]
    assert body["type"] == "fax.received"
    assert body["data"]["number"] == setup.number and body["data"]["total_pages"] == 1
    assert body["data"]["file_url"].startswith(PUBLIC)


def _local(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}"


def test_one_call_sent_at_once_by_racing_retries_is_stored_once(
    setup: Setup, settings: Settings
) -> None:
    """Gateways retry; two copies of one call racing each other make one fax."""
    from concurrent.futures import ThreadPoolExecutor

    tiff = g4_tiff(2)
    with ThreadPoolExecutor(6) as pool:
        answers = list(pool.map(lambda _: setup.send(tiff, call_id="race-1"), range(6)))
    assert {answer.status_code for answer in answers} == {201}, [a.text for a in answers]
    assert len({answer.json()["data"]["id"] for answer in answers}) == 1
    assert setup.stored()[0] == 1


def test_a_large_fax_is_stored_in_chunks_and_read_back_whole(setup: Setup) -> None:
    original = pdf(1)
    padded = original + b"\n%" + b"x" * (3 * 1024 * 1024) + b"\n"  # a comment PDF readers skip
    fax_id = setup.send(padded, call_id="big").json()["data"]["id"]
    faxes_count, chunks = setup.stored()
    assert faxes_count == 1 and chunks >= 6  # 512 KiB each
    got = setup.client.get(
        f"/receivefax/api/v1/inbox/{fax_id}/file", headers={"X-API-Key": setup.key}
    )
    assert got.status_code == 200 and got.content == padded


def test_an_upload_past_the_byte_limit_is_refused_with_413(
    settings: Settings, database: Database
) -> None:
    small = settings.model_copy(update={"fax_max_bytes": 64 * 1024})
    with database.unit_of_work() as uow:
        _, token = create_gateway(uow, "small", datetime.now(UTC))
    with TestClient(create_app(small), raise_server_exceptions=False) as client:
        got = client.post(
            "/gateway/v1/faxes",
            headers={"Authorization": f"Bearer {token}"},
            data={"to": "+12045550100", "from": "", "call_id": "x"},
            files={"file": ("f.pdf", pdf(1) + b"%" + b"x" * 70_000, "application/pdf")},
        )
        assert got.status_code == 413, got.text
        assert got.json()["status"] == "failed"


def test_faxes_past_retention_are_deleted_with_their_bytes(setup: Setup) -> None:
    from datetime import timedelta

    from faxnum.services.inbox import delete_expired_faxes

    setup.send(g4_tiff(1), call_id="old")
    later = datetime.now(UTC) + timedelta(days=91)
    assert delete_expired_faxes(setup.database.unit_of_work, datetime.now(UTC), 90) == 0
    assert setup.stored()[0] == 1
    assert delete_expired_faxes(setup.database.unit_of_work, later, 90) == 1
    assert setup.stored() == (0, 0)


def test_a_deleted_fax_stays_deleted_when_its_gateway_retries_the_call(setup: Setup) -> None:
    tiff = g4_tiff(1)
    first = setup.send(tiff, call_id="del-1").json()
    fax_id = first["data"]["id"]
    assert (
        setup.client.delete(f"/api/v2/inbox/{fax_id}", headers={"X-API-Key": setup.key}).status_code
        == 200
    )
    retry = setup.send(tiff, call_id="del-1")
    assert retry.status_code == 201 and retry.json() == first  # the first answer
    assert (
        setup.client.get(f"/api/v2/inbox/{fax_id}", headers={"X-API-Key": setup.key}).status_code
        == 404
    )
    assert setup.stored() == (1, 0)


def test_a_link_never_opens_a_fax_other_than_the_one_it_was_made_for(setup: Setup) -> None:
    """Ids are never reused, and a link is bound to its fax's call as well as its id."""
    first = setup.send(g4_tiff(1), call_id="gone").json()["data"]["id"]
    item = setup.client.get(f"/api/v2/inbox/{first}", headers={"X-API-Key": setup.key}).json()[
        "data"
    ]
    setup.client.delete(f"/api/v2/inbox/{first}", headers={"X-API-Key": setup.key})
    second = setup.send(g4_tiff(2), call_id="next").json()["data"]["id"]
    assert second != first
    for link in (item["file_url"], item["preview_file"]):
        assert setup.client.get(_local(link)).status_code == 401


def test_previews_are_bounded_whatever_the_page_claims(setup: Setup) -> None:
    """A page 1 point wide, or a TIFF whose resolutions differ 200-fold, still gives a
    preview of at most 800 x 3200 pixels."""
    for call_id, content in (
        ("thin", thin_pdf(1, 1000)),
        ("stretched", tiff_with(dpi=(20000, 100))),
        ("squashed", tiff_with(dpi=(1, 10_000_000))),
    ):
        fax_id = setup.send(content, call_id=call_id).json()["data"]["id"]
        got = setup.client.get(
            f"/receivefax/api/v1/inbox/{fax_id}/preview", headers={"X-API-Key": setup.key}
        )
        assert got.status_code == 200, (call_id, got.text)
        width, height = Image.open(io.BytesIO(got.content)).size
        assert width <= 800 and height <= 3200, (call_id, width, height)


def test_a_page_img2pdf_cannot_wrap_is_converted_on_its_own(setup: Setup) -> None:
    fax_id = setup.send(tiff_with(mode="I;16", pages=3), call_id="deep").json()["data"]["id"]
    got = setup.client.get(
        f"/receivefax/api/v1/inbox/{fax_id}/file", headers={"X-API-Key": setup.key}
    )
    assert got.status_code == 200, got.text
    assert len(pdfium.PdfDocument(got.content)) == 3


def test_a_fax_cut_off_mid_page_is_shown_as_far_as_it_goes(setup: Setup) -> None:
    fax_id = setup.send(cut_off_page(), call_id="cut").json()["data"]["id"]
    for what in ("file", "preview"):
        got = setup.client.get(
            f"/receivefax/api/v1/inbox/{fax_id}/{what}", headers={"X-API-Key": setup.key}
        )
        assert got.status_code in (200, 409), (what, got.text)
        assert got.json()["status"] == "failed" if got.status_code == 409 else got.content


def test_a_form_that_cannot_be_read_is_a_422_not_a_400(setup: Setup) -> None:
    headers = {"Authorization": f"Bearer {setup.token}"}
    broken = setup.client.post(
        "/gateway/v1/faxes",
        headers={**headers, "Content-Type": "multipart/form-data"},  # no boundary
        content=b"--x\r\n",
    )
    assert broken.status_code == 422, broken.text
    huge_field = setup.client.post(
        "/gateway/v1/faxes",
        headers=headers,
        data={"to": setup.number, "from": "", "call_id": "x" * 10_000},
        files={"file": ("f", g4_tiff(1))},
    )
    assert huge_field.status_code == 422, huge_field.text
    assert setup.stored() == (0, 0)
