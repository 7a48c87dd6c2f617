"""The console's plumbing: the login session, who is asking, rendering in her language, errors.

Pages are server-rendered and work without JavaScript; htmx only swaps fragments. The session
is an encrypted cookie (Litestar's client-side backend, AES-GCM with a key derived from the
app secret) holding the account's role and scope, from which each request rebuilds the same
``Principal`` the API's bearer tokens carry, so every page is scoped by the same services.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlencode

from litestar import Request, Response, get, post
from litestar.datastructures import Cookie
from litestar.di import NamedDependency
from litestar.enums import MediaType
from litestar.exceptions import HTTPException, ValidationException
from litestar.middleware.session.client_side import CookieBackendConfig
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Template
from litestar.status_codes import HTTP_303_SEE_OTHER

from matching.api.auth import PUBLIC, invalidate_epochs, session_is_live
from matching.api.deps import DbSession, after_commit
from matching.lib.errors import DomainError, Invalid, Message, Translate, msg
from matching.lib.keys import Keys
from matching.lib.principal import Principal
from matching.network import signin
from matching.network.service import Login, TooManyAttempts
from matching.settings import Settings
from matching.web.catalog import DEFAULT_LANG, accepted_lang, gettext, lang_of, translator

SESSION_COOKIE = "laowu_session"
LANG_COOKIE = "laowu_lang"
SESSION_HOURS = 12  # one working day; then she logs in again
PAGE_SIZE = 25


def session_config(settings: Settings) -> CookieBackendConfig:
    """The encrypted session cookie: HttpOnly, SameSite=Lax, Secure when served over HTTPS."""
    return CookieBackendConfig(
        secret=Keys.from_secret(settings.resolved_secret_key()).web_session,
        key=SESSION_COOKIE,
        max_age=SESSION_HOURS * 3600,
        httponly=True,
        samesite="lax",
        secure=settings.public_url.startswith("https://"),
    )


class LoginRequired(Exception):
    """No valid session: the page sends her to the login form."""


def lang(request: Request[Any, Any, Any]) -> str:
    """The page language: ``?lang=`` for one page, else the switch's cookie, else Chinese (a
    browser's own ``Accept-Language`` is not asked: a clerk's machine may be set to English).
    The API reads only ``Accept-Language``."""
    if request.url.path.startswith("/api/"):
        return accepted_lang(request.headers.get("accept-language"))
    q = request.query_params.get("lang")
    if q is not None:
        return lang_of(q)
    return lang_of(request.cookies.get(LANG_COOKIE, DEFAULT_LANG))


def reader_translate(request: Request[Any, Any, Any]) -> Translate:
    """How a domain error reads to whoever asked (``app.state.translate``)."""
    return translator(lang(request))


def principal(request: Request[Any, Any, Any]) -> Principal:
    """The Principal of the logged-in account; raises LoginRequired without a live session."""
    s = request.session if "session" in request.scope else {}
    try:
        if not s or float(s["at"]) + SESSION_HOURS * 3600 < time.time():
            raise LoginRequired
        return Principal(
            account_id=int(s["id"]),
            username=str(s["u"]),
            role=s["r"],
            agency_id=s.get("a"),
            office_id=s.get("o"),
            employer_id=s.get("e"),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise LoginRequired from exc


async def provide_me(request: Request[Any, Any, Any], db_session: DbSession) -> Principal:
    """Who is logged in, if her session has not ended: a session carries her account's token
    epoch, checked against the same per-process cache as the bearer tokens (deactivation, a
    role, scope or password change ends it within a second). ``db_session`` is not used:
    depending on it chains the two, so Litestar resolves them one after the other instead of
    opening a task group per page (as the API's dependencies do, see matching/api/deps.py)."""
    me = principal(request)
    if not await session_is_live(request, me.account_id, request.session.get("ep")):
        raise LoginRequired
    return me


Me = NamedDependency[Principal]


def t(request: Request[Any, Any, Any], message: str, **values: Any) -> str:
    """A message for Python code (flash notes, errors) in the page's language."""
    return gettext(lang(request), message, **values)


def render(
    request: Request[Any, Any, Any],
    template: str,
    status_code: int = 200,
    **context: Any,
) -> Template:
    """A console page: adds the language, who is asking, and where she is to the context."""
    try:
        me: Principal | None = principal(request)
    except LoginRequired:
        me = None
    ctx: dict[str, Any] = {
        "lang": lang(request),
        "me": me,
        "path": request.url.path,
        "here": quote(request.url.path + (f"?{request.url.query}" if request.url.query else "")),
        "flash": request.query_params.get("done"),
        "htmx": request.headers.get("hx-request") == "true",
    }
    ctx.update(context)
    return Template(template_name=template, context=ctx, status_code=status_code)


def see_other(path: str, **query: Any) -> Redirect:
    """After a successful POST: 303 to the page to show (Post/Redirect/Get)."""
    q = {k: v for k, v in query.items() if v is not None}
    return Redirect(path + (f"?{urlencode(q)}" if q else ""), status_code=HTTP_303_SEE_OTHER)


@dataclass(frozen=True, slots=True)
class Pager:
    """Limit/offset from a ``page`` query value, and the links to the neighbours."""

    page: int
    total: int
    size: int = PAGE_SIZE

    @classmethod
    def of(cls, page: int | None, size: int = PAGE_SIZE) -> Pager:
        return cls(page=max(1, min(page or 1, 400_000)), total=0, size=size)

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.size

    def with_total(self, total: int) -> Pager:
        return Pager(self.page, total, self.size)

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.size))


