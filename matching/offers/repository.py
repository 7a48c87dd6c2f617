"""The offer's SQL: what a notice or her page says about an offer, the road's guarded status
changes, her link, her SMS replies, and the lists the console shows. Nothing here decides a
rule."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import ColumnElement, Table, delete, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from matching.db import models as m
from matching.db.dialect import (
    bulk_insert_columns,
    chunks,
    insert_ignoring_conflicts,
    select_columns,
)
from matching.db.reads import count_of
from matching.db.rules import live_offer
from matching.lib import clock
from matching.lib.context import Context
from matching.lib.errors import NotFound, msg
from matching.notices import facts, templates
from matching.notices.outbox import cause_key, notice_row

OF = m.Offer.__table__.c
OP = m.Opening.__table__.c
E = m.Employer.__table__.c
W = m.WorkerProfile.__table__.c
S = m.WorkerSkill.__table__.c


@dataclass(frozen=True, slots=True)
class OfferView:
    """An offer with what a notice or her page says about it."""

    id: int
    worker_id: int
    agency_id: int
    opening_id: int
    employer_id: int
    status: str
    expires_at: dt.datetime
    worker_name: str
    phone: str
    locale: str
    employer: str
    city: str
    title: str
    wage_min: int
    wage_max: int
    housing: bool
    start_date: dt.date
    run_id: int | None
    code: str | None

    def facts(self, ctx: Context) -> templates.OfferFacts:
        return facts.facts(self, ctx)

    def notice(
        self,
        kind: str,
        text: str,
        *,
        link: str = "",
        placement_id: int | None = None,
        cause: int | None = None,
    ) -> dict[str, Any]:
        """The outbox row telling her of this offer; one per kind and cause (default: it)."""
        return notice_row(
            kind=kind,
            dedupe_key=cause_key(kind, self.id if cause is None else cause),
            worker_id=self.worker_id,
            to_phone=self.phone,
            locale=self.locale,
            text=text,
            link=link,
            offer_id=self.id,
            placement_id=placement_id,
        )


def _view_select() -> Any:
    return select(
        OF.id,
        OF.worker_id,
        W.agency_id,
        OF.opening_id,
        OP.employer_id,
        OF.status,
        *facts.columns(),
        OF.run_id,
    ).select_from(facts.source())


async def views(session: AsyncSession, offer_ids: Sequence[int]) -> list[OfferView]:
    out: list[OfferView] = []
    for chunk in chunks(list(offer_ids)):
        rows = (await session.execute(_view_select().where(OF.id.in_(chunk)))).all()
        out.extend(OfferView(**r._mapping) for r in rows)
    return sorted(out, key=lambda v: v.id)


async def view(session: AsyncSession, offer_id: int) -> OfferView:
    found = await views(session, [offer_id])
    if not found:
        raise NotFound(msg("no offer with id {offer_id}"), offer_id=offer_id)
    return found[0]


@dataclass(frozen=True, slots=True)
class RunOffers:
    """A match run's new offers, by column (ordered by offer id), with her part of what each
    notice says, and the opening's part once per opening (``opening_columns()`` rows)."""

    id: Sequence[int]
    worker_id: Sequence[int]
    opening_id: Sequence[int]
    worker_name: Sequence[str]
    phone: Sequence[str]
    locale: Sequence[str]
    openings: dict[int, Any]


async def pending_of_run(session: AsyncSession, run_id: int) -> RunOffers:
    ours = (OF.run_id == run_id, OF.status == "pending")
    stmt = (
        select(OF.id, OF.worker_id, OF.opening_id, *facts.worker_columns())
        .select_from(m.Offer.__table__.join(m.WorkerProfile.__table__, W.id == OF.worker_id))
        .where(*ours)
        .order_by(OF.id)
    )
    ids, workers, openings, names, phones, locales = await select_columns(session, stmt)
    per_opening = (
        select(OP.id, *facts.opening_columns())
        .select_from(m.Opening.__table__.join(m.Employer.__table__, E.id == OP.employer_id))
        .where(OP.id.in_(select(OF.opening_id).where(*ours).distinct()))
    )
    facts_of = {r.id: r for r in (await session.execute(per_opening)).all()}
    return RunOffers(ids, workers, openings, names, phones, locales, openings=facts_of)


