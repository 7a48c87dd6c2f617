"""The offer's road (录用通知): pending → accepted | declined | expired; accepted → confirmed |
withdrawn. Confirmation creates the placement. Every transition that a worker should hear of
writes its notice to the outbox in the same transaction."""

from __future__ import annotations

import dataclasses
import datetime as dt
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from matching.db import models as m
from matching.db.dialect import bulk_insert
from matching.lib import clock
from matching.lib.context import Context
from matching.lib.errors import Conflict, Forbidden, NotFound
from matching.matches.repository import chunks
from matching.network.principal import Principal
from matching.notices import templates
from matching.notices.outbox import enqueue, notice_row

OF = m.Offer.__table__.c
OP = m.Opening.__table__.c
E = m.Employer.__table__.c
W = m.WorkerProfile.__table__.c
OFFICE = m.Office.__table__.c
LINK = m.OfferLink.__table__.c

REMIND_BEFORE = dt.timedelta(hours=24)


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
        return templates.OfferFacts(
            worker_name=self.worker_name,
            employer=self.employer,
            city=self.city,
            title=self.title,
            wage_min=self.wage_min,
            wage_max=self.wage_max,
            housing=self.housing,
            start_date=self.start_date,
            expires_at=self.expires_at.astimezone(dt.timezone(dt.timedelta(hours=8))).date(),
            link=link_url(ctx, self.code) if self.code else "",
        )

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
            dedupe_key=f"{kind}:{self.id if cause is None else cause}",
            worker_id=self.worker_id,
            to_phone=self.phone,
            locale=self.locale,
            text=text,
            link=link,
            offer_id=self.id,
            placement_id=placement_id,
        )


def link_url(ctx: Context, code: str) -> str:
    return f"{ctx.settings.public_url}/o/{code}"


def _view_select() -> Any:
    return (
        select(
            OF.id,
            OF.worker_id,
            W.agency_id,
            OF.opening_id,
            OP.employer_id,
            OF.status,
            OF.expires_at,
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
            OF.run_id,
            LINK.code,
        )
        .select_from(m.Offer.__table__)
        .join(m.WorkerProfile.__table__, W.id == OF.worker_id)
        .join(m.Opening.__table__, OP.id == OF.opening_id)
        .join(m.Employer.__table__, E.id == OP.employer_id)
        .outerjoin(m.OfferLink.__table__, LINK.offer_id == OF.id)
    )


async def views(session: AsyncSession, offer_ids: Sequence[int]) -> list[OfferView]:
    out: list[OfferView] = []
    for chunk in chunks(list(offer_ids)):
        rows = (await session.execute(_view_select().where(OF.id.in_(chunk)))).all()
        out.extend(OfferView(**r._mapping) for r in rows)
    return sorted(out, key=lambda v: v.id)


async def view(session: AsyncSession, offer_id: int) -> OfferView:
    found = await views(session, [offer_id])
    if not found:
        raise NotFound(f"no offer with id {offer_id}")
    return found[0]


async def office_phone(session: AsyncSession, agency_id: int, city: str) -> str | None:
    """The phone of her agency's office in the destination city (办事处), if it has one."""
    stmt = select(OFFICE.phone).where(OFFICE.agency_id == agency_id, OFFICE.city == city)
    return (await session.execute(stmt.limit(1))).scalar()


def new_code() -> str:
    return secrets.token_urlsafe(9)  # 12 characters, 72 random bits


async def announce_run(session: AsyncSession, ctx: Context, run_id: int) -> int:
    """For a run's new offers: her link and the 'offer made' notice, in the run's transaction.

    One statement reads every new offer with what its notice says; links and notices then go
    in by bulk insert (new offers have new cause keys, so there is nothing to deduplicate).
    """
    stmt = _view_select().where(OF.run_id == run_id, OF.status == "pending").order_by(OF.id)
    found = [OfferView(**r._mapping) for r in (await session.execute(stmt)).all()]
    now = clock.now()
    made = [dataclasses.replace(v, code=new_code()) for v in found]
    await bulk_insert(
        session,
        m.OfferLink,
        [
            {
                "code": v.code,
                "offer_id": v.id,
                "worker_id": v.worker_id,
                "expires_at": v.expires_at,
                "created_at": now,
            }
            for v in made
        ],
    )
    await bulk_insert(
        session,
        m.Notice,
        [
            v.notice(
                "offer_made",
                templates.offer_made(v.facts(ctx), v.locale),
                link=link_url(ctx, v.code or ""),
            )
            for v in made
        ],
    )
    return len(made)


