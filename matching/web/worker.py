"""A worker's phone page for her offer (``/o/{code}``): read it, accept or decline it.

The code in the link is the only key: random, bound to one offer of hers, expiring with it.
Forms carry Litestar's CSRF token. Every refusal is a plain, friendly page that changes nothing.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

import msgspec
from litestar import Controller, get, post
from litestar.enums import RequestEncodingType
from litestar.params import Body, FromPath, FromQuery
from litestar.response import Template

from matching.api.auth import PUBLIC
from matching.api.deps import DbSession
from matching.lib.types import Request
from matching.notices.templates import RIGHTS_PACK
from matching.offers import service as offers
from matching.placements import followups
from matching.web.catalog import when
from matching.web.i18n import TEXT, lang_of

_CODE = re.compile(r"^[A-Za-z0-9_-]{8,24}$")


class AnswerForm(Request):
    offer_id: int
    _csrf_token: str = ""  # checked by the CSRF middleware before the handler runs


Form = Annotated[AnswerForm, Body(media_type=RequestEncodingType.URL_ENCODED)]


HER_REASONS = ("priority", "skill", "place", "pay", "housing", "start", "training")
"""The reasons her page tells her, in plain words: her groups, skill, city, the pay against her
minimum, housing, the start date (the score and the employer's ratings are staff's)."""


def _gone(
    lang: str, status: int = 404, message: str | None = None, phone: str | None = None
) -> Template:
    return Template(
        template_name="worker/gone.html",
        context={"t": TEXT[lang], "lang": lang, "message": message, "office_phone": phone},
        status_code=status,
    )


def _page(lang: str, code: str, opened: offers.LinkedOffer, message: str | None = None) -> Template:
    o = opened.offer
    context: dict[str, Any] = {
        "t": TEXT[lang],
        "lang": lang,
        "o": o,
        "code": code,
        "reasons": [r for r in opened.reasons if r.get("kind") in HER_REASONS],
        "rights": RIGHTS_PACK[lang],
        "office_phone": opened.office_phone,
        "cases": opened.cases,
        "can_answer": o.status == "pending" and not opened.used,
        "answer_by": when(o.expires_at),
        "message": message,
    }
    return Template(template_name="worker/offer.html", context=context)


class WorkerLinkController(Controller):
    path = "/o"
    opt = PUBLIC
    include_in_schema = False

    @get("/{code:str}")
    async def show(
        self, code: FromPath[str], db_session: DbSession, lang: FromQuery[str | None] = None
    ) -> Template:
        language = lang_of(lang)
        if not _CODE.match(code):
            return _gone(language)
        opened = await offers.open_link(db_session, code)
        if opened is None:
            return _gone(language, phone=await offers.link_phone(db_session, code))
        return _page(language, code, opened)

    @post("/{code:str}/accept", status_code=200)
    async def accept(
        self,
        code: FromPath[str],
        data: Form,
        db_session: DbSession,
        lang: FromQuery[str | None] = None,
    ) -> Template:
        return await self._answer(code, data, db_session, lang_of(lang), accept=True)

    @post("/{code:str}/decline", status_code=200)
    async def decline(
        self,
        code: FromPath[str],
        data: Form,
        db_session: DbSession,
        lang: FromQuery[str | None] = None,
    ) -> Template:
        return await self._answer(code, data, db_session, lang_of(lang), accept=False)

    async def _answer(
        self, code: str, data: AnswerForm, session: DbSession, lang: str, *, accept: bool
    ) -> Template:
        if not _CODE.match(code):
            return _gone(lang)
        done = await offers.respond_by_link(session, code, data.offer_id, accept=accept)
        if done is None:
            phone = await offers.link_phone(session, code)
            return _gone(lang, 409, TEXT[lang]["refused"], phone)
        return _page(lang, code, done, TEXT[lang]["done_accept" if accept else "done_decline"])


class CheckinForm(Request):
    wages_on_time: Literal["yes", "no"]
    hours_as_agreed: Literal["yes", "no"]
    housing_as_promised: Literal["yes", "no", "na"] = "na"
    problem: Annotated[str, msgspec.Meta(max_length=1000)] = ""
    wage_paid: Annotated[str, msgspec.Meta(pattern=r"^ *[0-9]{0,6} *$")] = ""
    """What she was actually paid last month (yuan; may be left empty)."""
    _csrf_token: str = ""


def _checkin_page(
    lang: str, code: str, opened: followups.OpenedCheckin, message: str | None = None
) -> Template:
    t = TEXT[lang]
    context: dict[str, Any] = {
        "t": t,
        "lang": lang,
        "code": code,
        "employer": opened.employer,
        "day": followups.DAYS_OF[opened.follow_up.n],
        "can_answer": opened.follow_up.status != "done",
        "questions": [
            ("wages_on_time", t["q_wages"], False),
            ("hours_as_agreed", t["q_hours"], False),
            ("housing_as_promised", t["q_housing"], True),
        ],
        "cases": opened.cases,
        "office_phone": opened.office_phone,
        "message": message,
    }
    return Template(template_name="worker/checkin.html", context=context)


class CheckinController(Controller):
    """Her follow-up check-in (``/c/{code}``) and the status of her rights cases."""

    path = "/c"
    opt = PUBLIC
    include_in_schema = False

    @get("/{code:str}")
    async def show(
        self, code: FromPath[str], db_session: DbSession, lang: FromQuery[str | None] = None
    ) -> Template:
        language = lang_of(lang)
        opened = await followups.open_checkin(db_session, code) if _CODE.match(code) else None
        if opened is None:
            return _gone(language)
        message = TEXT[language]["answered"] if opened.follow_up.status == "done" else None
        return _checkin_page(language, code, opened, message)

    @post("/{code:str}", status_code=200)
    async def answer(
        self,
        code: FromPath[str],
        data: Annotated[CheckinForm, Body(media_type=RequestEncodingType.URL_ENCODED)],
        db_session: DbSession,
        lang: FromQuery[str | None] = None,
    ) -> Template:
        language = lang_of(lang)
        if not _CODE.match(code):
            return _gone(language)
        answers = followups.CheckinAnswers(
            wages_on_time=data.wages_on_time == "yes",
            hours_as_agreed=data.hours_as_agreed == "yes",
            housing_as_promised=None
            if data.housing_as_promised == "na"
            else data.housing_as_promised == "yes",
            problem=data.problem,
            wage_paid=int(data.wage_paid) if data.wage_paid.strip() else None,
        )
        done = await followups.answer_checkin(db_session, code, answers)
        if done is None:
            return _gone(language, 409, TEXT[language]["refused"])
        key = "thanks_worry" if followups.worrying(answers) else "thanks"
        return _checkin_page(language, code, done, TEXT[language][key])
