"""Printed pages (issue 11, Print): the placement letter she takes to the factory (上岗介绍信,
one A4 page with the source's rights pack and the letter to her and her family) and her
registration card. Both read through the services: ``placements.placement_letter`` (staff of
her agency and admins; an employer is refused, the letter being the agency's to her) and
``profiles.get_worker`` with ``network.agency_contact``."""

from __future__ import annotations

from typing import Any

from litestar import Request, get
from litestar.params import FromPath
from litestar.response import Template

from matching.api.deps import DbSession
from matching.lib import clock
from matching.network import service as network
from matching.placements import service as placements
from matching.profiles import service as profiles
from matching.web.console import Me, render

AnyRequest = Request[Any, Any, Any]


@get("/placements/{placement_id:int}/letter")
async def placement_letter(
    request: AnyRequest, db_session: DbSession, me: Me, placement_id: FromPath[int]
) -> Template:
    """Her placement letter: one A4 page from the print stylesheet."""
    p, names = await placements.placement_letter(db_session, me, placement_id)
    return render(request, "console/placement_letter.html", p=p, names=names, today=clock.today())


@get("/workers/{worker_id:int}/card")
async def worker_card(
    request: AnyRequest, db_session: DbSession, me: Me, worker_id: FromPath[int]
) -> Template:
    """Her registration card (登记卡): the masked ID number only, never the full one."""
    me.require("admin", "staff")
    w = await profiles.get_worker(db_session, me, worker_id)
    agency, office, phone = await network.agency_contact(db_session, me, w.agency_id)
    return render(
        request, "console/worker_card.html", w=w, agency=agency, office=office, phone=phone
    )


ROUTES = [placement_letter, worker_card]