def _can_act_for(principal: Principal, v: OfferView) -> None:
    """Staff act on their agency's workers' offers; admins on all; employers never for her."""
    if principal.is_admin:
        return
    if principal.is_staff and principal.agency_id == v.agency_id:
        return
    if principal.is_employer:
        raise Forbidden("an employer cannot answer an offer for the worker")
    raise NotFound(f"no offer with id {v.id}")


async def _set_status(
    session: AsyncSession, offer_id: int, from_: Sequence[str], to: str, **values: Any
) -> bool:
    result = await session.execute(
        update(m.Offer)
        .where(m.Offer.id == offer_id, m.Offer.status.in_(list(from_)))
        .values(status=to, version=m.Offer.version + 1, **values)
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def _free_worker(session: AsyncSession, worker_id: int) -> None:
    """Back to the pool, unless she holds another live offer or a placement."""
    now = clock.now()
    live = (
        await session.execute(
            select(OF.id).where(
                OF.worker_id == worker_id,
                (OF.status == "accepted") | and_(OF.status == "pending", OF.expires_at > now),
            )
        )
    ).first()
    if live is None:
        await session.execute(
            update(m.WorkerProfile)
            .where(m.WorkerProfile.id == worker_id, m.WorkerProfile.status == "offered")
            .values(status="available")
            .execution_options(synchronize_session=False)
        )


async def respond(session: AsyncSession, v: OfferView, *, accept: bool, by: str) -> OfferView:
    """Her answer (through her link, an SMS reply, or staff on her behalf)."""
    now = clock.now()
    if v.status != "pending":
        raise Conflict(f"offer {v.id} is {v.status}; only a pending offer can be answered")
    if v.expires_at <= now:
        raise Conflict(f"offer {v.id} expired at {v.expires_at.isoformat()}")
    to = "accepted" if accept else "declined"
    if not await _set_status(
        session, v.id, ["pending"], to, responded_at=now, responded_by=by[:32]
    ):
        raise Conflict(f"offer {v.id} was answered a moment ago")
    if not accept:
        await _free_worker(session, v.worker_id)
    return await view(session, v.id)


async def respond_as_staff(
    session: AsyncSession, principal: Principal, offer_id: int, *, accept: bool
) -> OfferView:
    v = await view(session, offer_id)
    _can_act_for(principal, v)
    return await respond(session, v, accept=accept, by=f"staff:{principal.account_id}")


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


async def expire_due(session: AsyncSession) -> int:
    """Pending offers past their time become expired; she and the slot are free again."""
    now = clock.now()
    rows = (
        await session.execute(
            update(m.Offer)
            .where(m.Offer.status == "pending", m.Offer.expires_at <= now)
            .values(status="expired", version=m.Offer.version + 1)
            .returning(m.Offer.worker_id)
            .execution_options(synchronize_session=False)
        )
    ).all()
    for worker_id in {r.worker_id for r in rows}:
        await _free_worker(session, worker_id)
    return len(rows)


async def remind_expiring(session: AsyncSession, ctx: Context) -> int:
    """One 'about to expire' notice per pending offer in its last day."""
    now = clock.now()
    due = (
        (
            await session.execute(
                select(OF.id).where(
                    OF.status == "pending",
                    OF.expires_at > now,
                    OF.expires_at <= now + REMIND_BEFORE,
                    OF.reminded_at.is_(None),
                )
            )
        )
        .scalars()
        .all()
    )
    if not due:
        return 0
    rows = [
        v.notice(
            "offer_expiring",
            templates.offer_expiring(v.facts(ctx), v.locale),
            link=link_url(ctx, v.code or ""),
        )
        for v in await views(session, list(due))
    ]
    await enqueue(session, rows)
    for chunk in chunks(list(due)):
        await session.execute(
            update(m.Offer)
            .where(m.Offer.id.in_(chunk))
            .values(reminded_at=now)
            .execution_options(synchronize_session=False)
        )
    return len(rows)


async def withdraw(
    session: AsyncSession, ctx: Context, principal: Principal, offer_id: int, reason: str
) -> OfferView:
    """The employer (or staff) takes back a pending or accepted offer, with a reason."""
    v = await view(session, offer_id)
    _can_decide(principal, v)
    return await withdraw_offer(session, ctx, v, reason, by=_who(principal))


async def withdraw_offer(
    session: AsyncSession, ctx: Context, v: OfferView, reason: str, *, by: str
) -> OfferView:
    if v.status not in ("pending", "accepted"):
        raise Conflict(f"offer {v.id} is {v.status}; only a live offer can be withdrawn")
    if not await _set_status(
        session,
        v.id,
        ["pending", "accepted"],
        "withdrawn",
        reason=reason[:500],
        responded_at=clock.now(),
        responded_by=by[:32],
    ):
        raise Conflict(f"offer {v.id} changed a moment ago")
    await _free_worker(session, v.worker_id)
    await enqueue(
        session,
        [v.notice("offer_withdrawn", templates.offer_withdrawn(v.facts(ctx), reason, v.locale))],
    )
    return await view(session, v.id)


def _who(principal: Principal) -> str:
    return f"{principal.role}:{principal.account_id}"


def _can_decide(principal: Principal, v: OfferView) -> None:
    """Confirm or withdraw: the opening's employer account, staff of her agency, or an admin."""
    if principal.is_admin:
        return
    if principal.is_employer and principal.employer_id == v.employer_id:
        return
    if principal.is_staff and principal.agency_id == v.agency_id:
        return
    raise NotFound(f"no offer with id {v.id}")


@dataclass(frozen=True, slots=True)
class LinkedOffer:
    """What her link opens: the offer, and the proposal's reasons."""

    offer: OfferView
    used: bool
    reasons: list[dict[str, str]]
    office_phone: str | None
    cases: list[Any]


async def open_link(session: AsyncSession, code: str) -> LinkedOffer | None:
    """The offer behind a link code; None for an unknown or expired code."""
    link = await session.get(m.OfferLink, code)
    if link is None or link.expires_at <= clock.now():
        return None
    v = await view(session, link.offer_id)
    if v.worker_id != link.worker_id:  # a link opens only her own offer
        return None
    reasons: list[dict[str, str]] = []
    if v.run_id is not None:
        found = (
            await session.execute(
                select(m.Proposal.reasons).where(
                    m.Proposal.run_id == v.run_id, m.Proposal.worker_id == v.worker_id
                )
            )
        ).scalar()
        reasons = list(found or [])
    phone = await office_phone(session, v.agency_id, v.city)
    cases = list(
        (
            await session.execute(
                select(m.Case).where(m.Case.worker_id == v.worker_id).order_by(m.Case.id)
            )
        ).scalars()
    )
    return LinkedOffer(
        offer=v, used=link.used_at is not None, reasons=reasons, office_phone=phone, cases=cases
    )


async def respond_by_link(
    session: AsyncSession, code: str, offer_id: int, *, accept: bool
) -> LinkedOffer | None:
    """Her answer through her link. None (and nothing changed) when the code does not open
    that offer, is used up or expired, or the offer is no longer pending."""
    opened = await open_link(session, code)
    if opened is None or opened.used or opened.offer.id != offer_id:
        return None
    if opened.offer.status != "pending" or opened.offer.expires_at <= clock.now():
        return None
    await respond(session, opened.offer, accept=accept, by="worker:link")
    await session.execute(
        update(m.OfferLink)
        .where(m.OfferLink.code == code)
        .values(used_at=clock.now())
        .execution_options(synchronize_session=False)
    )
    return await open_link(session, code)
