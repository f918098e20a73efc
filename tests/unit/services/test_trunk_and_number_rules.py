"""Trunks (where numbers deliver), the caller's numbers (route, release), and finding
available numbers by vanity pattern."""

from decimal import Decimal

import pytest

from faxnum.domain.accounts import Caller
from faxnum.domain.catalogue import AvailableNumberFilter, DidGroupFilter
from faxnum.domain.errors import Conflict, Invalid, NotFound
from faxnum.domain.number_patterns import Anchor, NumberPattern
from faxnum.domain.numbers import DidState, GroupSpec, NumberStatus, NumberType
from faxnum.domain.pagination import PageRequest
from faxnum.domain.trunks import Trunk, TrunkChanges, check_sip_uri
from faxnum.security.key_cipher import KeyCipher
from faxnum.services import trunks as trunk_rules
from faxnum.services.accounts import authenticate, create_account
from faxnum.services.catalogue import find_available_numbers
from faxnum.services.inventory import load_groups
from faxnum.services.numbers import list_numbers, number, release, route
from faxnum.services.provisioning import provision
from faxnum.services.trunks import add_trunk, change_trunk, delete_trunk, trunk, trunks_page
from tests.fakes import FakeStore
from tests.unit.services.conftest import NOW, open_account, winnipeg_spec

PBX = "sip:fax@pbx.example.com:5060"


def new_trunk(store: FakeStore, caller: Caller, is_default: bool = False) -> Trunk:
    with store.unit_of_work() as uow:
        return add_trunk(uow, caller, "Office PBX", PBX, True, is_default)


def provisioned(store: FakeStore, caller: Caller, group_id: int) -> int:
    with store.unit_of_work() as uow:
        return provision(uow, caller, group_id, NOW).id


def routed(store: FakeStore, caller: Caller, number_id: int, trunk_id: int) -> int:
    with store.unit_of_work() as uow:
        return route(uow, caller, number_id, trunk_id).trunk_id


# Trunks


def test_a_trunk_needs_a_sip_uri_and_a_clean_name(store: FakeStore, caller: Caller) -> None:
    for name, uri, bad in [
        ("PBX", "http://pbx.example.com", "uri"),
        ("   ", PBX, "name"),
        ("PBX\x07", PBX, "name"),
        ("x" * 101, PBX, "name"),
    ]:
        with store.unit_of_work() as uow, pytest.raises(Invalid) as refused:
            add_trunk(uow, caller, name, uri, True, False)
        assert list(refused.value.errors) == [bad]

    with store.unit_of_work() as uow:
        added = add_trunk(uow, caller, "  Office PBX ", PBX, False, False)
    assert (added.name, added.uri, added.t38, added.is_default) == ("Office PBX", PBX, False, False)
    with store.unit_of_work() as uow:
        assert trunks_page(uow, caller, PageRequest()).total == 2


def test_making_a_trunk_the_default_sends_new_numbers_to_it(
    store: FakeStore, cipher: KeyCipher, group_id: int
) -> None:
    with store.unit_of_work() as uow:
        api_key = create_account(
            uow, cipher, "owner@example.com", NOW, opening_credit=Decimal(10)
        ).api_key
    with store.unit_of_work() as uow:
        caller = authenticate(uow, api_key)
    first = caller.trunk_id

    office = new_trunk(store, caller, is_default=True)

    with store.unit_of_work() as uow:
        assert not trunk(uow, caller, first).is_default
        caller = authenticate(uow, api_key)
    assert caller.trunk_id == office.id
    number_id = provisioned(store, caller, group_id)
    assert store.tables.numbers[number_id]["trunk_id"] == office.id
    with store.unit_of_work() as uow:  # and back, by a change
        change_trunk(uow, caller, first, TrunkChanges(is_default=True))
    with store.unit_of_work() as uow:
        assert authenticate(uow, api_key).trunk_id == first
        assert not trunk(uow, caller, office.id).is_default


