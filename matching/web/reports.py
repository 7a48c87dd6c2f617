"""The console's 报表: the federation's figures for a chosen period, with the source's headline
paragraph written from them and simple server-drawn charts (the same service as the API)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from litestar import Request, get
from litestar.params import FromQuery
from litestar.response import Template

from matching.api.deps import DbSession
from matching.lib import clock
from matching.lib.errors import DomainError, Forbidden
from matching.network import service as network
from matching.reports import figures
from matching.reports.schemas import Summary
from matching.web.console import Me, field_errors, render, t

AnyRequest = Request[Any, Any, Any]


@dataclass(frozen=True, slots=True)
class Bar:
    label: str
    value: int


def _percent(share: float | None) -> str:
    return "—" if share is None else f"{share * 100:.1f}%"


def _wan(yuan: int) -> str:
    """Yuan as 万元 (ten thousands), as the report writes income."""
    return f"{yuan / 10000:,.2f}"


def headline(request: AnyRequest, s: Summary) -> list[str]:
    """The report's opening sentences, from the figures (a missing labour force is said so)."""
    tr = s.transferred
    first = t(
        request,
        "In all, %(n)s rural workers were transferred, %(share)s of the labour force; of them "
        "%(women)s were women, %(women_share)s; labour income %(income)s ten-thousand yuan.",
        n=tr.total,
        share=_percent(tr.share_of_labour_force),
        women=tr.women,
        women_share=_percent(tr.women_share),
        income=_wan(s.labour_income_yuan.total),
    )
    if s.labour_force is None:
        first += t(request, " (No labour force is recorded for %(year)s.)", year=s.to.year)
    sentences = [
        first,
        t(
            request,
            "%(local)s were transferred locally and %(away)s went away to work; the women "
            "earned %(income)s ten-thousand yuan.",
            local=tr.local,
            away=tr.away,
            income=_wan(s.labour_income_yuan.women),
        ),
        t(
            request,
            "%(people)s people were trained in %(sessions)s sessions, %(free)s of them free "
            "as priority groups.",
            people=s.trained.people,
            sessions=s.trained.sessions,
            free=s.trained.free_for_priority,
        ),
    ]
    if s.job_fairs.fairs:
        jf = s.job_fairs
        sentences.append(
            t(
                request,
                "%(fairs)s job fairs were held, with %(employers)s employers, %(attendees)s "
                "attendees and %(consultations)s consultations; %(hires)s were hired there.",
                fairs=jf.fairs,
                employers=jf.employers,
                attendees=jf.attendees,
                consultations=jf.consultations,
                hires=jf.hires,
            )
        )
    sentences.append(
        t(
            request,
            "%(handled)s rights cases were handled, %(resolved)s resolved (mediation rate "
            "%(rate)s), and %(money)s yuan of compensation recovered.",
            handled=s.cases.handled,
            resolved=s.cases.resolved,
            rate=_percent(s.cases.mediation_rate),
            money=f"{s.cases.compensation_recovered_yuan:,}",
        )
    )
    return sentences


@get("/reports")
async def reports_page(
    request: AnyRequest,
    db_session: DbSession,
    me: Me,
    to: FromQuery[str | None] = None,
    agency_id: FromQuery[str | None] = None,
) -> Template:
    me.require("admin", "staff")
    # ``from`` is a Python keyword: read it off the query string.
    raw_from = request.query_params.get("from")
    today = clock.today()
    raw_from = raw_from if raw_from is not None else today.replace(month=1, day=1).isoformat()
    raw_to = to if to is not None else today.isoformat()
    agency = int(agency_id) if agency_id and agency_id.isdigit() else None
    agencies = list((await network.list_agencies(db_session, me)).items) if me.is_admin else []
    values = {"from": raw_from, "to": raw_to, "agency_id": str(agency or "")}
    try:
        s = await figures.summary(db_session, me, raw_from, raw_to, agency_id=agency)
    except DomainError as exc:
        if isinstance(exc, Forbidden):
            raise
        return render(
            request,
            "console/reports.html",
            422,
            s=None,
            v=values,
            errors=field_errors(request, exc),
            agencies=agencies,
        )
    months = s.by_month
    return render(
        request,
        "console/reports.html",
        s=s,
        v=values,
        errors={},
        agencies=agencies,
        headline=headline(request, s),
        by_month=[Bar(m.month, m.transferred) for m in months],
        women_share=[
            Bar(m.month, round(m.women * 100 / m.transferred)) for m in months if m.transferred
        ],
        by_city=[Bar(c.city, c.transferred) for c in s.by_destination_city[:8]],
        by_group=[Bar(g.code, g.transferred) for g in s.by_priority_group if g.transferred],
        percent=_percent,
    )


ROUTES = [reports_page]