def field_of(name: str) -> str:
    """``skills[0].code`` → ``skills``: errors show beside the form field they belong to."""
    for sep in ("[", "."):
        name = name.split(sep, 1)[0]
    return name


def field_errors(request: Request[Any, Any, Any], exc: DomainError) -> dict[str, str]:
    """The service's per-field errors, translated where the catalog knows the message."""
    out: dict[str, str] = {}
    tr = reader_translate(request)
    if isinstance(exc, Invalid):
        for f, m in exc.messages:
            out.setdefault(field_of(f), m.render(tr))
    elif "field" in exc.extra:
        out[str(exc.extra["field"])] = exc.rendered(tr)
    else:
        out["_form"] = exc.rendered(tr)
    return out


def say(request: Request[Any, Any, Any], message: str | Message) -> str:
    """A message or a template with values, in the page's language."""
    m = message if isinstance(message, Message) else Message(message)
    return m.render(reader_translate(request))


# --- error pages ---


def _on_login_required(request: Request[Any, Any, Any], _exc: Exception) -> Response[Any]:
    if "session" in request.scope:
        request.clear_session()  # an ended session is dropped, not shown as signed in
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    if request.headers.get("hx-request") == "true":  # htmx follows a header, not a 3xx
        return Response(b"", status_code=401, headers={"HX-Redirect": "/login"})
    return Response(
        b"",
        status_code=HTTP_303_SEE_OTHER,
        headers={"Location": "/login?" + urlencode({"next": target})},
    )


