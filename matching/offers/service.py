"""The offer's road, as declared transitions, each a public function that checks who may take
it and writes the notice she should hear of in the same transaction:

    pending  → accepted | declined   her answer (her link, an SMS reply, or staff for her)
    pending  → expired               her time ran out (the scheduler)
    accepted → confirmed             the employer (or staff) confirms: the placement starts
    pending | accepted → withdrawn   the employer, staff or an admin takes it back, with a reason

Services flush and never commit; the edge owns the transaction.
"""

from __future__ import annotations

import base64
import datetime as dt
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from matching.db.reads import worker_visible
from matching.lib import clock
from matching.lib.context import Context
from matching.lib.errors import Conflict, FieldErrors, Forbidden, NotFound, msg
from matching.lib.principal import Principal, may_see, visible
from matching.lib.text import clean_text
from matching.network.repository import office_phone
from matching.notices import facts, templates
from matching.notices.outbox import bulk_enqueue, cause_key, enqueue
from matching.offers import repository as repo
from matching.offers.repository import Candidate, OfferRow, OfferView
from matching.offers.schemas import OfferOut, OfferPage
from matching.placements import service as placements
from matching.placements.schemas import PlacementOut
from matching.reports import job_fairs

REMIND_BEFORE = dt.timedelta(hours=24)
LIVE = ("pending", "accepted")
WITHDRAW_REASON_MAX = 500

__all__ = [
    "Candidate",
    "LinkedOffer",
    "OfferRow",
    "OfferView",
    "confirm",
    "expire_due",
    "make_offers",
    "open_link",
    "remind_expiring",
    "respond",
    "respond_as_staff",
    "respond_by_link",
    "view_for",
    "withdraw",
    "withdraw_for_employer",
    "withdraw_for_worker",
]


def who(principal: Principal) -> str:
    """How a principal is recorded on what it did (``responded_by``, ``confirmed_by``)."""
    return f"{principal.role}:{principal.account_id}"


def new_codes(n: int) -> list[str]:
    """``n`` link codes of 12 characters, 72 random bits each: one draw from the system's
    randomness, cut every 9 bytes (a whole number of base64 groups, so no padding)."""
    text = base64.urlsafe_b64encode(secrets.token_bytes(9 * n)).decode()
    return [text[i : i + 12] for i in range(0, 12 * n, 12)]


# --- who may take a transition ------------------------------------------------------------


def _may_answer_for(principal: Principal, v: OfferView) -> None:
    """Staff answer for their agency's workers; admins for all; employers never for her."""
    if principal.is_employer:
        raise Forbidden(msg("an employer cannot answer an offer for the worker"))
    if not may_see(principal, agency_id=v.agency_id):
        raise NotFound(msg("no offer with id {id}"), id=v.id)


def _may_decide(principal: Principal, v: OfferView) -> None:
    """Confirm, withdraw or read: the opening's employer account, staff of her agency, admins."""
    if not may_see(principal, agency_id=v.agency_id, employer_id=v.employer_id):
        raise NotFound(msg("no offer with id {id}"), id=v.id)


async def view_for(session: AsyncSession, principal: Principal, offer_id: int) -> OfferView:
    """One offer, for those who may decide on it."""
    v = await repo.view(session, offer_id)
    _may_decide(principal, v)
    return v


# --- made by a match run --------------------------------------------------------------------


