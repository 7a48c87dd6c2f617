"""Text that hides or disguises itself, phones with anything but digits, spaces, dashes and a
leading +86, and ID numbers of no province: every write path answers 422 naming the field,
and nothing is stored. Ordinary names (Chinese, spaces, a middle dot) still pass."""

from __future__ import annotations

import datetime as dt
import unicodedata
from typing import Any

from matching.lib import clock
from matching.lib.identity import check_digit
from matching.lib.text import BIDI, BLANK, CONTROL, INVISIBLE
from tests.integration.test_bad_input import problem, world
from tests.integration.test_offers import offered_world
from tests.support import Api, error_for, id_number_for, opening_payload, worker_payload

# value → the message the field is refused with
HOSTILE: list[tuple[str, str]] = [
    ("王\n秀英", CONTROL),
    ("王秀英\r\n", CONTROL),
    ("王\t秀英", CONTROL),
    ("\x1b[31m王秀英\x1b[0m", CONTROL),  # an ANSI escape
    ("王\x9b2J秀英", CONTROL),  # a C1 control (CSI)
    ("王\u2028秀英", CONTROL),
    ("\u202e英秀王", BIDI),  # right-to-left override
    ("王\u202a秀英\u202c", BIDI),
    ("王\u2067秀英\u2069", BIDI),  # an isolate
    ("王\u200b秀英", INVISIBLE),
    ("王\u200d秀英", INVISIBLE),
    ("\ufeff王秀英", INVISIBLE),
    ("\u200b\u200b\u200b", BLANK),  # only zero-width spaces
    ("\u3000\u200b ", BLANK),
]


def expect(r: Any, field: str, message: str, case: str) -> None:
    body = problem(r, 422, field, case)
    got = error_for(body, field)
    assert got == message, f"case {case!r}: {field}: {got!r}, expected {message!r}"


async def test_hidden_text_is_refused_on_every_one_line_field(api: Api) -> None:
    w = await world(api)
    worker = await api.worker(w.staff)
    opening = await api.opening(w.staff, w.employer["id"])
    course = await api.ok(
        "POST",
        "/courses",
        w.staff,
        json={"name": "平缝中级班", "kind": "skill", "skill_code": "sewing", "level": 3, "fee": 0},
    )
    start = clock.today() + dt.timedelta(days=3)
    session_body = {
        "starts_on": start.isoformat(),
        "ends_on": (start + dt.timedelta(days=5)).isoformat(),
        "capacity": 5,
    }
    fees = f"/agencies/{w.agency['id']}/fee-schedule"
    before = await api.digest()
    for value, message in HOSTILE:
        v = repr(value)
        for field in ("name", "home_county"):
            r = await api.request(
                "POST", "/workers", w.staff, json=worker_payload(**{field: value})
            )
            expect(r, field, message, f"POST /workers {field}={v}")
            r = await api.request(
                "PATCH", f"/workers/{worker['id']}", w.staff, json={"version": 1, field: value}
            )
            expect(r, field, message, f"PATCH /workers {field}={v}")
        # (an empty preferred city is dropped, as it always was; none of these is empty)
        body = worker_payload(preferred_cities=["上海", value])
        r = await api.request("POST", "/workers", w.staff, json=body)
        expect(r, "preferred_cities[1]", message, f"POST /workers preferred_cities={v}")
        r = await api.request(
            "PATCH",
            f"/workers/{worker['id']}",
            w.staff,
            json={"version": 1, "preferred_cities": [value]},
        )
        expect(r, "preferred_cities[0]", message, f"PATCH /workers preferred_cities={v}")
        for field in ("name", "city"):
            body = {"name": "雅尔美服饰", "city": "南通", field: value}
            r = await api.request("POST", "/employers", w.admin, json=body)
            expect(r, field, message, f"POST /employers {field}={v}")
            r = await api.request(
                "PATCH",
                f"/employers/{w.employer['id']}",
                w.admin,
                json={"version": 1, field: value},
            )
            expect(r, field, message, f"PATCH /employers {field}={v}")
        for field in ("title", "city", "county"):
            body = opening_payload(w.employer["id"], **{field: value})
            r = await api.request("POST", "/openings", w.staff, json=body)
            expect(r, field, message, f"POST /openings {field}={v}")
            r = await api.request(
                "PATCH", f"/openings/{opening['id']}", w.staff, json={"version": 1, field: value}
            )
            expect(r, field, message, f"PATCH /openings {field}={v}")
        r = await api.request("POST", "/agencies", w.admin, json={"name": value})
        expect(r, "name", message, f"POST /agencies name={v}")
        for field in ("name", "city"):
            body = {"agency_id": w.agency["id"], "name": "上海办事处", "city": "上海", field: value}
            r = await api.request("POST", "/offices", w.admin, json=body)
            expect(r, field, message, f"POST /offices {field}={v}")
        body = {"name": value, "kind": "skill", "skill_code": "sewing", "level": 3, "fee": 0}
        r = await api.request("POST", "/courses", w.staff, json=body)
        expect(r, "name", message, f"POST /courses name={v}")
        r = await api.request(
            "POST",
            f"/courses/{course['id']}/sessions",
            w.staff,
            json={**session_body, "place": value},
        )
        expect(r, "place", message, f"POST sessions place={v}")
        for field in ("destination_city", "industry"):
            rules = [{"amount": 300}, {field: value, "amount": 500}]
            r = await api.request("POST", fees, w.admin, json={"rules": rules})
            wanted = message if message != BLANK else "must not be blank; leave it out to mean any"
            expect(r, f"rules[1].{field}", wanted, f"POST fee-schedule {field}={v}")
    assert await api.digest() == before


