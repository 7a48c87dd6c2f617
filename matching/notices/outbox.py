"""Writing to the outbox: called inside the transaction of the event that causes the notice."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import delete, or_
from sqlalchemy.ext.asyncio import AsyncSession

from matching.db import models as m
from matching.db.dialect import bulk_insert_columns, insert_ignoring_conflicts
from matching.lib import clock


def cause_key(kind: str, cause: int) -> str:
    """A notice's ``dedupe_key``: one notice of a kind per cause (an offer, a placement)."""
    return f"{kind}:{cause}"


def notice_row(
    *,
    kind: str,
    dedupe_key: str,
    worker_id: int | None,
    to_phone: str | None,
    text: str,
    locale: str = "zh",
    link: str = "",
    offer_id: int | None = None,
    placement_id: int | None = None,
) -> dict[str, Any]:
    return {
        "kind": kind,
        "dedupe_key": dedupe_key,
        "idempotency_key": uuid.uuid4().hex,
        "worker_id": worker_id,
        "offer_id": offer_id,
        "placement_id": placement_id,
        "to_phone": to_phone,
        "locale": locale,
        "text": text,
        "link": link,
        **_unsent(clock.now()),
    }


def _reachable(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The rows with a phone to send to: an erased worker has none, and nothing may reach her."""
    return [r for r in rows if r["to_phone"] is not None]


def _unsent(now: dt.datetime) -> dict[str, Any]:
    """The state of a notice just queued: due now, never tried."""
    return {"status": "pending", "attempts": 0, "next_attempt_at": now, "created_at": now}


async def enqueue(session: AsyncSession, rows: list[dict[str, Any]]) -> None:
    """Queue notices; a row whose ``dedupe_key`` exists already is skipped, so a cause that is
    handled twice (a job run twice) still sends one notice."""
    rows = _reachable(rows)
    for start in range(0, len(rows), 2000):
        await session.execute(
            insert_ignoring_conflicts(session, m.Notice), rows[start : start + 2000]
        )


async def bulk_enqueue(
    session: AsyncSession,
    kind: str,
    *,
    dedupe_keys: Sequence[str],
    worker_ids: Sequence[int],
    to_phones: Sequence[str],
    locales: Sequence[str],
    texts: Sequence[str],
    links: Sequence[str],
    offer_ids: Sequence[int],
) -> None:
    """Queue many notices of one kind whose causes are new (a match run's new offers), so
    there is nothing to deduplicate: given by column, COPY on PostgreSQL instead of INSERT …
    ON CONFLICT. (A run's snapshot leaves erased workers out, so every row has a phone.)"""
    await bulk_insert_columns(
        session,
        m.Notice,
        {
            "dedupe_key": dedupe_keys,
            "idempotency_key": [uuid.uuid4().hex for _ in dedupe_keys],
            "worker_id": worker_ids,
            "offer_id": offer_ids,
            "to_phone": to_phones,
            "locale": locales,
            "text": texts,
            "link": links,
        },
        {"kind": kind, "placement_id": None, **_unsent(clock.now())},
    )


async def forget_worker(session: AsyncSession, worker_id: int, phone: str | None) -> int:
    """Every notice to her goes, sent or not (what it said names her, and none may still be
    sent to her); also any to her phone not linked to her. The number removed."""
    n = m.Notice.__table__.c
    mine = n.worker_id == worker_id
    result = await session.execute(
        delete(m.Notice).where(or_(mine, n.to_phone == phone) if phone else mine)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]
