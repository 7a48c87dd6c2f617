"""Follow-ups (回访) on day 7, 30 and 90: the check-in notice and her short phone page, staff
check-ins by phone or visit, and a task for the office when something is wrong or she does
not answer within three days. Wages not paid on time also open a rights case."""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass
from typing import Annotated, Any, Literal

import msgspec
from sqlalchemy.ext.asyncio import AsyncSession

from matching.db import models as m
from matching.lib import clock
from matching.lib.context import Context
from matching.lib.errors import Conflict, Invalid, NotFound, msg
from matching.lib.principal import Principal, may_see
from matching.lib.types import Request, Yuan
from matching.network.repository import office_contact
from matching.notices import templates
from matching.notices.outbox import enqueue, notice_row
from matching.placements import repository as repo
from matching.placements.cases import open_case
from matching.placements.tasks import open_task

ANSWER_WITHIN = dt.timedelta(days=3)
LINK_LIFETIME = dt.timedelta(days=14)
DAYS_OF = {1: 7, 2: 30, 3: 90}


class CheckinAnswers(Request):
    """Her answers: wages on time? hours as agreed? housing as promised? anything wrong?"""

    wages_on_time: bool
    hours_as_agreed: bool
    housing_as_promised: bool | None = None
    problem: Annotated[str, msgspec.Meta(max_length=1000)] = ""
    wage_paid: Yuan | None = None
    """The wage she was actually paid last month, whole yuan; from then on the placement's
    monthly wage (her labour income is counted with it)."""


class StaffCheckin(CheckinAnswers, kw_only=True):
    channel: Literal["phone", "visit"]
    note: Annotated[str, msgspec.Meta(max_length=1000)] = ""


def worrying(a: CheckinAnswers) -> list[str]:
    """What in her answers needs an office's attention (empty: all is well)."""
    issues = []
    if not a.wages_on_time:
        issues.append("工资未按时发放 / wages late")
    if not a.hours_as_agreed:
        issues.append("工时与约定不符 / hours not as agreed")
    if a.housing_as_promised is False:
        issues.append("住宿与承诺不符 / housing not as promised")
    if a.problem.strip():
        issues.append(a.problem.strip()[:300])
    return issues


async def _placement_city(session: AsyncSession, placement: m.Placement) -> str:
    city = await repo.opening_city(session, placement.opening_id)
    assert city is not None
    return city


async def record(
    session: AsyncSession,
    follow_up: m.FollowUp,
    answers: CheckinAnswers,
    *,
    channel: str,
    by: str,
    principal: Principal | None = None,
) -> None:
    """Store a check-in; open a task (and, for late wages, a case) when it worries."""
    if follow_up.status == "done":
        raise Conflict(msg("follow-up {n} was answered already"), n=follow_up.n)
    placement = await repo.get_placement(session, follow_up.placement_id)
    assert placement is not None
    if clock.today() < placement.start_date:  # nothing to check on before she has started
        raise Conflict(
            msg(
                "placement {id} starts on {start_date}: a check-in is recorded once she has started"
            ),
            extra={"field": "n"},
            id=placement.id,
            start_date=placement.start_date.isoformat(),
        )
    stored: dict[str, Any] = msgspec.to_builtins(answers)
    await repo.mark_follow_up_done(
        session,
        follow_up.id,
        answers=stored,
        channel=channel,
        recorded_by=by[:32],
        answered_at=clock.now(),
    )
    if answers.wage_paid is not None:
        await repo.set_monthly_wage(session, placement.id, answers.wage_paid)
    issues = worrying(answers)
    if not issues:
        return
    city = await _placement_city(session, placement)
    case_id = None
    if not answers.wages_on_time and placement.status == "active":
        case = await open_case(
            session,
            principal,
            placement,
            "wage_arrears",
            f"第{DAYS_OF[follow_up.n]}天回访：工资未按时发放 / day-{DAYS_OF[follow_up.n]} "
            f"check-in: wages late. {answers.problem.strip()}".strip(),
        )
        case_id = case.id
    await open_task(
        session,
        kind="worrying_checkin",
        dedupe_key=f"worrying:{follow_up.id}",
        placement=placement,
        city=city,
        summary=f"第{DAYS_OF[follow_up.n]}天回访有问题：" + "；".join(issues),
        follow_up_id=follow_up.id,
        case_id=case_id,
    )


