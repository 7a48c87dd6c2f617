"""A job fair's self-registration page (``/f/{code}``), opened from the fair's QR code on her
phone: she enters herself and ticks her consent; the entry waits for staff in the fair's queue.

Public (the code is the key: random, one per fair), no JavaScript, CSRF-protected like her other
phone pages, every field checked at once with the reason beside it, and limited per client
address against floods (``LAOWU_FAIR_REGISTER_PER_MINUTE``).
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import msgspec
from litestar import Controller, Request, get, post
from litestar.exceptions import TooManyRequestsException
from litestar.middleware.rate_limit import RateLimitConfig
from litestar.params import FromPath, FromQuery
from litestar.response import Response, Template

from matching.api.auth import PUBLIC
from matching.api.deps import Ctx, DbSession
from matching.db import models as m
from matching.lib.errors import FieldErrors, Invalid, msg
from matching.lib.reference import reference
from matching.profiles import fair_registrations as registrations
from matching.profiles.schemas import WorkerCreate
from matching.settings import Settings
from matching.web.catalog import gettext
from matching.web.console import field_of
from matching.web.i18n import TEXT, lang_of

_CODE = re.compile(r"^[A-Za-z0-9_-]{8,24}$")
FIELDS = ("name", "phone", "birth_date", "home_county", "skills", "willing_to_relocate", "consent")


def _gone(lang: str, status: int = 404, message: str | None = None) -> Template:
    return Template(
        template_name="worker/gone.html",
        context={"t": TEXT[lang], "lang": lang, "message": message},
        status_code=status,
    )


def _page(
    lang: str,
    fair: m.JobFair,
    days: int,
    *,
    values: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    done: bool = False,
    status: int = 200,
) -> Template:
    context: dict[str, Any] = {
        "t": TEXT[lang],
        "lang": lang,
        "fair": fair,
        "skills": [(s.code, s.zh if lang == "zh" else s.en) for s in reference().skills],
        "v": values or {},
        "errors": errors or {},
        "done": done,
        "days": days,
    }
    return Template(template_name="worker/fair_register.html", context=context, status_code=status)


def _form_values(form: Any) -> dict[str, str]:
    return {k: str(v) for k, v in form.items() if k != "_csrf_token"}


def _parse(form: dict[str, str], errors: FieldErrors) -> tuple[WorkerCreate, bool]:
    """Her form as a registration; what cannot even be read (a blank field, a date that is
    none, a relocation not answered) goes into ``errors``, the rest to the service's checks."""

    def text(name: str) -> str:
        value = form.get(name, "").strip()
        if not value:
            errors.add(name, msg("must not be blank"))
        return value or "-"

    birth = dt.date(2000, 1, 1)
    raw_birth = form.get("birth_date", "").strip()
    if not raw_birth:
        errors.add("birth_date", msg("must not be blank"))
    else:
        try:
            birth = dt.date.fromisoformat(raw_birth)
        except ValueError:
            errors.add("birth_date", msg("enter a date as YYYY-MM-DD"))
    relocate = form.get("willing_to_relocate", "")
    if relocate not in ("yes", "no"):
        errors.add("willing_to_relocate", msg("choose yes or no"))
    skills = []
    for code in sorted(reference().skill_codes):
        raw = form.get(f"skill_{code}", "0")
        if raw not in ("0", "1", "2", "3", "4", "5"):
            errors.add("skills", msg("is not valid"))
        elif raw != "0":
            skills.append({"code": code, "level": int(raw)})
    data = msgspec.convert(
        {
            "name": text("name")[:100],
            "phone": text("phone")[:32],
            "birth_date": birth,
            "home_county": text("home_county")[:100],
            "consent_matching": True,
            "skills": skills,
            "willing_to_relocate": relocate == "yes",
        },
        WorkerCreate,
    )
    return data, form.get("consent", "") == "yes"


def _translated(lang: str, exc: Invalid) -> dict[str, str]:
    out: dict[str, str] = {}
    for e in exc.errors:
        out.setdefault(field_of(e["field"]), gettext(lang, e["message"]))
    return out


def _too_many(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    lang = lang_of(request.query_params.get("lang"))
    headers = getattr(exc, "headers", None) or {}
    body = request.app.template_engine.get_template("worker/gone.html")  # type: ignore[union-attr]
    text = TEXT[lang]
    html = body.render(
        t={**text, "gone_title": text["fair_busy_title"]}, lang=lang, message=text["fair_busy"]
    )
    return Response(html, status_code=429, media_type="text/html", headers=headers)


def rate_limit(settings: Settings) -> RateLimitConfig:
    """Posts to her page, per client address (as the login limit sees it), per minute."""

    def posts_only(request: Request[Any, Any, Any]) -> bool:
        return request.method == "POST"

    return RateLimitConfig(
        rate_limit=("minute", settings.fair_register_per_minute),
        check_throttle_handler=posts_only,
        store="fair_register_limit",
    )


def controller(settings: Settings) -> type[Controller]:
    """The page's routes, with the flood limit configured from the settings."""

    class FairRegisterController(Controller):
        path = "/f"
        opt = PUBLIC
        include_in_schema = False
        middleware = [rate_limit(settings).middleware]
        exception_handlers = {TooManyRequestsException: _too_many}

        @get("/{code:str}")
        async def show(
            self,
            code: FromPath[str],
            db_session: DbSession,
            ctx: Ctx,
            lang: FromQuery[str | None] = None,
        ) -> Template:
            language = lang_of(lang)
            fair = await registrations.open_page(db_session, code) if _CODE.match(code) else None
            days = ctx.settings.fair_queue_days
            return _gone(language) if fair is None else _page(language, fair, days)

        @post("/{code:str}", status_code=200)
        async def register(
            self,
            request: Request[Any, Any, Any],
            code: FromPath[str],
            db_session: DbSession,
            ctx: Ctx,
            lang: FromQuery[str | None] = None,
        ) -> Template:
            language = lang_of(lang)
            fair = await registrations.open_page(db_session, code) if _CODE.match(code) else None
            if fair is None:
                return _gone(language)
            days = ctx.settings.fair_queue_days
            form = _form_values(await request.form())
            errors = FieldErrors()
            data, consent = _parse(form, errors)
            try:
                await registrations.register(
                    db_session, ctx, fair, data, consent=consent, errors=errors
                )
            except Invalid as exc:
                errs = _translated(language, exc)
                return _page(language, fair, days, values=form, errors=errs, status=422)
            return _page(language, fair, days, done=True)

    return FairRegisterController
