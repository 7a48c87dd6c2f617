"""Which rule refused, on both databases. The offer's road has two guards at each step: the
service's own check of the status it read, and the database's (an UPDATE that moves only a
row still in the expected status). Both answer 409, so a test that looks only at the status
code cannot tell that one of them is gone; these read the answer's words, and nothing is
written either way."""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

import pytest
from sqlalchemy import event, insert
from sqlalchemy.engine import Engine
from sqlalchemy.util import await_only

from matching.db import models as m
from matching.lib import clock
from tests import seams
from tests.integration.test_offers import offered_world
from tests.support import Api, assert_problem, opening_payload


async def refused(api: Api, method: str, path: str, who: dict[str, str], **kw: Any) -> str:
    """The request is refused with 409, changes nothing, and answers why."""
    before = await api.digest()
    body = assert_problem(await api.request(method, path, who, **kw), 409)
    assert await api.digest() == before
    return str(body["detail"])


@pytest.mark.parametrize("status", ["pending", "declined"])
async def test_confirming_an_offer_not_accepted_names_its_status(api: Api, status: str) -> None:
    w = await offered_world(api)
    offer_id = w["offer_of"][w["priority"]["id"]]
    if status == "declined":
        await api.ok("POST", f"/offers/{offer_id}/decline", w["staff_a"])
    detail = await refused(api, "POST", f"/offers/{offer_id}/confirm", w["employer_hr"])
    assert detail == f"offer {offer_id} is {status}; only an accepted offer can be confirmed"


async def test_the_database_refuses_a_confirm_the_service_read_stale(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    """She declined a moment ago, but the confirmation read the offer before: its own check
    passes, and the database guard must refuse."""
    w = await offered_world(api)
    offer_id = w["offer_of"][w["priority"]["id"]]
    await api.ok("POST", f"/offers/{offer_id}/decline", w["staff_a"])
    real_view = seams.offers.view

    async def read_before_she_declined(session: Any, oid: int) -> Any:
        return dataclasses.replace(await real_view(session, oid), status="accepted")

    monkeypatch.setattr(seams.offers, "view", read_before_she_declined)
    detail = await refused(api, "POST", f"/offers/{offer_id}/confirm", w["employer_hr"])
    assert detail == f"offer {offer_id} changed a moment ago"
    assert await api.count("placements") == 0


async def test_answering_an_answered_offer_names_its_status(api: Api) -> None:
    w = await offered_world(api)
    offer_id = w["offer_of"][w["priority"]["id"]]
    await api.ok("POST", f"/offers/{offer_id}/accept", w["staff_a"])
    detail = await refused(api, "POST", f"/offers/{offer_id}/decline", w["staff_a"])
    assert detail == f"offer {offer_id} is accepted; only a pending offer can be answered"


async def test_an_offer_past_its_time_cannot_be_answered_before_the_expiry_job(
    api: Api, settings: Any
) -> None:
    """The expiry job has not run yet (the offer still says pending): her time is up anyway."""

    w = await offered_world(api)
    offer_id = w["offer_of"][w["priority"]["id"]]
    clock.travel(dt.timedelta(days=settings.offer_days, minutes=1))
    assert (await api.ok("GET", f"/offers/{offer_id}", w["staff_a"]))["status"] == "pending"
    detail = await refused(api, "POST", f"/offers/{offer_id}/accept", w["staff_a"])
    assert detail.startswith(f"offer {offer_id} expired at ")


async def test_withdrawing_an_offer_no_longer_live_names_its_status(api: Api) -> None:
    w = await offered_world(api)
    offer_id = w["offer_of"][w["priority"]["id"]]
    await api.ok("POST", f"/offers/{offer_id}/decline", w["staff_a"])
    detail = await refused(
        api, "POST", f"/offers/{offer_id}/withdraw", w["employer_hr"], json={"reason": "订单取消"}
    )
    assert detail == f"offer {offer_id} is declined; only a live offer can be withdrawn"


async def test_a_suspended_employer_may_not_post_an_opening(api: Api) -> None:
    agency = await api.agency()
    staff = await api.staff(agency["id"])
    employer = await api.employer(agency_id=agency["id"], name="申美电器")
    hr = await api.employer_account(employer["id"])
    await api.ok(
        "POST", f"/employers/{employer['id']}/suspend", await api.admin(), json={"reason": "欠薪"}
    )
    for who in (staff, hr):
        detail = await refused(api, "POST", "/openings", who, json=opening_payload(employer["id"]))
        assert detail == "employer 申美电器 is suspended and may not post openings"
    assert await api.count("openings") == 0


async def test_a_duplicate_written_at_the_same_moment_answers_409(api: Api) -> None:
    """Two admins create the same agency at the same instant: the service's check for the
    name passes for both, the database's unique index refuses the second. That is a
    conflict (409 problem), not a server error."""
    admin = await api.admin()
    name = "如东县劳务公司"
    raced: list[bool] = []

    async def the_other_admin() -> None:
        async with api.engine.begin() as conn:
            await conn.execute(insert(m.Agency).values(name=name))

    def before(_conn: Any, _cursor: Any, statement: str, *_rest: Any) -> None:
        if not raced and statement.lstrip().upper().startswith("INSERT INTO AGENCIES"):
            raced.append(True)
            await_only(the_other_admin())  # lands between the check and this insert

    event.listen(Engine, "before_cursor_execute", before)
    try:
        r = await api.request("POST", "/agencies", admin, json={"name": name})
    finally:
        event.remove(Engine, "before_cursor_execute", before)
    assert raced == [True]
    body = assert_problem(r, 409)
    assert "at the same moment" in body["detail"]
    assert await api.count("agencies") == 1
