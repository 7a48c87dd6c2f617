"""Match runs (匹配批次), their proposals (推荐) and the offers (录用通知) made to workers."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    Text,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from matching.db.base import Base, IdMixin
from matching.lib import clock

RUN_STATUSES = ("queued", "running", "done", "failed")
OFFER_STATUSES = ("pending", "accepted", "declined", "expired", "confirmed", "withdrawn")
LIVE_OFFER_STATUSES = ("pending", "accepted")


class MatchRun(IdMixin, Base):
    """One run of the engine over one consistent snapshot (匹配批次)."""

    __tablename__ = "match_runs"
    __table_args__ = (
        CheckConstraint("status IN ('queued', 'running', 'done', 'failed')", name="status"),
        CheckConstraint("share >= 1 AND share <= shares", name="share"),
        # At most one live run per share: `live` is TRUE while queued or running and NULL
        # after, and a unique index ignores NULLs on both databases. That runs of different
        # `shares` overlap is checked under a lock (`repository.lock_runs`).
        Index("uq_match_runs_live_share", "live", "shares", "share", unique=True),
    )

    status: Mapped[str] = mapped_column(String(16), default="queued")
    live: Mapped[bool | None] = mapped_column(Boolean, default=True)
    dry_run: Mapped[bool] = mapped_column(Boolean, default=False)
    trigger: Mapped[str] = mapped_column(String(16), default="api")
    requested_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("accounts.id", ondelete="SET NULL")
    )
    created_at: Mapped[dt.datetime] = mapped_column(default=clock.now)
    started_at: Mapped[dt.datetime | None] = mapped_column()
    finished_at: Mapped[dt.datetime | None] = mapped_column()
    error: Mapped[str | None] = mapped_column(Text)
    stats: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    audit: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    timings: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # Until when the run is known alive: set when it is queued, renewed by the process that
    # runs it. A live run whose lease ran out (or has none) died with its process.
    lease_until: Mapped[dt.datetime | None] = mapped_column()
    # The share of the markets it covered: K of N (1 of 1, every market, unless partitioned).
    share: Mapped[int] = mapped_column(default=1, server_default="1")
    shares: Mapped[int] = mapped_column(default=1, server_default="1")


class Proposal(IdMixin, Base):
    """The engine's proposal of one worker for one opening, with its reasons (推荐)."""

    __tablename__ = "proposals"
    __table_args__ = (
        Index("ix_proposals_run_worker", "run_id", "worker_id", unique=True),
        Index("ix_proposals_run_opening", "run_id", "opening_id"),
        Index("ix_proposals_worker", "worker_id"),
    )

    run_id: Mapped[int] = mapped_column(ForeignKey("match_runs.id", ondelete="CASCADE"))
    worker_id: Mapped[int] = mapped_column(ForeignKey("worker_profiles.id", ondelete="CASCADE"))
    opening_id: Mapped[int] = mapped_column(ForeignKey("openings.id", ondelete="CASCADE"))
    score: Mapped[int] = mapped_column(Integer)
    priority: Mapped[bool] = mapped_column(Boolean)
    parts: Mapped[dict[str, int]] = mapped_column(JSON)
    # Each reason: {"kind": ..., "zh": ..., "en": ...}, kind one of engine.REASON_KINDS;
    # employers are shown only the kinds in matches.service.EMPLOYER_SEES.
    reasons: Mapped[list[dict[str, str]]] = mapped_column(JSON)
    runners_up: Mapped[list[int]] = mapped_column(JSON)


class Unproposed(Base):
    """Why a worker considered in a run was not proposed ("why not me")."""

    __tablename__ = "unproposed"

    run_id: Mapped[int] = mapped_column(
        ForeignKey("match_runs.id", ondelete="CASCADE"), primary_key=True
    )
    worker_id: Mapped[int] = mapped_column(
        ForeignKey("worker_profiles.id", ondelete="CASCADE"), primary_key=True
    )
    reason: Mapped[int] = mapped_column(SmallInteger)
    zh: Mapped[str] = mapped_column(String(300))
    en: Mapped[str] = mapped_column(String(300))


class Offer(IdMixin, Base):
    """An offer to a worker (录用通知): pending until she answers or it expires.

    Its reasons are those of the proposal with the same ``run_id`` and ``worker_id``.
    """

    __tablename__ = "offers"
    __table_args__ = (
        CheckConstraint(
            "status IN ('pending', 'accepted', 'declined', 'expired', 'confirmed', 'withdrawn')",
            name="status",
        ),
        # One live offer per worker, enforced by the database itself.
        Index(
            "uq_offers_worker_live",
            "worker_id",
            unique=True,
            postgresql_where=text("status IN ('pending', 'accepted')"),
            sqlite_where=text("status IN ('pending', 'accepted')"),
        ),
        Index("ix_offers_opening_status", "opening_id", "status"),
        Index("ix_offers_status_expires", "status", "expires_at"),
        # The hires at job fairs (the summary's, a fair's page): the few offers made at one.
        Index(
            "ix_offers_job_fair",
            "job_fair_id",
            postgresql_where=text("job_fair_id IS NOT NULL"),
            sqlite_where=text("job_fair_id IS NOT NULL"),
        ),
    )

    run_id: Mapped[int | None] = mapped_column(ForeignKey("match_runs.id", ondelete="SET NULL"))
    worker_id: Mapped[int] = mapped_column(ForeignKey("worker_profiles.id", ondelete="CASCADE"))
    opening_id: Mapped[int] = mapped_column(ForeignKey("openings.id", ondelete="CASCADE"))
    status: Mapped[str] = mapped_column(String(16), default="pending")
    created_at: Mapped[dt.datetime] = mapped_column(default=clock.now)
    expires_at: Mapped[dt.datetime] = mapped_column()
    responded_at: Mapped[dt.datetime | None] = mapped_column()
    responded_by: Mapped[str | None] = mapped_column(String(32))  # "worker" or "staff:<id>"
    reason: Mapped[str | None] = mapped_column(String(500))
    reminded_at: Mapped[dt.datetime | None] = mapped_column()  # the "about to expire" notice
    # The job fair (招聘会) it was confirmed at, if any: the fair's hires.
    job_fair_id: Mapped[int | None] = mapped_column(ForeignKey("job_fairs.id", ondelete="SET NULL"))
    version: Mapped[int] = mapped_column(Integer, default=1)