async def make_offers(
    session: AsyncSession, ctx: Context, run_id: int, pairs: Sequence[tuple[int, int]]
) -> int:
    """One pending offer per (worker, opening) a run proposes; she is no longer free; her link
    and the 'offer made' notice, all in the run's one transaction.

    The offers go in by bulk insert, then one statement reads them back with her part of
    what each notice says and one more the openings' part, once per opening; links and
    notices then go in by bulk insert, by column (new offers have new cause keys, so there is
    nothing to deduplicate).
    """
    now = clock.now()
    expires = now + dt.timedelta(days=ctx.settings.offer_days)
    workers, openings = [w for w, _ in pairs], [o for _, o in pairs]
    await repo.insert_pending(session, run_id, workers, openings, now=now, expires=expires)
    made = await repo.pending_of_run(session, run_id)
    codes = new_codes(len(made.id))
    await repo.insert_links(session, made, codes, expires=expires, now=now)
    links = [templates.offer_link(ctx, code) for code in codes]
    ends = templates.local_date(expires)
    texts = [
        templates.offer_made(facts.of_parts(name, made.openings[o], ends, link), locale)
        for name, o, link, locale in zip(
            made.worker_name, made.opening_id, links, made.locale, strict=True
        )
    ]
    await bulk_enqueue(
        session,
        "offer_made",
        dedupe_keys=[cause_key("offer_made", i) for i in made.id],
        worker_ids=made.worker_id,
        to_phones=made.phone,
        locales=made.locale,
        texts=texts,
        links=links,
        offer_ids=made.id,
    )
    return len(made.id)


# --- pending → accepted | declined | expired -------------------------------------------------


async def respond(session: AsyncSession, v: OfferView, *, accept: bool, by: str) -> OfferView:
    """Her answer (through her link, an SMS reply, or staff on her behalf)."""
    now = clock.now()
    if v.status != "pending":
        raise Conflict(
            msg("offer {id} is {status}; only a pending offer can be answered"),
            id=v.id,
            status=v.status,
        )
    if v.expires_at <= now:
        raise Conflict(
            msg("offer {id} expired at {expires_at}"), id=v.id, expires_at=v.expires_at.isoformat()
        )
    to = "accepted" if accept else "declined"
    if not await repo.set_status(
        session, v.id, ["pending"], to, responded_at=now, responded_by=by[:32]
    ):
        raise Conflict(msg("offer {id} was answered a moment ago"), id=v.id)
    if not accept:
        await repo.free_worker(session, v.worker_id)
    return await repo.view(session, v.id)


async def respond_as_staff(
    session: AsyncSession, principal: Principal, offer_id: int, *, accept: bool
) -> OfferView:
    v = await repo.view(session, offer_id)
    _may_answer_for(principal, v)
    return await respond(session, v, accept=accept, by=f"staff:{principal.account_id}")


async def expire_due(session: AsyncSession) -> int:
    """Pending offers past their time become expired; she and the slot are free again."""
    workers = await repo.expire_due(session, clock.now())
    for worker_id in set(workers):
        await repo.free_worker(session, worker_id)
    return len(workers)


async def remind_expiring(session: AsyncSession, ctx: Context) -> int:
    """One 'about to expire' notice per pending offer in its last day."""
    now = clock.now()
    due = await repo.expiring_unreminded(session, now, REMIND_BEFORE)
    if not due:
        return 0
    rows = [
        v.notice(
            "offer_expiring",
            templates.offer_expiring(v.facts(ctx), v.locale),
            link=templates.offer_link(ctx, v.code or ""),
        )
        for v in await repo.views(session, due)
    ]
    await enqueue(session, rows)
    await repo.mark_reminded(session, due, now)
    return len(rows)


# --- accepted → confirmed ---------------------------------------------------------------------


