"""The outbox dispatcher: claim due notices, send them through a channel, record the outcome.

Like a job's edge it owns its transactions, and keeps them short: one to claim a batch, none
while sending, one to record what happened. A claim is a lease (status ``sending`` with
``next_attempt_at`` = now + lease): if the process dies between sending and recording, the
lease runs out and a later run sends the notice again with the same ``idempotency_key``, so
the gateway can drop the repeat. Delivery is therefore at least once, and exactly once for a
gateway that honours the key.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import math
import random
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import Table, and_, bindparam, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from matching.db import models as m
from matching.db.dialect import dialect_name
from matching.lib import clock, logs
from matching.lib.context import Context
from matching.notices.channels import LANE_SIZE, LANES, Channel, Outgoing

log = logging.getLogger("laowu.notices")

N = cast(Table, m.Notice.__table__)
C = N.c

CONCURRENCY = LANES * LANE_SIZE  # 32 sends at once, one per gateway connection
MIN_LEASE = dt.timedelta(seconds=60)
BACKOFF_CAP = dt.timedelta(hours=1)
ERROR_LEN = 500


@dataclass(slots=True)
class DispatchResult:
    """Counts of one dispatch: claimed from the outbox, and what became of them."""

    claimed: int = 0
    sent: int = 0
    retried: int = 0
    failed: int = 0

    def __iadd__(self, other: DispatchResult) -> DispatchResult:
        self.claimed += other.claimed
        self.sent += other.sent
        self.retried += other.retried
        self.failed += other.failed
        return self


@dataclass(frozen=True, slots=True)
class _Claimed:
    notice: Outgoing
    attempts: int  # after this claim; also fences our outcome against a later claim


def lease_for(ctx: Context, batch: int) -> dt.timedelta:
    """Long enough for the slowest batch (every send timing out), so a live dispatcher's rows
    are never re-claimed by another while it is still sending them."""
    waves = math.ceil(batch / CONCURRENCY)
    worst = dt.timedelta(seconds=waves * ctx.settings.webhook_timeout_seconds + 30)
    return max(MIN_LEASE, worst)


def backoff(ctx: Context, attempts: int) -> dt.timedelta:
    """Exponential backoff with full jitter: uniform in [0, min(cap, base · 2^(attempts−1))].

    Full jitter spreads a crowd of notices that failed together (the gateway was down) over
    the whole window, instead of sending them back in one burst when it returns.
    """
    base = max(ctx.settings.notice_backoff_seconds, 1)
    ceiling = min(BACKOFF_CAP.total_seconds(), base * 2 ** min(max(attempts - 1, 0), 30))
    return dt.timedelta(seconds=random.uniform(0, ceiling))  # noqa: S311 - jitter, not a secret


def _due(now: dt.datetime) -> Any:
    return and_(C.status.in_(["pending", "sending"]), C.next_attempt_at <= now)


def _lock_skipping(session: AsyncSession, stmt: Any) -> Any:
    """On PostgreSQL, lock the selected rows and skip those another dispatcher holds, so that
    concurrent dispatchers (several schedulers during a failover) split the due rows instead
    of waiting on or double-claiming each other's. SQLite has one writer at a time."""
    if dialect_name(session) == "postgresql":
        return stmt.with_for_update(skip_locked=True)
    return stmt


