"""Importing an operator's DIDs: every number validated, groups created or matched by
(country, area code, city, type), committed batch by batch.

Idempotent and resumable: a number already in inventory is counted as existing and
left alone, so importing the same file again (or again after an interruption) adds
only what is missing. A row is one DID insert, so it is never half-imported.
"""

from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import datetime
from decimal import Decimal
from functools import partial
from itertools import islice
from multiprocessing import get_context
from typing import TypeVar

from faxnum.domain.money import parse_amount
from faxnum.domain.numbers import DidState, GroupSpec, NewDid, NumberType
from faxnum.numbering.classify import NumberFacts, Rejected, classify
from faxnum.numbering.countries import alpha2_and_alpha3
from faxnum.services.inventory import GroupResolver
from faxnum.services.unit_of_work import UnitOfWorkFactory

T = TypeVar("T")

# Rows per transaction: on SQLite one batch holds the one write lock, so a running
# server's provisions wait at most one batch (about 6 ms for 250 rows with the search
# index and stock triggers; 5,000 rows took 118 ms).
BATCH_SIZE = 250
MAX_TRUNK_LENGTH = 100
# Rows validated per hand-off to worker processes (validation is pure Python, about
# 80 µs a number): the first window is validated here, so a small file starts no process.
WINDOW = 4_000
CHUNK = 500


@dataclass(frozen=True)
class InventoryRow:
    """One line of an inventory file; only `number` is required."""

    line: int
    number: str
    country: str | None = None
    area_code: str | None = None
    city: str | None = None
    type: str | None = None
    setup_price: str | None = None
    monthly_price: str | None = None
    trunk: str | None = None
    state: str | None = None


@dataclass(frozen=True)
class Rejection:
    line: int
    number: str
    reason: str


@dataclass
class ImportReport:
    rows: int = 0
    added: int = 0
    existing: int = 0
    groups_created: int = 0
    rejected: list[Rejection] = field(default_factory=list)


@dataclass(frozen=True)
class _Accepted:
    group: GroupSpec
    did: NewDid


def import_inventory(
    unit_of_work: UnitOfWorkFactory,
    rows: Iterable[InventoryRow],
    default_setup: Decimal,
    default_monthly: Decimal,
    now: datetime,
    batch_size: int = BATCH_SIZE,
    on_batch: Callable[[ImportReport], None] | None = None,
    workers: int = 1,
) -> ImportReport:
    """`workers` > 1: rows beyond the first window are validated in that many processes
    (the same function, so the same verdicts), while this one writes."""
    report = ImportReport()
    first_line_of: dict[str, int] = {}
    groups = GroupResolver()
    judge = partial(_judge, default_setup=default_setup, default_monthly=default_monthly)
    for batch in _batches(_judged(rows, judge, workers), batch_size):
        accepted = []
        for row, item in batch:
            report.rows += 1
            if isinstance(item, Rejected):
                report.rejected.append(Rejection(row.line, row.number, str(item)))
                continue
            duplicate_of = first_line_of.setdefault(item.did.number, row.line)
            if duplicate_of != row.line:
                report.rejected.append(
                    Rejection(row.line, row.number, f"duplicate of line {duplicate_of}")
                )
                continue
            accepted.append(item)
        with unit_of_work() as uow:
            dids = [
                replace(item.did, group_id=groups.resolve(uow, item.group)) for item in accepted
            ]
            added = uow.dids.add_missing(dids, now)
            uow.commit()
        groups.committed()
        report.groups_created = groups.created
        report.added += added
        report.existing += len(accepted) - added
        if on_batch is not None:
            on_batch(report)
    return report


def _batches(items: Iterable[T], size: int) -> Iterator[list[T]]:
    iterator = iter(items)
    while batch := list(islice(iterator, size)):
        yield batch


_Verdict = tuple[InventoryRow, "_Accepted | Rejected"]


