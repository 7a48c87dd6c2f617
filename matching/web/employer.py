"""Pages for employer accounts (用人单位): their openings and the candidates proposed to them.

An employer sees only what it needs to hire: her name, skills and levels, and when she is
available; never her ID number, priority group or home village (PIPL: minimise)."""

from __future__ import annotations

from typing import Any

from litestar import Request, get
from litestar.params import FromQuery
from litestar.response import Template

from matching.api.access import record
from matching.api.deps import DbSession
from matching.offers import service as offers
from matching.openings import service as openings
from matching.web.console import Me, Pager, render


@get("/employer")
async def employer_home(
    request: Request[Any, Any, Any],
    db_session: DbSession,
    me: Me,
    page: FromQuery[int | None] = None,
) -> Template:
    me.require("employer")
    pager = Pager.of(page)
    found = await openings.list_openings(
        db_session, me, openings.OpeningFilter(), limit=pager.size, offset=pager.offset
    )
    return render(
        request,
        "console/employer.html",
        openings=found.items,
        pager=pager.with_total(found.total),
    )


@get("/employer/candidates")
async def employer_candidates(
    request: Request[Any, Any, Any],
    db_session: DbSession,
    me: Me,
    status: FromQuery[str | None] = None,
    page: FromQuery[int | None] = None,
) -> Template:
    me.require("employer")
    pager = Pager.of(page)
    status = status if status in ("pending", "accepted", "confirmed", "withdrawn") else None
    rows, total = await offers.candidates(
        db_session, me, status=status, limit=pager.size, offset=pager.offset
    )
    record(request, me, "console.candidates", [c.worker_id for c in rows])
    return render(
        request,
        "console/candidates.html",
        candidates=rows,
        pager=pager.with_total(total),
        f={"status": status or ""},
    )


ROUTES = [employer_home, employer_candidates]
