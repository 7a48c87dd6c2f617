"""What a notice about an offer states, read the one way every notice reads it: the offer with
her, the opening, its employer and her link. The offer's road and the placement's day-before
reminder select these columns and turn a row into ``OfferFacts`` here."""

from __future__ import annotations

import datetime as dt
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


def worker_columns() -> list[Any]:
    """Her part of what a notice about an offer needs: to whom it goes, in which language."""
    return [W.name.label("worker_name"), W.phone, W.locale]


def opening_columns() -> list[Any]:
    """The opening's part: what it is, where, for what pay, from when."""
    return [
        E.name.label("employer"),
        OP.city,
        OP.title,
        OP.monthly_wage_min.label("wage_min"),
        OP.monthly_wage_max.label("wage_max"),
        OP.housing_provided.label("housing"),
        OP.start_date,
    ]


def columns() -> list[Any]:
    """The labelled columns a notice about an offer needs (to whom, and what it says)."""
    return [*worker_columns(), *opening_columns(), OF.expires_at, LINK.code]


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
    link = offer_link(ctx, row.code) if row.code else ""
    return of_parts(row.worker_name, row, local_date(row.expires_at), link)


def of_parts(worker_name: str, opening: Any, expires_on: dt.date, link: str) -> OfferFacts:
    """The facts from her name, a row that carries ``opening_columns()``, the day the offer
    ends and her link: how a match run states each of its many offers."""
    return OfferFacts(
        worker_name=worker_name,
        employer=opening.employer,
        city=opening.city,
        title=opening.title,
        wage_min=opening.wage_min,
        wage_max=opening.wage_max,
        housing=opening.housing,
        start_date=opening.start_date,
        expires_at=expires_on,
        link=link,
    )