async def record_by_staff(
    session: AsyncSession, principal: Principal, placement_id: int, n: int, data: StaffCheckin
) -> None:
    principal.require("admin", "staff")
    placement = await repo.get_placement(session, placement_id)
    if placement is None or not may_see(principal, agency_id=placement.agency_id):
        raise NotFound(msg("no placement with id {placement_id}"), placement_id=placement_id)
    if n not in DAYS_OF:
        raise Invalid("n", msg("follow-ups are numbered 1 (day 7), 2 (day 30) and 3 (day 90)"))
    follow_up = await repo.follow_up(session, placement_id, n)
    await record(
        session,
        follow_up,
        data,
        channel=data.channel,
        by=f"{principal.role}:{principal.account_id}",
        principal=principal,
    )


async def send_due(session: AsyncSession, ctx: Context) -> int:
    """Follow-ups that fall due today (or were missed while the scheduler was down): her
    check-in notice and link. Safe to run twice: only 'scheduled' rows move, once."""
    today = clock.today()
    rows = await repo.scheduled_follow_ups_due(session, today)
    notices = []
    for follow_up, placement, worker, employer in rows:
        if not await repo.move_follow_up(session, follow_up.id, from_="scheduled", to="due"):
            continue
        code = secrets.token_urlsafe(9)
        repo.add_checkin_link(
            session,
            code=code,
            follow_up_id=follow_up.id,
            worker_id=worker.id,
            expires_at=clock.now() + LINK_LIFETIME,
        )
        link = f"{ctx.settings.public_url}/c/{code}"
        notices.append(
            notice_row(
                kind="checkin",
                dedupe_key=f"checkin:{follow_up.id}",
                worker_id=worker.id,
                to_phone=worker.phone,
                locale=worker.locale,
                text=templates.checkin(
                    worker.name, employer.name, DAYS_OF[follow_up.n], link, worker.locale
                ),
                link=link,
                placement_id=placement.id,
            )
        )
    await session.flush()
    await enqueue(session, notices)
    return len(notices)


async def flag_unanswered(session: AsyncSession) -> int:
    """No answer within three days of the due date: a task for the office to call her."""
    cutoff = clock.today() - ANSWER_WITHIN
    rows = await repo.due_follow_ups_before(session, cutoff)
    for follow_up, placement in rows:
        await repo.move_follow_up(session, follow_up.id, from_="due", to="missed")
        await open_task(
            session,
            kind="checkin_unanswered",
            dedupe_key=f"unanswered:{follow_up.id}",
            placement=placement,
            city=await _placement_city(session, placement),
            summary=f"第{DAYS_OF[follow_up.n]}天回访三天未答复，请电话或上门回访",
            follow_up_id=follow_up.id,
        )
    return len(rows)


@dataclass(frozen=True, slots=True)
class OpenedCheckin:
    follow_up: m.FollowUp
    placement: m.Placement
    employer: str
    worker_name: str
    cases: list[m.Case]
    office_phone: str | None
    """Her office's phone (the one in the employer's city, else her agency's first with one)."""


async def open_checkin(session: AsyncSession, code: str) -> OpenedCheckin | None:
    link = await repo.get_checkin_link(session, code)
    if link is None or link.expires_at <= clock.now():
        return None
    follow_up = await repo.get_follow_up(session, link.follow_up_id)
    assert follow_up is not None
    placement = await repo.get_placement(session, follow_up.placement_id)
    assert placement is not None
    if placement.worker_id != link.worker_id:
        return None
    employer = await repo.get_employer(session, placement.employer_id)
    worker = await repo.get_worker(session, placement.worker_id)
    assert employer is not None and worker is not None
    cases = await repo.cases_of_worker(session, worker.id)
    office = await office_contact(
        session, placement.agency_id, await _placement_city(session, placement)
    )
    phone = office[1] if office is not None else None
    return OpenedCheckin(follow_up, placement, employer.name, worker.name, cases, phone)


async def answer_checkin(
    session: AsyncSession, code: str, answers: CheckinAnswers
) -> OpenedCheckin | None:
    """Her answers through her link; None (nothing changed) if the link no longer works."""
    opened = await open_checkin(session, code)
    if opened is None or opened.follow_up.status == "done":
        return None
    await record(session, opened.follow_up, answers, channel="worker_link", by="worker:link")
    await repo.mark_checkin_link_used(session, code, clock.now())
    session.expire_all()
    return await open_checkin(session, code)
