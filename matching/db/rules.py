"""The SQL form of rules several features read alike, so each reads them the same way: what a
live offer is, and how many of an opening's headcount are taken (design.md, hard rule 1)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ColumnElement, Subquery, and_, func, or_, select

from matching.db import models as m

OF = m.Offer.__table__.c


def live_offer(now: dt.datetime) -> ColumnElement[bool]:
    """An offer that still holds her and a slot: pending and unexpired, or accepted."""
    return or_(OF.status == "accepted", and_(OF.status == "pending", OF.expires_at > now))


def slot_taken(now: dt.datetime) -> ColumnElement[bool]:
    """An offer that uses one of the opening's headcount: live, or confirmed (a placement)."""
    return or_(live_offer(now), OF.status == "confirmed")


def used_slots(now: dt.datetime) -> Subquery:
    """Per opening, how many of its headcount are taken."""
    return (
        select(OF.opening_id, func.count().label("used"))
        .where(slot_taken(now))
        .group_by(OF.opening_id)
        .subquery("used_slots")
    )
