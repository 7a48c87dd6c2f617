"""What the federation's figures need besides the work itself: each township's labour force
(总劳动力) by year, and job fairs (招聘会) with the employers at them."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
)
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
    # The unguessable code of its self-registration page (``/f/{code}``, the QR code's link).
    register_code: Mapped[str] = mapped_column(String(32), unique=True)
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


REGISTRATION_STATUSES = ("queued", "confirmed", "duplicate", "rejected", "expired")


class FairRegistration(IdMixin, Base):
    """A woman's self-registration at a fair (from its QR code), queued for staff to confirm
    into the register or reject. Her personal fields are blanked once it is handled, and a
    queued entry is deleted after the retention period (``docs/privacy.md``)."""

    __tablename__ = "fair_registrations"
    __table_args__ = (
        CheckConstraint(
            "status IN ('queued', 'confirmed', 'duplicate', 'rejected', 'expired')", name="status"
        ),
        Index("ix_fair_registrations_fair_status", "job_fair_id", "status"),
        Index("ix_fair_registrations_created_at", "created_at"),
    )

    job_fair_id: Mapped[int] = mapped_column(ForeignKey("job_fairs.id", ondelete="CASCADE"))
    status: Mapped[str] = mapped_column(String(16), default="queued")
    name: Mapped[str | None] = mapped_column(String(100))
    phone: Mapped[str | None] = mapped_column(String(32))
    birth_date: Mapped[dt.date | None] = mapped_column(Date)
    home_county: Mapped[str | None] = mapped_column(String(100))
    skills: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON(none_as_null=True))
    willing_to_relocate: Mapped[bool | None] = mapped_column(Boolean)
    # The consent text she ticked (its code) and when: the event recorded on confirmation.
    consent_version: Mapped[str] = mapped_column(String(16))
    consented_at: Mapped[dt.datetime] = mapped_column()
    created_at: Mapped[dt.datetime] = mapped_column(default=clock.now)
    handled_at: Mapped[dt.datetime | None] = mapped_column()
    handled_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("accounts.id", ondelete="SET NULL")
    )
    # Confirmed: the worker she became; duplicate: the worker already registered.
    worker_id: Mapped[int | None] = mapped_column(
        ForeignKey("worker_profiles.id", ondelete="SET NULL")
    )


class WageChange(Base):
    """The summary's kept table of labour income (``matching/db/wage_changes.py``): on each day,
    by how much the monthly wages being earned changed, per agency, destination city and
    whether she is a woman. A placement adds its wage on its start date and, once ended, takes
    it off the day after its end date; ``running`` holds the wages of placements not yet ended
    apart, since they earn up to today. Kept in the transaction of every write that changes a
    placement's dates or wage, her sex or its opening's city; the income of a period is a sum
    over a few hundred of these rows instead of every placement active in it."""

    __tablename__ = "wage_changes"

    day: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    agency_id: Mapped[int] = mapped_column(
        ForeignKey("agencies.id", ondelete="CASCADE"), primary_key=True, autoincrement=False
    )
    city: Mapped[str] = mapped_column(String(100), primary_key=True)
    woman: Mapped[bool] = mapped_column(Boolean, primary_key=True)
    running: Mapped[bool] = mapped_column(Boolean, primary_key=True)
    wage: Mapped[int] = mapped_column(BigInteger, default=0)
