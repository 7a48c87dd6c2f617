"""The access log (查阅记录): who read which worker's personal data, when, through what."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import BigInteger, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from matching.db.base import Base

ACCESS_ACTIONS = (
    "worker.read",
    "worker.list",
    "worker.consents",
    "worker.offers",
    "worker.training",
    "worker.export",
    "placement.read",
    "placement.list",
    "proposal.list",
    "match.outcome",
    "console.worker.list",
    "console.worker.view",
    "console.worker.export",
    "console.run.view",
    "console.candidates",
    # a list exported as a spreadsheet: one row per worker in it
    "worker.list.export",
    "case.list.export",
    "placement.list.export",
    "followup.list.export",
    "console.worker.list.export",
    "console.case.list.export",
    "console.placement.list.export",
    "console.followup.list.export",
)
"""What a row says was done: the API route or console page that showed her data."""


class AccessLogEntry(Base):
    """One read of one worker's personal data. Append-only: the code has no update or delete
    of it. ``worker_id`` and ``actor_id`` are plain numbers, not foreign keys, so that no
    cascade (an account or a worker removed) can rewrite what was read; ``detail`` never
    holds her name, phone or ID number, only what the read was (a list's page, an id)."""

    __tablename__ = "access_log"
    __table_args__ = (
        Index("ix_access_log_worker_at", "worker_id", "at"),
        Index("ix_access_log_actor_at", "actor_id", "at"),
        Index("ix_access_log_at", "at"),
    )

    # A busy service writes many of these: 64-bit on PostgreSQL (SQLite's rowid is already).
    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer(), "sqlite"), primary_key=True, autoincrement=True
    )
    at: Mapped[dt.datetime] = mapped_column()
    actor_id: Mapped[int | None] = mapped_column(Integer)
    """The account that read (None: the system, e.g. a command-line export)."""
    action: Mapped[str] = mapped_column(String(32))
    worker_id: Mapped[int] = mapped_column(Integer)
    request_id: Mapped[str | None] = mapped_column(String(64))
    detail: Mapped[str | None] = mapped_column(String(200))
