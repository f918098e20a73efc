"""The shipped Kamailio configuration, run by the installed Kamailio on loopback in front
of a real faxnum server, with a UDP socket standing in for the customer's trunk: calls
to a live number reach its trunk, everything else is answered at the edge."""

import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from faxnum.services.accounts import authenticate
from faxnum.services.gateways import create_gateway
from faxnum.services.provisioning import provision
from faxnum.store.db.database import Database
from faxnum.testing.servers import RunningServer, free_port
from tests.conftest import unavailable
from tests.e2e.conftest import StartServer
from tests.factories import add_account, add_group

pytestmark = pytest.mark.slow
CONFIG = Path(__file__).parents[2] / "deploy" / "kamailio" / "faxnum.cfg"
ROUTE_TTL_S = 5  # the configuration's cache bound
LOOKUP_TIMEOUT_S = 1  # its http_client timeout


class SipSocket:
    """One UDP endpoint speaking just enough SIP for the tests: requests and answers as
    text, read until a wanted message or a deadline."""

    def __init__(self) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]

    def send(self, text: str, to: tuple[str, int]) -> None:
        self.sock.sendto(text.replace("\n", "\r\n").encode(), to)

    def expect(self, pattern: str, timeout_s: float = 5.0, call_id: str | None = None) -> str:
        """The first message whose start matches `pattern` (of the call `call_id`, if
        given); others are skipped."""
        deadline = time.monotonic() + timeout_s
        while (left := deadline - time.monotonic()) > 0:
            self.sock.settimeout(left)
            try:
                data, _ = self.sock.recvfrom(65535)
            except TimeoutError:
                break
            message = data.decode(errors="replace")
            if re.match(pattern, message) and call_id in (None, *header(message, "Call-ID")):
                return message
        raise AssertionError(f"no message matching {pattern!r} within {timeout_s} s")

    def close(self) -> None:
        self.sock.close()


def header(message: str, name: str) -> list[str]:
    return [
        line.split(":", 1)[1].strip()
        for line in message.split("\r\n")
        if line.lower().startswith(name.lower() + ":")
    ]


@dataclass
class Call:
    caller: SipSocket
    edge: tuple[str, int]
    number: str
    call_id: str = ""
    branch: str = ""
    tag: str = ""

    def invite(
        self, user: str | None = None, host: str | None = None, max_forwards: int = 70
    ) -> None:
        self.call_id, self.branch, self.tag = (secrets.token_hex(8) for _ in range(3))
        self.user = user or self.number
        self.host = host or f"127.0.0.1:{self.edge[1]}"
        self.caller.send(
            f"INVITE sip:{self.user}@{self.host} SIP/2.0\n"
            f"Via: SIP/2.0/UDP 127.0.0.1:{self.caller.port};branch=z9hG4bK{self.branch};rport\n"
            f"Max-Forwards: {max_forwards}\n"
            f"From: <sip:4930123456@127.0.0.1>;tag={self.tag}\n"
            f"To: <sip:{self.user}@{self.host}>\n"
            f"Call-ID: {self.call_id}\n"
            "CSeq: 1 INVITE\n"
            f"Contact: <sip:caller@127.0.0.1:{self.caller.port}>\n"
            "Content-Length: 0\n\n",
            self.edge,
        )

    def final_answer(self, timeout_s: float = 5.0) -> str:
        return self.caller.expect(r"SIP/2\.0 [2-6]\d\d ", timeout_s, self.call_id)

    def ack_refusal(self, refusal: str) -> None:
        """The ACK of a final refusal (same branch, hop by hop), which ends the
        transaction at the edge at once instead of after its retransmissions."""
        self.caller.send(
            f"ACK sip:{self.user}@{self.host} SIP/2.0\n"
            f"Via: SIP/2.0/UDP 127.0.0.1:{self.caller.port};branch=z9hG4bK{self.branch};rport\n"
            "Max-Forwards: 70\n"
            f"From: <sip:4930123456@127.0.0.1>;tag={self.tag}\n"
            f"To: {header(refusal, 'To')[0]}\n"
            f"Call-ID: {self.call_id}\n"
            "CSeq: 1 ACK\n"
            "Content-Length: 0\n\n",
            self.edge,
        )

    def cancel(self) -> None:
        self.caller.send(
            f"CANCEL sip:{self.user}@{self.host} SIP/2.0\n"
            f"Via: SIP/2.0/UDP 127.0.0.1:{self.caller.port};branch=z9hG4bK{self.branch};rport\n"
            "Max-Forwards: 70\n"
            f"From: <sip:4930123456@127.0.0.1>;tag={self.tag}\n"
            f"To: <sip:{self.user}@{self.host}>\n"
            f"Call-ID: {self.call_id}\n"
            "CSeq: 1 CANCEL\n"
            "Content-Length: 0\n\n",
            self.edge,
        )

    def ack_and_bye(self, ok: str) -> None:
        """The ACK of a 200 and then a BYE, each along the route the 200 recorded."""
        to = header(ok, "To")[0]
        target = re.search(r"<([^>]+)>", header(ok, "Contact")[0])
        assert target
        routes = ", ".join(reversed(header(ok, "Record-Route")))
        for method, cseq in (("ACK", "1 ACK"), ("BYE", "2 BYE")):
            branch = secrets.token_hex(8)
            self.caller.send(
                f"{method} {target.group(1)} SIP/2.0\n"
                f"Via: SIP/2.0/UDP 127.0.0.1:{self.caller.port};branch=z9hG4bK{branch};rport\n"
                "Max-Forwards: 70\n"
                f"Route: {routes}\n"
                f"From: <sip:4930123456@127.0.0.1>;tag={self.tag}\n"
                f"To: {to}\n"
                f"Call-ID: {self.call_id}\n"
                f"CSeq: {cseq}\n"
                "Content-Length: 0\n\n",
                self.edge,
            )


