"""The unified fee schedule (统一收费): publishing versions, the most specific rule, the fee
computed at confirmation (waived for priority groups), and no fee ever typed in by hand."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from matching.db import models as m
from matching.network.fees import FeeRule, pick_rule, quote_fee
from tests.integration.test_matching import wait_run
from tests.support import Api, assert_problem

FULL: list[dict[str, Any]] = [
    {"amount": 300},
    {"industry": "服装", "amount": 400},
    {"destination_city": "上海", "amount": 500},
    {"destination_city": "上海", "industry": "服装", "amount": 600},
]


async def accepted_world(
    api: Api, *, industry: str = "服装", plain_groups: tuple[str, ...] = ()
) -> dict[str, Any]:
    """One agency, a garment maker in Shanghai with two sewing places, a poor-household worker
    and a worker in no priority group (or in ``plain_groups``, which the default policy records
    only); a match run offers both, and staff accept for them."""
    agency = await api.agency()
    staff = await api.staff(agency["id"])
    employer = await api.employer(agency_id=agency["id"], name="雅尔美服饰", industry=industry)
    opening = await api.opening(staff, employer["id"], headcount=2)
    poor = await api.worker(staff, name="王秀英", priority_groups=["poor_household"])
    plain = await api.worker(staff, name="李秀兰", priority_groups=list(plain_groups))
    r = await api.request("POST", "/match-runs", staff, json={})
    run = await wait_run(api, staff, r.json()["id"])
    assert run["status"] == "done", run
    async with api.engine.connect() as conn:
        rows = (await conn.execute(select(m.Offer.id, m.Offer.worker_id))).all()
    offer_of = {r.worker_id: r.id for r in rows}
    assert set(offer_of) == {poor["id"], plain["id"]}
    for offer_id in offer_of.values():
        await api.ok("POST", f"/offers/{offer_id}/accept", staff)
    return {
        "agency": agency,
        "staff": staff,
        "employer": employer,
        "opening": opening,
        "poor": poor,
        "plain": plain,
        "offer_of": offer_of,
    }


async def confirm(api: Api, w: dict[str, Any], worker: str) -> dict[str, Any]:
    body = await api.ok("POST", f"/offers/{w['offer_of'][w[worker]['id']]}/confirm", w["staff"])
    return await api.ok("GET", f"/placements/{body['placement_id']}", w["staff"])


async def publish(api: Api, agency_id: int, rules: list[dict[str, Any]]) -> dict[str, Any]:
    return await api.ok(
        "POST", f"/agencies/{agency_id}/fee-schedule", await api.admin(), json={"rules": rules}
    )


async def test_publish_versions_and_read_the_current_one(api: Api) -> None:
    agency = await api.agency()
    staff = await api.staff(agency["id"])
    r = await api.request("GET", f"/agencies/{agency['id']}/fee-schedule", staff)
    assert_problem(r, 404)
    first = await api.ok(
        "POST", f"/agencies/{agency['id']}/fee-schedule", staff, json={"rules": FULL}
    )
    assert first["version"] == 1 and first["agency_id"] == agency["id"]
    assert first["rules"][3] == {"destination_city": "上海", "industry": "服装", "amount": 600}
    assert first["rules"][0] == {"destination_city": None, "industry": None, "amount": 300}
    second = await publish(api, agency["id"], [{"destination_city": " 苏州 ", "amount": 200}])
    assert second["version"] == 2
    current = await api.ok("GET", f"/agencies/{agency['id']}/fee-schedule", staff)
    assert current["version"] == 2 and current["id"] == second["id"]
    assert current["rules"] == [{"destination_city": "苏州", "industry": None, "amount": 200}]


async def test_bad_schedules_are_refused_and_change_nothing(api: Api) -> None:
    agency, other = await api.agency(), await api.agency()
    staff = await api.staff(agency["id"])
    hr = await api.employer_account((await api.employer())["id"])
    path = f"/agencies/{agency['id']}/fee-schedule"
    before = await api.digest()
    cases: list[tuple[Any, str]] = [
        ({"rules": [{"amount": -1}]}, "rules[0].amount"),
        ({"rules": []}, "rules"),
        ({}, "rules"),
        ({"rules": [{"amount": 100}, {"amount": 200}]}, "rules[1]"),
        (
            {
                "rules": [
                    {"destination_city": "上海", "industry": "电子", "amount": 1},
                    {"destination_city": "上海 ", "industry": "电子", "amount": 2},
                ]
            },
            "rules[1]",
        ),
        ({"rules": [{"destination_city": "  ", "amount": 100}]}, "rules[0].destination_city"),
        ({"rules": [{"amount": "100"}]}, "rules[0].amount"),
        ({"rules": [{"amount": 100, "discount": 5}]}, "discount"),
    ]
    for body, field in cases:
        assert_problem(await api.request("POST", path, staff, json=body), 422, field)
    # another agency's schedule: not hers to publish, nor to see
    other_path = f"/agencies/{other['id']}/fee-schedule"
    r = await api.request("POST", other_path, staff, json={"rules": [{"amount": 1}]})
    assert r.status_code in (403, 404)
    assert_problem(r, r.status_code)
    assert_problem(await api.request("POST", path, hr, json={"rules": [{"amount": 1}]}), 403)
    assert_problem(
        await api.request("POST", "/agencies/99999/fee-schedule", await api.admin(), json=FULL),
        422,
    )
    r = await api.request(
        "POST", "/agencies/99999/fee-schedule", await api.admin(), json={"rules": FULL}
    )
    assert_problem(r, 404)
    assert await api.digest() == before


def test_the_most_specific_rule_wins() -> None:
    rules = [FeeRule(r.get("destination_city"), r.get("industry"), r["amount"]) for r in FULL]
    assert pick_rule(rules, "上海", "服装") == rules[3]
    assert pick_rule(rules, "上海", "电子") == rules[2]
    assert pick_rule(rules, "苏州", "服装") == rules[1]
    assert pick_rule(rules, "苏州", None) == rules[0]
    assert pick_rule(rules[1:], "苏州", "电子") is None  # no default rule: no fee
    # the order rules are listed in does not matter
    assert pick_rule(list(reversed(rules)), "上海", "服装") == rules[3]


async def test_quote_reads_the_latest_schedule(api: Api) -> None:
    agency = await api.agency()
    staff = await api.staff(agency["id"])
    plain = await api.worker(staff, priority_groups=[])
    poor = await api.worker(staff, priority_groups=["poor_household"])
    async with AsyncSession(api.engine) as session:
        none = await quote_fee(
            session, agency_id=agency["id"], worker_id=plain["id"], city="上海", industry="服装"
        )
        assert (none.amount, none.waived, none.schedule_id, none.version) == (0, False, None, None)
    v1 = await publish(api, agency["id"], FULL)
    async with AsyncSession(api.engine) as session:
        for city, industry, amount in [
            ("上海", "服装", 600),
            ("上海", "电子", 500),
            ("上海", None, 500),
            ("苏州", "服装", 400),
            ("苏州", "电子", 300),
        ]:
            q = await quote_fee(
                session, agency_id=agency["id"], worker_id=plain["id"], city=city, industry=industry
            )
            assert (q.amount, q.waived, q.version, q.schedule_id) == (amount, False, 1, v1["id"])
        q = await quote_fee(
            session, agency_id=agency["id"], worker_id=poor["id"], city="上海", industry="服装"
        )
        assert (q.amount, q.waived, q.version) == (0, True, 1)
        assert q.rule is not None and q.rule.amount == 600  # the rule she was spared


async def test_fee_is_waived_for_a_poor_household_and_charged_per_schedule(api: Api) -> None:
    w = await accepted_world(api)
    await publish(api, w["agency"]["id"], FULL)
    poor = await confirm(api, w, "poor")
    plain = await confirm(api, w, "plain")
    assert (poor["fee_due"], poor["fee_waived"], poor["fee_schedule_version"]) == (0, True, 1)
    assert (plain["fee_due"], plain["fee_waived"], plain["fee_schedule_version"]) == (600, False, 1)
    async with api.engine.connect() as conn:
        rows = (
            await conn.execute(
                select(m.Placement.fee_schedule_id, m.FeeSchedule.version).join(
                    m.FeeSchedule, m.FeeSchedule.id == m.Placement.fee_schedule_id
                )
            )
        ).all()
    assert [r.version for r in rows] == [1, 1]


async def test_the_waiver_follows_the_priority_policy_in_force(api: Api) -> None:
    """An admin moves priority from the poor household to the left-behind: from then on the
    poor-household worker pays the schedule's fee, and the left-behind one pays nothing."""
    w = await accepted_world(api, plain_groups=("left_behind",))
    await publish(api, w["agency"]["id"], FULL)
    await api.ok("PUT", "/priority-policy", await api.admin(), json={"groups": ["left_behind"]})
    poor = await confirm(api, w, "poor")
    left = await confirm(api, w, "plain")
    assert (poor["fee_due"], poor["fee_waived"]) == (600, False)
    assert (left["fee_due"], left["fee_waived"]) == (0, True)
    async with api.engine.connect() as conn:
        found = await conn.execute(select(m.Placement.worker_id, m.Placement.fee_waived))
        stored = {r.worker_id: r.fee_waived for r in found}
    assert stored == {w["poor"]["id"]: False, w["plain"]["id"]: True}


