"""Employers (用人单位) and their openings (岗位/用工需求), one shared pool for every agency."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, CheckConstraint, Date, ForeignKey, Index, Integer, String, false
from sqlalchemy.orm import Mapped, mapped_column

from matching.db.base import Base, IdMixin
from matching.lib import clock


class Employer(IdMixin, Base):
    """An employer (用人单位) with its standing: reputation and labour protection, 0–100."""

    __tablename__ = "employers"
    __table_args__ = (
        CheckConstraint("reputation BETWEEN 0 AND 100", name="reputation"),
        CheckConstraint("labour_protection BETWEEN 0 AND 100", name="labour_protection"),
    )

    name: Mapped[str] = mapped_column(String(200))
    city: Mapped[str] = mapped_column(String(100))
    industry: Mapped[str | None] = mapped_column(String(100))
    reputation: Mapped[int] = mapped_column(Integer, default=50)
    labour_protection: Mapped[int] = mapped_column(Integer, default=50)
    partner: Mapped[bool] = mapped_column(Boolean, default=False)
    suspended: Mapped[bool] = mapped_column(Boolean, default=False)
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[dt.datetime] = mapped_column(default=clock.now)
    # The agency that registered it: every agency reads the pool, only this one (or an admin)
    # changes the employer and its openings. NULL: registered by an admin, changed by admins.
    agency_id: Mapped[int | None] = mapped_column(ForeignKey("agencies.id", ondelete="RESTRICT"))
    # A local workshop (绣花点, 绗缝厂): a placement at it is a local transfer (就地转移).
    local_workshop: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())


class Opening(IdMixin, Base):
    """An opening (岗位): an employer asks for ``headcount`` workers with given skills."""

    __tablename__ = "openings"
    __table_args__ = (
        CheckConstraint("headcount >= 1", name="headcount"),
        CheckConstraint(
            "monthly_wage_min >= 0 AND monthly_wage_min <= monthly_wage_max", name="wage"
        ),
        CheckConstraint("status IN ('open', 'closed')", name="status"),
        Index("ix_openings_status_city", "status", "city"),
        Index("ix_openings_employer", "employer_id"),
    )

    employer_id: Mapped[int] = mapped_column(ForeignKey("employers.id", ondelete="RESTRICT"))
    title: Mapped[str] = mapped_column(String(200))
    city: Mapped[str] = mapped_column(String(100))
    county: Mapped[str | None] = mapped_column(String(100))
    headcount: Mapped[int] = mapped_column(Integer)
    monthly_wage_min: Mapped[int] = mapped_column(Integer)
    monthly_wage_max: Mapped[int] = mapped_column(Integer)
    housing_provided: Mapped[bool] = mapped_column(Boolean)
    start_date: Mapped[dt.date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16), default="open")
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("accounts.id", ondelete="SET NULL")
    )
    created_at: Mapped[dt.datetime] = mapped_column(default=clock.now)
    updated_at: Mapped[dt.datetime] = mapped_column(default=clock.now)


class OpeningSkill(Base):
    """A skill an opening requires, at a minimum level 1–5."""

    __tablename__ = "opening_skills"
    __table_args__ = (CheckConstraint("min_level BETWEEN 1 AND 5", name="min_level"),)

    opening_id: Mapped[int] = mapped_column(
        ForeignKey("openings.id", ondelete="CASCADE"), primary_key=True
    )
    skill_code: Mapped[str] = mapped_column(String(32), primary_key=True)
    min_level: Mapped[int] = mapped_column(Integer)