async def _give_up_on_abandoned(session: AsyncSession, ctx: Context, now: dt.datetime) -> int:
    """A lease that ran out after the last allowed attempt: the process died each time while
    sending (a notice that crashes it?). Stop rather than send it for ever."""
    abandoned = select(C.id).where(
        C.status == "sending",
        C.next_attempt_at <= now,
        C.attempts >= ctx.settings.notice_max_attempts,
    )
    ids = (await session.execute(_lock_skipping(session, abandoned))).scalars().all()
    if not ids:
        return 0
    result = await session.execute(
        update(N)
        .where(C.id.in_(list(ids)), C.status == "sending", C.next_attempt_at <= now)
        .values(
            status="failed",
            last_error="the dispatcher stopped while sending it, on every attempt",
        )
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


async def _claim(
    session: AsyncSession, ctx: Context, batch: int, now: dt.datetime
) -> tuple[list[_Claimed], int]:
    given_up = await _give_up_on_abandoned(session, ctx, now)
    due = select(C.id).where(_due(now)).order_by(C.next_attempt_at, C.id).limit(batch)
    # The conditional update below re-checks each row, so SQLite's plain select is safe too.
    ids: Sequence[int] = (await session.execute(_lock_skipping(session, due))).scalars().all()
    if not ids:
        return [], given_up
    rows = (
        await session.execute(
            update(N)
            .where(C.id.in_(list(ids)), _due(now))
            .values(
                status="sending",
                next_attempt_at=now + lease_for(ctx, batch),
                attempts=C.attempts + 1,
            )
            .returning(
                C.id,
                C.idempotency_key,
                C.to_phone,
                C.kind,
                C.text,
                C.link,
                C.locale,
                C.attempts,
            )
        )
    ).all()
    claimed = [
        _Claimed(
            Outgoing(
                id=r.id,
                idempotency_key=r.idempotency_key,
                to=r.to_phone,
                template=r.kind,
                text=r.text,
                link=r.link,
                locale=r.locale,
            ),
            r.attempts,
        )
        for r in rows
    ]
    claimed.sort(key=lambda c: c.notice.id)
    return claimed, given_up


async def _send_all(channel: Channel, claimed: list[_Claimed]) -> list[str | None]:
    """Send concurrently, at most CONCURRENCY at a time; answer each one's error or None."""
    gate = asyncio.Semaphore(CONCURRENCY)

    async def one(c: _Claimed) -> str | None:
        async with gate:
            # gather runs each in a task of its own: this binding is this notice's only.
            logs.set_fields(notice_id=c.notice.id)
            try:
                await channel.send(c.notice)
            except Exception as exc:  # any failure of a channel is a failed attempt
                error = (str(exc) or type(exc).__name__)[:ERROR_LEN]
                log.warning("notice %s: attempt %d failed: %s", c.notice.id, c.attempts, error)
                return error
            log.debug("notice %s: sent by %s", c.notice.id, channel.name)
            return None

    return list(await asyncio.gather(*(one(c) for c in claimed)))


async def _mark(
    session: AsyncSession,
    ctx: Context,
    claimed: list[_Claimed],
    errors: list[str | None],
    now: dt.datetime,
) -> DispatchResult:
    result = DispatchResult(claimed=len(claimed))
    sent = [c.notice.id for c, e in zip(claimed, errors, strict=True) if e is None]
    if sent:
        # Delivered is delivered, even if our lease ran out meanwhile and another run
        # re-claimed the row (it re-sends with the same key; the gateway drops the repeat).
        await session.execute(
            update(N)
            .where(C.id.in_(sent), C.status != "sent")
            .values(status="sent", sent_at=now, last_error=None)
        )
        result.sent = len(sent)
    retry: list[dict[str, Any]] = []
    for c, error in zip(claimed, errors, strict=True):
        if error is None:
            continue
        final = c.attempts >= ctx.settings.notice_max_attempts
        retry.append(
            {
                "b_id": c.notice.id,
                "b_attempts": c.attempts,
                "b_status": "failed" if final else "pending",
                "b_next": now if final else now + backoff(ctx, c.attempts),
                "b_error": error,
            }
        )
        if final:
            result.failed += 1
        else:
            result.retried += 1
    if retry:
        # Only while the row is still ours: same attempt count and still being sent.
        await session.execute(
            update(N)
            .where(
                C.id == bindparam("b_id"),
                C.attempts == bindparam("b_attempts"),
                C.status == "sending",
            )
            .values(
                status=bindparam("b_status"),
                next_attempt_at=bindparam("b_next"),
                last_error=bindparam("b_error"),
            ),
            retry,
        )
    return result


async def dispatch_due(
    sessionmaker: async_sessionmaker[AsyncSession],
    ctx: Context,
    channel: Channel,
    *,
    batch: int = 200,
) -> DispatchResult:
    """Claim up to ``batch`` due notices, send them, record the outcome; answer the counts.

    Safe to run concurrently and twice: rows are claimed under a lease, and outcomes are
    recorded only for rows this run still holds.
    """
    async with sessionmaker() as session, session.begin():
        claimed, given_up = await _claim(session, ctx, batch, clock.now())
    if not claimed:
        return DispatchResult(failed=given_up)
    errors = await _send_all(channel, claimed)
    async with sessionmaker() as session, session.begin():
        result = await _mark(session, ctx, claimed, errors, clock.now())
    result.failed += given_up
    return result


async def drain(
    sessionmaker: async_sessionmaker[AsyncSession],
    ctx: Context,
    channel: Channel,
    *,
    batch: int = 200,
    max_batches: int = 50,
) -> DispatchResult:
    """Dispatch batch after batch while batches come back full (a backlog), at most
    ``max_batches``, so one scheduler tick can clear thousands without running for ever."""
    total = DispatchResult()
    for _ in range(max_batches):
        result = await dispatch_due(sessionmaker, ctx, channel, batch=batch)
        total += result
        if result.claimed < batch:
            break
    return total


__all__ = ["DispatchResult", "backoff", "dispatch_due", "drain", "lease_for"]
