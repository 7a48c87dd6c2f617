"""The notice outbox (通知) and what workers' phones send back."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from matching.db.base import Base, IdMixin
from matching.lib import clock

NOTICE_STATUSES = ("pending", "sending", "sent", "failed")


class Notice(IdMixin, Base):
    """One message to a worker's phone, written in the same transaction as its cause.

    ``dedupe_key`` makes each cause produce at most one notice however often a job runs;
    ``idempotency_key`` travels with every delivery attempt so the gateway can drop repeats.
    """

    __tablename__ = "notices"
    __table_args__ = (
        CheckConstraint("status IN ('pending', 'sending', 'sent', 'failed')", name="status"),
        Index("ix_notices_due", "status", "next_attempt_at"),
        Index("ix_notices_worker", "worker_id"),
    )

    kind: Mapped[str] = mapped_column(String(32))
    dedupe_key: Mapped[str] = mapped_column(String(100), unique=True)
    idempotency_key: Mapped[str] = mapped_column(String(64), unique=True)
    worker_id: Mapped[int | None] = mapped_column(
        ForeignKey("worker_profiles.id", ondelete="CASCADE")
    )
    offer_id: Mapped[int | None] = mapped_column(ForeignKey("offers.id", ondelete="SET NULL"))
    placement_id: Mapped[int | None] = mapped_column(
        ForeignKey("placements.id", ondelete="SET NULL")
    )
    to_phone: Mapped[str] = mapped_column(String(20))
    locale: Mapped[str] = mapped_column(String(8), default="zh")
    text: Mapped[str] = mapped_column(Text)
    link: Mapped[str] = mapped_column(String(300), default="")
    status: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[dt.datetime] = mapped_column(default=clock.now)
    last_error: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[dt.datetime] = mapped_column(default=clock.now)
    sent_at: Mapped[dt.datetime | None] = mapped_column()


class InboundMessage(IdMixin, Base):
    """An SMS reply relayed by the gateway: `1` accepts, `2` declines, anything else is kept."""

    __tablename__ = "inbound_messages"

    from_phone: Mapped[str] = mapped_column(String(20), index=True)
    text: Mapped[str] = mapped_column(String(1000))
    signature: Mapped[str] = mapped_column(String(100), unique=True)  # refuses replays
    worker_id: Mapped[int | None] = mapped_column(
        ForeignKey("worker_profiles.id", ondelete="SET NULL")
    )
    offer_id: Mapped[int | None] = mapped_column(ForeignKey("offers.id", ondelete="SET NULL"))
    action: Mapped[str] = mapped_column(String(32))
    received_at: Mapped[dt.datetime] = mapped_column(default=clock.now)
