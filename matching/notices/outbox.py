"""Writing to the outbox: called inside the transaction of the event that causes the notice."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from typing import Any

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
    to_phone: str,
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


def _unsent(now: dt.datetime) -> dict[str, Any]:
    """The state of a notice just queued: due now, never tried."""
    return {"status": "pending", "attempts": 0, "next_attempt_at": now, "created_at": now}


async def enqueue(session: AsyncSession, rows: list[dict[str, Any]]) -> None:
    """Queue notices; a row whose ``dedupe_key`` exists already is skipped, so a cause that is
    handled twice (a job run twice) still sends one notice."""
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
    ON CONFLICT."""
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
