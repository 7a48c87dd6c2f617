"""After placement: tasks for offices, rights cases (维权案件), employer standing, bans,
training (技能培训) and the unified fee schedule (统一收费)."""

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
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from matching.db.base import Base, IdMixin
from matching.lib import clock

CASE_TYPES = (
    "wage_arrears",
    "unpaid_overtime",
    "unfair_dismissal",
    "contract_violation",
    "injury",
    "harassment",
    "housing",
    "other",
)
CASE_STATUSES = ("open", "mediating", "resolved", "escalated", "closed")
CASE_OUTCOMES = ("upheld", "partly_upheld", "not_upheld", "withdrawn_by_worker", "referred")


class CheckinLink(Base):
    """The code in a follow-up notice (``/c/{code}``): her check-in answers for one follow-up."""

    __tablename__ = "checkin_links"

    code: Mapped[str] = mapped_column(String(24), primary_key=True)
    follow_up_id: Mapped[int] = mapped_column(
        ForeignKey("follow_ups.id", ondelete="CASCADE"), unique=True
    )
    worker_id: Mapped[int] = mapped_column(ForeignKey("worker_profiles.id", ondelete="CASCADE"))
    expires_at: Mapped[dt.datetime] = mapped_column()
    used_at: Mapped[dt.datetime | None] = mapped_column()


class Task(IdMixin, Base):
    """Work for an office: a worrying check-in, a check-in never answered, a case to handle."""

    __tablename__ = "tasks"
    __table_args__ = (
        CheckConstraint("status IN ('open', 'done')", name="status"),
        Index("ix_tasks_agency_status", "agency_id", "status"),
    )

    kind: Mapped[str] = mapped_column(String(32))
    dedupe_key: Mapped[str] = mapped_column(String(100), unique=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id", ondelete="RESTRICT"))
    office_id: Mapped[int | None] = mapped_column(ForeignKey("offices.id", ondelete="SET NULL"))
    worker_id: Mapped[int] = mapped_column(ForeignKey("worker_profiles.id", ondelete="CASCADE"))
    placement_id: Mapped[int | None] = mapped_column(
        ForeignKey("placements.id", ondelete="CASCADE")
    )
    follow_up_id: Mapped[int | None] = mapped_column(
        ForeignKey("follow_ups.id", ondelete="SET NULL")
    )
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id", ondelete="SET NULL"))
    summary: Mapped[str] = mapped_column(String(500))
    status: Mapped[str] = mapped_column(String(16), default="open")
    created_at: Mapped[dt.datetime] = mapped_column(default=clock.now)
    done_at: Mapped[dt.datetime | None] = mapped_column()
    done_by: Mapped[str | None] = mapped_column(String(32))
    note: Mapped[str | None] = mapped_column(String(1000))


class Case(IdMixin, Base):
    """A rights case (维权案件): open → mediating → resolved | escalated | closed."""

    __tablename__ = "cases"
    __table_args__ = (
        CheckConstraint(
            "status IN ('open', 'mediating', 'resolved', 'escalated', 'closed')", name="status"
        ),
        CheckConstraint("money_claimed >= 0 AND money_recovered >= 0", name="money"),
        Index("ix_cases_office_status", "office_id", "status"),
        Index("ix_cases_agency_status", "agency_id", "status"),
    )

    type: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(16), default="open")
    placement_id: Mapped[int] = mapped_column(ForeignKey("placements.id", ondelete="RESTRICT"))
    worker_id: Mapped[int] = mapped_column(ForeignKey("worker_profiles.id", ondelete="CASCADE"))
    employer_id: Mapped[int] = mapped_column(ForeignKey("employers.id", ondelete="RESTRICT"))
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id", ondelete="RESTRICT"))
    office_id: Mapped[int | None] = mapped_column(ForeignKey("offices.id", ondelete="SET NULL"))
    summary: Mapped[str] = mapped_column(String(1000))
    money_claimed: Mapped[int] = mapped_column(Integer, default=0)
    money_recovered: Mapped[int] = mapped_column(Integer, default=0)
    outcome: Mapped[str | None] = mapped_column(String(32))
    opened_by: Mapped[str] = mapped_column(String(32))
    opened_at: Mapped[dt.datetime] = mapped_column(default=clock.now)
    closed_at: Mapped[dt.datetime | None] = mapped_column()
    version: Mapped[int] = mapped_column(Integer, default=1)