async def confirm(
    session: AsyncSession,
    ctx: Context,
    principal: Principal,
    offer_id: int,
    *,
    monthly_wage: int | None = None,
    job_fair_id: int | None = None,
) -> PlacementOut:
    """The employer (or staff) confirms an accepted offer: the placement and its follow-ups,
    her link kept through the follow-up period, and the 'hire confirmed' notice.

    ``monthly_wage`` is the wage agreed, within the opening's range; left out, the range's
    lowest: what the opening promises at least, so her labour income is never overstated.
    ``job_fair_id``: the hire was made at that fair (its employer attending it)."""
    v = await view_for(session, principal, offer_id)
    errors = FieldErrors()
    wage = v.wage_min if monthly_wage is None else monthly_wage
    if not v.wage_min <= wage <= v.wage_max:
        errors.add(
            "monthly_wage",
            msg("must lie within the opening's range, {wage_min}–{wage_max} yuan a month"),
            wage_min=v.wage_min,
            wage_max=v.wage_max,
        )
    if job_fair_id is not None:
        problem = await job_fairs.hire_problem(session, principal, job_fair_id, v.employer_id)
        if problem is not None:
            errors.add("job_fair_id", problem)
    errors.raise_if_any()
    if v.status != "accepted":
        raise Conflict(
            msg("offer {offer_id} is {status}; only an accepted offer can be confirmed"),
            offer_id=offer_id,
            status=v.status,
        )
    if not await repo.set_status(
        session, offer_id, ["accepted"], "confirmed", job_fair_id=job_fair_id
    ):
        raise Conflict(msg("offer {offer_id} changed a moment ago"), offer_id=offer_id)
    placement_id = await placements.start(
        session,
        placements.Start(
            offer_id=v.id,
            worker_id=v.worker_id,
            opening_id=v.opening_id,
            employer_id=v.employer_id,
            agency_id=v.agency_id,
            city=v.city,
            start_date=v.start_date,
            confirmed_by=who(principal),
            monthly_wage=wage,
        ),
    )
    # Her link now shows the rights pack; keep it working through the follow-up period.
    await repo.extend_link(session, offer_id, placements.aftercare_ends(v.start_date))
    phone = await office_phone(session, v.agency_id, v.city)
    await enqueue(
        session,
        [
            v.notice(
                "offer_confirmed",
                templates.offer_confirmed(v.facts(ctx), phone, v.locale),
                link=templates.offer_link(ctx, v.code) if v.code else "",
                placement_id=placement_id,
            )
        ],
    )
    await session.flush()
    return await placements.get_placement(session, principal, placement_id)


# --- pending | accepted → withdrawn -------------------------------------------------------------


def _reason(reason: str) -> str:
    """A withdrawal always says why, wherever it comes from (API, console, a suspension)."""
    errors = FieldErrors()
    clean = clean_text(errors, "reason", reason)
    errors.raise_if_any()
    return clean[:WITHDRAW_REASON_MAX]


async def withdraw(
    session: AsyncSession, ctx: Context, principal: Principal, offer_id: int, reason: str
) -> OfferView:
    """The employer (or staff) takes back a pending or accepted offer, with a reason."""
    clean = _reason(reason)
    v = await view_for(session, principal, offer_id)
    return await _withdraw(session, ctx, v, clean, by=who(principal))


async def withdraw_for_employer(
    session: AsyncSession, ctx: Context, principal: Principal, employer_id: int, reason: str
) -> int:
    """Every live offer for an employer's openings is withdrawn (the employer was suspended)."""
    clean = _reason(reason)
    found = await repo.views(session, await repo.live_of_employer(session, employer_id))
    for v in found:
        await _withdraw(session, ctx, v, clean, by=who(principal))
    return len(found)


async def withdraw_for_worker(
    session: AsyncSession,
    ctx: Context,
    principal: Principal,
    worker_id: int,
    reason: str,
    *,
    at_her_request: bool = False,
) -> int:
    """Every live offer she holds is withdrawn (she withdrew her consent to matching).

    ``at_her_request``: her notice says it was withdrawn as she asked, not that we keep
    looking for work for her. A confirmed offer (a placement) is not live and stays."""
    clean = _reason(reason)
    found = await repo.views(session, await repo.live_of_worker(session, worker_id))
    for v in found:
        _may_decide(principal, v)
    for v in found:
        text = (
            templates.offer_withdrawn_at_her_request(v.facts(ctx), v.locale)
            if at_her_request
            else None
        )
        await _withdraw(session, ctx, v, clean, by=who(principal), text=text)
    return len(found)


async def _withdraw(
    session: AsyncSession,
    ctx: Context,
    v: OfferView,
    reason: str,
    *,
    by: str,
    text: str | None = None,
) -> OfferView:
    if v.status not in LIVE:
        raise Conflict(
            msg("offer {id} is {status}; only a live offer can be withdrawn"),
            id=v.id,
            status=v.status,
        )
    if not await repo.set_status(
        session,
        v.id,
        list(LIVE),
        "withdrawn",
        reason=reason,
        responded_at=clock.now(),
        responded_by=by[:32],
    ):
        raise Conflict(msg("offer {id} changed a moment ago"), id=v.id)
    await repo.free_worker(session, v.worker_id)
    await enqueue(
        session,
        [
            v.notice(
                "offer_withdrawn",
                text or templates.offer_withdrawn(v.facts(ctx), reason, v.locale),
            )
        ],
    )
    return await repo.view(session, v.id)


