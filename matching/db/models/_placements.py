"""Placements (输送/就业), their follow-ups (回访) and the worker's offer links."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from matching.db.base import Base, IdMixin
from matching.lib import clock


class OfferLink(Base):
    """The short code in a worker's notice (``/o/{code}``): one offer, her own, until it expires."""

    __tablename__ = "offer_links"

    code: Mapped[str] = mapped_column(String(24), primary_key=True)
    offer_id: Mapped[int] = mapped_column(ForeignKey("offers.id", ondelete="CASCADE"), unique=True)
    worker_id: Mapped[int] = mapped_column(ForeignKey("worker_profiles.id", ondelete="CASCADE"))
    expires_at: Mapped[dt.datetime] = mapped_column()
    used_at: Mapped[dt.datetime | None] = mapped_column()
    created_at: Mapped[dt.datetime] = mapped_column(default=clock.now)


COUNTED = [
    "ended_on", "agency_id", "worker_id", "employer_id", "in_home_county", "counted_city",
    "counted_woman",
    "next_start", "next_start_city", "next_start_agency", "next_start_place",
]  # fmt: skip


ENDED = ["end_reason", "worker_id", "agency_id", "counted_city"]


class Placement(IdMixin, Base):
    """A confirmed hire (就业): the worker at the employer from the start date."""

    __tablename__ = "placements"
    __table_args__ = (
        CheckConstraint("status IN ('active', 'ended')", name="status"),
        CheckConstraint("monthly_wage >= 0", name="monthly_wage"),
        # The summary's distinct counts read a period's placements from this index alone
        # (an index-only scan on PostgreSQL): what they count, scope and join.
        Index("ix_placements_start_date", "start_date", postgresql_include=COUNTED),
        # ... and those placed again after a dismissal, with the days they waited.
        Index(
            "ix_placements_reemployed",
            "start_date",
            postgresql_include=["ended_on", "agency_id", "worker_id", "counted_city"],
            postgresql_where=text("reemployed_after_days IS NOT NULL"),
            sqlite_where=text("reemployed_after_days IS NOT NULL"),
        ),
        # The summary's dismissals in a period, read from the index alone on PostgreSQL.
        Index("ix_placements_ended_on", "ended_on", postgresql_include=ENDED),
        Index("ix_placements_worker", "worker_id"),
        Index("ix_placements_opening", "opening_id"),
    )

    offer_id: Mapped[int] = mapped_column(ForeignKey("offers.id", ondelete="RESTRICT"), unique=True)
    worker_id: Mapped[int] = mapped_column(ForeignKey("worker_profiles.id", ondelete="CASCADE"))
    opening_id: Mapped[int] = mapped_column(ForeignKey("openings.id", ondelete="RESTRICT"))
    employer_id: Mapped[int] = mapped_column(ForeignKey("employers.id", ondelete="RESTRICT"))
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id", ondelete="RESTRICT"))
    start_date: Mapped[dt.date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16), default="active")
    ended_on: Mapped[dt.date | None] = mapped_column(Date)
    end_reason: Mapped[str | None] = mapped_column(String(32))
    end_note: Mapped[str | None] = mapped_column(String(1000))
    confirmed_by: Mapped[str] = mapped_column(String(32))
    # The unified fee (统一收费), computed at confirmation from the published schedule.
    fee_due: Mapped[int] = mapped_column(Integer, default=0)
    fee_waived: Mapped[bool] = mapped_column(Boolean, default=False)
    fee_schedule_id: Mapped[int | None] = mapped_column(
        ForeignKey("fee_schedules.id", ondelete="RESTRICT")
    )
    fee_schedule_version: Mapped[int | None] = mapped_column(Integer)
    # Re-employment (再就业): days from the end of her last placement to this one.
    reemployed_after_days: Mapped[int | None] = mapped_column(Integer)
    day90_credited: Mapped[bool] = mapped_column(Boolean, default=False)
    # What she is paid a month: agreed at confirmation, then what she reports at check-ins.
    # Her labour income (劳务收入) is this over the days the placement was active.
    monthly_wage: Mapped[int] = mapped_column(Integer)
    # Work in her home county (就地转移): decided when she is placed, so the figures stand
    # when her profile is later corrected or erased.
    in_home_county: Mapped[bool] = mapped_column(Boolean, default=False)
    # The start of her next placement that happened (in the order (start_date, id)): of all
    # hers; in the same destination city; in the same agency; in both. Null when there is none
    # (or this one never happened). Kept by ``matching.db.next_starts``; the summary counts a
    # worker once in a period by the one placement of hers in it whose next start is after it.
    next_start: Mapped[dt.date | None] = mapped_column(Date)
    next_start_city: Mapped[dt.date | None] = mapped_column(Date)
    next_start_agency: Mapped[dt.date | None] = mapped_column(Date)
    next_start_place: Mapped[dt.date | None] = mapped_column(Date)
    # Copies the same module keeps, so that the summary joins neither: the opening's city and
    # whether she is a woman (her profile's sex).
    counted_city: Mapped[str | None] = mapped_column(String(100))
    counted_woman: Mapped[bool | None] = mapped_column(Boolean)
    created_at: Mapped[dt.datetime] = mapped_column(default=clock.now)
    version: Mapped[int] = mapped_column(Integer, default=1)


class FollowUp(IdMixin, Base):
    """A follow-up (回访) due on day 7, 30 or 90 after the start date."""

    __tablename__ = "follow_ups"
    __table_args__ = (
        UniqueConstraint("placement_id", "n"),
        CheckConstraint("status IN ('scheduled', 'due', 'done', 'missed')", name="status"),
        Index("ix_follow_ups_due", "status", "due_on"),
    )

    placement_id: Mapped[int] = mapped_column(ForeignKey("placements.id", ondelete="CASCADE"))
    n: Mapped[int] = mapped_column(SmallInteger)
    due_on: Mapped[dt.date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16), default="scheduled")
    answers: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    channel: Mapped[str | None] = mapped_column(String(16))
    recorded_by: Mapped[str | None] = mapped_column(String(32))
    answered_at: Mapped[dt.datetime | None] = mapped_column()