class CaseEntry(IdMixin, Base):
    """One dated line of a case's log: who did what. Append-only."""

    __tablename__ = "case_entries"
    __table_args__ = (Index("ix_case_entries_case", "case_id", "id"),)

    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"))
    at: Mapped[dt.datetime] = mapped_column(default=clock.now)
    who: Mapped[str] = mapped_column(String(100))
    action: Mapped[str] = mapped_column(String(32))
    text: Mapped[str] = mapped_column(Text)
    status_from: Mapped[str | None] = mapped_column(String(16))
    status_to: Mapped[str | None] = mapped_column(String(16))
    amount: Mapped[int | None] = mapped_column(Integer)


class StandingChange(IdMixin, Base):
    """Every move of an employer's reputation or labour-protection score, with its cause."""

    __tablename__ = "standing_changes"
    __table_args__ = (
        Index("ix_standing_changes_employer", "employer_id", "id"),
        UniqueConstraint("cause_key", "field"),
    )

    employer_id: Mapped[int] = mapped_column(ForeignKey("employers.id", ondelete="CASCADE"))
    field: Mapped[str] = mapped_column(String(24))
    old: Mapped[int] = mapped_column(SmallInteger)
    new: Mapped[int] = mapped_column(SmallInteger)
    cause: Mapped[str] = mapped_column(String(300))
    cause_key: Mapped[str] = mapped_column(String(100))  # e.g. "case:12", "day90:7": once each
    at: Mapped[dt.datetime] = mapped_column(default=clock.now)


class EmployerBan(Base):
    """She left this employer through a dismissal or a case: never proposed there again."""

    __tablename__ = "employer_bans"

    worker_id: Mapped[int] = mapped_column(
        ForeignKey("worker_profiles.id", ondelete="CASCADE"), primary_key=True
    )
    employer_id: Mapped[int] = mapped_column(
        ForeignKey("employers.id", ondelete="CASCADE"), primary_key=True
    )
    reason: Mapped[str] = mapped_column(String(100))
    at: Mapped[dt.datetime] = mapped_column(default=clock.now)


class Course(IdMixin, Base):
    """A training course: certifies a skill at a level, or legal-rights training."""

    __tablename__ = "courses"
    __table_args__ = (
        CheckConstraint("level IS NULL OR level BETWEEN 1 AND 5", name="level"),
        CheckConstraint("fee >= 0", name="fee"),
    )

    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id", ondelete="RESTRICT"))
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(16))  # "skill" or "legal_rights"
    skill_code: Mapped[str | None] = mapped_column(String(32))
    level: Mapped[int | None] = mapped_column(SmallInteger)
    fee: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[dt.datetime] = mapped_column(default=clock.now)


class TrainingSession(IdMixin, Base):
    """One run of a course: dates, place, capacity."""

    __tablename__ = "training_sessions"
    __table_args__ = (CheckConstraint("capacity >= 1", name="capacity"),)

    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"))
    starts_on: Mapped[dt.date] = mapped_column(Date)
    ends_on: Mapped[dt.date] = mapped_column(Date)
    place: Mapped[str] = mapped_column(String(200))
    capacity: Mapped[int] = mapped_column(Integer)
    version: Mapped[int] = mapped_column(Integer, default=1)


class Enrolment(IdMixin, Base):
    """A worker in a training session; free (fee waived, recorded) for priority groups."""

    __tablename__ = "enrolments"
    __table_args__ = (
        UniqueConstraint("session_id", "worker_id"),
        CheckConstraint("status IN ('enrolled', 'completed', 'withdrawn')", name="status"),
    )

    session_id: Mapped[int] = mapped_column(ForeignKey("training_sessions.id", ondelete="CASCADE"))
    worker_id: Mapped[int] = mapped_column(ForeignKey("worker_profiles.id", ondelete="CASCADE"))
    status: Mapped[str] = mapped_column(String(16), default="enrolled")
    fee_due: Mapped[int] = mapped_column(Integer)
    fee_waived: Mapped[bool] = mapped_column(Boolean)
    enrolled_at: Mapped[dt.datetime] = mapped_column(default=clock.now)
    completed_on: Mapped[dt.date | None] = mapped_column(Date)


class FeeSchedule(IdMixin, Base):
    """An agency's published fee schedule (统一收费); a new version replaces the old."""

    __tablename__ = "fee_schedules"
    __table_args__ = (UniqueConstraint("agency_id", "version"),)

    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id", ondelete="RESTRICT"))
    version: Mapped[int] = mapped_column(Integer)
    rules: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    published_at: Mapped[dt.datetime] = mapped_column(default=clock.now)
    published_by: Mapped[str] = mapped_column(String(32))