def test_the_default_trunk_cannot_be_unset_or_deleted(store: FakeStore, caller: Caller) -> None:
    with store.unit_of_work() as uow, pytest.raises(Conflict, match="stays the default"):
        change_trunk(uow, caller, caller.trunk_id, TrunkChanges(is_default=False))
    with store.unit_of_work() as uow, pytest.raises(Conflict):
        delete_trunk(uow, caller, caller.trunk_id, NOW)

    with store.unit_of_work() as uow:
        assert trunk(uow, caller, caller.trunk_id).is_default


def test_a_trunk_with_live_numbers_cannot_be_deleted(
    store: FakeStore, caller: Caller, group_id: int
) -> None:
    office = new_trunk(store, caller)
    number_id = provisioned(store, caller, group_id)
    routed(store, caller, number_id, office.id)

    with store.unit_of_work() as uow, pytest.raises(Conflict):
        delete_trunk(uow, caller, office.id, NOW)
    assert store.tables.trunks[office.id]["deleted_at"] is None

    with store.unit_of_work() as uow:
        release(uow, caller, number_id, NOW)  # a released number no longer holds it
    with store.unit_of_work() as uow:
        assert delete_trunk(uow, caller, office.id, NOW) == office
    with store.unit_of_work() as uow:
        assert trunks_page(uow, caller, PageRequest()).total == 1
        with pytest.raises(NotFound):
            trunk(uow, caller, office.id)
        with pytest.raises(NotFound):  # deleting twice
            delete_trunk(uow, caller, office.id, NOW)
    assert store.tables.numbers[number_id]["trunk_id"] == office.id  # kept for the record


