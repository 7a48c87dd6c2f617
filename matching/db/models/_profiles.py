"""Worker profiles (务工人员): the women an agency registers, with skills and priority groups."""

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
    String,
    false,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from matching.db.base import Base, IdMixin
from matching.lib import clock


class WorkerProfile(IdMixin, Base):
    """A registered worker (务工人员). Public path: ``/api/v1/workers``."""

    __tablename__ = "worker_profiles"
    __table_args__ = (
        CheckConstraint("status IN ('available', 'offered', 'placed', 'inactive')", name="status"),
        CheckConstraint("sex IN ('female', 'male')", name="sex"),
        Index("ix_worker_profiles_agency_status", "agency_id", "status"),
        # the console's worker list (40,000 workers): its count, its pages by id and its name
        # or phone search read these partial indexes alone, without a row lookup per worker
        Index(
            "ix_worker_profiles_live_list",
            "agency_id",
            "id",
            "name",
            "phone",
            sqlite_where=text("erased_at IS NULL"),
            postgresql_where=text("erased_at IS NULL"),
        ),
        Index(
            "ix_worker_profiles_live_status",
            "agency_id",
            "status",
            "id",
            "name",
            "phone",
            sqlite_where=text("erased_at IS NULL"),
            postgresql_where=text("erased_at IS NULL"),
        ),
    )

    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id", ondelete="RESTRICT"))
    name: Mapped[str] = mapped_column(String(100))
    # Her phone, birth date and home county are NULL only once she is erased (``erased_at``);
    # registration and every change require them.
    phone: Mapped[str | None] = mapped_column(String(20), unique=True)
    birth_date: Mapped[dt.date | None] = mapped_column(Date)
    home_county: Mapped[str | None] = mapped_column(String(100))
    # For the federation's figures only (how many women were transferred): read from her ID
    # number where there is one, declared otherwise. No rule of matching reads it.
    sex: Mapped[str | None] = mapped_column(String(8))
    willing_to_relocate: Mapped[bool] = mapped_column(Boolean)
    preferred_cities: Mapped[list[str]] = mapped_column(JSON, default=list)
    min_monthly_wage: Mapped[int | None] = mapped_column(Integer)
    needs_housing: Mapped[bool] = mapped_column(Boolean)
    available_from: Mapped[dt.date | None] = mapped_column(Date)
    consent_matching: Mapped[bool] = mapped_column(Boolean)
    consent_at: Mapped[dt.datetime | None] = mapped_column()
    """When her current consent to matching was given; kept when she withdraws it (the
    withdrawal, and every consent before, are rows of ``consents``)."""
    # Separate consent to holding sensitive information (her priority groups; PIPL art. 28/29).
    consent_sensitive: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # ID number: encrypted, a keyed hash for duplicate lookup, and the masked form for display.
    id_number_enc: Mapped[str | None] = mapped_column(String(200))
    id_number_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    id_number_masked: Mapped[str | None] = mapped_column(String(18))
    locale: Mapped[str] = mapped_column(String(8), default="zh")
    status: Mapped[str] = mapped_column(String(16), default="available")
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("accounts.id", ondelete="SET NULL")
    )
    created_at: Mapped[dt.datetime] = mapped_column(default=clock.now)
    updated_at: Mapped[dt.datetime] = mapped_column(default=clock.now)
    # Set when her identity was erased (PIPL art. 47; see ``Erasure``): she is found by no read.
    erased_at: Mapped[dt.datetime | None] = mapped_column()


class WorkerSkill(Base):
    """A skill a worker holds, level 1–5, declared or certified by training (技能培训)."""

    __tablename__ = "worker_skills"
    __table_args__ = (
        CheckConstraint("level BETWEEN 1 AND 5", name="level"),
        Index("ix_worker_skills_code_level", "skill_code", "level"),
    )

    worker_id: Mapped[int] = mapped_column(
        ForeignKey("worker_profiles.id", ondelete="CASCADE"), primary_key=True
    )
    skill_code: Mapped[str] = mapped_column(String(32), primary_key=True)
    level: Mapped[int] = mapped_column(Integer)
    source: Mapped[str] = mapped_column(String(16), default="declared")
    certified_on: Mapped[dt.date | None] = mapped_column(Date)


class WorkerGroup(Base):
    """Membership of a priority group (重点群体), e.g. poor household (贫困户)."""

    __tablename__ = "worker_groups"
    __table_args__ = (Index("ix_worker_groups_code", "group_code"),)

    worker_id: Mapped[int] = mapped_column(
        ForeignKey("worker_profiles.id", ondelete="CASCADE"), primary_key=True
    )
    group_code: Mapped[str] = mapped_column(String(32), primary_key=True)


CONSENT_KINDS = ("matching", "sensitive")
CONSENT_CHANNELS = ("in_person", "phone_page", "sms")


class Consent(IdMixin, Base):
    """One consent event: she gave or withdrew a consent (PIPL arts. 14-16, 29), to which text,
    through which channel, recorded by whom. Never updated: the history of her consents."""

    __tablename__ = "consents"
    __table_args__ = (
        CheckConstraint("kind IN ('matching', 'sensitive')", name="kind"),
        CheckConstraint("channel IN ('in_person', 'phone_page', 'sms')", name="channel"),
        Index("ix_consents_worker_at", "worker_id", "at"),
    )

    worker_id: Mapped[int] = mapped_column(ForeignKey("worker_profiles.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16))
    given: Mapped[bool] = mapped_column(Boolean)
    text_version: Mapped[str] = mapped_column(String(16))
    channel: Mapped[str] = mapped_column(String(16))
    recorded_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("accounts.id", ondelete="SET NULL")
    )
    at: Mapped[dt.datetime] = mapped_column(default=clock.now)


class Erasure(Base):
    """The record of an erasure (PIPL art. 47): who erased her, when, why, and what was kept
    without her identity (and why) or removed. Holds nothing of her but her row's id."""

    __tablename__ = "erasures"

    worker_id: Mapped[int] = mapped_column(
        ForeignKey("worker_profiles.id", ondelete="CASCADE"), primary_key=True
    )
    at: Mapped[dt.datetime] = mapped_column(default=clock.now)
    by_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id", ondelete="SET NULL"))
    reason: Mapped[str] = mapped_column(String(500))
    kept: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    removed: Mapped[dict[str, int]] = mapped_column(JSON)


class PriorityPolicy(IdMixin, Base):
    """Which priority groups (重点群体) are placed first in matching: one row per change an
    admin makes, the newest in force; none yet means the reference list's defaults."""

    __tablename__ = "priority_policies"

    groups: Mapped[list[str]] = mapped_column(JSON)
    """The codes that carry priority from ``changed_at`` on; every other group is recorded only."""
    note: Mapped[str | None] = mapped_column(String(500))
    changed_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("accounts.id", ondelete="SET NULL")
    )
    changed_at: Mapped[dt.datetime] = mapped_column(default=clock.now, index=True)