def _on_domain_error(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    assert isinstance(exc, DomainError)
    return _html_error(request, exc.status_code, exc.rendered(reader_translate(request)))


def _on_http_error(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    assert isinstance(exc, HTTPException)
    detail = _known(request, exc.detail) if not isinstance(exc, ValidationException) else ""
    return _html_error(request, exc.status_code, detail)


def _known(request: Request[Any, Any, Any], text: str) -> str:
    """A framework's detail ("Not Found") only where the catalog has it in her language."""
    said = t(request, text)
    return said if said != text or lang(request) == "en" else ""


def _html_error(request: Request[Any, Any, Any], status: int, detail: str) -> Response[Any]:
    titles = {
        400: "The request was not valid",
        401: "Please sign in first",
        403: "You may not do this",
        404: "Not found",
        405: "Not allowed",
        409: "This could not be done now",
        413: "The request was too large",
        422: "The request was not valid",
        429: "Too many requests; please wait a moment",
        500: "Something went wrong on our side",
    }
    try:
        me: Principal | None = principal(request)
    except LoginRequired:
        me = None
    lg = lang(request)
    title = gettext(lg, titles.get(status, "Something went wrong"))
    if not detail:
        detail = gettext(lg, _UNSAID.get(status, ""))
    template = request.app.template_engine.get_template("console/error.html")  # type: ignore[union-attr]
    back = _back_of(request.url.path, me)
    body = template.render(
        lang=lg,
        me=me,
        path=request.url.path,
        title=title,
        detail=detail,
        here="/",
        flash=None,
        back=back,
    )
    return Response(body, status_code=status, media_type=MediaType.HTML)


_UNSAID = {
    404: msg("There is no such page here."),
    405: msg("This page cannot be opened this way; please use its buttons."),
    401: msg("Please sign in, then try again."),
}
"""What an error page says when the error itself said nothing she could read."""


def _back_of(path: str, me: Principal | None) -> str:
    """Where an error page leads back to: her own phone page, else the console's home."""
    parts = path.split("/")
    if len(parts) > 2 and parts[1] in ("o", "c") and parts[2]:
        return f"/{parts[1]}/{quote(parts[2])}"
    return home_of(me) if me is not None else "/"


def wants_html(request: Request[Any, Any, Any]) -> bool:
    """A browser on a console or phone route: its ``Accept`` prefers HTML (API clients, and
    any path under ``/api/``, get problem details)."""
    path = request.url.path
    if path.startswith(("/api/", "/schema", "/swagger", "/static/")):
        return False
    if "text/html" not in request.headers.get("accept", ""):
        return False
    best = request.accept.best_match(["text/html", "application/problem+json", "application/json"])
    return best == "text/html"


def html_for_browsers(handler: Any) -> Any:
    """Wraps an app-level handler: the problem it answers becomes an HTML page, in the reader's
    language with a way back, when a browser asked (an unknown page, a 405, a 500 …)."""

    def handle(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
        response = handler(request, exc)
        if not wants_html(request):
            return response
        body = response.content if isinstance(response.content, dict) else {}
        detail = str(body.get("detail", ""))
        if isinstance(exc, HTTPException) and response.status_code < 500:
            detail = _known(request, exc.detail)
        page = _html_error(request, response.status_code, detail)
        for key in ("allow", "retry-after"):
            if key in response.headers:
                page.headers[key] = response.headers[key]
        return page

    return handle


EXCEPTION_HANDLERS: dict[Any, Any] = {
    LoginRequired: _on_login_required,
    DomainError: _on_domain_error,
    HTTPException: _on_http_error,
}


# --- login, logout, language ---


def home_of(p: Principal) -> str:
    return {"employer": "/employer", "admin": "/dashboard"}.get(p.role, "/dashboard")


def safe_next(value: str | None) -> str | None:
    """Only a path on this site: never an open redirect to another host."""
    if value and value.startswith("/") and not value.startswith("//") and "\\" not in value:
        return value
    return None


@get("/", opt=PUBLIC, include_in_schema=False)
async def index(request: Request[Any, Any, Any]) -> Redirect:
    try:
        return Redirect(home_of(principal(request)), status_code=HTTP_303_SEE_OTHER)
    except LoginRequired:
        return Redirect("/login", status_code=HTTP_303_SEE_OTHER)


@get("/login", opt=PUBLIC, include_in_schema=False)
async def login_form(
    request: Request[Any, Any, Any], next: FromQuery[str | None] = None
) -> Template:
    return render(request, "console/login.html", next=safe_next(next) or "", error=None)


@post("/login", opt=PUBLIC, include_in_schema=False, status_code=200)
async def login(request: Request[Any, Any, Any], db_session: DbSession) -> Response[Any]:
    form = await request.form()
    username = str(form.get("username", ""))[:100]
    password = str(form.get("password", ""))[:200]
    nxt = safe_next(str(form.get("next", "")))
    error, status, headers = None, 401, {}
    try:
        login_ = await signin.sign_in(request, db_session, username, password)
    except TooManyAttempts as exc:
        error = t(request, "Too many failed logins; try again later.")
        status, headers = 429, {"Retry-After": str(exc.retry_after)}
    except DomainError:
        error = t(request, "Wrong username or password.")
    else:
        if login_.must_change_password:
            return _password_page(
                request,
                username=username,
                status_code=403,
                notice=t(request, "This password was reset: set a new one first."),
            )
    if error is not None:
        page = render(
            request,
            "console/login.html",
            status_code=status,
            next=nxt or "",
            username=username,
            error=error,
        )
        page.headers.update(headers)
        return page
    _start_session(request, login_)
    return Redirect(nxt or home_of(login_.principal), status_code=HTTP_303_SEE_OTHER)


def _start_session(request: Request[Any, Any, Any], login_: Login) -> None:
    who = login_.principal
    request.clear_session()  # a fresh session on login: no fixation
    request.set_session(
        {
            "id": who.account_id,
            "u": who.username,
            "r": who.role,
            "a": who.agency_id,
            "o": who.office_id,
            "e": who.employer_id,
            "ep": login_.epoch,
            "at": time.time(),
        }
    )


async def _signed_in(request: Request[Any, Any, Any], db_session: DbSession) -> Principal | None:
    try:
        return await provide_me(request, db_session)
    except LoginRequired:
        return None


def _password_page(
    request: Request[Any, Any, Any],
    *,
    username: str = "",
    errors: dict[str, str] | None = None,
    notice: str | None = None,
    status_code: int = 200,
    headers: dict[str, str] | None = None,
) -> Template:
    page = render(
        request,
        "console/password.html",
        status_code=status_code,
        username=username,
        errors=errors or {},
        notice=notice,
    )
    page.headers.update(headers or {})
    return page


@get("/password", opt=PUBLIC, include_in_schema=False)
async def password_form(
    request: Request[Any, Any, Any], db_session: DbSession, username: FromQuery[str | None] = None
) -> Template:
    """Her own password change; signed out, it asks for the username too (after a reset)."""
    await _signed_in(request, db_session)
    return _password_page(request, username=(username or "")[:100])


@post("/password", opt=PUBLIC, include_in_schema=False, status_code=200)
async def password_change(request: Request[Any, Any, Any], db_session: DbSession) -> Response[Any]:
    """The API's ``POST /auth/password`` for the console: the current password is a login
    (limited and counted alike); the change ends every other sign-in of hers, and this browser
    carries on with a fresh session at the new epoch."""
    form = await request.form()
    me = await _signed_in(request, db_session)
    username = me.username if me else str(form.get("username", "")).strip()[:100]
    current = str(form.get("current_password", ""))[:200]
    new = str(form.get("new_password", ""))[:200]
    errors: dict[str, str] = {}
    if new != str(form.get("repeat_password", ""))[:200]:
        errors["repeat_password"] = t(request, "The two new passwords differ.")
    try:
        who = me
        if who is None:
            who = (await signin.sign_in(request, db_session, username, current)).principal
        if not errors:
            login_ = await signin.change_password(request, db_session, who, current, new)
    except TooManyAttempts as exc:
        errors["_form"] = t(request, "Too many failed logins; try again later.")
        return _password_page(
            request,
            username=username,
            errors=errors,
            status_code=429,
            headers={"Retry-After": str(exc.retry_after)},
        )
    except Invalid as exc:
        errors.update(field_errors(request, exc))
    except DomainError:
        errors["current_password"] = t(request, "Wrong username or password.")
    if errors:
        await db_session.rollback()
        return _password_page(request, username=username, errors=errors, status_code=422)
    after_commit(db_session, invalidate_epochs(request))
    _start_session(request, login_)
    return see_other(home_of(login_.principal), done="password_changed")


@post("/logout", opt=PUBLIC, include_in_schema=False, status_code=HTTP_303_SEE_OTHER)
async def logout(request: Request[Any, Any, Any]) -> Redirect:
    request.clear_session()
    return Redirect("/login", status_code=HTTP_303_SEE_OTHER)


@get("/lang/{code:str}", opt=PUBLIC, include_in_schema=False)
async def switch_language(code: FromPath[str], next: FromQuery[str | None] = None) -> Redirect:
    target = safe_next(next) or "/"
    return Redirect(
        target,
        status_code=HTTP_303_SEE_OTHER,
        cookies=[Cookie(key=LANG_COOKIE, value=lang_of(code), max_age=365 * 86400, samesite="lax")],
    )
