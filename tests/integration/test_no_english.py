"""No English inside the Chinese console (issue 11, item 3): every page a staff member, an
employer's clerk, an admin and she herself reach by following links, and the error pages, is
rendered in Chinese and read text node by text node. An English sentence is a run of three or
more ASCII words; codes, emails, URLs and numbers are allowed. Runs on SQLite and PostgreSQL."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from urllib.parse import urldefrag, urlsplit

from sqlalchemy import select

from matching.db import models as m
from matching.lib import clock
from tests.integration.test_offers import offered_world
from tests.integration.test_web import _account, _login
from tests.support import PASSWORD, Api

_WORD = r"[A-Za-z][A-Za-z'’]*"
ENGLISH = re.compile(rf"{_WORD}(?:[ ,;:()–-]+{_WORD}){{2,}}")
_ALLOWED = re.compile(
    r"[\w.+-]+@[\w.-]+|https?://\S+|/[\w/{}.?=&-]*|\b[\w-]*[_\d][\w-]*\b|Laowu|API|JSON|CSV|"
    r"SMS|HTTP|ISO 8601|GET|POST|PATCH|YYYY-MM-DD|English|A4"
)
_SKIP = ("/logout", "/lang/", "/static/", "/schema", "/api/", "/export", ".csv")
_SAFE_GET = re.compile(r'<a [^>]*href="(/[^"]*)"')


class _Text(HTMLParser):
    """The visible text nodes of a page (not scripts, styles or hidden inputs)."""

    def __init__(self) -> None:
        super().__init__()
        self.nodes: list[str] = []
        self._hidden = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style", "template"):
            self._hidden += 1
        for name, value in attrs:
            if name in ("placeholder", "title", "aria-label", "alt") and value:
                self.nodes.append(value)

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style", "template"):
            self._hidden -= 1

    def handle_data(self, data: str) -> None:
        if not self._hidden and data.strip():
            self.nodes.append(data.strip())


def english_in(html: str) -> list[str]:
    parser = _Text()
    parser.feed(html)
    found = []
    for node in parser.nodes:
        rest = _ALLOWED.sub(" ", node)
        found += [m.group(0) for m in ENGLISH.finditer(rest)]
    return found


async def _crawl(
    api: Api, start: list[str], limit: int = 80, least: int = 4, who: str = "her"
) -> dict[str, list[str]]:
    """Follows every same-site link from ``start`` (once per path, first page of a list)."""
    seen: set[str] = set()
    todo = list(start)
    bad: dict[str, list[str]] = {}
    while todo and len(seen) < limit:
        url = urldefrag(todo.pop(0))[0]
        key = urlsplit(url).path
        if key in seen or any(s in url for s in _SKIP) or "lang=en" in url:
            continue
        seen.add(key)
        r = await api.client.get(url, headers={"Accept": "text/html"}, follow_redirects=True)
        if not r.headers.get("content-type", "").startswith("text/html"):
            continue
        if found := english_in(r.text):
            bad[f"{who} {url}"] = found
        todo += [h.replace("&amp;", "&") for h in _SAFE_GET.findall(r.text)]
    assert len(seen) >= least, seen
    return bad


Form = tuple[str, dict[str, str]]


async def _posted(api: Api, token: str, *forms: Form) -> dict[str, list[str]]:
    """Each form sent back with its errors (or its stale-form notice), read for English."""
    bad: dict[str, list[str]] = {}
    for path, fields in forms:
        data = {"_csrf_token": token, **fields}
        r = await api.client.post(path, data=data, headers={"Accept": "text/html"})
        assert r.status_code in (409, 422), (path, r.status_code)
        if found := english_in(r.text):
            bad[f"POST {path}"] = found
    return bad


async def _fair_pages(api: Api, token: str) -> dict[str, list[str]]:
    """A fair the clerk holds through the console: its page, and its forms' refusals."""
    data = {"_csrf_token": token, "name": "春风行动招聘会", "date": "2027-02-20", "place": "广场"}
    r = await api.client.post("/fairs", data=data, follow_redirects=False)
    assert r.status_code == 303, r.text
    fair = r.headers["location"].split("?")[0]
    bad = await _crawl(api, ["/fairs", fair], limit=3, least=2, who="staff")
    return bad | await _posted(
        api,
        token,
        ("/fairs", {"name": "", "date": "2027-13-01", "place": "\u200b"}),
        (f"{fair}/counts", {"version": "1", "attendees": "-1", "consultations": "x"}),
        (f"{fair}/counts", {"version": "9", "attendees": "5", "consultations": "5"}),  # stale
        (f"{fair}/employers", {"employer_id": "999999"}),
    )


