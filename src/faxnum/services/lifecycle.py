"""Renewal, expiry and release: numbers move on as their paid periods end.

Each number is settled in its own transaction with guarded updates, so renewal is
idempotent (a second run on the same day finds nothing due) and safe to run from
several processes at once.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, TypeVar, cast

from faxnum.domain.dates import add_months
from faxnum.domain.errors import InsufficientBalance
from faxnum.domain.lifecycle import LifecyclePolicy
from faxnum.domain.numbers import DueCursor, DueNumber, NumberStatus
from faxnum.domain.webhooks import DELIVERY_LOG_KEPT, EventType
from faxnum.services.billing import charge
from faxnum.services.events import due_number_data, emit
from faxnum.services.unit_of_work import UnitOfWork, UnitOfWorkFactory

# Rows per transaction in a run: each holds SQLite's write lock for a few milliseconds.
BATCH = 500
Cursor = TypeVar("Cursor")


@dataclass
class RenewalReport:
    renewed_months: int = 0
    expired: int = 0
    released: int = 0
    recycled: int = 0
    warned: int = 0

    def __str__(self) -> str:
        return (
            f"renewed {self.renewed_months} number-months; expired {self.expired}; "
            f"released {self.released}; DIDs back in stock after aging: {self.recycled}; "
            f"expiry warnings: {self.warned}"
        )


def renew_due(
    unit_of_work: UnitOfWorkFactory,
    today: date,
    now: datetime,
    policy: LifecyclePolicy,
    reader: UnitOfWorkFactory | None = None,
) -> RenewalReport:
    """`reader`: where the list of due numbers is read, outside any write transaction
    (on SQLite a write transaction holds the one write lock)."""
    report = RenewalReport()
    after: DueCursor | None = None
    while True:
        with (reader or unit_of_work)() as uow:
            due = uow.numbers.due(today, after, BATCH)
        for number in due:
            with unit_of_work() as uow:
                _settle(uow, number, today, now, policy, report)
        if len(due) < BATCH:
            break
        after = (due[-1].expiration_date, due[-1].id)
    report.warned = _warn_expiring(unit_of_work, today, now)
    aged_before = now - timedelta(days=policy.aging_days)
    report.recycled = _in_batches(
        unit_of_work, lambda uow, at: uow.dids.recycle_aged(aged_before, now, at, BATCH)
    )
    keys_before, log_before = (
        now - timedelta(hours=policy.idempotency_hours),
        now - DELIVERY_LOG_KEPT,
    )
    _in_batches(unit_of_work, lambda uow, at: uow.idempotency.purge(keys_before, at or 0, BATCH))
    _in_batches(unit_of_work, lambda uow, at: uow.outbox.purge(log_before, at or 0, BATCH))
    return report


def _in_batches(
    unit_of_work: UnitOfWorkFactory,
    step: Callable[[UnitOfWork, Cursor | None], tuple[int, Cursor | None]],
) -> int:
    """Run `step` a transaction per batch, from cursor to cursor, until it says it is
    done; how many rows it changed in all. A batch holds the write lock briefly; a
    cursor (not "until nothing is left") ends a dry run, whose batches roll back."""
    changed, cursor = 0, None
    while True:
        with unit_of_work() as uow:
            done, cursor = step(uow, cursor)
            uow.commit()
        changed += done
        if cursor is None:
            return changed


def _warn_expiring(unit_of_work: UnitOfWorkFactory, today: date, now: datetime) -> int:
    """`number.expiring`, once per paid period, a batch per transaction."""
    warned, after = 0, 0
    while True:
        with unit_of_work() as uow:
            batch = uow.numbers.expiring(today, after, BATCH)
            for number in batch:
                if uow.numbers.mark_expiring_sent(number.id, number.expiration_date):
                    data = due_number_data(number, number.expiration_date, number.status)
                    data["days_left"] = (number.expiration_date - today).days
                    emit(uow, number.account_id, EventType.NUMBER_EXPIRING, data, now)
                    warned += 1
            uow.commit()
        if len(batch) < BATCH:
            return warned
        after = batch[-1].id


def _settle(
    uow: UnitOfWork,
    number: DueNumber,
    today: date,
    now: datetime,
    policy: LifecyclePolicy,
    report: RenewalReport,
) -> None:
    """Charge every month that has come; what stays unpaid expires, then is released."""
    paid_until, months = _pay_due_months(uow, number, today, now)
    if months and not uow.numbers.extend(number.id, number.expiration_date, paid_until):
        return  # settled meanwhile by another process: our charges roll back
    report.renewed_months += months
    if months:
        data = due_number_data(number, paid_until, NumberStatus.ACTIVE.value)
        data["months_renewed"] = months
        emit(uow, number.account_id, EventType.NUMBER_RENEWED, data, now)
    if paid_until <= today:
        if today > paid_until + timedelta(days=policy.grace_days):
            if uow.numbers.release(number.id, now) and uow.dids.start_aging(number.did_id, now):
                report.released += 1
                data = due_number_data(number, paid_until, NumberStatus.RELEASED.value)
                emit(uow, number.account_id, EventType.NUMBER_RELEASED, data, now)
        elif uow.numbers.mark_expired(number.id):
            report.expired += 1
            data = due_number_data(number, paid_until, NumberStatus.EXPIRED.value)
            emit(uow, number.account_id, EventType.NUMBER_EXPIRED, data, now)
    uow.commit()


def _pay_due_months(
    uow: UnitOfWork, number: DueNumber, today: date, now: datetime
) -> tuple[date, int]:
    paid_until, months = number.expiration_date, 0
    while paid_until <= today:
        try:
            charge(
                uow,
                number.payer_id,
                number.monthly_price,
                f"Renewed {number.did_number} from {paid_until.isoformat()}",
                now,
                number_id=number.id,
                actor_id=number.account_id,
                kind="renewal",
            )
        except InsufficientBalance:
            break
        paid_until, months = add_months(paid_until, 1), months + 1
    return paid_until, months


class _Uncommitted:
    """A unit of work whose commit keeps nothing: everything rolls back on leaving."""

    def __init__(self, inner: UnitOfWork) -> None:
        self._inner = inner

    def __enter__(self) -> "_Uncommitted":
        self._inner.__enter__()
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self._inner.__exit__(*exc_info)

    def commit(self) -> None:
        """Kept uncommitted on purpose."""

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)


def dry_run(unit_of_work: UnitOfWorkFactory) -> UnitOfWorkFactory:
    """Units of work that roll everything back: `renew_due` through them reports what a
    run would charge, expire, release and recycle, and changes nothing."""
    return lambda: cast(UnitOfWork, _Uncommitted(unit_of_work()))
