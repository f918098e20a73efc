"""The delivery worker: sends each endpoint's queued events, oldest first, signed.

A worker leases an endpoint before sending to it, so however many processes and
machines share the outbox, one endpoint's deliveries go out one at a time and in the
order they were queued. A failing delivery holds the ones behind it until it succeeds
or its retry window ends. Endpoints take turns (a few deliveries or seconds each, the
longest unserved first, at most `per_account` of one account at once), so a busy or
slow account cannot hold back the others. A lease outlives the longest attempt, so a
worker that dies mid-delivery leaves its endpoints to others once the lease runs out:
every committed event is delivered at least once (a repeat carries the same webhook-id).
"""

import asyncio
import logging
import os
import secrets
import socket
import time
from collections.abc import Awaitable, Callable
from datetime import datetime
from functools import partial
from typing import Any, Protocol

from faxnum.domain.webhooks import (
    Attempt,
    DeliveryPolicy,
    DeliveryStatus,
    EventType,
    Outgoing,
    Target,
    disables,
    gives_up,
    retry_delay,
)
from faxnum.security.key_cipher import KeyCipher
from faxnum.security.webhook_signing import signature_header
from faxnum.services.events import queue
from faxnum.services.unit_of_work import UnitOfWork

log = logging.getLogger(__name__)
Run = Callable[[Callable[[UnitOfWork], Any]], Awaitable[Any]]


class SendOutcome(Protocol):
    @property
    def status_code(self) -> int | None: ...
    @property
    def duration_ms(self) -> int: ...
    @property
    def error(self) -> str | None: ...
    @property
    def excerpt(self) -> str | None: ...
    @property
    def ok(self) -> bool: ...


class Send(Protocol):
    async def post(self, url: str, body: bytes, headers: dict[str, str]) -> SendOutcome: ...


def new_owner() -> str:
    return f"{socket.gethostname()[:30]}:{os.getpid()}:{secrets.token_hex(4)}"


class DeliveryWorker:
    def __init__(
        self,
        read: Run,
        write: Run,
        sender: Send,
        cipher: KeyCipher,
        clock: Callable[[], datetime],
        policy: DeliveryPolicy,
        owner: str | None = None,
    ) -> None:
        self._read, self._write, self._sender = read, write, sender
        self._cipher, self._clock, self._policy = cipher, clock, policy
        self.owner = owner or new_owner()
        self.attempts = 0  # sent by this worker, successful or not
        self._draining: dict[int, asyncio.Task[None]] = {}
        self._accounts: dict[int, int] = {}  # endpoint being served -> its account
        self._turn_ended = asyncio.Event()

    async def run_forever(self) -> None:
        """Look for due endpoints every `poll_s`, and as soon as an endpoint's turn ends."""
        while True:
            self._turn_ended.clear()
            try:
                await self.start_due()
            except Exception:  # the next round retries; it must never stop the server
                log.exception("webhook delivery round failed")
            try:  # not wait_for: on Python 3.11 it can swallow a cancellation
                async with asyncio.timeout(self._policy.poll_s):
                    await self._turn_ended.wait()
            except TimeoutError:
                pass

    async def start_due(self) -> int:
        """Lease endpoints that have something due, up to the worker's width and at most
        `per_account` of one account at a time, the longest unserved first; start a turn
        on each. How many were started."""
        free = self._policy.endpoints_at_once - len(self._draining)
        if free <= 0:
            return 0
        now = self._clock()
        wanted = 4 * self._policy.endpoints_at_once  # room to skip a crowded account
        due = await self._read(partial(_due, now=now, limit=wanted))
        started = 0
        for webhook_id, account_id in due:
            busy = sum(1 for account in self._accounts.values() if account == account_id)
            if webhook_id in self._draining or busy >= self._policy.per_account:
                continue
            until = now + self._policy.lease
            leased = partial(_lease, webhook_id=webhook_id, owner=self.owner, now=now, until=until)
            if await self._write(leased):
                task = asyncio.create_task(self._turn(webhook_id))
                self._draining[webhook_id] = task
                self._accounts[webhook_id] = account_id
                task.add_done_callback(partial(self._turn_done, webhook_id))
                started += 1
                if started >= free:
                    break
        return started

    def _turn_done(self, webhook_id: int, _: "asyncio.Task[None]") -> None:
        self._draining.pop(webhook_id, None)
        self._accounts.pop(webhook_id, None)
        self._turn_ended.set()

    async def deliver_until_idle(self) -> None:
        """Deliver whatever is due now, to the end (tests and `faxnum webhooks deliver
        --once`): until a round sends nothing."""
        while True:
            attempts = self.attempts
            await self.start_due()
            await asyncio.gather(*self._draining.values(), return_exceptions=True)
            if self.attempts == attempts:
                return

    async def stop(self) -> None:
        for task in list(self._draining.values()):
            task.cancel()
        await asyncio.gather(*self._draining.values(), return_exceptions=True)

    async def _turn(self, webhook_id: int) -> None:
        """One endpoint's turn: its oldest deliveries in order, at most `batch` of them
        and for at most `turn_s`; then the lease goes back, and the endpoint waits its
        next turn behind the others that are due."""
        try:
            await self._send_batch(webhook_id)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("webhook %d: delivery failed", webhook_id)
        finally:
            await asyncio.shield(
                self._write(
                    partial(_end_lease, webhook_id=webhook_id, owner=self.owner, now=self._clock())
                )
            )

    async def _send_batch(self, webhook_id: int) -> None:
        target, head = await self._read(
            partial(_target_and_head, webhook_id=webhook_id, limit=self._policy.batch)
        )
        if target is None or not target.enabled:
            return
        ends = time.monotonic() + self._policy.turn_s
        for outgoing in head:
            if outgoing.next_attempt_at > self._clock() or time.monotonic() > ends:
                return  # held back until its retry, or this turn is over
            if not await self._attempt(target, outgoing):
                return

    async def _attempt(self, target: Target, outgoing: Outgoing) -> bool:
        """One try; True when the queue may go on to the next delivery."""
        started_at = self._clock()
        headers = {
            "webhook-id": outgoing.message_id,
            "webhook-timestamp": str(int(started_at.timestamp())),
            "webhook-signature": signature_header(
                self._signing_secrets(target, started_at),
                outgoing.message_id,
                started_at,
                outgoing.body,
            ),
        }
        result = await self._sender.post(target.url, outgoing.body.encode(), headers)
        self.attempts += 1
        attempt = Attempt(
            outgoing.attempts + 1,
            started_at,
            result.status_code,
            result.duration_ms,
            result.error,
            result.excerpt,
        )
        return bool(
            await self._write(
                partial(
                    record_outcome,
                    target=target,
                    outgoing=outgoing,
                    attempt=attempt,
                    owner=self.owner,
                    now=self._clock(),
                    policy=self._policy,
                )
            )
        )

    def _signing_secrets(self, target: Target, now: datetime) -> list[str]:
        sealed = target.secrets
        found = [self._cipher.decrypt(sealed.current)]
        if sealed.previous is not None and sealed.previous_until and sealed.previous_until > now:
            found.append(self._cipher.decrypt(sealed.previous))
        return found


