"""What the federation's figures need besides the work itself: each township's labour force
(总劳动力) by year, and job fairs (招聘会) with the employers at them."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from matching.db.base import Base, IdMixin
from matching.lib import clock


class LabourForce(Base):
    """The labour force of an agency's township in a year: the share transferred's denominator."""

    __tablename__ = "labour_force"
    __table_args__ = (CheckConstraint("count >= 0", name="count"),)

    agency_id: Mapped[int] = mapped_column(
        ForeignKey("agencies.id", ondelete="CASCADE"), primary_key=True
    )
    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    count: Mapped[int] = mapped_column(Integer)
    updated_at: Mapped[dt.datetime] = mapped_column(default=clock.now)
    updated_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("accounts.id", ondelete="SET NULL")
    )


class JobFair(IdMixin, Base):
    """A job fair (招聘会): employers attend, women come and ask, some are hired there."""

    __tablename__ = "job_fairs"
    __table_args__ = (
        CheckConstraint("attendees >= 0 AND consultations >= 0", name="counts"),
        Index("ix_job_fairs_date", "date"),
    )

    name: Mapped[str] = mapped_column(String(200))
    date: Mapped[dt.date] = mapped_column(Date)
    place: Mapped[str] = mapped_column(String(200))
    # The agency that holds it; NULL: the federation's own (an admin's), in everyone's figures.
    agency_id: Mapped[int | None] = mapped_column(ForeignKey("agencies.id", ondelete="RESTRICT"))
    attendees: Mapped[int] = mapped_column(Integer, default=0)
    consultations: Mapped[int] = mapped_column(Integer, default=0)
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("accounts.id", ondelete="SET NULL")
    )
    created_at: Mapped[dt.datetime] = mapped_column(default=clock.now)


class JobFairEmployer(Base):
    """An employer attending a job fair (with its openings)."""

    __tablename__ = "job_fair_employers"

    job_fair_id: Mapped[int] = mapped_column(
        ForeignKey("job_fairs.id", ondelete="CASCADE"), primary_key=True
    )
    employer_id: Mapped[int] = mapped_column(
        ForeignKey("employers.id", ondelete="CASCADE"), primary_key=True
    )