def answer(trunk: SipSocket, request: str, status: str, to_tag: str | None = None) -> None:
    """The trunk's answer to a request the edge relayed, sent back the way it came."""
    vias = header(request, "Via")
    host, port = re.search(r"SIP/2\.0/UDP ([^;:]+):(\d+)", vias[0]).groups()  # type: ignore[union-attr]
    to = header(request, "To")[0] + (f";tag={to_tag}" if to_tag else "")
    lines = [f"SIP/2.0 {status}", *(f"Via: {via}" for via in vias)]
    lines += [f"Record-Route: {rr}" for rr in header(request, "Record-Route")]
    lines += [
        f"From: {header(request, 'From')[0]}",
        f"To: {to}",
        f"Call-ID: {header(request, 'Call-ID')[0]}",
        f"CSeq: {header(request, 'CSeq')[0]}",
        f"Contact: <sip:fax@127.0.0.1:{trunk.port}>",
        "Content-Length: 0",
        "",
        "",
    ]
    trunk.send("\n".join(lines), (host, int(port)))


@dataclass
class Stage:
    server: RunningServer
    database: Database
    key: str
    number: str
    number_id: int
    spare_group: int
    edge: tuple[str, int]
    caller: SipSocket
    trunk: SipSocket

    def call(self, number: str | None = None) -> Call:
        return Call(self.caller, self.edge, number or self.number)