# --- her link ---------------------------------------------------------------------------------


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
    link = await repo.link(session, code)
    if link is None or link.expires_at <= clock.now():
        return None
    v = await repo.view(session, link.offer_id)
    if v.worker_id != link.worker_id:  # a link opens only her own offer
        return None
    reasons = (
        await repo.proposal_reasons(session, v.run_id, v.worker_id) if v.run_id is not None else []
    )
    return LinkedOffer(
        offer=v,
        used=link.used_at is not None,
        reasons=reasons,
        office_phone=await office_phone(session, v.agency_id, v.city),
        cases=await repo.cases_of_worker(session, v.worker_id),
    )


async def link_phone(session: AsyncSession, code: str) -> str | None:
    """Her office's phone from a link that no longer opens her offer (expired, used, answered),
    so even that page tells her whom to call; None for a code that was never issued."""
    link = await repo.link(session, code)
    if link is None:
        return None
    v = await repo.view(session, link.offer_id)
    return await office_phone(session, v.agency_id, v.city)


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
    await repo.use_link(session, code, clock.now())
    return await open_link(session, code)


# --- lists --------------------------------------------------------------------------------------


def offer_out(r: Any) -> OfferOut:
    return OfferOut(
        id=r.id,
        worker_id=r.worker_id,
        opening_id=r.opening_id,
        run_id=r.run_id,
        status=r.status,
        created_at=r.created_at,
        expires_at=r.expires_at,
        responded_at=r.responded_at,
    )


async def worker_offers(
    session: AsyncSession, principal: Principal, worker_id: int, *, limit: int, offset: int
) -> OfferPage:
    """A worker's offers, newest first (staff: their agency's workers)."""
    if principal.is_employer:
        raise Forbidden(msg("employer accounts see candidates through their openings' proposals"))
    if not await worker_visible(session, worker_id, visible(principal, agency=repo.W.agency_id)):
        raise NotFound(msg("no worker with id {worker_id}"), worker_id=worker_id)
    found, total = await repo.of_worker(session, worker_id, limit=limit, offset=offset)
    return OfferPage(items=[offer_out(r) for r in found], total=total)


async def list_offers(
    session: AsyncSession,
    principal: Principal,
    *,
    status: str | None,
    run_id: int | None = None,
    opening_id: int | None = None,
    limit: int,
    offset: int,
) -> tuple[list[OfferRow], int]:
    """Offers of her agency's workers (staff) or all (admin), newest first."""
    where = visible(principal, agency=repo.W.agency_id)
    if status:
        where.append(repo.OF.status == status)
    if run_id is not None:
        where.append(repo.OF.run_id == run_id)
    if opening_id is not None:
        where.append(repo.OF.opening_id == opening_id)
    return await repo.rows(session, where, limit=limit, offset=offset)


async def offers_of_run(
    session: AsyncSession, principal: Principal, run_id: int, worker_ids: list[int]
) -> dict[int, OfferRow]:
    """The offer each proposed worker got in a run (a dry run makes none)."""
    if not worker_ids:
        return {}
    where = visible(principal, agency=repo.W.agency_id)
    return await repo.rows_of_run(session, run_id, worker_ids, where)


async def candidates(
    session: AsyncSession, principal: Principal, *, status: str | None, limit: int, offset: int
) -> tuple[list[Candidate], int]:
    """The workers proposed to an employer account's openings, as the employer may see them."""
    if not principal.is_employer or principal.employer_id is None:
        raise Forbidden(msg("this list is for employer accounts"))
    where = visible(principal, employer=repo.OP.employer_id)
    where.append(repo.OF.status == status if status else repo.OF.status.in_(LIVE))
    return await repo.candidates(session, where, limit=limit, offset=offset)
