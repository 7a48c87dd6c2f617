"""Rights cases (维权案件): opened by staff or from a worker's check-in; a status road
open → mediating → resolved | escalated | closed, an append-only log of dated entries, money
claimed and recovered, and an outcome required to close. Closing moves employer standing."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from typing import Annotated, Any, Literal

import msgspec
from sqlalchemy.ext.asyncio import AsyncSession

from matching.db import models as m
from matching.lib import clock
from matching.lib.errors import Conflict, Invalid, NotFound, msg
from matching.lib.principal import Principal, may_see, visible
from matching.lib.types import Id, Request, Response, Yuan
from matching.placements import repository as repo
from matching.placements import standing
from matching.placements.tasks import destination_office, open_task

CaseType = Literal[
    "wage_arrears",
    "unpaid_overtime",
    "unfair_dismissal",
    "contract_violation",
    "injury",
    "harassment",
    "housing",
    "other",
]
CaseStatus = Literal["open", "mediating", "resolved", "escalated", "closed"]
Outcome = Literal["upheld", "partly_upheld", "not_upheld", "withdrawn_by_worker", "referred"]
Text = Annotated[str, msgspec.Meta(min_length=1, max_length=2000)]

NEXT: dict[str, tuple[str, ...]] = {
    "open": ("mediating", "escalated", "closed"),
    "mediating": ("resolved", "escalated", "closed"),
    "escalated": ("resolved", "closed"),
    "resolved": (),
    "closed": (),
}
FINAL = ("resolved", "closed")
HANDLED = ("resolved", "escalated", "closed")

assert set(m.CASE_TYPES) == set(CaseType.__args__)  # type: ignore[attr-defined]
assert set(m.CASE_OUTCOMES) == set(Outcome.__args__)  # type: ignore[attr-defined]


class CaseCreate(Request):
    placement_id: Id
    type: CaseType
    summary: Text
    money_claimed: Yuan = 0


class EntryCreate(Request):
    text: Text
    action: Literal["note", "call", "visit", "mediation", "employer_contact"] = "note"


class StatusChange(Request):
    version: Annotated[int, msgspec.Meta(ge=1)]
    status: CaseStatus
    note: Text
    outcome: Outcome | None = None


class Recovery(Request):
    amount: Annotated[int, msgspec.Meta(ge=1, le=10_000_000)]
    note: Text


class EntryOut(Response):
    at: dt.datetime
    who: str
    action: str
    text: str
    status_from: str | None
    status_to: str | None
    amount: int | None


class CaseOut(Response):
    id: int
    type: str
    status: str
    placement_id: int
    worker_id: int
    employer_id: int
    office_id: int | None
    summary: str
    money_claimed: int
    money_recovered: int
    outcome: str | None
    opened_by: str
    opened_at: dt.datetime
    closed_at: dt.datetime | None
    version: int
    log: list[EntryOut]


class CasePage(Response):
    items: list[CaseOut]
    total: int


class Figures(Response):
    office_id: int | None
    office: str
    cases: int
    open: int
    handled: int
    resolved: int
    mediation_rate: float | None
    money_claimed: int
    money_recovered: int


class FiguresOut(Response):
    total: Figures
    by_office: list[Figures]


def _who(principal: Principal | None) -> str:
    return "worker:checkin" if principal is None else f"{principal.role}:{principal.account_id}"


def _scope(principal: Principal) -> list[Any]:
    return visible(
        principal, agency=m.Case.agency_id, denied="rights cases are handled by agency staff"
    )


async def _entry(
    session: AsyncSession,
    case_id: int,
    who: str,
    action: str,
    text: str,
    *,
    status_from: str | None = None,
    status_to: str | None = None,
    amount: int | None = None,
) -> None:
    await repo.add_case_entry(
        session,
        m.CaseEntry(
            case_id=case_id,
            at=clock.now(),
            who=who,
            action=action,
            text=text,
            status_from=status_from,
            status_to=status_to,
            amount=amount,
        ),
    )


async def open_case(
    session: AsyncSession,
    principal: Principal | None,
    placement: m.Placement,
    case_type: str,
    summary: str,
    money_claimed: int = 0,
) -> m.Case:
    """Open a case on a placement (``principal`` None: opened from her check-in)."""
    city = await repo.opening_city(session, placement.opening_id)
    assert city is not None
    office_id = await destination_office(session, placement.agency_id, city)
    case = m.Case(
        type=case_type,
        status="open",
        placement_id=placement.id,
        worker_id=placement.worker_id,
        employer_id=placement.employer_id,
        agency_id=placement.agency_id,
        office_id=office_id,
        summary=summary,
        money_claimed=money_claimed,
        money_recovered=0,
        opened_by=_who(principal),
        version=1,
    )
    await repo.add_case(session, case)
    await _entry(session, case.id, _who(principal), "opened", summary, status_to="open")
    await open_task(
        session,
        kind="case_opened",
        dedupe_key=f"case:{case.id}",
        placement=placement,
        city=city,
        summary=f"维权案件 #{case.id}（{case_type}）：{summary}",
        case_id=case.id,
    )
    return case


async def create_case(session: AsyncSession, principal: Principal, data: CaseCreate) -> CaseOut:
    principal.require("admin", "staff")
    summary = data.summary.strip()
    if not summary:
        raise Invalid("summary", msg("must not be blank"))
    placement = await repo.get_placement(session, data.placement_id)
    if placement is None or not may_see(principal, agency_id=placement.agency_id):
        raise Invalid(
            "placement_id",
            msg("no placement with id {placement_id}"),
            placement_id=data.placement_id,
        )
    case = await open_case(session, principal, placement, data.type, summary, data.money_claimed)
    return await get_case(session, principal, case.id)


async def _load(session: AsyncSession, principal: Principal, case_id: int) -> m.Case:
    case = await repo.find_case(session, case_id, _scope(principal))
    if case is None:
        raise NotFound(msg("no case with id {case_id}"), case_id=case_id)
    return case


def _out(case: m.Case, entries: list[m.CaseEntry]) -> CaseOut:
    return CaseOut(
        id=case.id,
        type=case.type,
        status=case.status,
        placement_id=case.placement_id,
        worker_id=case.worker_id,
        employer_id=case.employer_id,
        office_id=case.office_id,
        summary=case.summary,
        money_claimed=case.money_claimed,
        money_recovered=case.money_recovered,
        outcome=case.outcome,
        opened_by=case.opened_by,
        opened_at=case.opened_at,
        closed_at=case.closed_at,
        version=case.version,
        log=[
            EntryOut(
                at=e.at,
                who=e.who,
                action=e.action,
                text=e.text,
                status_from=e.status_from,
                status_to=e.status_to,
                amount=e.amount,
            )
            for e in entries
        ],
    )


async def get_case(session: AsyncSession, principal: Principal, case_id: int) -> CaseOut:
    case = await _load(session, principal, case_id)
    await repo.refresh(session, case)
    return _out(case, (await repo.case_entries(session, [case.id]))[case.id])


async def list_cases(
    session: AsyncSession,
    principal: Principal,
    *,
    status: str | None,
    office_id: int | None,
    worker_id: int | None,
    limit: int,
    offset: int,
) -> CasePage:
    where = list_conditions(principal, status=status, office_id=office_id, worker_id=worker_id)
    rows, total = await repo.cases(session, where, limit=limit, offset=offset)
    entries = await repo.case_entries(session, [c.id for c in rows])
    return CasePage(items=[_out(c, entries[c.id]) for c in rows], total=total)


async def iter_cases(
    session: AsyncSession, where: list[Any], *, chunk: int = 2000
) -> AsyncIterator[list[m.Case]]:
    """Every case meeting ``where`` (from :func:`list_conditions`), by id, a chunk at a time."""
    after = 0
    while rows := await repo.cases_after(session, where, after, chunk):
        yield rows
        after = rows[-1].id


def list_conditions(
    principal: Principal, *, status: str | None, office_id: int | None, worker_id: int | None
) -> list[Any]:
    """The case list's conditions for ``principal`` (the list and its export alike), or 422
    on a status that is none."""
    conditions = _scope(principal)
    if status is not None and status not in NEXT:
        raise Invalid("status", msg("must be one of {choices}"), choices=", ".join(NEXT))
    return conditions + repo.case_conditions(
        status=status, office_id=office_id, worker_id=worker_id
    )


async def add_entry(
    session: AsyncSession, principal: Principal, case_id: int, data: EntryCreate
) -> CaseOut:
    case = await _load(session, principal, case_id)
    text = data.text.strip()
    if not text:
        raise Invalid("text", msg("must not be blank"))
    if case.status in FINAL:
        raise Conflict(
            msg("case {case_id} is {status}; its log is closed"),
            case_id=case_id,
            status=case.status,
        )
    await _entry(session, case.id, _who(principal), data.action, text)
    return await get_case(session, principal, case_id)


async def record_recovery(
    session: AsyncSession, principal: Principal, case_id: int, data: Recovery
) -> CaseOut:
    """Compensation recovered for her (补偿): added to the case and logged."""
    case = await _load(session, principal, case_id)
    note = data.note.strip()
    if not note:
        raise Invalid("note", msg("must not be blank"))
    if case.status in FINAL:
        raise Conflict(msg("case {case_id} is {status}"), case_id=case_id, status=case.status)
    await repo.add_recovered(session, case_id, data.amount)
    await _entry(session, case_id, _who(principal), "recovered", note, amount=data.amount)
    return await get_case(session, principal, case_id)


async def change_status(
    session: AsyncSession, principal: Principal, case_id: int, data: StatusChange
) -> CaseOut:
    case = await _load(session, principal, case_id)
    note = data.note.strip()
    if not note:
        raise Invalid("note", msg("must not be blank"))
    if data.version != case.version:
        raise Conflict(
            msg("case {case_id} was changed by someone else; reload and try again"),
            extra={"field": "version", "current_version": case.version},
            case_id=case_id,
        )
    if data.status not in NEXT[case.status]:
        allowed = ", ".join(NEXT[case.status]) or "nothing (it is final)"
        raise Invalid(
            "status",
            msg("a {status} case can move to {allowed}"),
            status=case.status,
            allowed=allowed,
        )
    if data.status in FINAL and data.outcome is None:
        raise Invalid(
            "outcome", msg("closing a case ({status}) requires an outcome"), status=data.status
        )
    if data.status not in FINAL and data.outcome is not None:
        raise Invalid("outcome", msg("an outcome is given when the case is resolved or closed"))
    now = clock.now()
    changed = await repo.set_case_status(
        session,
        case_id,
        version=data.version,
        status=data.status,
        outcome=data.outcome,
        closed_at=now if data.status in FINAL else None,
    )
    if not changed:
        raise Conflict(msg("case {case_id} was changed a moment ago"), case_id=case_id)
    await _entry(
        session,
        case_id,
        _who(principal),
        "status",
        note + (f" [outcome: {data.outcome}]" if data.outcome else ""),
        status_from=case.status,
        status_to=data.status,
    )
    if data.status in FINAL and data.outcome is not None:
        rep, prot = standing.case_effect(case.type, data.outcome)
        await standing.move(
            session,
            case.employer_id,
            {"reputation": rep, "labour_protection": prot},
            f"case {case_id} ({case.type}) closed as {data.outcome}",
            f"case:{case_id}",
        )
    return await get_case(session, principal, case_id)


async def figures(session: AsyncSession, principal: Principal) -> FiguresOut:
    """Cases handled, the mediation (resolution) rate and compensation recovered (调处率)."""
    rows = await repo.case_counts_by_office(
        session,
        _scope(principal),
        open_=("open", "mediating"),
        handled=HANDLED,
        resolved="resolved",
    )

    def fig(office_id: int | None, office: str, r: list[Any]) -> Figures:
        cases, open_n, handled_n, resolved_n, claimed, recovered = (int(x or 0) for x in r)
        return Figures(
            office_id=office_id,
            office=office,
            cases=cases,
            open=open_n,
            handled=handled_n,
            resolved=resolved_n,
            mediation_rate=round(resolved_n / handled_n, 4) if handled_n else None,
            money_claimed=claimed,
            money_recovered=recovered,
        )

    by_office = [
        fig(r.office_id, r.office, [r.cases, r.open, r.handled, r.resolved, r.claimed, r.recovered])
        for r in rows
    ]
    sums = [
        sum(getattr(f, k) for f in by_office)
        for k in ("cases", "open", "handled", "resolved", "money_claimed", "money_recovered")
    ]
    return FiguresOut(total=fig(None, "total", sums), by_office=by_office)