async def latest_pending_for_phone(session: AsyncSession, phone: str) -> OfferView | None:
    """Her most recent pending, unexpired offer: what an SMS reply of 1 or 2 answers."""
    stmt = (
        _view_select()
        .where(W.phone == phone, OF.status == "pending", OF.expires_at > clock.now())
        .order_by(OF.created_at.desc(), OF.id.desc())
        .limit(1)
    )
    row = (await session.execute(stmt)).first()
    return OfferView(**row._mapping) if row else None


async def live_of_employer(session: AsyncSession, employer_id: int) -> list[int]:
    """Ids of the pending or accepted offers for an employer's openings."""
    stmt = (
        select(m.Offer.id)
        .join(m.Opening, m.Opening.id == m.Offer.opening_id)
        .where(m.Opening.employer_id == employer_id, m.Offer.status.in_(("pending", "accepted")))
    )
    return list((await session.execute(stmt)).scalars().all())


async def live_of_worker(session: AsyncSession, worker_id: int) -> list[int]:
    """Ids of her pending or accepted offers."""
    stmt = select(m.Offer.id).where(
        m.Offer.worker_id == worker_id, m.Offer.status.in_(("pending", "accepted"))
    )
    return list((await session.execute(stmt.order_by(m.Offer.id))).scalars().all())


async def insert_pending(
    session: AsyncSession,
    run_id: int,
    worker_ids: Sequence[int],
    opening_ids: Sequence[int],
    *,
    now: dt.datetime,
    expires: dt.datetime,
) -> None:
    """One pending offer per (worker, opening) of a run, and each such worker is 'offered'."""
    await bulk_insert_columns(
        session,
        m.Offer,
        {"worker_id": worker_ids, "opening_id": opening_ids},
        {
            "run_id": run_id,
            "status": "pending",
            "created_at": now,
            "expires_at": expires,
            "version": 1,
        },
    )
    # She is no longer free: one UPDATE … FROM over the run's offers, not id lists.
    await session.execute(
        update(m.WorkerProfile)
        .where(m.WorkerProfile.id == OF.worker_id, OF.run_id == run_id)
        .values(status="offered")
        .execution_options(synchronize_session=False)
    )


