"""What a notice about an offer states, read the one way every notice reads it: the offer with
her, the opening, its employer and her link. The offer's road and the placement's day-before
reminder select these columns and turn a row into ``OfferFacts`` here."""

from __future__ import annotations

from typing import Any

from sqlalchemy import FromClause

from matching.db import models as m
from matching.lib.context import Context
from matching.notices.templates import OfferFacts, local_date, offer_link

OF = m.Offer.__table__.c
OP = m.Opening.__table__.c
E = m.Employer.__table__.c
W = m.WorkerProfile.__table__.c
LINK = m.OfferLink.__table__.c


def columns() -> list[Any]:
    """The labelled columns a notice about an offer needs (to whom, and what it says)."""
    return [
        W.name.label("worker_name"),
        W.phone,
        W.locale,
        E.name.label("employer"),
        OP.city,
        OP.title,
        OP.monthly_wage_min.label("wage_min"),
        OP.monthly_wage_max.label("wage_max"),
        OP.housing_provided.label("housing"),
        OP.start_date,
        OF.expires_at,
        LINK.code,
    ]


def source() -> FromClause:
    """The offer joined to her, the opening, its employer and (if made) her link."""
    return (
        m.Offer.__table__.join(m.WorkerProfile.__table__, W.id == OF.worker_id)
        .join(m.Opening.__table__, OP.id == OF.opening_id)
        .join(m.Employer.__table__, E.id == OP.employer_id)
        .outerjoin(m.OfferLink.__table__, LINK.offer_id == OF.id)
    )


def facts(row: Any, ctx: Context) -> OfferFacts:
    """The facts of a row (or view) that carries ``columns()``."""
    return OfferFacts(
        worker_name=row.worker_name,
        employer=row.employer,
        city=row.city,
        title=row.title,
        wage_min=row.wage_min,
        wage_max=row.wage_max,
        housing=row.housing,
        start_date=row.start_date,
        expires_at=local_date(row.expires_at),
        link=offer_link(ctx, row.code) if row.code else "",
    )
