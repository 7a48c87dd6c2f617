"""The agency network through the API: tokens, reference lists, agencies, offices, staff, health."""

from __future__ import annotations

from tests.support import PASSWORD, Api, assert_problem, make_token


async def test_token_issue(api: Api) -> None:
    await api.admin()
    r = await api.request("POST", "/auth/token", json={"username": "root", "password": PASSWORD})
    assert r.status_code == 200, r.text
    body = r.json()
    assert set(body) == {"access_token", "token_type", "expires_in"}
    assert body["token_type"] == "bearer"
    assert isinstance(body["expires_in"], int) and body["expires_in"] > 0
    assert body["access_token"].count(".") == 2  # a JWT
    headers = {"Authorization": f"Bearer {body['access_token']}"}
    assert (await api.ok("GET", "/agencies", headers)) == {"items": [], "total": 0}


async def test_a_hand_made_token_works_until_it_expires(api: Api) -> None:
    await api.admin()
    fresh = make_token(1, "root", "admin", expires_in=600)
    r = await api.request("GET", "/agencies", {"Authorization": f"Bearer {fresh}"})
    assert r.status_code == 200, r.text  # so the expired one below fails for its expiry alone
    expired = make_token(1, "root", "admin", expires_in=-1)
    r = await api.request("GET", "/agencies", {"Authorization": f"Bearer {expired}"})
    assert_problem(r, 401)


async def test_reference_lists_have_zh_and_en_labels(api: Api) -> None:
    skills = (await api.request("GET", "/skills")).json()  # public: no token
    codes = [s["code"] for s in skills["items"]]
    assert skills["total"] == len(codes)
    for code in ("sewing", "embroidery", "quilting", "electrician", "welding", "assembly"):
        assert code in codes
    for s in skills["items"]:
        assert set(s) == {"code", "zh", "en"} and s["zh"] and s["en"]
    assert next(s for s in skills["items"] if s["code"] == "sewing")["zh"] == "缝纫"

    groups = (await api.request("GET", "/priority-groups")).json()
    by_code = {g["code"]: g for g in groups["items"]}
    assert groups["total"] == len(by_code)
    for code in (
        "poor_household",
        "military_spouse",
        "resettled_migrant",
        "left_behind",
        "laid_off",
        "disabled",
    ):
        assert code in by_code
    for g in groups["items"]:
        assert {"code", "zh", "en"} <= set(g) and g["zh"] and g["en"]
    assert by_code["poor_household"]["zh"] == "贫困户"
    assert by_code["poor_household"]["priority"] is True
    assert by_code["left_behind"]["priority"] is False


async def test_agencies_offices_and_staff(api: Api) -> None:
    admin = await api.admin()
    a = await api.ok("POST", "/agencies", admin, json={"name": "  星一劳务中介  "})
    assert a["name"] == "星一劳务中介" and isinstance(a["id"], int)
    b = await api.agency()
    office = await api.ok(
        "POST",
        "/offices",
        admin,
        json={"agency_id": a["id"], "name": "上海办事处", "city": "上海", "phone": "021-5555-0101"},
    )
    assert (office["agency_id"], office["city"], office["phone"]) == (
        a["id"],
        "上海",
        "021-5555-0101",
    )
    await api.ok(
        "POST", "/offices", admin, json={"agency_id": b["id"], "name": "苏州", "city": "苏州"}
    )
    staff = await api.ok(
        "POST",
        "/staff",
        admin,
        json={
            "username": "zhang.office",
            "password": PASSWORD,
            "role": "staff",
            "agency_id": a["id"],
            "office_id": office["id"],
        },
    )
    assert staff["role"] == "staff" and staff["office_id"] == office["id"]
    assert staff["active"] is True and "password" not in staff and "password_hash" not in staff
    employer = await api.employer()
    hr = await api.ok(
        "POST",
        "/staff",
        admin,
        json={
            "username": "hr.yingda",
            "password": PASSWORD,
            "role": "employer",
            "employer_id": employer["id"],
        },
    )
    assert hr["employer_id"] == employer["id"] and hr["agency_id"] is None

    # the admin sees everything
    assert (await api.ok("GET", "/agencies", admin))["total"] == 2
    assert (await api.ok("GET", "/offices", admin))["total"] == 2
    accounts = await api.ok("GET", "/staff", admin)
    assert {s["username"] for s in accounts["items"]} == {"root", "zhang.office", "hr.yingda"}
    page = await api.ok("GET", "/staff?limit=1&offset=1", admin)
    assert page["total"] == 3 and len(page["items"]) == 1

    # staff see only their own agency and its offices
    zhang = await api.login("zhang.office")
    mine = await api.ok("GET", "/agencies", zhang)
    assert [x["id"] for x in mine["items"]] == [a["id"]] and mine["total"] == 1
    offices = await api.ok("GET", "/offices", zhang)
    assert [o["id"] for o in offices["items"]] == [office["id"]]
    assert (await api.ok("GET", f"/agencies/{a['id']}", zhang))["name"] == "星一劳务中介"
    assert_problem(await api.request("GET", f"/agencies/{b['id']}", zhang), 404)
    assert_problem(await api.request("GET", "/staff", zhang), 403)
    assert_problem(await api.request("GET", "/agencies/999999", admin), 404)


async def test_an_office_from_another_agency_is_refused_for_staff(api: Api) -> None:
    admin = await api.admin()
    a, b = await api.agency(), await api.agency()
    office_b = await api.ok(
        "POST", "/offices", admin, json={"agency_id": b["id"], "name": "o", "city": "昆山"}
    )
    before = await api.digest()
    r = await api.request(
        "POST",
        "/staff",
        admin,
        json={
            "username": "crossed",
            "password": PASSWORD,
            "role": "staff",
            "agency_id": a["id"],
            "office_id": office_b["id"],
        },
    )
    assert_problem(r, 422, "office_id")
    assert await api.digest() == before


async def test_health_and_openapi(api: Api) -> None:
    r = await api.request("GET", "/health")
    assert r.status_code == 200
    assert r.json() == {"status": "ok", "database": "ok"}
    r = await api.client.get("/schema/openapi.json")
    assert r.status_code == 200
    paths = r.json()["paths"]
    for path in (
        "/api/v1/auth/token",
        "/api/v1/skills",
        "/api/v1/priority-groups",
        "/api/v1/agencies",
        "/api/v1/offices",
        "/api/v1/staff",
        "/api/v1/workers",
        "/api/v1/workers/{worker_id}",
        "/api/v1/employers",
        "/api/v1/employers/{employer_id}",
        "/api/v1/openings",
        "/api/v1/openings/{opening_id}",
        "/api/v1/health",
    ):
        assert path in paths, f"{path} missing from the OpenAPI document"
    assert "post" in paths["/api/v1/workers"] and "patch" in paths["/api/v1/workers/{worker_id}"]


async def test_unknown_route_and_method_are_problems(api: Api) -> None:
    admin = await api.admin()
    assert_problem(await api.request("GET", "/no-such-thing", admin), 404)
    r = await api.request("DELETE", "/agencies", admin)
    assert_problem(r, 405)
    # RFC 9110: a 405 names the methods the resource has (found by the fuzzer: it had none)
    assert set(r.headers["allow"].replace(" ", "").split(",")) == {"GET", "POST", "OPTIONS"}