async def test_no_english_sentence_on_any_chinese_page(api: Api) -> None:
    w = await offered_world(api)
    agency_id = w["employer"]["agency_id"]
    bad: dict[str, list[str]] = {}
    # her phone pages, each state the world has, and a code that was never issued
    for code in w["code_of"].values():
        bad |= await _crawl(api, [f"/o/{code}"], limit=3, least=1)
    bad |= await _crawl(api, ["/o/neverissued123", "/c/neverissued123"], limit=3, least=2)
    session_id, enrolment_id = await _a_session_with_her(api, agency_id)
    for role, scope in (
        ("staff", {"agency_id": agency_id}),
        ("employer", {"employer_id": w["employer"]["id"]}),
    ):
        token = await _login(api, await _account(api, role, **scope))
        start = ["/", "/no/such/page", "/workers/999999", "/admin"]
        withdraw = f"/offers/{w['offer_of'][w['priority']['id']]}/withdraw"
        if role == "staff":
            start += [f"/training/sessions/{session_id}", withdraw, "/employers/new"]
        bad |= await _crawl(api, start, who=role)
        if role == "staff":  # she leaves the session, then a second withdrawal is refused
            path = f"/training/enrolments/{enrolment_id}/withdraw"
            for _ in range(2):
                r = await api.client.post(
                    path,
                    data={"_csrf_token": token, "session_id": str(session_id)},
                    headers={"Accept": "text/html"},
                )
            assert r.status_code == 409
            if found := english_in(r.text):
                bad[f"POST {path} twice"] = found
        # forms sent back with their errors
        wrong = {"_csrf_token": token, "name": "", "phone": "1", "headcount": "0", "skill_x": "9"}
        for path in ("/workers", "/openings", withdraw, "/employers"):
            r = await api.client.post(path, data=wrong, headers={"Accept": "text/html"})
            if found := english_in(r.text):
                bad[f"POST {path} as {role}"] = found
        if role == "staff":
            bad |= await _fair_pages(api, token)
    await api.admin()
    token = await _login(api, "root", PASSWORD)
    employer_edit = f"/employers/{w['employer']['id']}/edit"
    async with api.engine.connect() as conn:
        clerk = (await conn.execute(select(m.Account.id).where(m.Account.role == "staff"))).first()
    assert clerk is not None
    account_edit = f"/admin/accounts/{clerk.id}/edit"
    start = ["/", "/dashboard", "/admin", "/no/such/page", employer_edit, account_edit]
    bad |= await _crawl(api, start, who="admin")
    # the new forms sent back with their errors (and a stale employer form)
    wrong_forms = {
        employer_edit: {"version": "1", "name": "", "reputation": "999", "agency_id": "x"},
        account_edit: {"role": "staff", "employer_id": str(w["employer"]["id"])},
    }
    wrong_forms[employer_edit + " "] = {"version": "999", "name": "新名"}
    for path, fields in wrong_forms.items():
        r = await api.client.post(
            path.strip(), data={"_csrf_token": token, **fields}, headers={"Accept": "text/html"}
        )
        assert r.status_code in (409, 422), (path, r.status_code)
        if found := english_in(r.text):
            bad[f"POST {path} as admin"] = found
    bad |= await _crawl(
        api, ["/admin/labour-force", "/admin/labour-force?year=1999"], least=1, who="admin"
    )
    bad |= await _posted(
        api,
        token,
        ("/admin/labour-force", {"year": "1999", "agency_id": "999999", "count": "-1"}),
    )
    assert not bad, "\n".join(f"{url}: {found}" for url, found in bad.items())


async def _a_session_with_her(api: Api, agency_id: int) -> tuple[int, int]:
    """A training session of the agency with one of its workers enrolled: (session, enrolment)."""
    trainer = await api.staff(agency_id)
    her = await api.worker(trainer, name="韦秋菊")
    body = {"name": "维权课", "kind": "legal_rights", "fee": 0}
    course = await api.ok("POST", "/courses", trainer, json=body)
    day = clock.today().isoformat()
    ts = await api.ok(
        "POST",
        f"/courses/{course['id']}/sessions",
        trainer,
        json={"starts_on": day, "ends_on": day, "place": "乡镇", "capacity": 5},
    )
    e = await api.ok(
        "POST", f"/training-sessions/{ts['id']}/enrolments", trainer, json={"worker_id": her["id"]}
    )
    return ts["id"], e["id"]


def test_the_detector_sees_a_sentence_and_spares_codes() -> None:
    assert english_in("<p>employer 7 is suspended and may not post openings</p>")
    assert english_in('<input placeholder="e.g. the name on her ID card">')
    assert not english_in("<p>用人单位 7 已暂停 · wang@example.com · https://x.cn/o/abc</p>")
    assert not english_in("<p>技能 sewing_machine 3 级</p><script>var a = b + c;</script>")
