"""Bad input answers 4xx problem details, names the field at fault, and writes nothing."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import text as sql

from matching.lib import clock
from tests.support import (
    Api,
    assert_problem,
    birthday_years_ago,
    error_for,
    id_number_for,
    make_token,
    opening_payload,
    unique_phone,
    worker_payload,
)


@dataclass
class World:
    admin: dict[str, str]
    agency: dict[str, Any]
    staff: dict[str, str]
    employer: dict[str, Any]


async def world(api: Api) -> World:
    agency = await api.agency()
    return World(
        admin=await api.admin(),
        agency=agency,
        staff=await api.staff(agency["id"]),
        employer=await api.employer(agency_id=agency["id"]),
    )


def problem(r: Any, status: int, field: str | None, case: str) -> dict[str, Any]:
    """:func:`assert_problem`, saying which case of a table failed."""
    try:
        return assert_problem(r, status, field)
    except AssertionError as exc:
        raise AssertionError(f"case {case!r}: {exc}") from None


def _with_check_digit_changed(number: str) -> str:
    wrong = "0" if number[-1] != "0" else "1"
    return number[:-1] + wrong


def _id_number_with_date(yyyymmdd: str) -> str:
    from matching.lib.identity import check_digit

    body = f"320612{yyyymmdd}123"
    return body + check_digit(body)


# ---------------------------------------------------------------- workers: one table of bad bodies

WORKER_CASES: list[tuple[str, dict[str, Any], str]] = [
    ("landline", {"phone": "02112345678"}, "phone"),
    ("us number", {"phone": "+1 202 555 0123"}, "phone"),
    ("garbage phone", {"phone": "call me maybe"}, "phone"),
    ("empty phone", {"phone": ""}, "phone"),
    (
        "id wrong check digit",
        {"id_number": _with_check_digit_changed(id_number_for(dt.date(1990, 5, 17)))},
        "id_number",
    ),
    ("id month 13", {"id_number": _id_number_with_date("19901317")}, "id_number"),
    ("id 30 february", {"id_number": _id_number_with_date("19900230")}, "id_number"),
    ("id too short", {"id_number": "32061219900517"}, "id_number"),
    (
        "id disagrees with birth_date",
        {"id_number": id_number_for(dt.date(1991, 5, 17))},
        "id_number",
    ),
    ("unknown skill", {"skills": [{"code": "juggling", "level": 3}]}, "skills[0].code"),
    ("skill level 0", {"skills": [{"code": "sewing", "level": 0}]}, "skills[0].level"),
    ("skill level 6", {"skills": [{"code": "sewing", "level": 6}]}, "skills[0].level"),
    ("skill listed twice", {"skills": [{"code": "sewing", "level": 2}] * 2}, "skills[1].code"),
    ("unknown group", {"priority_groups": ["vip"]}, "priority_groups[0]"),
    ("derived group", {"priority_groups": ["reemployment"]}, "priority_groups[0]"),
    ("name of 10,000 characters", {"name": "王" * 10_000}, "name"),
    ("blank name", {"name": "   "}, "name"),
    ("name is a number", {"name": 123}, "name"),
    ("birth_date is not a date", {"birth_date": "yesterday"}, "birth_date"),
    ("birth date in the future", {"birth_date": "2999-01-01"}, "birth_date"),
    ("birth date before 1900", {"birth_date": "1850-01-01"}, "birth_date"),
    ("skills is a string", {"skills": "sewing"}, "skills"),
    ("consent is a string", {"consent_matching": "yes"}, "consent_matching"),
    ("wage is a word", {"min_monthly_wage": "lots"}, "min_monthly_wage"),
    ("wage is an object", {"min_monthly_wage": {"yuan": 4000}}, "min_monthly_wage"),
    ("wage negative", {"min_monthly_wage": -1}, "min_monthly_wage"),
    ("locale unknown", {"locale": "fr"}, "locale"),
    ("unknown field", {"favourite_colour": "red"}, "favourite_colour"),
    ("client sends id", {"id": 77}, "id"),
    ("client sends status", {"status": "placed"}, "status"),
    ("client sends version", {"version": 9}, "version"),
]


async def test_bad_worker_bodies_are_refused(api: Api) -> None:
    w = await world(api)
    before = await api.digest()
    for case, overrides, field in WORKER_CASES:
        r = await api.request("POST", "/workers", w.staff, json=worker_payload(**overrides))
        problem(r, 422, field, case)
    assert await api.digest() == before


async def test_missing_required_field(api: Api) -> None:
    w = await world(api)
    body = worker_payload()
    del body["name"]
    before = await api.digest()
    r = await api.request("POST", "/workers", w.staff, json=body)
    problem = assert_problem(r, 422)
    assert "name" in problem["detail"]
    assert await api.digest() == before


async def test_malformed_json(api: Api) -> None:
    w = await world(api)
    before = await api.digest()
    for raw in (b'{"name": ', b"{'name': 'x'}", b'{"name": "x",}', b"\xff\xfe", b"nope"):
        r = await api.request(
            "POST",
            "/workers",
            {**w.staff, "content-type": "application/json"},
            content=raw,
        )
        body = assert_problem(r, 400, "body")
        assert body["title"] == "Malformed JSON"
    assert await api.digest() == before


async def test_body_that_is_not_an_object(api: Api) -> None:
    w = await world(api)
    before = await api.digest()
    for raw in (b"", b"null", b"[]", b'"a string"', b"42"):
        r = await api.request(
            "POST", "/workers", {**w.staff, "content-type": "application/json"}, content=raw
        )
        assert r.status_code in (400, 422), r.text
        problem(r, r.status_code, "body", repr(raw))
    assert await api.digest() == before


async def test_under_16_refused_and_exactly_16_accepted(api: Api) -> None:
    w = await world(api)
    today = clock.today()
    sixteen_tomorrow = birthday_years_ago(16, today + dt.timedelta(days=1))
    before = await api.digest()
    r = await api.request(
        "POST", "/workers", w.staff, json=worker_payload(birth_date=sixteen_tomorrow.isoformat())
    )
    body = assert_problem(r, 422, "birth_date")
    assert "16" in error_for(body, "birth_date")
    assert await api.digest() == before

    sixteen_today = birthday_years_ago(16, today)
    ok = await api.worker(w.staff, birth_date=sixteen_today.isoformat())
    assert ok["birth_date"] == sixteen_today.isoformat()

    # an under-16 birth date is refused on PATCH too
    before = await api.digest()
    r = await api.request(
        "PATCH",
        f"/workers/{ok['id']}",
        w.staff,
        json={"version": ok["version"], "birth_date": sixteen_tomorrow.isoformat()},
    )
    assert_problem(r, 422, "birth_date")
    assert await api.digest() == before


async def test_exactly_16_follows_the_service_clock(api: Api) -> None:
    """Move the clock: the same birth date is refused one day and accepted the next."""
    w = await world(api)
    born = birthday_years_ago(16, clock.today() + dt.timedelta(days=10))
    r = await api.request("POST", "/workers", w.staff, json=worker_payload(birth_date=str(born)))
    assert_problem(r, 422, "birth_date")
    clock.travel(dt.timedelta(days=10))
    assert (await api.worker(w.staff, birth_date=born.isoformat()))["birth_date"] == str(born)


async def test_bad_worker_patches(api: Api) -> None:
    w = await world(api)
    born = dt.date(1990, 5, 17)
    worker = await api.worker(w.staff, id_number=id_number_for(born))
    path = f"/workers/{worker['id']}"
    cases: list[tuple[dict[str, Any], str]] = [
        ({"phone": "02112345678"}, "phone"),
        ({"id_number": _with_check_digit_changed(id_number_for(born))}, "id_number"),
        ({"birth_date": "1991-01-01"}, "birth_date"),  # disagrees with her ID number
        ({"skills": [{"code": "juggling", "level": 1}]}, "skills[0].code"),
        ({"skills": [{"code": "sewing", "level": 6}]}, "skills[0].level"),
        ({"name": ""}, "name"),
        ({"status": "placed"}, "status"),
        ({"agency_id": w.agency["id"]}, "agency_id"),
        ({"id": 5}, "id"),
    ]
    before = await api.digest()
    for change, field in cases:
        r = await api.request("PATCH", path, w.staff, json={"version": 1, **change})
        assert_problem(r, 422, field)
    r = await api.request("PATCH", path, w.staff, json={"name": "no version"})
    assert_problem(r, 422)
    assert await api.digest() == before


# ---------------------------------------------------------------- openings and employers

OPENING_CASES: list[tuple[str, dict[str, Any], str]] = [
    (
        "wage min above max",
        {"monthly_wage_min": 7000, "monthly_wage_max": 5000},
        "monthly_wage_min",
    ),
    ("negative wage", {"monthly_wage_min": -100}, "monthly_wage_min"),
    ("headcount 0", {"headcount": 0}, "headcount"),
    ("headcount negative", {"headcount": -3}, "headcount"),
    ("headcount is text", {"headcount": "ten"}, "headcount"),
    ("start yesterday", {"start_date": "__yesterday__"}, "start_date"),
    ("start long ago", {"start_date": "2001-01-01"}, "start_date"),
    (
        "unknown skill",
        {"required_skills": [{"code": "juggling", "min_level": 1}]},
        "required_skills[0].code",
    ),
    (
        "min_level 0",
        {"required_skills": [{"code": "sewing", "min_level": 0}]},
        "required_skills[0].min_level",
    ),
    (
        "min_level 6",
        {"required_skills": [{"code": "sewing", "min_level": 6}]},
        "required_skills[0].min_level",
    ),
    ("title of 10,000 characters", {"title": "x" * 10_000}, "title"),
    ("blank city", {"city": " "}, "city"),
    ("client sends id", {"id": 1}, "id"),
    ("client sends status", {"status": "closed"}, "status"),
    ("client sends version", {"version": 3}, "version"),
]


async def test_bad_opening_bodies_are_refused(api: Api) -> None:
    w = await world(api)
    yesterday = (clock.today() - dt.timedelta(days=1)).isoformat()
    before = await api.digest()
    for case, overrides, field in OPENING_CASES:
        if overrides.get("start_date") == "__yesterday__":
            overrides = {"start_date": yesterday}
        body = opening_payload(w.employer["id"], **overrides)
        r = await api.request("POST", "/openings", w.staff, json=body)
        problem(r, 422, field, case)
    assert await api.digest() == before


async def test_an_opening_may_not_require_a_gender(api: Api) -> None:
    w = await world(api)
    opening = await api.opening(w.staff, w.employer["id"])
    before = await api.digest()
    for field in ("gender", "sex", "gender_requirement"):
        for value in ("female", "女", None):
            body = opening_payload(w.employer["id"], **{field: value})
            r = await api.request("POST", "/openings", w.staff, json=body)
            message = error_for(problem(r, 422, field, f"POST {field}={value!r}"), field)
            assert "Employment Promotion Law" in message
            assert "sex discrimination" in message
        r = await api.request(
            "PATCH", f"/openings/{opening['id']}", w.staff, json={"version": 1, field: "女"}
        )
        message = error_for(problem(r, 422, field, f"PATCH {field}"), field)
        assert "Employment Promotion Law" in message and "sex discrimination" in message
    assert await api.digest() == before


async def test_bad_opening_patches(api: Api) -> None:
    w = await world(api)
    opening = await api.opening(w.staff, w.employer["id"])  # wages 4500–6000
    path = f"/openings/{opening['id']}"
    yesterday = (clock.today() - dt.timedelta(days=1)).isoformat()
    cases: list[tuple[dict[str, Any], str]] = [
        ({"monthly_wage_min": 7000}, "monthly_wage_min"),  # above the stored max
        ({"monthly_wage_max": 4000}, "monthly_wage_min"),  # below the stored min
        ({"headcount": 0}, "headcount"),
        ({"start_date": yesterday}, "start_date"),
        ({"required_skills": [{"code": "nope", "min_level": 1}]}, "required_skills[0].code"),
        ({"status": "deleted"}, "status"),
        ({"employer_id": w.employer["id"]}, "employer_id"),
    ]
    before = await api.digest()
    for change, field in cases:
        r = await api.request("PATCH", path, w.staff, json={"version": 1, **change})
        assert_problem(r, 422, field)
    assert await api.digest() == before


EMPLOYER_CASES: list[tuple[str, dict[str, Any], str]] = [
    ("reputation 101", {"reputation": 101}, "reputation"),
    ("labour protection -1", {"labour_protection": -1}, "labour_protection"),
    ("name of 10,000 characters", {"name": "厂" * 10_000}, "name"),
    ("blank name", {"name": ""}, "name"),
    ("city missing type", {"city": ["上海"]}, "city"),
    ("client sends id", {"id": 3}, "id"),
    ("client sends partner", {"partner": True}, "partner"),
    ("client sends suspended", {"suspended": False}, "suspended"),
    ("client sends version", {"version": 1}, "version"),
]


async def test_bad_employer_bodies_are_refused(api: Api) -> None:
    w = await world(api)
    before = await api.digest()
    for case, overrides, field in EMPLOYER_CASES:
        body = {"name": "雅尔美服饰", "city": "南通"} | overrides
        r = await api.request("POST", "/employers", w.admin, json=body)
        problem(r, 422, field, case)
    path = f"/employers/{w.employer['id']}"
    changes: list[tuple[dict[str, Any], str]] = [
        ({"reputation": 200}, "reputation"),
        ({"name": " "}, "name"),
        ({"partner": True}, "partner"),
        ({"suspended": True}, "suspended"),
        ({"reputation": None}, "reputation"),
    ]
    for change, field in changes:
        r = await api.request("PATCH", path, w.admin, json={"version": 1, **change})
        problem(r, 422, field, repr(change))
    assert await api.digest() == before


async def test_bad_network_bodies_are_refused(api: Api) -> None:
    admin = await api.admin()
    agency = await api.agency()
    cases: list[tuple[str, dict[str, Any], str]] = [
        ("/agencies", {"name": ""}, "name"),
        ("/agencies", {"name": "a" * 10_000}, "name"),
        ("/agencies", {"name": "x", "id": 9}, "id"),
        ("/offices", {"agency_id": 999_999, "name": "上海办事处", "city": "上海"}, "agency_id"),
        ("/offices", {"agency_id": agency["id"], "name": " ", "city": "上海"}, "name"),
        ("/offices", {"agency_id": agency["id"], "name": "o"}, "city"),
        ("/staff", {"username": "ab", "password": "long enough pw", "role": "admin"}, "username"),
        ("/staff", {"username": "newadmin", "password": "short", "role": "admin"}, "password"),
        (
            "/staff",
            {"username": "bad name!", "password": "long enough", "role": "admin"},
            "username",
        ),
        ("/staff", {"username": "newboss", "password": "long enough", "role": "king"}, "role"),
        (
            "/staff",
            {"username": "newstaff", "password": "long enough", "role": "staff"},
            "agency_id",
        ),
        (
            "/staff",
            {
                "username": "newhr",
                "password": "long enough",
                "role": "employer",
                "employer_id": 999,
            },
            "employer_id",
        ),
        (
            "/staff",
            {
                "username": "newadm",
                "password": "long enough",
                "role": "admin",
                "agency_id": agency["id"],
            },
            "agency_id",
        ),
    ]
    before = await api.digest()
    for path, body, field in cases:
        r = await api.request("POST", path, admin, json=body)
        assert_problem(r, 422, field)
    assert await api.digest() == before


async def test_query_and_path_junk_answers_4xx(api: Api) -> None:
    w = await world(api)
    before = await api.digest()
    for path, status in [
        ("/workers?limit=0", 400),
        ("/workers?limit=100000", 400),
        ("/workers?offset=-1", 400),
        ("/workers?skill=juggling", 422),
        ("/workers?status=lost", 422),
        ("/openings?status=lost", 422),
        ("/openings?skill=juggling", 422),
        ("/workers?limit=abc", 400),
    ]:
        r = await api.request("GET", path, w.admin)
        assert_problem(r, status)
    for path in [
        "/workers/99999999999999999999",
        "/workers/2147483648",
        "/openings/9999999999",
        "/employers/9999999999",
        "/agencies/9999999999",
        "/workers?agency_id=9999999999",
        "/openings?employer_id=99999999999999999999",
        "/workers/0",
        "/workers/-1",
    ]:
        r = await api.request("GET", path, w.admin)
        assert 400 <= r.status_code < 500, f"{path}: {r.status_code} {r.text}"
        assert_problem(r, r.status_code)
    assert await api.digest() == before


# ---------------------------------------------------------------- size limits


async def test_a_2_mib_body_is_refused_with_413(api: Api) -> None:
    w = await world(api)
    big = json.dumps(worker_payload(name="x" * (2 * 1024 * 1024))).encode()
    before = await api.digest()
    r = await api.request(
        "POST", "/workers", {**w.staff, "content-type": "application/json"}, content=big
    )
    assert_problem(r, 413)
    assert await api.digest() == before


# ---------------------------------------------------------------- hostile text is just text


SQL = "Robert'); DROP TABLE worker_profiles;--"
HTML = "<script>alert(1)</script>"


async def test_sql_and_html_are_stored_and_returned_verbatim(api: Api) -> None:
    w = await world(api)
    r = await api.request(
        "POST",
        "/workers",
        w.staff,
        json=worker_payload(name=SQL, home_county=HTML, preferred_cities=[HTML, SQL]),
    )
    assert r.status_code == 201, r.text
    assert r.headers["content-type"].startswith("application/json")
    worker = r.json()
    assert (worker["name"], worker["home_county"]) == (SQL, HTML)
    assert worker["preferred_cities"] == [HTML, SQL]
    assert SQL in r.text or json.dumps(SQL) in r.text  # JSON, not HTML-escaped
    read = await api.ok("GET", f"/workers/{worker['id']}", w.staff)
    assert (read["name"], read["home_county"]) == (SQL, HTML)
    found = await api.ok("GET", "/workers", w.staff, params={"q": "Robert');"})
    assert [x["id"] for x in found["items"]] == [worker["id"]]
    employer = await api.employer(agency_id=w.agency["id"], name=HTML, industry=SQL)
    assert (employer["name"], employer["industry"]) == (HTML, SQL)
    opening = await api.opening(w.staff, employer["id"], title=SQL, city=HTML, county=SQL)
    assert (opening["title"], opening["city"], opening["county"]) == (SQL, HTML, SQL)
    assert opening["employer_name"] == HTML
    listed = await api.ok("GET", "/openings", w.staff, params={"city": HTML})
    assert [o["id"] for o in listed["items"]] == [opening["id"]]
    agency = await api.agency(name=SQL)
    assert agency["name"] == SQL
    # every table is still there and holds what was written
    assert await api.count("worker_profiles") == 1
    assert await api.count("openings") == 1
    assert await api.count("agencies") == 2


async def test_nul_characters_are_refused_not_a_500(api: Api) -> None:
    """PostgreSQL cannot store NUL in text: both databases refuse it with a 4xx."""
    w = await world(api)
    worker = await api.worker(w.staff)
    before = await api.digest()
    for text in ("a\x00b", "\x00"):
        for field in ("name", "home_county"):
            r = await api.request("POST", "/workers", w.staff, json=worker_payload(**{field: text}))
            problem(r, 422, field, f"worker {field}")
        r = await api.request(
            "POST", "/workers", w.staff, json=worker_payload(preferred_cities=["上海", text])
        )
        problem(r, 422, "preferred_cities[1]", "preferred city")
        r = await api.request(
            "PATCH", f"/workers/{worker['id']}", w.staff, json={"version": 1, "name": text}
        )
        problem(r, 422, "name", "worker patch")
        r = await api.request("POST", "/employers", w.admin, json={"name": "ok", "city": text})
        problem(r, 422, "city", "employer city")
        body = opening_payload(w.employer["id"], title=text)
        problem(await api.request("POST", "/openings", w.staff, json=body), 422, "title", "title")
        r = await api.request("POST", "/agencies", w.admin, json={"name": text})
        problem(r, 422, "name", "agency name")
        office = {"agency_id": w.agency["id"], "name": "o", "city": text}
        problem(await api.request("POST", "/offices", w.admin, json=office), 422, "city", "office")
        r = await api.request("POST", "/auth/token", json={"username": text, "password": text})
        assert 400 <= r.status_code < 500, r.text
        r = await api.request("GET", "/workers", w.staff, params={"q": text})
        assert r.status_code < 500, r.text
    assert await api.digest() == before


# ---------------------------------------------------------------- conflicts


async def test_duplicate_phone_and_id_number_409_name_the_existing_worker(api: Api) -> None:
    w = await world(api)
    born = dt.date(1985, 3, 9)
    first = await api.worker(
        w.staff, phone="13600002222", birth_date=born.isoformat(), id_number=id_number_for(born)
    )
    other = await api.worker(w.staff)
    before = await api.digest()
    r = await api.request("POST", "/workers", w.staff, json=worker_payload(phone="136 0000 2222"))
    body = assert_problem(r, 409)
    assert body["existing_id"] == first["id"] and body["field"] == "phone"
    assert str(first["id"]) in body["detail"]
    dup = worker_payload(birth_date=born.isoformat(), id_number=id_number_for(born))
    r = await api.request("POST", "/workers", w.staff, json=dup)
    body = assert_problem(r, 409)
    assert body["existing_id"] == first["id"] and body["field"] == "id_number"
    # a PATCH that would make a duplicate is refused the same way
    r = await api.request(
        "PATCH", f"/workers/{other['id']}", w.staff, json={"version": 1, "phone": "13600002222"}
    )
    assert assert_problem(r, 409)["existing_id"] == first["id"]
    # a worker of another agency still blocks the duplicate (one person, one record)
    agency_b = await api.agency()
    staff_b = await api.staff(agency_b["id"])
    before = await api.digest()
    r = await api.request("POST", "/workers", staff_b, json=worker_payload(phone="13600002222"))
    assert assert_problem(r, 409)["field"] == "phone"
    assert await api.digest() == before


async def test_duplicate_agency_and_username_409(api: Api) -> None:
    admin = await api.admin()
    agency = await api.agency(name="星一劳务")
    before = await api.digest()
    r = await api.request("POST", "/agencies", admin, json={"name": "星一劳务"})
    assert_problem(r, 409)
    r = await api.request(
        "POST",
        "/staff",
        admin,
        json={"username": "root", "password": "long enough", "role": "admin"},
    )
    assert_problem(r, 409)
    r = await api.request(
        "POST",
        "/offices",
        admin,
        json={"agency_id": agency["id"], "name": "上海办事处", "city": "上海"},
    )
    assert r.status_code == 201
    before = await api.digest()
    r = await api.request(
        "POST",
        "/offices",
        admin,
        json={"agency_id": agency["id"], "name": "上海办事处", "city": "上海"},
    )
    assert_problem(r, 409)
    assert await api.digest() == before


async def test_stale_patches_409(api: Api) -> None:
    w = await world(api)
    worker = await api.worker(w.staff)
    opening = await api.opening(w.staff, w.employer["id"])
    stale_cases: list[tuple[str, dict[str, Any]]] = [
        (f"/workers/{worker['id']}", {"name": "李秀兰"}),
        (f"/employers/{w.employer['id']}", {"name": "新名字"}),
        (f"/openings/{opening['id']}", {"headcount": 3}),
    ]
    for path, change in stale_cases:
        first = await api.ok("PATCH", path, w.admin, json={"version": 1, **change})
        assert first["version"] == 2
        before = await api.digest()
        for stale in (1, 7, 2**31 - 1, 2**40):
            r = await api.request("PATCH", path, w.staff, json={"version": stale, **change})
            body = assert_problem(r, 409)
            assert body["current_version"] == 2, body
        assert await api.digest() == before


# ---------------------------------------------------------------- who may do what


async def test_no_token_expired_token_and_wrong_password_401(api: Api) -> None:
    w = await world(api)
    before = await api.digest()
    for method, path in [
        ("GET", "/workers"),
        ("POST", "/workers"),
        ("GET", "/openings"),
        ("POST", "/employers"),
        ("GET", "/agencies"),
    ]:
        r = await api.request(method, path, json={} if method == "POST" else None)
        assert_problem(r, 401)
        assert r.headers.get("www-authenticate", "").lower().startswith("bearer")
        r = await api.request(method, path, {"Authorization": "Bearer not.a.token"})
        assert_problem(r, 401)
    expired = make_token(1, "root", "admin", expires_in=-60)
    r = await api.request("GET", "/workers", {"Authorization": f"Bearer {expired}"})
    assert_problem(r, 401)
    forged = make_token(1, "root", "admin", expires_in=600, secret="another secret")
    r = await api.request("GET", "/workers", {"Authorization": f"Bearer {forged}"})
    assert_problem(r, 401)
    for username, password in [("root", "wrong password"), ("nobody", "whatever1"), ("root", "")]:
        r = await api.request(
            "POST", "/auth/token", json={"username": username, "password": password}
        )
        assert r.status_code in (401, 422)
        assert_problem(r, r.status_code)
    r = await api.request("POST", "/auth/token", json={"username": "root", "password": "nope!"})
    body = assert_problem(r, 401)
    assert "password" in body["detail"]
    assert w.staff  # the staff's token still works
    assert await api.digest() == before


async def test_employer_token_is_forbidden_on_workers(api: Api) -> None:
    w = await world(api)
    worker = await api.worker(w.staff)
    hr = await api.employer_account(w.employer["id"])
    before = await api.digest()
    assert_problem(await api.request("GET", "/workers", hr), 403)
    assert_problem(await api.request("GET", f"/workers/{worker['id']}", hr), 403)
    assert_problem(await api.request("POST", "/workers", hr, json=worker_payload()), 403)
    r = await api.request("PATCH", f"/workers/{worker['id']}", hr, json={"version": 1, "name": "x"})
    assert_problem(r, 403)
    assert await api.digest() == before


async def test_non_admins_may_not_build_the_network(api: Api) -> None:
    w = await world(api)
    hr = await api.employer_account(w.employer["id"])
    before = await api.digest()
    for who in (w.staff, hr):
        r = await api.request("POST", "/agencies", who, json={"name": "rogue agency"})
        assert_problem(r, 403)
        r = await api.request(
            "POST", "/offices", who, json={"agency_id": w.agency["id"], "name": "o", "city": "上海"}
        )
        assert_problem(r, 403)
        for role in ("admin", "staff", "employer"):
            body = {"username": f"rogue{role}", "password": "long enough", "role": role}
            if role == "staff":
                body["agency_id"] = w.agency["id"]
            if role == "employer":
                body["employer_id"] = w.employer["id"]
            assert_problem(await api.request("POST", "/staff", who, json=body), 403)
        assert_problem(await api.request("GET", "/staff", who), 403)
    r = await api.request("POST", "/employers", hr, json={"name": "rogue", "city": "上海"})
    assert_problem(r, 403)
    assert await api.digest() == before


async def test_staff_may_not_set_standing_scores(api: Api) -> None:
    w = await world(api)
    before = await api.digest()
    for field in ("reputation", "labour_protection"):
        r = await api.request(
            "POST", "/employers", w.staff, json={"name": "n", "city": "上海", field: 99}
        )
        assert_problem(r, 403)
        r = await api.request(
            "PATCH", f"/employers/{w.employer['id']}", w.staff, json={"version": 1, field: 99}
        )
        assert_problem(r, 403)
    assert await api.digest() == before
    changed = await api.ok(
        "PATCH", f"/employers/{w.employer['id']}", w.admin, json={"version": 1, "reputation": 90}
    )
    assert changed["reputation"] == 90


async def test_staff_may_not_register_for_another_agency(api: Api) -> None:
    w = await world(api)
    other = await api.agency()
    before = await api.digest()
    r = await api.request("POST", "/workers", w.staff, json=worker_payload(agency_id=other["id"]))
    assert_problem(r, 403)
    r = await api.request(
        "GET", "/workers", w.staff, params={"agency_id": other["id"]}
    )  # nor search it
    assert_problem(r, 403)
    assert await api.digest() == before
    # naming her own agency is fine
    mine = await api.worker(w.staff, agency_id=w.agency["id"])
    assert mine["agency_id"] == w.agency["id"]


async def test_another_agencys_worker_is_404(api: Api) -> None:
    w = await world(api)
    other = await api.agency()
    staff_b = await api.staff(other["id"])
    worker = await api.worker(w.staff)
    before = await api.digest()
    assert_problem(await api.request("GET", f"/workers/{worker['id']}", staff_b), 404)
    r = await api.request(
        "PATCH", f"/workers/{worker['id']}", staff_b, json={"version": 1, "name": "x"}
    )
    assert_problem(r, 404)
    assert_problem(await api.request("GET", "/workers/999999", w.staff), 404)
    assert await api.digest() == before


async def test_employer_account_is_confined_to_its_employer(api: Api) -> None:
    w = await world(api)
    mine = w.employer
    theirs = await api.employer(agency_id=w.agency["id"])
    their_opening = await api.opening(w.staff, theirs["id"])
    hr = await api.employer_account(mine["id"])
    before = await api.digest()
    r = await api.request("POST", "/openings", hr, json=opening_payload(theirs["id"]))
    assert_problem(r, 404)
    assert_problem(await api.request("GET", f"/employers/{theirs['id']}", hr), 404)
    assert_problem(await api.request("GET", f"/openings/{their_opening['id']}", hr), 404)
    r = await api.request(
        "PATCH", f"/openings/{their_opening['id']}", hr, json={"version": 1, "headcount": 1}
    )
    assert_problem(r, 404)
    r = await api.request(
        "PATCH", f"/employers/{theirs['id']}", hr, json={"version": 1, "name": "mine now"}
    )
    assert r.status_code in (403, 404)
    assert_problem(r, r.status_code)
    assert await api.digest() == before
    # its own employer and openings it sees and posts
    assert (await api.ok("GET", f"/employers/{mine['id']}", hr))["id"] == mine["id"]
    own = await api.opening(hr, mine["id"])
    assert (await api.ok("GET", f"/openings/{own['id']}", hr))["employer_id"] == mine["id"]
    listed = await api.ok("GET", "/openings", hr)
    assert [o["id"] for o in listed["items"]] == [own["id"]] and listed["total"] == 1
    filtered = await api.ok("GET", "/openings", hr, params={"employer_id": theirs["id"]})
    assert filtered == {"items": [], "total": 0}
    employers = await api.ok("GET", "/employers", hr)
    assert [e["id"] for e in employers["items"]] == [mine["id"]] and employers["total"] == 1
    assert_problem(await api.request("GET", "/agencies", hr), 403)
    assert_problem(await api.request("GET", f"/agencies/{w.agency['id']}", hr), 403)


# ---------------------------------------------------------------- the sweep: nothing answers 5xx


JUNK: list[Any] = [
    None,
    0,
    -1,
    2**70,
    -(2**70),
    1.5e308,
    True,
    "",
    "\x00",
    "💥" * 300,
    "\ud7ff\ue000\U0010ffff",
    "' OR 1=1; --",
    [],
    [None, {"a": [1, {"b": None}]}],
    {},
    {"$where": "1"},
    {"nested": {"deeper": {"deepest": [[[[[]]]]]}}},
]

ENDPOINT_FIELDS: dict[str, list[str]] = {
    "/agencies": ["name", "id"],
    "/offices": ["agency_id", "name", "city", "phone"],
    "/staff": ["username", "password", "role", "agency_id", "office_id", "employer_id"],
    "/employers": ["name", "city", "industry", "reputation", "labour_protection", "version"],
    "/openings": [
        "employer_id",
        "title",
        "city",
        "county",
        "required_skills",
        "headcount",
        "monthly_wage_min",
        "monthly_wage_max",
        "housing_provided",
        "start_date",
        "version",
        "status",
    ],
    "/workers": [
        "name",
        "phone",
        "birth_date",
        "home_county",
        "skills",
        "priority_groups",
        "willing_to_relocate",
        "preferred_cities",
        "min_monthly_wage",
        "needs_housing",
        "available_from",
        "consent_matching",
        "id_number",
        "agency_id",
        "locale",
        "version",
    ],
    "/auth/token": ["username", "password"],
}

RAW_JUNK: list[bytes] = [
    b"",
    b"null",
    b"[]",
    b"{",
    b'{"a":' * 200 + b"1" + b"}" * 200,
    b"\x00\x01\x02",
    b'{"name": "\\ud800"}',
    b'{"name": 1e999}',
    b"[" * 10_000,
    json.dumps({"id": -5, "version": -1, "agency_id": -2}).encode(),
]


def _junk_bodies(fields: list[str], base: dict[str, Any]) -> list[Any]:
    bodies: list[Any] = list(JUNK)  # the whole body is junk
    for field in fields:
        bodies.extend({**base, field: junk} for junk in JUNK)
    return bodies


async def test_junk_never_answers_5xx_nor_writes(api: Api) -> None:
    """Every POST/PATCH gets nulls, huge and negative numbers, nested junk and odd unicode.

    Each base body is built so that, even when the junk happens to be acceptable, the request
    still cannot write (a duplicate phone, a suspended employer, a stale version, a blank
    name, a token without the right): so every answer is a 4xx and the tables never change.
    """
    w = await world(api)
    worker = await api.worker(w.staff, phone="13900009999")
    opening = await api.opening(w.staff, w.employer["id"])
    async with api.engine.begin() as conn:  # a suspended employer may not post openings
        await conn.execute(
            sql("UPDATE employers SET suspended = true WHERE id = :id"), {"id": w.employer["id"]}
        )
    stale = {"version": 99}
    targets: list[tuple[str, str, dict[str, str], dict[str, Any]]] = [
        (
            "POST",
            "/workers",
            w.admin,
            worker_payload(phone="13900009999", agency_id=w.agency["id"]),
        ),
        ("POST", "/openings", w.admin, opening_payload(w.employer["id"])),
        ("POST", "/employers", w.admin, {"name": " ", "city": " "}),
        ("POST", "/agencies", w.staff, {"name": "a"}),
        ("POST", "/offices", w.staff, {"agency_id": w.agency["id"], "name": "o", "city": "上海"}),
        (
            "POST",
            "/staff",
            w.staff,
            {"username": "someone", "password": "long enough", "role": "admin"},
        ),
        ("POST", "/auth/token", {}, {"username": "root", "password": "wrong password"}),
        ("PATCH", f"/workers/{worker['id']}", w.admin, stale),
        ("PATCH", f"/employers/{w.employer['id']}", w.admin, stale),
        ("PATCH", f"/openings/{opening['id']}", w.admin, stale),
        ("PATCH", "/workers/99999999999999999999", w.admin, {"version": 1}),
        ("PATCH", "/openings/-1", w.admin, {"version": 1}),
    ]
    fields = {
        "/workers": ENDPOINT_FIELDS["/workers"],
        "/openings": ENDPOINT_FIELDS["/openings"],
        "/employers": ENDPOINT_FIELDS["/employers"],
    }
    before = await api.digest()
    seen = 0
    for method, path, who, base in targets:
        kind = "/" + path.split("/")[1] if method == "PATCH" else path
        for body in _junk_bodies(fields.get(kind) or ENDPOINT_FIELDS[path], base):
            r = await api.request(method, path, who, json=body)
            assert 400 <= r.status_code < 500, f"{method} {path} {body!r}: {r.status_code} {r.text}"
            assert r.headers["content-type"].startswith("application/problem+json"), r.text
            seen += 1
        for raw in RAW_JUNK:
            r = await api.request(
                method, path, {**who, "content-type": "application/json"}, content=raw
            )
            assert 400 <= r.status_code < 500, f"{method} {path} {raw[:60]!r}: {r.text}"
            seen += 1
        assert await api.digest() == before, f"{method} {path} wrote data"
    assert seen > 1000


async def test_unicode_names_round_trip(api: Api) -> None:
    w = await world(api)
    for name in ("𠀀𪚥", "Zoë 王", "ﷺ" * 100, "🧵 绣娘", "阿依古丽·买买提"):
        worker = await api.worker(w.staff, name=name)
        assert (await api.ok("GET", f"/workers/{worker['id']}", w.staff))["name"] == name
    # A right-to-left override makes a name display as another: refused (test_hidden_text.py).
    before = await api.digest()
    r = await api.request("POST", "/workers", w.staff, json=worker_payload(name="Zoë \u202eevil"))
    assert_problem(r, 422, "name")
    assert await api.digest() == before


async def test_unique_phone_helper_gives_valid_mobiles(api: Api) -> None:
    w = await world(api)
    for _ in range(3):
        assert (await api.worker(w.staff, phone=unique_phone()))["phone"].startswith("+86139")