def _kamailio(env: dict[str, str], port: int, workdir: Path) -> "subprocess.Popen[bytes]":
    log = (workdir / "kamailio.log").open("wb")
    return subprocess.Popen(
        [
            "kamailio",
            "-f",
            str(CONFIG),
            "-DD",
            "-E",
            "-l",
            f"udp:127.0.0.1:{port}",
            "-Y",
            str(workdir),
        ],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def _answers_keepalive(edge: tuple[str, int], timeout_s: float = 15.0) -> None:
    probe = SipSocket()
    try:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            probe.send(
                f"OPTIONS sip:127.0.0.1:{edge[1]} SIP/2.0\n"
                f"Via: SIP/2.0/UDP 127.0.0.1:{probe.port};branch=z9hG4bK{secrets.token_hex(6)}\n"
                "Max-Forwards: 70\nFrom: <sip:probe@127.0.0.1>;tag=1\n"
                f"To: <sip:127.0.0.1:{edge[1]}>\nCall-ID: {secrets.token_hex(6)}\n"
                "CSeq: 1 OPTIONS\nContent-Length: 0\n\n",
                edge,
            )
            try:
                probe.expect(r"SIP/2\.0 200 Keepalive", 0.3)
                return
            except AssertionError:
                continue
        raise AssertionError("Kamailio did not answer OPTIONS")
    finally:
        probe.close()


@pytest.fixture
def stage(
    tmp_path: Path, server_env: dict[str, str], served_database: Database, start_server: StartServer
) -> Iterator[Stage]:
    if shutil.which("kamailio") is None:
        unavailable("Kamailio (kamailio, kamailio-utils-modules) is not installed")
    group = add_group(served_database, count=4)
    spare = add_group(served_database, description="London, ON", count=2)
    key = add_account(served_database).api_key
    now = datetime.now(UTC)
    with served_database.unit_of_work() as uow:
        made = provision(uow, authenticate(uow, key), group, now)
    with served_database.unit_of_work() as uow:
        _, token = create_gateway(uow, "kamailio", now)
    server = start_server(env=server_env | {"FAXNUM_TRUNK_ALLOW_PRIVATE": "1"})
    trunk, caller = SipSocket(), SipSocket()
    api = httpx.Client(base_url=f"{server.base_url}/api/v2", headers={"X-API-Key": key})
    created = api.post("/trunks", json={"name": "gw", "uri": f"sip:fax@127.0.0.1:{trunk.port}"})
    assert created.status_code == 200, created.text
    routed = api.patch(f"/numbers/{made.id}", json={"trunk_id": created.json()["data"]["id"]})
    assert routed.status_code == 200, routed.text
    port = free_port()
    env = os.environ | {"FAXNUM_URL": server.base_url, "FAXNUM_GATEWAY_TOKEN": token}
    kamailio = _kamailio(env, port, tmp_path)
    try:
        _answers_keepalive(("127.0.0.1", port))
        yield Stage(
            server, served_database, key, made.did.number, made.id, spare,
            ("127.0.0.1", port), caller, trunk,
        )  # fmt: skip
    finally:
        os.killpg(kamailio.pid, signal.SIGTERM)
        try:
            kamailio.wait(timeout=5)
        except subprocess.TimeoutExpired:  # transactions still open keep it waiting
            os.killpg(kamailio.pid, signal.SIGKILL)
            kamailio.wait()
        caller.close()
        trunk.close()
        api.close()


def test_an_invite_to_a_live_number_reaches_its_trunk_and_the_dialog_follows(
    stage: Stage,
) -> None:
    call = stage.call()
    call.invite()
    relayed = stage.trunk.expect(r"INVITE ")
    assert relayed.startswith(f"INVITE sip:fax@127.0.0.1:{stage.trunk.port} SIP/2.0")
    assert stage.number in header(relayed, "To")[0]  # the trunk still learns the number
    answer(stage.trunk, relayed, "200 OK", to_tag="trunk1")
    ok = call.final_answer()
    assert ok.startswith("SIP/2.0 200")
    call.ack_and_bye(ok)
    stage.trunk.expect(r"ACK ")
    bye = stage.trunk.expect(r"BYE ")
    assert header(bye, "Call-ID") == [call.call_id]


def test_the_number_without_plus_routes_the_same(stage: Stage) -> None:
    call = stage.call(stage.number.lstrip("+"))
    call.invite()
    relayed = stage.trunk.expect(r"INVITE ")
    assert relayed.startswith(f"INVITE sip:fax@127.0.0.1:{stage.trunk.port} ")


def test_a_cancel_follows_the_invite_to_the_trunk(stage: Stage) -> None:
    call = stage.call()
    call.invite()
    relayed = stage.trunk.expect(r"INVITE ")
    answer(stage.trunk, relayed, "180 Ringing", to_tag="trunk2")
    stage.caller.expect(r"SIP/2\.0 180")
    call.cancel()
    cancel = stage.trunk.expect(r"CANCEL ")
    assert header(cancel, "Call-ID") == [call.call_id]


def test_a_free_number_gets_404_and_nothing_reaches_a_trunk(stage: Stage) -> None:
    call = stage.call("+12045550199")
    call.invite()
    assert call.final_answer().startswith("SIP/2.0 404")
    with pytest.raises(AssertionError):
        stage.trunk.expect(r"INVITE ", 0.5)


def test_after_a_release_calls_get_404_within_the_cache_bound(stage: Stage) -> None:
    call = stage.call()
    call.invite()
    answer(stage.trunk, stage.trunk.expect(r"INVITE "), "486 Busy Here", to_tag="t3")
    call.ack_refusal(call.final_answer())
    released = httpx.delete(
        f"{stage.server.base_url}/api/v2/numbers/{stage.number_id}",
        headers={"X-API-Key": stage.key},
    )
    assert released.status_code == 200
    started = time.monotonic()
    while True:  # a call every 100 ms until one is refused
        call = stage.call()
        call.invite()
        try:
            relayed = stage.trunk.expect(r"INVITE ", 0.5, call.call_id)
        except AssertionError:
            refused = call.final_answer()
            assert refused.startswith("SIP/2.0 404"), refused
            break
        answer(stage.trunk, relayed, "486 Busy Here", to_tag="t4")
        call.ack_refusal(call.final_answer())
        assert time.monotonic() - started < ROUTE_TTL_S + 2, "still routed past the cache bound"
        time.sleep(0.1)
    assert time.monotonic() - started < ROUTE_TTL_S + 2


def test_a_hung_faxnum_gets_503_within_the_timeout_not_silence(stage: Stage) -> None:
    os.kill(stage.server.process.pid, signal.SIGSTOP)
    try:
        call = stage.call()  # not asked before: nothing cached
        started = time.monotonic()
        call.invite()
        assert call.final_answer(LOOKUP_TIMEOUT_S + 4).startswith("SIP/2.0 503")
        assert time.monotonic() - started < LOOKUP_TIMEOUT_S + 2
    finally:
        os.kill(stage.server.process.pid, signal.SIGCONT)


def test_the_edge_answers_keepalives_and_relays_nothing_else(stage: Stage) -> None:
    _answers_keepalive(stage.edge, 2)
    for user, host, expected in (
        ("someone", "example.com", "403"),  # another domain: never relayed
        (stage.number, "example.com", "403"),
        ("alice", None, "404"),  # not a number
    ):
        call = stage.call()
        call.invite(user=user, host=host)
        assert call.final_answer().startswith(f"SIP/2.0 {expected}"), (user, host)
    hops = stage.call()
    hops.invite(max_forwards=0)
    assert hops.final_answer().startswith("SIP/2.0 483")
    with pytest.raises(AssertionError):
        stage.trunk.expect(r"INVITE ", 0.5)


def test_a_forged_in_dialog_request_is_relayed_nowhere(stage: Stage) -> None:
    """A request that claims a dialog (a To tag, a Route naming the edge) the edge never
    set up is refused: it does not reach the host its request-URI names."""
    elsewhere, branch = SipSocket(), secrets.token_hex(8)
    try:
        stage.caller.send(
            f"BYE sip:victim@127.0.0.1:{elsewhere.port} SIP/2.0\n"
            f"Via: SIP/2.0/UDP 127.0.0.1:{stage.caller.port};branch=z9hG4bK{branch};rport\n"
            "Max-Forwards: 70\n"
            f"Route: <sip:127.0.0.1:{stage.edge[1]};lr>\n"
            "From: <sip:attacker@127.0.0.1>;tag=forged\n"
            "To: <sip:victim@127.0.0.1>;tag=forged-too\n"
            f"Call-ID: {secrets.token_hex(8)}\n"
            "CSeq: 2 BYE\n"
            "Content-Length: 0\n\n",
            stage.edge,
        )
        assert stage.caller.expect(r"SIP/2\.0 [3-6]\d\d ").startswith("SIP/2.0 403")
        with pytest.raises(AssertionError):
            elsewhere.expect(r"BYE ", 0.5)
    finally:
        elsewhere.close()


def test_a_request_within_a_dialog_goes_only_to_the_dialogs_other_end(stage: Stage) -> None:
    """The caller of a real call cannot use its dialog to reach anyone but the trunk:
    a request aimed elsewhere, by its request-URI or by a Route after the edge's, is
    refused, and the call's own BYE still arrives."""
    elsewhere = SipSocket()
    try:
        call = stage.call()
        call.invite()
        answer(stage.trunk, stage.trunk.expect(r"INVITE "), "200 OK", to_tag="trunk9")
        ok = call.final_answer()
        to = header(ok, "To")[0]
        edge_route = ", ".join(reversed(header(ok, "Record-Route")))
        for target, routes in (
            (f"sip:x@127.0.0.1:{elsewhere.port}", edge_route),
            (
                f"sip:fax@127.0.0.1:{stage.trunk.port}",
                f"{edge_route}, <sip:127.0.0.1:{elsewhere.port};lr>",
            ),
        ):
            branch = secrets.token_hex(8)
            stage.caller.send(
                f"INFO {target} SIP/2.0\n"
                f"Via: SIP/2.0/UDP 127.0.0.1:{stage.caller.port};branch=z9hG4bK{branch};rport\n"
                f"Max-Forwards: 70\nRoute: {routes}\n"
                f"From: <sip:4930123456@127.0.0.1>;tag={call.tag}\nTo: {to}\n"
                f"Call-ID: {call.call_id}\nCSeq: 3 INFO\nContent-Length: 0\n\n",
                stage.edge,
            )
            refused = stage.caller.expect(r"SIP/2\.0 [3-6]\d\d ", call_id=call.call_id)
            assert refused.startswith("SIP/2.0 403"), refused
        with pytest.raises(AssertionError):
            elsewhere.expect(r"INFO ", 0.5)
        call.ack_and_bye(ok)
        assert header(stage.trunk.expect(r"BYE "), "Call-ID") == [call.call_id]
    finally:
        elsewhere.close()
