"""The agency network: agencies (劳务中介公司), their city offices (办事处) and staff accounts."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column

from matching.db.base import Base, IdMixin
from matching.lib import clock


class Agency(IdMixin, Base):
    """A township labour agency (劳务中介公司)."""

    __tablename__ = "agencies"

    name: Mapped[str] = mapped_column(String(200), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=clock.now)


class Office(IdMixin, Base):
    """An agency's office in a destination city (办事处), e.g. Shanghai or Suzhou."""

    __tablename__ = "offices"
    __table_args__ = (UniqueConstraint("agency_id", "name"),)

    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id", ondelete="RESTRICT"))
    name: Mapped[str] = mapped_column(String(200))
    city: Mapped[str] = mapped_column(String(100), index=True)
    phone: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[dt.datetime] = mapped_column(default=clock.now)


class Account(IdMixin, Base):
    """A login: an admin, agency staff (scoped to one agency) or an employer's clerk."""

    __tablename__ = "accounts"
    __table_args__ = (
        CheckConstraint("role IN ('admin', 'staff', 'employer')", name="role"),
        CheckConstraint("role <> 'staff' OR agency_id IS NOT NULL", name="staff_agency"),
        CheckConstraint("role <> 'employer' OR employer_id IS NOT NULL", name="employer_scope"),
        Index("ix_accounts_agency", "agency_id"),
    )

    username: Mapped[str] = mapped_column(String(100), unique=True)
    password_hash: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(16))
    agency_id: Mapped[int | None] = mapped_column(ForeignKey("agencies.id", ondelete="RESTRICT"))
    office_id: Mapped[int | None] = mapped_column(ForeignKey("offices.id", ondelete="RESTRICT"))
    employer_id: Mapped[int | None] = mapped_column(ForeignKey("employers.id", ondelete="RESTRICT"))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # Bumped by deactivation, a role or scope change and a password change or reset: a token
    # or console session carrying an older epoch has ended (matching.api.auth.EpochCache).
    token_epoch: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # Set by an admin's reset: the one-time password only lets her choose a new one.
    must_change_password: Mapped[bool] = mapped_column(
        Boolean, default=False, server_default=false()
    )
    created_at: Mapped[dt.datetime] = mapped_column(default=clock.now)


class LoginAttempt(Base):
    """Failed logins of one key (``u:<username>`` or ``a:<client address>``) in one window."""

    __tablename__ = "login_attempts"

    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer)
    window_start: Mapped[dt.datetime]