async def set_status(
    session: AsyncSession, offer_id: int, from_: Sequence[str], to: str, **values: Any
) -> bool:
    """Move an offer from one of ``from_`` to ``to``; False when it was no longer there."""
    result = await session.execute(
        update(m.Offer)
        .where(m.Offer.id == offer_id, m.Offer.status.in_(list(from_)))
        .values(status=to, version=m.Offer.version + 1, **values)
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def free_worker(session: AsyncSession, worker_id: int) -> None:
    """Back to the pool, unless she holds another live offer or a placement."""
    live = (
        await session.execute(
            select(OF.id).where(OF.worker_id == worker_id, live_offer(clock.now()))
        )
    ).first()
    if live is None:
        await session.execute(
            update(m.WorkerProfile)
            .where(m.WorkerProfile.id == worker_id, m.WorkerProfile.status == "offered")
            .values(status="available")
            .execution_options(synchronize_session=False)
        )


async def expire_due(session: AsyncSession, now: dt.datetime) -> list[int]:
    """Pending offers past their time become expired; the ids of their workers."""
    rows = (
        await session.execute(
            update(m.Offer)
            .where(m.Offer.status == "pending", m.Offer.expires_at <= now)
            .values(status="expired", version=m.Offer.version + 1)
            .returning(m.Offer.worker_id)
            .execution_options(synchronize_session=False)
        )
    ).all()
    return [r.worker_id for r in rows]


async def expiring_unreminded(
    session: AsyncSession, now: dt.datetime, within: dt.timedelta
) -> list[int]:
    stmt = select(OF.id).where(
        OF.status == "pending",
        OF.expires_at > now,
        OF.expires_at <= now + within,
        OF.reminded_at.is_(None),
    )
    return list((await session.execute(stmt)).scalars().all())


async def mark_reminded(session: AsyncSession, offer_ids: list[int], now: dt.datetime) -> None:
    for chunk in chunks(offer_ids):
        await session.execute(
            update(m.Offer)
            .where(m.Offer.id.in_(chunk))
            .values(reminded_at=now)
            .execution_options(synchronize_session=False)
        )


# --- her link ---------------------------------------------------------------------------------


async def insert_links(
    session: AsyncSession,
    made: RunOffers,
    codes: Sequence[str],
    *,
    expires: dt.datetime,
    now: dt.datetime,
) -> None:
    """Her link to each of a run's new offers, open until the offer ends."""
    await bulk_insert_columns(
        session,
        m.OfferLink,
        {"code": codes, "offer_id": made.id, "worker_id": made.worker_id},
        {"expires_at": expires, "created_at": now},
    )


async def link(session: AsyncSession, code: str) -> m.OfferLink | None:
    return await session.get(m.OfferLink, code)


async def use_link(session: AsyncSession, code: str, now: dt.datetime) -> None:
    await session.execute(
        update(m.OfferLink)
        .where(m.OfferLink.code == code)
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    )


async def extend_link(session: AsyncSession, offer_id: int, until: dt.datetime) -> None:
    await session.execute(
        update(m.OfferLink)
        .where(m.OfferLink.offer_id == offer_id)
        .values(expires_at=until)
        .execution_options(synchronize_session=False)
    )


async def proposal_reasons(session: AsyncSession, run_id: int, worker_id: int) -> list[Any]:
    found = (
        await session.execute(
            select(m.Proposal.reasons).where(
                m.Proposal.run_id == run_id, m.Proposal.worker_id == worker_id
            )
        )
    ).scalar()
    return list(found or [])


async def cases_of_worker(session: AsyncSession, worker_id: int) -> list[m.Case]:
    stmt = select(m.Case).where(m.Case.worker_id == worker_id).order_by(m.Case.id)
    return list((await session.execute(stmt)).scalars())


# --- lists ------------------------------------------------------------------------------------


async def of_worker(
    session: AsyncSession, worker_id: int, *, limit: int, offset: int
) -> tuple[list[Any], int]:
    base = select(m.Offer.__table__).where(OF.worker_id == worker_id)
    rows = (await session.execute(base.order_by(OF.id.desc()).limit(limit).offset(offset))).all()
    return list(rows), await count_of(session, base)


@dataclass(frozen=True, slots=True)
class OfferRow:
    id: int
    worker_id: int
    worker_name: str
    opening_id: int
    title: str
    employer: str
    city: str
    status: str
    expires_at: dt.datetime
    run_id: int | None


def _row_select() -> Any:
    return (
        select(
            OF.id,
            OF.worker_id,
            W.name.label("worker_name"),
            OF.opening_id,
            OP.title,
            E.name.label("employer"),
            OP.city,
            OF.status,
            OF.expires_at,
            OF.run_id,
        )
        .select_from(m.Offer.__table__)
        .join(m.WorkerProfile.__table__, W.id == OF.worker_id)
        .join(m.Opening.__table__, OP.id == OF.opening_id)
        .join(m.Employer.__table__, E.id == OP.employer_id)
    )


async def rows(
    session: AsyncSession, where: list[ColumnElement[bool]], *, limit: int, offset: int
) -> tuple[list[OfferRow], int]:
    """Offers matching ``where``, newest first, with the names a list shows."""
    base = _row_select().where(*where)
    found = (await session.execute(base.order_by(OF.id.desc()).limit(limit).offset(offset))).all()
    return [OfferRow(**r._mapping) for r in found], await count_of(session, base)


async def rows_of_run(
    session: AsyncSession, run_id: int, worker_ids: list[int], where: list[ColumnElement[bool]]
) -> dict[int, OfferRow]:
    cond = [OF.run_id == run_id, OF.worker_id.in_(worker_ids), *where]
    found = (await session.execute(_row_select().where(*cond))).all()
    return {r.worker_id: OfferRow(**r._mapping) for r in found}


@dataclass(frozen=True, slots=True)
class Candidate:
    """What an employer may see of a proposed worker (no ID, no group, no home village)."""

    offer_id: int
    status: str
    opening_id: int
    title: str
    worker_id: int  # for the access log; the page does not show it
    name: str
    skills: list[tuple[str, int]]
    available_from: dt.date | None
    expires_at: dt.datetime


async def candidates(
    session: AsyncSession, where: list[ColumnElement[bool]], *, limit: int, offset: int
) -> tuple[list[Candidate], int]:
    base = (
        select(
            OF.id.label("offer_id"),
            OF.status,
            OF.opening_id,
            OP.title,
            W.name,
            W.id.label("worker_id"),
            W.available_from,
            OF.expires_at,
        )
        .select_from(m.Offer.__table__)
        .join(m.Opening.__table__, OP.id == OF.opening_id)
        .join(m.WorkerProfile.__table__, W.id == OF.worker_id)
        .where(*where)
    )
    total = await count_of(session, base)
    found = (await session.execute(base.order_by(OF.id.desc()).limit(limit).offset(offset))).all()
    skills: dict[int, list[tuple[str, int]]] = {}
    if found:
        for s in (
            await session.execute(
                select(S.worker_id, S.skill_code, S.level)
                .where(S.worker_id.in_([r.worker_id for r in found]))
                .order_by(S.worker_id, S.skill_code)
            )
        ).all():
            skills.setdefault(s.worker_id, []).append((s.skill_code, s.level))
    return [
        Candidate(
            offer_id=r.offer_id,
            status=r.status,
            opening_id=r.opening_id,
            title=r.title,
            worker_id=r.worker_id,
            name=r.name,
            skills=skills.get(r.worker_id, []),
            available_from=r.available_from,
            expires_at=r.expires_at,
        )
        for r in found
    ], total


# --- her SMS replies ------------------------------------------------------------------------

IN = cast(Table, m.InboundMessage.__table__)


async def record_inbound(
    session: AsyncSession, phone: str, text: str, signature: str, at: dt.datetime
) -> int | None:
    """Record a reply as received; None when one with this signature is there already."""
    stmt = (
        insert_ignoring_conflicts(session, IN)
        .values(from_phone=phone, text=text, signature=signature, action="received", received_at=at)
        .returning(IN.c.id)
    )
    return (await session.execute(stmt)).scalar()


async def worker_by_phone(session: AsyncSession, phone: str) -> Any:
    """(id, locale) of the worker with this phone, or None."""
    stmt = select(W.id, W.locale).where(W.phone == phone).limit(1)
    return (await session.execute(stmt)).first()


async def settle_inbound(
    session: AsyncSession,
    inbound_id: int,
    action: str,
    worker_id: int | None,
    offer_id: int | None,
) -> None:
    """What the reply came to: its action, her, and the offer it answered."""
    await session.execute(
        update(IN)
        .where(IN.c.id == inbound_id)
        .values(action=action, worker_id=worker_id, offer_id=offer_id)
    )


# --- erasure --------------------------------------------------------------------------------


async def forget_worker(session: AsyncSession, worker_id: int, phone: str | None) -> dict[str, int]:
    """Her offers keep their dates and statuses (they are counted) but lose the reason staff
    wrote; her links and her SMS replies (from her phone, matched to her or not) go."""
    reasons = await session.execute(
        update(m.Offer)
        .where(OF.worker_id == worker_id, OF.reason.is_not(None))
        .values(reason=None)
        .execution_options(synchronize_session=False)
    )
    links = await session.execute(delete(m.OfferLink).where(m.OfferLink.worker_id == worker_id))
    mine = IN.c.worker_id == worker_id
    replies = await session.execute(
        delete(IN).where(or_(mine, IN.c.from_phone == phone) if phone else mine)
    )
    return {
        "offer_reasons": int(reasons.rowcount),  # type: ignore[attr-defined]
        "offer_links": int(links.rowcount),  # type: ignore[attr-defined]
        "sms_replies": int(replies.rowcount),  # type: ignore[attr-defined]
    }