def test_an_account_has_a_bounded_number_of_trunks(
    store: FakeStore, caller: Caller, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(trunk_rules, "MAX_TRUNKS", 2)
    office = new_trunk(store, caller)
    with pytest.raises(Conflict):
        new_trunk(store, caller)

    with store.unit_of_work() as uow:
        delete_trunk(uow, caller, office.id, NOW)
    new_trunk(store, caller)  # a deleted trunk no longer counts


def test_another_accounts_trunk_is_not_found(
    store: FakeStore, cipher: KeyCipher, caller: Caller
) -> None:
    office = new_trunk(store, caller)
    stranger = open_account(store, cipher, "stranger@example.com")

    with store.unit_of_work() as uow:
        with pytest.raises(NotFound):
            trunk(uow, stranger, office.id)
        with pytest.raises(NotFound):
            change_trunk(uow, stranger, office.id, TrunkChanges(name="Mine"))
        with pytest.raises(NotFound):
            delete_trunk(uow, stranger, office.id, NOW)
    assert store.tables.trunks[office.id]["name"] == "Office PBX"


# Numbers


def test_a_number_is_routed_only_to_a_live_trunk_of_the_account_holding_it(
    store: FakeStore, cipher: KeyCipher, caller: Caller, group_id: int
) -> None:
    child = open_account(store, cipher, "child@example.com", credit="0", parent=caller.account_id)
    stranger = open_account(store, cipher, "stranger@example.com")
    number_id = provisioned(store, child, group_id)
    parents, childs, strangers = (new_trunk(store, who) for who in (caller, child, stranger))

    for trunk_id in (parents.id, strangers.id):
        with store.unit_of_work() as uow, pytest.raises(NotFound):
            route(uow, caller, number_id, trunk_id)
    assert routed(store, caller, number_id, childs.id) == childs.id  # by the parent
    with store.unit_of_work() as uow:
        assert number(uow, child, number_id).trunk_id == childs.id

    routed(store, child, number_id, child.trunk_id)
    with store.unit_of_work() as uow:
        delete_trunk(uow, child, childs.id, NOW)
    with store.unit_of_work() as uow, pytest.raises(NotFound):
        route(uow, child, number_id, childs.id)  # deleted
    assert store.tables.numbers[number_id]["trunk_id"] == child.trunk_id


def test_releasing_a_number_ages_its_did_and_refunds_nothing(
    store: FakeStore, caller: Caller, group_id: int
) -> None:
    number_id = provisioned(store, caller, group_id)
    did_id = store.tables.numbers[number_id]["did_id"]

    with store.unit_of_work() as uow:
        released = release(uow, caller, number_id, NOW)

    assert (released.id, released.status) == (number_id, NumberStatus.RELEASED.value)
    assert store.tables.dids[did_id]["state"] == DidState.AGING
    assert store.tables.numbers[number_id]["released_at"] == NOW
    with store.unit_of_work() as uow:
        assert uow.accounts.balance(caller.account_id) == Decimal("7.00")
        assert list_numbers(uow, caller, PageRequest()).total == 0


def test_releasing_twice_is_not_found(store: FakeStore, caller: Caller, group_id: int) -> None:
    number_id = provisioned(store, caller, group_id)
    with store.unit_of_work() as uow:
        release(uow, caller, number_id, NOW)

    with store.unit_of_work() as uow, pytest.raises(NotFound):
        release(uow, caller, number_id, NOW)
    with store.unit_of_work() as uow, pytest.raises(NotFound):
        route(uow, caller, number_id, caller.trunk_id)


def test_a_stranger_can_neither_see_route_nor_release_a_number(
    store: FakeStore, cipher: KeyCipher, caller: Caller, group_id: int
) -> None:
    number_id = provisioned(store, caller, group_id)
    stranger = open_account(store, cipher, "stranger@example.com")

    with store.unit_of_work() as uow:
        with pytest.raises(NotFound):
            number(uow, stranger, number_id)
        with pytest.raises(NotFound):
            route(uow, stranger, number_id, stranger.trunk_id)
        with pytest.raises(NotFound):
            release(uow, stranger, number_id, NOW)
    assert store.tables.numbers[number_id]["released_at"] is None


# Available numbers and vanity patterns

VANITY = ["+12043291234", "+12043295555", "+12045550329", "+12047771000"]
TOLL_FREE = ["+18003290000"]


@pytest.fixture
def vanity_store(store: FakeStore) -> FakeStore:
    toll_free = GroupSpec(
        "CAN", None, "800", None, NumberType.TOLL_FREE, Decimal(0), Decimal(5), TOLL_FREE
    )
    with store.unit_of_work() as uow:
        load_groups(uow, [winnipeg_spec(VANITY), toll_free], NOW)
    return store


def available(
    store: FakeStore,
    *patterns: NumberPattern,
    number_type: NumberType | None = None,
    area_code: str | None = None,
    country: str = "CAN",
    page: PageRequest | None = None,
) -> list[str]:
    wanted = AvailableNumberFilter(
        DidGroupFilter(country_code=country, area_code=area_code), number_type, patterns
    )
    with store.unit_of_work() as uow:
        found = find_available_numbers(uow, wanted, page or PageRequest())
    assert len(found.items) <= found.total
    return [n.number for n in found.items]


@pytest.mark.parametrize(
    ("anchor", "raw", "expected"),
    [
        (Anchor.CONTAINS, "FAX", VANITY[:3] + TOLL_FREE),  # keypad: 329
        (Anchor.CONTAINS, "fax", VANITY[:3] + TOLL_FREE),
        (Anchor.STARTS_WITH, "204329", VANITY[:2]),
        (Anchor.ENDS_WITH, "FAX", [VANITY[2]]),
        (Anchor.CONTAINS, "7*71", [VANITY[3]]),  # * is any one digit
        (Anchor.STARTS_WITH, "*04", VANITY),
        (Anchor.ENDS_WITH, "1*3*", [VANITY[0]]),
        (Anchor.STARTS_WITH, "329", []),  # anchored at the national number's start
        (Anchor.CONTAINS, "12043", []),  # the country code is no part of it
    ],
)
def test_available_numbers_match_keypad_letters_wildcards_and_anchors(
    vanity_store: FakeStore, anchor: Anchor, raw: str, expected: list[str]
) -> None:
    assert available(vanity_store, NumberPattern.parse(anchor, raw)) == expected


def test_available_numbers_meet_every_filter_in_number_order_a_page_at_a_time(
    vanity_store: FakeStore,
) -> None:
    fax = NumberPattern.parse(Anchor.CONTAINS, "FAX")
    with vanity_store.unit_of_work() as uow:
        first_page = find_available_numbers(
            uow,
            AvailableNumberFilter(DidGroupFilter(country_code="CAN"), None, (fax,)),
            PageRequest(limit=2, page=2),
        )
    assert [n.number for n in first_page.items] == [VANITY[2], TOLL_FREE[0]]
    assert first_page.total == 4
    assert first_page.items[1].group.type is NumberType.TOLL_FREE
    assert available(vanity_store, fax, number_type=NumberType.TOLL_FREE) == TOLL_FREE
    assert available(vanity_store, fax, area_code="204") == VANITY[:3]
    ends_in_55 = NumberPattern.parse(Anchor.ENDS_WITH, "55")
    assert available(vanity_store, fax, ends_in_55) == [VANITY[1]]  # all patterns must match


def test_an_unknown_country_is_not_found_and_one_without_stock_lists_nothing(
    vanity_store: FakeStore,
) -> None:
    with pytest.raises(NotFound):
        available(vanity_store, country="XYZ")
    assert available(vanity_store, country="GBR") == []
    assert available(FakeStore(), country="CAN") == []  # no dial code known yet


@pytest.mark.parametrize("raw", ["1", "1" * 17, "12-3", "12 3", "+123", "12?3", "１２３"])
def test_a_pattern_is_two_to_sixteen_digits_keypad_letters_or_stars(raw: str) -> None:
    with pytest.raises(Invalid) as refused:
        NumberPattern.parse(Anchor.ENDS_WITH, raw)
    assert list(refused.value.errors) == ["endsWith"]


def test_a_pattern_becomes_one_like_text_on_the_e164_number() -> None:
    def parsed(anchor: Anchor, raw: str) -> NumberPattern:
        return NumberPattern.parse(anchor, raw)

    assert parsed(Anchor.CONTAINS, "Fax*").digits == "329?"
    assert parsed(Anchor.CONTAINS, "FAX*").like(1) == "+1%329_%"
    assert parsed(Anchor.STARTS_WITH, "20*4").like(44) == "+4420_4%"
    assert parsed(Anchor.ENDS_WITH, "0*").like(1) == "+1%0_"
    assert parsed(Anchor.STARTS_WITH, "20*4").literal_prefix(1) == "+120"
    assert parsed(Anchor.ENDS_WITH, "204").literal_prefix(1) is None


# SIP URIs


@pytest.mark.parametrize(
    "uri",
    [
        "sip:pbx.example.com",
        "sips:fax@pbx.example.com:5061",
        "sip:fax@93.184.216.34:5060",
        "sip:[2606:4700::1111]:5060",
        "sip:fax@[2606:4700::1111];transport=tcp",
        "sip:fax@pbx.example.com;maddr=93.184.216.34",
        "sip:fax@pbx.example.com;maddr=93.184.216.34:5060",
        "sip:fax@1e100.net",
        "sip:fax%2Bin@pbx.example.com:65535;transport=tls;lr",
    ],
)
def test_a_sip_uri_may_have_a_user_a_host_ipv4_or_ipv6_a_port_and_parameters(uri: str) -> None:
    assert check_sip_uri(uri) == uri


@pytest.mark.parametrize(
    "uri",
    [
        "http://pbx.example.com",
        "sip:",
        "sip:fax@",
        "sip:fax@:5060",
        "sip:pbx.example.com:0",
        "sip:pbx.example.com:70000",
        "sip:fax @pbx.example.com",
        "sip:pbx.example.com\n",
        "sip:pbx\x00.example.com",
        "sip:pbx.example.com;x=" + "1" * 240,  # too long
    ],
)
def test_a_sip_uri_is_refused_without_a_host_with_a_bad_port_or_stray_characters(uri: str) -> None:
    with pytest.raises(Invalid) as refused:
        check_sip_uri(uri)
    assert list(refused.value.errors) == ["uri"]


@pytest.mark.parametrize(
    "uri",
    [
        "sip:fax@169.254.169.254",  # cloud metadata
        "sip:fax@10.0.0.1:5060",
        "sip:fax@127.0.0.1",
        "sips:a@[::1]:5061",
        "sip:a@[::ffff:10.0.0.1]",
        "sip:a@[fe80::1]",
        "sip:a@[64:ff9b::a00:1]",  # NAT64 of 10.0.0.1
        "sip:a@192.0.2.10",  # documentation range: not public either
        "sip:a@b.com;maddr=10.0.0.1",
        "sip:a@b.com;MADDR=[::1];transport=udp",
        "sip:a@b.com;maddr=localhost",
        "sip:fax@localhost",
        "sip:fax@LOCALHOST.:5060",
        "sip:fax@pbx.localhost",
        "sip:fax@printer.local",
        "sip:fax@metadata.google.internal",
        # Addresses as a resolver's inet_aton reads them: all of them 127.0.0.1,
        # 0.0.0.0, 10.0.0.1 or 169.254.169.254.
        "sip:127.1",
        "sip:0177.0.0.1",
        "sip:0x7f.0.0.1",
        "sip:0x7f000001",
        "sip:2130706433",
        "sip:127.000.000.001",
        "sip:0",
        "sip:10.1",
        "sip:0xa9fea9fe",
        "sip:2852039166",
        "sip:169.254.43518",
        "sip:a@1.2.3.4.5",  # a number is no top-level domain
        # maddr with a port, or written with RFC 3261's escapes.
        "sip:a@b.com;maddr=127.0.0.1:5060",
        "sip:a@b.com;maddr=[::1]:5060",
        "sip:a@b.com;maddr=169.254.169.254:80",
        "sip:a@b.com;m%61ddr=127.0.0.1",
        "sip:a@b.com;%6d%61%64%64%72=127.0.0.1",
        "sip:a@b.com;maddr=127%2e0%2e0%2e1",
        # A bare IPv6 maddr is one address, not host:port.
        "sip:example.com;maddr=fe80::1",
        "sip:example.com;maddr=fd00::1",
        "sip:example.com;maddr=fe80::1%25lo",
        # Names a hosts file gives the edge itself.
        "sip:vm",
        "sip:ip6-localhost",
        "sip:localhost.localdomain",
        "sip:localhost4",
        "sip:localhost6.localdomain6",
    ],
)
def test_a_sip_uri_aimed_at_the_operators_own_network_is_refused(uri: str) -> None:
    with pytest.raises(Invalid) as refused:
        check_sip_uri(uri)
    assert list(refused.value.errors) == ["uri"]
    assert "10.0.0.1" not in uri or "non-public" in refused.value.errors["uri"][0]
    assert check_sip_uri(uri, allow_private=True) == uri  # a lab may allow them


@pytest.mark.parametrize("uri", ["sip:[:::]", "sip:[1.2.3.4]", "sip:[1:2:3:4:5:6:7:8:9]"])
def test_a_bracketed_host_must_be_an_ipv6_address(uri: str) -> None:
    with pytest.raises(Invalid) as refused:
        check_sip_uri(uri, allow_private=True)
    assert "not an IPv6 address" in refused.value.errors["uri"][0]


@pytest.mark.parametrize(
    "uri",
    [
        "sip:example.com;maddr=127.0.0.1%00",
        "sip:example.com;maddr=localhost%00",
        "sip:example.com;maddr=%EF%BC%91%EF%BC%92%EF%BC%97%EF%BC%8E0.0.1",  # full-width
        "sip:example.com;maddr=127%E3%80%820%E3%80%820%E3%80%821",  # ideographic stops
    ],
)
def test_an_escaped_maddr_that_is_no_host_name_is_refused_even_in_a_lab(uri: str) -> None:
    with pytest.raises(Invalid) as refused:
        check_sip_uri(uri, allow_private=True)
    assert "is not a host name" in refused.value.errors["uri"][0]