def record_outcome(
    uow: UnitOfWork,
    target: Target,
    outgoing: Outgoing,
    attempt: Attempt,
    owner: str,
    now: datetime,
    policy: DeliveryPolicy,
) -> bool:
    """The attempt in the log; the delivery done, retried later or given up; the
    endpoint's failing history, and the endpoint disabled after days of failing. True
    when the queue may go on to its next delivery."""
    webhook_id = target.webhook_id
    lease_until = now + policy.lease
    delivery_id = outgoing.delivery_id
    if attempt.error is None:
        if not uow.outbox.record_attempt(
            webhook_id, delivery_id, attempt, DeliveryStatus.SUCCEEDED, None
        ):
            return False  # deleted with its endpoint meanwhile
        kept = uow.outbox.endpoint_state(
            webhook_id, owner, failing_since=None, retry_at=None, lease_until=lease_until
        )
        uow.commit()
        return kept
    first = outgoing.first_attempt_at or attempt.started_at
    next_try = now + retry_delay(attempt.attempt, policy.retry_base)
    status = DeliveryStatus.PENDING
    retry_at: datetime | None = next_try
    if gives_up(first, next_try):
        status, retry_at = DeliveryStatus.FAILED, None
    failing_since = uow.outbox.failing_since(webhook_id) or attempt.started_at
    if not uow.outbox.record_attempt(webhook_id, delivery_id, attempt, status, retry_at):
        return False
    kept = uow.outbox.endpoint_state(
        webhook_id, owner, failing_since=failing_since, retry_at=retry_at, lease_until=lease_until
    )
    if disables(failing_since, now) and _disable(uow, target, failing_since, now):
        uow.commit()
        return False
    uow.commit()
    return kept and status is DeliveryStatus.FAILED


def _disable(uow: UnitOfWork, target: Target, failing_since: datetime, now: datetime) -> bool:
    reason = f"Failing since {failing_since.isoformat(timespec='seconds')}: disabled."
    if not uow.webhooks.disable(target.webhook_id, reason):
        return False
    log.warning("webhook %d disabled after failing for days", target.webhook_id)
    others = uow.webhooks.others_of(target.account_id, target.webhook_id)
    if others:
        data = {"webhook_id": target.webhook_id, "url": target.url, "reason": reason}
        queue(uow, target.account_id, EventType.WEBHOOK_DISABLED, data, now, others)
    return True


def _due(uow: UnitOfWork, now: datetime, limit: int) -> list[tuple[int, int]]:
    return uow.outbox.due_webhooks(now, limit)


def _lease(uow: UnitOfWork, webhook_id: int, owner: str, now: datetime, until: datetime) -> bool:
    leased = uow.outbox.lease(webhook_id, owner, now, until)
    uow.commit()
    return leased


def _end_lease(uow: UnitOfWork, webhook_id: int, owner: str, now: datetime) -> None:
    uow.outbox.end_lease(webhook_id, owner, now)
    uow.commit()


def _target_and_head(
    uow: UnitOfWork, webhook_id: int, limit: int
) -> tuple[Target | None, list[Outgoing]]:
    return uow.outbox.target(webhook_id), uow.outbox.queue_head(webhook_id, limit)
