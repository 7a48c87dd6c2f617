"""The scheduler's log of job executions (任务记录): one row per tick of a job that fired."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, CheckConstraint, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from matching.db.base import Base, IdMixin

JOB_OUTCOMES = ("running", "ok", "failed", "missed")


class JobRun(IdMixin, Base):
    """One execution (or missed execution) of a scheduled job, written by ``workers/``.

    The row is inserted when the job starts (``running``) and closed with ``ok`` or ``failed``;
    a tick the scheduler could not fire in time is recorded as ``missed``. ``(job,
    scheduled_at)`` is unique: inserting the row is the job's claim on its tick, so two
    schedulers that both believe they lead still fire a tick once.
    """

    __tablename__ = "job_runs"
    __table_args__ = (
        UniqueConstraint("job", "scheduled_at"),
        CheckConstraint("outcome IN ('running', 'ok', 'failed', 'missed')", name="outcome"),
        Index("ix_job_runs_started", "started_at"),
    )

    job: Mapped[str] = mapped_column(String(64))
    scheduled_at: Mapped[dt.datetime] = mapped_column()
    started_at: Mapped[dt.datetime | None] = mapped_column()
    finished_at: Mapped[dt.datetime | None] = mapped_column()
    pid: Mapped[int] = mapped_column(Integer)
    host: Mapped[str] = mapped_column(String(255))
    outcome: Mapped[str] = mapped_column(String(16), default="running")
    counts: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    error: Mapped[str | None] = mapped_column(Text)
