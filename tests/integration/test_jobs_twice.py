"""A job that runs twice sends once, on both databases, even when its own guard cannot help:
two schedulers a split second apart both read the same offers as not yet reminded. The
outbox's dedupe key (kind and cause) is then what keeps her from a second SMS.

The second scheduler's stale read is made by clearing ``reminded_at`` between the two runs
of the job (``workers/jobs.py``, the scheduler's own entry point)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import async_sessionmaker

from matching.db import models as m
from matching.lib import clock
from matching.lib.context import Context
from tests.integration.test_offers import offered_world
from tests.support import Api
from workers.jobs import JobRuntime, remind_expiring_offers


async def test_reminders_read_twice_are_sent_once(api: Api, settings: Any) -> None:
    w = await offered_world(api)
    offers = len(w["offer_of"])
    rt = JobRuntime(async_sessionmaker(api.engine), Context.from_settings(settings))
    clock.travel(dt.timedelta(days=settings.offer_days) - dt.timedelta(hours=12))
    assert await remind_expiring_offers(rt) == {"reminded": offers}
    async with api.engine.begin() as conn:  # the other scheduler read before this one wrote
        await conn.execute(update(m.Offer).values(reminded_at=None))
    assert await remind_expiring_offers(rt) == {"reminded": offers}  # it tries again ...
    async with api.engine.connect() as conn:
        keys = (
            await conn.execute(select(m.Notice.dedupe_key).where(m.Notice.kind == "offer_expiring"))
        ).scalars()
        sent = sorted(keys)
    # ... and she still gets one reminder per offer, keyed by it
    assert sent == sorted(f"offer_expiring:{oid}" for oid in w["offer_of"].values())
