"""Scoping in the SQL, on both databases, on the paths the suite did not cover: staff of
another agency can neither read nor change a worker, nor learn from the refusal that she
exists (the read and the write are different queries, and a change is read back through the
scoped read, which hid a missing scope on the write's own query); another employer can
neither read nor withdraw an offer (confirming one is refused later anyway, by the
placement's own scope, which hid a missing check on the offer)."""

from __future__ import annotations

from tests.integration.test_offers import offered_world
from tests.support import Api, assert_problem


async def test_staff_of_another_agency_neither_read_nor_change_her(api: Api) -> None:
    mine, theirs = await api.agency(), await api.agency()
    staff, other_staff = await api.staff(mine["id"]), await api.staff(theirs["id"])
    her = await api.worker(staff, name="王桂英")
    before = await api.digest()
    assert_problem(await api.request("GET", f"/workers/{her['id']}", other_staff), 404)
    patch = {"version": her["version"], "name": "改名", "min_monthly_wage": 9000}
    path = f"/workers/{her['id']}"
    assert_problem(await api.request("PATCH", path, other_staff, json=patch), 404)
    # Not even a stale version or a bad value tells them she exists (409 or 422 would).
    for bad in ({"version": 99, "name": "改名"}, {"version": her["version"], "phone": "123"}):
        assert_problem(await api.request("PATCH", path, other_staff, json=bad), 404)
    assert await api.digest() == before
    listed = await api.ok("GET", "/workers", other_staff)
    assert her["id"] not in {w["id"] for w in listed["items"]}
    # her own agency's staff do both
    assert (await api.ok("GET", f"/workers/{her['id']}", staff))["name"] == "王桂英"
    changed = await api.ok("PATCH", f"/workers/{her['id']}", staff, json=patch)
    assert changed["name"] == "改名"


async def test_another_employer_neither_reads_nor_withdraws_an_offer(api: Api) -> None:
    w = await offered_world(api)
    offer_id = w["offer_of"][w["priority"]["id"]]
    other_hr = await api.employer_account((await api.employer(name="另一家工厂"))["id"])
    before = await api.digest()
    assert_problem(await api.request("GET", f"/offers/{offer_id}", other_hr), 404)
    r = await api.request(
        "POST", f"/offers/{offer_id}/withdraw", other_hr, json={"reason": "不是我们的"}
    )
    assert_problem(r, 404)
    await api.ok("POST", f"/offers/{offer_id}/accept", w["staff_a"])
    mid = await api.digest()
    assert_problem(await api.request("POST", f"/offers/{offer_id}/confirm", other_hr), 404)
    assert await api.digest() == mid != before
    # the opening's own employer does
    assert (await api.ok("GET", f"/offers/{offer_id}", w["employer_hr"]))["status"] == "accepted"
