"""Request and response bodies for match runs, proposals and offers."""

from __future__ import annotations

import datetime as dt
from typing import Any

from matching.lib.types import Request, Response


class RunRequest(Request):
    dry_run: bool = False
    share: int = 1  # K of N: the share of the markets to run over (1 of 1: all of them)
    shares: int = 1


class RunStats(Response):
    workers_considered: int = 0
    openings_considered: int = 0
    proposals: int = 0
    priority_proposals: int = 0
    eligible_pairs: int = 0
    quality_total: int = 0
    offers: int = 0
    dropped_stale: int = 0
    markets: int = 0  # of its share (every market when whole)
    pool_workers: int = 0  # in the snapshot, before it was cut to the share
    pool_openings: int = 0


class MatchRunOut(Response):
    id: int
    status: str
    dry_run: bool
    trigger: str
    created_at: dt.datetime
    started_at: dt.datetime | None
    finished_at: dt.datetime | None
    error: str | None
    stats: RunStats
    audit: dict[str, Any]
    timings: dict[str, float]
    share: int = 1  # the share K of N of the markets it covered
    shares: int = 1


class MatchRunPage(Response):
    items: list[MatchRunOut]
    total: int


class ProposalOut(Response):
    worker_id: int
    worker_name: str
    opening_id: int
    opening_title: str
    score: int
    reasons: list[str]
    parts: dict[str, int]
    runners_up: list[int]
    priority: bool | None = None  # hidden (None) from employer accounts


class ProposalPage(Response):
    items: list[ProposalOut]
    total: int


class UnproposedOut(Response):
    worker_id: int
    worker_name: str
    reason: str
    """The one rule that stopped her, or the better-placed competitor."""


class UnproposedPage(Response):
    items: list[UnproposedOut]
    total: int


class WorkerOutcome(Response):
    """'Why her, why not me': a worker's result in one run."""

    worker_id: int
    proposed: bool
    opening_id: int | None
    reasons: list[str]


# --- the priority policy (``policy.py``) ---
