"""``GET /placements`` (issue 12, item 4): the list the export had alone, with the export's own
conditions, scoped to the staff's agency and to an employer's own placements."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from matching.db import models as m
from tests.integration.test_aftercare import run
from tests.integration.test_employer_view import placed_world
from tests.integration.test_exports import get, workbook
from tests.integration.test_figures_summary import place
from tests.support import PASSWORD, Api, assert_problem, id_number_for

BORN = dt.date(1990, 5, 17)


async def test_the_list_matches_its_export_and_is_scoped_to_the_agency(api: Api) -> None:
    admin = await api.admin()
    agency, other = await api.agency(), await api.agency()
    staff, staff_b = await api.staff(agency["id"]), await api.staff(other["id"])
    factory = await api.employer(agency_id=agency["id"], name="申美电器", city="上海")
    await api.opening(admin, factory["id"], title="平缝车工", city="上海")
    her = await api.worker(staff, name="王秀英", id_number=id_number_for(BORN, serial=611))
    await run(api, admin)
    placement = await place(api, staff, her["id"])

    listed = await api.ok("GET", "/placements?status=active", staff)
    assert listed["total"] == 1 and len(listed["items"]) == 1
    item = listed["items"][0]
    assert item["id"] == placement["id"] and item["worker_id"] == her["id"]
    assert item["worker_name"] == "王秀英" and item["status"] == "active"
    r = await get(api, "/placements/export.xlsx?status=active", staff)
    rows = list(workbook(r.content).worksheets[0].iter_rows(values_only=True))
    assert len(rows) - 1 == listed["total"]

    # narrowing filters: the same conditions as the export's
    for query in ("?status=ended", f"?worker_id={her['id'] + 999}", "?opening_id=999999"):
        assert (await api.ok("GET", f"/placements{query}", staff))["total"] == 0, query
    mine = await api.ok("GET", f"/placements?worker_id={her['id']}&limit=1&offset=0", staff)
    assert mine["total"] == 1
    assert (await api.ok("GET", "/placements?offset=1", staff))["items"] == []

    # another agency's staff: none of them
    theirs = await api.ok("GET", "/placements", staff_b)
    assert theirs == {"items": [], "total": 0}

    # the list logs every worker it shows, as the worker list does
    api.flush_access_log()
    async with api.engine.connect() as conn:
        logged = (
            await conn.execute(
                select(m.AccessLogEntry.worker_id).where(
                    m.AccessLogEntry.action == "placement.list"
                )
            )
        ).scalars()
        assert set(logged) == {her["id"]}


async def test_an_employer_sees_her_own_placements_as_the_placement_shows_them(
    api: Api,
) -> None:
    w = await placed_world(api)
    hr, pid = w["hr"], w["placement_id"]
    listed = await api.ok("GET", "/placements", hr)
    assert [p["id"] for p in listed["items"]] == [pid] and listed["total"] == 1
    item = listed["items"][0]
    one = await api.ok("GET", f"/placements/{pid}", hr)
    assert "worker_name" not in one and item["worker_name"] is None  # no more than the placement
    assert item["worker_id"] == one["worker_id"] and item["status"] == one["status"]
    assert item["start_date"] == one["start_date"]

    # another employer's account sees none of it
    agency = await api.agency()
    employer = await api.employer(agency_id=agency["id"], name="别家厂")
    username = f"hr{employer['id']}x"
    body = {"username": username, "password": PASSWORD, "role": "employer"}
    await api.ok("POST", "/staff", await api.admin(), json=body | {"employer_id": employer["id"]})
    other = await api.login(username)
    assert await api.ok("GET", "/placements", other) == {"items": [], "total": 0}


async def test_bad_filters_are_a_clear_problem(api: Api) -> None:
    staff = await api.staff((await api.agency())["id"])
    body = assert_problem(await api.request("GET", "/placements?status=gone", staff), 422, "status")
    assert "active" in body["errors"][0]["message"]
    for query, field in (
        ("?worker_id=x", "worker_id"),
        ("?opening_id=0", "opening_id"),
        ("?limit=0", "limit"),
        ("?offset=-1", "offset"),
    ):
        r = await api.request("GET", f"/placements{query}", staff)
        assert r.status_code in (400, 422), (query, r.text)
        assert field in r.text, (query, r.text)