async def test_no_schedule_means_no_fee(api: Api) -> None:
    w = await accepted_world(api)
    plain = await confirm(api, w, "plain")
    assert (plain["fee_due"], plain["fee_waived"], plain["fee_schedule_version"]) == (
        0,
        False,
        None,
    )


async def test_a_new_version_applies_to_later_confirmations_only(api: Api) -> None:
    w = await accepted_world(api, industry="电子")
    await publish(api, w["agency"]["id"], [{"amount": 300}, {"industry": "服装", "amount": 400}])
    first = await confirm(api, w, "plain")
    assert (first["fee_due"], first["fee_schedule_version"]) == (300, 1)
    await publish(api, w["agency"]["id"], [{"amount": 450}])
    second = await confirm(api, w, "poor")
    assert (second["fee_due"], second["fee_waived"], second["fee_schedule_version"]) == (0, True, 2)
    again = await api.ok("GET", f"/placements/{first['id']}", w["staff"])
    assert (again["fee_due"], again["fee_schedule_version"]) == (300, 1)  # unchanged by v2


async def test_a_fee_typed_by_hand_is_refused(api: Api) -> None:
    w = await accepted_world(api)
    await publish(api, w["agency"]["id"], FULL)
    offer_id = w["offer_of"][w["plain"]["id"]]
    before = await api.digest()
    for field, value in (("fee", 100), ("fee_due", 0), ("fee_waived", True)):
        r = await api.request(
            "POST", f"/offers/{offer_id}/confirm", w["staff"], json={field: value}
        )
        assert_problem(r, 422, field)
    hand_typed: list[Any] = [[], "0", 100]
    for body in hand_typed:
        r = await api.request("POST", f"/offers/{offer_id}/confirm", w["staff"], json=body)
        assert 400 <= r.status_code < 500, (body, r.status_code, r.text)
        assert_problem(r, r.status_code)
    form = {**w["staff"], "Content-Type": "application/x-www-form-urlencoded"}
    r = await api.request("POST", f"/offers/{offer_id}/confirm", form, content=b"fee=100")
    assert 400 <= r.status_code < 500, r.text
    assert await api.digest() == before
    # an empty object is no fee: it confirms, and the schedule decides
    body = await api.ok("POST", f"/offers/{offer_id}/confirm", w["staff"], json={})
    placement = await api.ok("GET", f"/placements/{body['placement_id']}", w["staff"])
    assert placement["fee_due"] == 600
