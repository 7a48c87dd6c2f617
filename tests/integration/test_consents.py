"""Her consents as a record (PIPL arts. 14-16, 28-29): events for matching and for holding her
sensitive information; withdrawing consent to matching withdraws her live offers and keeps her
out of later runs; withdrawing sensitive consent removes her declared priority groups."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import delete, insert, select

from matching.db import models as m
from matching.profiles.service import CONSENT_WITHDRAWN
from tests.integration.test_matching import small_world, wait_run
from tests.integration.test_offers import notices, offered_world
from tests.support import Api, assert_problem, worker_payload


async def consents(api: Api, headers: dict[str, str], worker_id: int) -> list[dict[str, Any]]:
    page = await api.ok("GET", f"/workers/{worker_id}/consents", headers)
    assert page["total"] == len(page["items"])
    return list(page["items"])


async def run(api: Api, headers: dict[str, str]) -> dict[str, Any]:
    r = await api.request("POST", "/match-runs", headers, json={})
    assert r.status_code == 202, r.text
    done = await wait_run(api, headers, r.json()["id"])
    assert done["status"] == "done", done["error"]
    return done


async def test_withdrawing_consent_to_matching_withdraws_her_offer_and_keeps_her_out(
    api: Api,
) -> None:
    w = await offered_world(api)
    staff, her = w["staff_a"], w["priority"]
    offer_id = w["offer_of"][her["id"]]
    given = await consents(api, staff, her["id"])
    # registration: both consents, in person, recorded by the staff account, same moment
    assert [(c["kind"], c["given"]) for c in given] == [("sensitive", True), ("matching", True)]
    assert all(c["channel"] == "in_person" and c["version"] == "2026-12" for c in given)
    assert all(isinstance(c["recorded_by"], int) for c in given)

    me = await api.ok("GET", f"/workers/{her['id']}", staff)
    changed = await api.ok(
        "PATCH",
        f"/workers/{her['id']}",
        staff,
        json={"version": me["version"], "consent_matching": False, "consent_channel": "sms"},
    )
    assert changed["consent_matching"] is False
    assert changed["status"] == "available"
    assert any("1 live offer" in e for e in changed["effects"]), changed["effects"]
    reread = await api.ok("GET", f"/workers/{her['id']}", staff)
    assert reread.get("effects", []) == []  # only the answer to the write says what it did

    offers = (await api.ok("GET", f"/workers/{her['id']}/offers", staff))["items"]
    assert [o["status"] for o in offers] == ["withdrawn"]
    async with api.engine.connect() as conn:
        offer = (await conn.execute(select(m.Offer).where(m.Offer.id == offer_id))).one()
        kept_at = (
            await conn.execute(
                select(m.WorkerProfile.consent_at).where(m.WorkerProfile.id == her["id"])
            )
        ).scalar_one()
    assert offer.reason == CONSENT_WITHDRAWN
    assert kept_at is not None  # the time of her consent is no longer cleared
    told = [n for n in await notices(api, "offer_withdrawn") if n.worker_id == her["id"]]
    assert len(told) == 1 and "撤回匹配同意" in told[0].text, [n.text for n in told]

    # staff can no longer accept it for her
    r = await api.request("POST", f"/offers/{offer_id}/accept", staff)
    assert_problem(r, 409)

    # the next run leaves her out; the slot she held goes to someone else
    second = await run(api, await api.admin())
    proposals = await api.ok(
        "GET", f"/match-runs/{second['id']}/proposals?limit=50", await api.admin()
    )
    assert her["id"] not in [p["worker_id"] for p in proposals["items"]]
    assert second["stats"]["proposals"] == 1  # the sewer who lost to her gets the freed slot
    why = await api.ok("GET", f"/match-runs/{second['id']}/workers/{her['id']}", staff)
    assert why["proposed"] is False
    assert (await api.ok("GET", f"/workers/{her['id']}/offers", staff))["total"] == 1

    events = await consents(api, staff, her["id"])
    assert [(c["kind"], c["given"]) for c in events] == [
        ("matching", False),
        ("sensitive", True),
        ("matching", True),
    ]
    assert events[0]["channel"] == "sms"
    at = [dt.datetime.fromisoformat(c["at"]) for c in events]
    assert at[0] >= at[2]


async def test_accepted_offers_go_too_but_a_confirmed_placement_stays(api: Api) -> None:
    w = await offered_world(api)
    staff = w["staff_a"]
    accepted, placed = w["priority"], w["plain"][0]
    if placed["id"] not in w["offer_of"]:
        placed = w["plain"][1]
    for who in (accepted, placed):
        await api.ok("POST", f"/offers/{w['offer_of'][who['id']]}/accept", staff)
    hr = w["employer_hr"]
    await api.ok("POST", f"/offers/{w['offer_of'][placed['id']]}/confirm", hr)
    placed_staff = staff if placed["agency_id"] == accepted["agency_id"] else w["staff_b"]

    for who, headers, live in ((accepted, staff, 1), (placed, placed_staff, 0)):
        me = await api.ok("GET", f"/workers/{who['id']}", headers)
        changed = await api.ok(
            "PATCH",
            f"/workers/{who['id']}",
            headers,
            json={"version": me["version"], "consent_matching": False},
        )
        assert any(f"{live} live offer" in e for e in changed["effects"]), changed["effects"]
    assert [
        o["status"]
        for o in (await api.ok("GET", f"/workers/{accepted['id']}/offers", staff))["items"]
    ] == ["withdrawn"]
    after = await api.ok("GET", f"/workers/{placed['id']}", placed_staff)
    assert after["status"] == "placed"
    assert [
        o["status"]
        for o in (await api.ok("GET", f"/workers/{placed['id']}/offers", placed_staff))["items"]
    ] == ["confirmed"]


async def test_withdrawing_sensitive_consent_removes_her_declared_groups(api: Api) -> None:
    w = await small_world(api)
    staff, her = w["staff_a"], w["priority"]
    async with api.engine.begin() as conn:  # as if a placement of hers had ended: derived
        await conn.execute(
            insert(m.WorkerGroup), [{"worker_id": her["id"], "group_code": "reemployment"}]
        )
    me = await api.ok("GET", f"/workers/{her['id']}", staff)
    assert me["consent_sensitive"] is True
    assert set(me["priority_groups"]) == {"resettled_migrant", "reemployment"}
    changed = await api.ok(
        "PATCH",
        f"/workers/{her['id']}",
        staff,
        json={
            "version": me["version"],
            "consent_sensitive": False,
            "consent_channel": "phone_page",
        },
    )
    assert changed["consent_sensitive"] is False
    assert changed["priority_groups"] == ["reemployment"]  # not her declared status: kept
    assert any("priority groups removed" in e and "resettled" in e for e in changed["effects"]), (
        changed["effects"]
    )
    events = await consents(api, staff, her["id"])
    assert (events[0]["kind"], events[0]["given"], events[0]["channel"]) == (
        "sensitive",
        False,
        "phone_page",
    )

    # groups cannot come back while she refuses: 422, nothing written
    before = await api.digest()
    r = await api.request(
        "PATCH",
        f"/workers/{her['id']}",
        staff,
        json={
            "version": changed["version"],
            "consent_sensitive": False,
            "priority_groups": ["poor_household"],
        },
    )
    assert_problem(r, 422, "priority_groups")
    assert await api.digest() == before

    # the next run does not treat her as priority: the derived group put in by hand above goes
    # too, so what is left is what withdrawing her sensitive consent left
    async with api.engine.begin() as conn:
        await conn.execute(delete(m.WorkerGroup).where(m.WorkerGroup.worker_id == her["id"]))
    done = await run(api, staff)
    assert done["stats"]["priority_proposals"] == 0
    assert done["audit"].get("resettled_migrant", {}).get("proposed", 0) == 0
    proposals = await api.ok("GET", f"/match-runs/{done['id']}/proposals?limit=50", staff)
    for p in proposals["items"]:
        if p["worker_id"] == her["id"]:
            assert not p["reasons"][0].startswith("优先群体"), p["reasons"]


async def test_registration_with_groups_needs_her_sensitive_consent(api: Api) -> None:
    agency = await api.agency()
    staff = await api.staff(agency["id"])
    before = await api.digest()
    r = await api.request(
        "POST",
        "/workers",
        staff,
        json=worker_payload(consent_sensitive=False, priority_groups=["poor_household"]),
    )
    assert_problem(r, 422, "priority_groups")
    assert await api.digest() == before

    refused = await api.worker(staff, consent_sensitive=False, priority_groups=[])
    assert refused["consent_sensitive"] is False and refused["priority_groups"] == []
    assert [(c["kind"], c["given"]) for c in await consents(api, staff, refused["id"])] == [
        ("sensitive", False),
        ("matching", True),
    ]
    plain = await api.worker(staff, priority_groups=[], consent_matching=False)
    assert plain["consent_sensitive"] is False
    only = await consents(api, staff, plain["id"])
    assert [(c["kind"], c["given"]) for c in only] == [("matching", False)]
    explicit = await api.worker(staff, consent_sensitive=True, consent_version="2027-01")
    assert explicit["consent_sensitive"] is True
    assert {c["version"] for c in await consents(api, staff, explicit["id"])} == {"2027-01"}


async def test_bad_consent_input_and_foreign_callers_write_nothing(api: Api) -> None:
    a, b = await api.agency(), await api.agency()
    staff, foreign = await api.staff(a["id"]), await api.staff(b["id"])
    her = await api.worker(staff)
    employer = await api.employer(agency_id=a["id"])
    hr = await api.employer_account(employer["id"])
    v = her["version"]
    cases = [
        ({"version": v, "consent_matching": False, "consent_channel": "fax"}, "consent_channel"),
        (
            {"version": v, "consent_sensitive": True, "consent_version": "no spaces!"},
            "consent_version",
        ),
        ({"version": v, "consent_version": "x" * 17, "consent_matching": True}, "consent_version"),
        ({"version": v, "consent_sensitive": "no"}, "consent_sensitive"),
        ({"version": v, "consent_channel": "sms"}, "consent_channel"),
        ({"version": v, "consent_version": "2027-01"}, "consent_version"),
        (
            {"version": v, "consent_sensitive": False, "priority_groups": ["laid_off"]},
            "priority_groups",
        ),
    ]
    before = await api.digest()
    for body, field in cases:
        r = await api.request("PATCH", f"/workers/{her['id']}", staff, json=body)
        assert_problem(r, 422, field)
    r = await api.request("POST", "/workers", staff, json=worker_payload(consent_version="2026 12"))
    assert_problem(r, 422, "consent_version")
    for path in ("/workers/999999/consents", f"/workers/{her['id']}/consents"):
        headers = staff if path.startswith("/workers/999999") else foreign
        assert_problem(await api.request("GET", path, headers), 404)
    r = await api.request(
        "PATCH", f"/workers/{her['id']}", foreign, json={"version": v, "consent_matching": False}
    )
    assert_problem(r, 404)
    assert_problem(await api.request("GET", f"/workers/{her['id']}/consents", hr), 403)
    for query in ("limit=0", "offset=-1", "limit=x"):
        r = await api.request("GET", f"/workers/{her['id']}/consents?{query}", staff)
        assert r.status_code in (400, 422), (query, r.status_code)
        assert_problem(r, r.status_code)
    assert await api.digest() == before
    # an admin sees them
    assert len(await consents(api, await api.admin(), her["id"])) == 2