async def test_a_withdrawal_reason_with_hidden_text_is_refused(api: Api) -> None:
    w = await offered_world(api)
    offer_id = w["offer_of"][w["priority"]["id"]]
    before = await api.digest()
    for value, message in HOSTILE:
        r = await api.request(
            "POST", f"/offers/{offer_id}/withdraw", w["employer_hr"], json={"reason": value}
        )
        expect(r, "reason", message, f"withdraw reason={value!r}")
    assert await api.digest() == before


async def test_ordinary_names_still_pass_and_are_stored_in_nfc(api: Api) -> None:
    w = await world(api)
    for name in ("阿依古丽·买买提", "热依拉・艾则孜", "欧阳 秀兰", "王秀英"):
        worker = await api.worker(w.staff, name=f" {name}\u3000")
        assert worker["name"] == name
    decomposed = "Jose\u0301"
    worker = await api.worker(w.staff, name=decomposed, home_county="通州区")
    assert worker["name"] == unicodedata.normalize("NFC", decomposed) == "Jos\u00e9"
    agency = await api.agency(name="\u3000如东县劳务 ")
    assert agency["name"] == "如东县劳务"


# ---------------------------------------------------------------- phones and ID numbers

BAD_PHONES = [
    "139\u200b1234\u200b5678",
    "\ufeff13912345678",
    "139 1234 5678 ext. 12",
    "13912345678x12",
    "tel:13912345678",
    "(139) 1234 5678",
    "139.1234.5678",
    "1391234567O",
    "13912345678\n",
    "\u202e13912345678",
    "1391234567\u0668",
]
PHONE_MESSAGE = "may contain only digits, spaces, dashes and a leading +86"


def _id(province: str, born: dt.date) -> str:
    body = f"{province}0612{born:%Y%m%d}123"
    return body + check_digit(body)


async def test_phones_with_anything_else_are_refused(api: Api) -> None:
    w = await world(api)
    worker = await api.worker(w.staff)
    before = await api.digest()
    for phone in BAD_PHONES:
        r = await api.request("POST", "/workers", w.staff, json=worker_payload(phone=phone))
        expect(r, "phone", PHONE_MESSAGE, f"POST phone={phone!r}")
        r = await api.request(
            "PATCH", f"/workers/{worker['id']}", w.staff, json={"version": 1, "phone": phone}
        )
        expect(r, "phone", PHONE_MESSAGE, f"PATCH phone={phone!r}")
    assert await api.digest() == before
    for phone in ("13912345670", "139 1234 5671", "139-1234-5672", "+86 139 1234 5673"):
        made = await api.worker(w.staff, phone=phone)
        assert made["phone"] == "+86" + phone.removeprefix("+86").replace(" ", "").replace("-", "")


async def test_id_numbers_of_no_province_are_refused(api: Api) -> None:
    w = await world(api)
    born = dt.date(1990, 5, 17)
    worker = await api.worker(w.staff, birth_date=born.isoformat())
    message = "must begin with a province code of GB/T 2260 (e.g. 32 for Jiangsu)"
    before = await api.digest()
    for province in ("00", "09", "10", "16", "47", "70", "90", "99"):
        number = _id(province, born)
        body = worker_payload(birth_date=born.isoformat(), id_number=number)
        r = await api.request("POST", "/workers", w.staff, json=body)
        expect(r, "id_number", message, f"POST id_number={number}")
        r = await api.request(
            "PATCH", f"/workers/{worker['id']}", w.staff, json={"version": 1, "id_number": number}
        )
        expect(r, "id_number", message, f"PATCH id_number={number}")
    assert await api.digest() == before
    made = await api.worker(w.staff, birth_date=born.isoformat(), id_number=id_number_for(born))
    assert made["id_number"].startswith("3206") and "*" in made["id_number"]