def _judged(
    rows: Iterable[InventoryRow],
    judge: Callable[[InventoryRow], "_Accepted | Rejected"],
    workers: int,
) -> Iterator[_Verdict]:
    """Each row with its verdict, in order. With worker processes, the next window is
    handed out before this one's verdicts are used, so they validate while we write."""
    windows = _batches(rows, WINDOW)
    first = next(windows, [])
    yield from zip(first, map(judge, first), strict=True)
    if workers <= 1:
        for window in windows:
            yield from zip(window, map(judge, window), strict=True)
        return
    # spawn: a fork would copy this process's open database connections and threads.
    with ProcessPoolExecutor(workers, mp_context=get_context("spawn")) as pool:
        ahead: Iterator[_Verdict] = iter(())
        for window in windows:
            verdicts = pool.map(judge, window, chunksize=CHUNK)  # submitted now
            yield from ahead
            ahead = zip(window, verdicts, strict=True)
        yield from ahead


def _judge(
    row: InventoryRow, default_setup: Decimal, default_monthly: Decimal
) -> "_Accepted | Rejected":
    try:
        return _accept(row, default_setup, default_monthly)
    except Rejected as rejection:
        return rejection


def _accept(row: InventoryRow, default_setup: Decimal, default_monthly: Decimal) -> _Accepted:
    alpha2, alpha3 = _country(row.country)
    facts = classify(row.number, alpha2)
    if alpha3 is not None and facts.country_code != alpha3:
        raise Rejected(f"number belongs to {facts.country_code}, not {alpha3}")
    area_code = (row.area_code or "").strip() or facts.area_code
    if area_code != facts.area_code:
        raise Rejected(f"area code {area_code} does not match the number ({facts.area_code})")
    trunk = (row.trunk or "").strip() or None
    if trunk is not None and len(trunk) > MAX_TRUNK_LENGTH:
        raise Rejected(f"trunk longer than {MAX_TRUNK_LENGTH} characters")
    group = GroupSpec(
        country_code=facts.country_code,
        state_code=facts.state_code,
        area_code=area_code,
        city_name=(row.city or "").strip().upper() or facts.city_name,
        type=_type(row.type, facts),
        setup_price=_price("setup price", row.setup_price, default_setup),
        monthly_price=_price("monthly price", row.monthly_price, default_monthly),
    )
    return _Accepted(group, NewDid(0, facts.e164, trunk, _state(row.state)))


def _country(raw: str | None) -> tuple[str | None, str | None]:
    """A country column, alpha-3 as in the API or alpha-2: (alpha-2, alpha-3)."""
    if not (raw or "").strip():
        return None, None
    found = alpha2_and_alpha3(raw or "")
    if found is None:
        raise Rejected(f"unknown country {raw!r}")
    return found


# Held by an account or a reservation where the file came from, which this inventory
# does not have: such DIDs come in out of stock (blocked), never to be handed out twice.
_ARRIVES_AS = {
    DidState.AVAILABLE: DidState.AVAILABLE,
    DidState.BLOCKED: DidState.BLOCKED,
    DidState.AGING: DidState.AGING,
    DidState.ASSIGNED: DidState.BLOCKED,
    DidState.RESERVED: DidState.BLOCKED,
}


def _state(raw: str | None) -> DidState:
    text = (raw or "").strip().lower()
    if not text:
        return DidState.AVAILABLE
    try:
        return _ARRIVES_AS[DidState(text)]
    except ValueError as exc:
        raise Rejected(f"unknown state {raw!r}") from exc


def _type(raw: str | None, facts: NumberFacts) -> NumberType:
    text = (raw or "").strip().upper().replace("-", "_").replace(" ", "_")
    if not text:
        return facts.type
    try:
        given = NumberType(text)
    except ValueError as exc:
        raise Rejected(f"unknown type {raw!r}") from exc
    if given is not facts.type:
        raise Rejected(f"type {given.value} contradicts the number ({facts.type.value})")
    return given


def _price(name: str, raw: str | None, default: Decimal) -> Decimal:
    if raw is None or not raw.strip():
        return default
    try:
        return parse_amount(raw)
    except ValueError as exc:
        raise Rejected(f"invalid {name} {raw!r}") from exc
