"""The console's 导入: a clerk uploads a spreadsheet of workers or openings and sees what came
of it, with the bad rows as a workbook to fix and upload again (the API's own import)."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get, post
from litestar.datastructures import UploadFile
from litestar.params import FromPath
from litestar.response import Template

from matching.api.deps import Ctx, DbSession
from matching.lib.errors import DomainError, Forbidden, Invalid, msg
from matching.lib.imports import XLSX, ImportResult, InvalidRows, say
from matching.lib.sheets import SheetProblem
from matching.network import service as network
from matching.openings import imports as opening_imports
from matching.profiles import imports as worker_imports
from matching.web.console import Me, reader_translate, render, t

AnyRequest = Request[Any, Any, Any]
KINDS = ("workers", "openings")
SHOWN = 50  # rows of errors listed on the page; every one is in the workbook


async def _page(
    request: AnyRequest,
    db_session: DbSession,
    me: Me,
    *,
    result: ImportResult | None = None,
    problem: str | None = None,
    errors: list[dict[str, Any]] | None = None,
    v: dict[str, str] | None = None,
    status_code: int = 200,
) -> Template:
    agencies = list((await network.list_agencies(db_session, me)).items) if me.is_admin else []
    return render(
        request,
        "console/imports.html",
        status_code=status_code,
        agencies=agencies,
        result=result,
        problem=problem,
        errors=(errors or [])[:SHOWN],
        more=max(0, len(errors or []) - SHOWN),
        v=v or {"kind": "workers"},
        XLSX=XLSX,
    )


@get("/imports")
async def imports_page(request: AnyRequest, db_session: DbSession, me: Me) -> Template:
    me.require("admin", "staff")
    return await _page(request, db_session, me)


@post("/imports", status_code=200)
async def imports_upload(request: AnyRequest, db_session: DbSession, ctx: Ctx, me: Me) -> Template:
    me.require("admin", "staff")
    form = await request.form()
    kind = str(form.get("kind", "workers"))
    v = {
        "kind": kind,
        "agency_id": str(form.get("agency_id", "")),
        "dry_run": "on" if form.get("dry_run") else "",
        "skip_invalid": "on" if form.get("skip_invalid") else "",
    }
    upload = form.get("file")
    if kind not in KINDS or not isinstance(upload, UploadFile):
        problem = t(request, "Choose a spreadsheet file to upload.")
        return await _page(request, db_session, me, problem=problem, v=v, status_code=422)
    run = worker_imports.import_workers if kind == "workers" else opening_imports.import_openings
    agency = int(v["agency_id"]) if me.is_admin and v["agency_id"].isdigit() else None
    try:
        result = await run(
            db_session,
            ctx,
            me,
            await upload.read(),
            upload.filename,
            agency_id=agency,
            dry_run=bool(v["dry_run"]),
            skip_invalid=bool(v["skip_invalid"]),
            translate=reader_translate(request),
        )
    except DomainError as exc:
        if isinstance(exc, Forbidden):
            raise
        await db_session.rollback()  # a refused import writes nothing
        rows = _translated(request, exc.errors) if isinstance(exc, InvalidRows) else None
        if isinstance(exc, SheetProblem):
            why = t(request, exc.template, **exc.values)
            problem = t(request, "The file cannot be imported: %(why)s", why=why)
        elif isinstance(exc, Invalid) and rows is None:
            message = "; ".join(f"{e['field']}: {t(request, e['message'])}" for e in exc.errors)
            problem = t(request, "The file cannot be imported: %(why)s", why=message)
        elif rows is not None:
            problem = t(
                request,
                "%(bad)s of %(rows)s rows cannot be imported, so nothing was written. Fix them, "
                "or tick “skip the bad rows” to import the others and download the bad ones.",
                bad=exc.extra["invalid"],
                rows=exc.extra["rows"],
            )
        else:
            problem = t(request, exc.detail)
        return await _page(
            request, db_session, me, problem=problem, errors=rows, v=v, status_code=422
        )
    errors = _translated(
        request, [{"row": e.row, "field": e.field, "message": e.message} for e in result.errors]
    )
    return await _page(request, db_session, me, result=result, errors=errors, v=v)


def _say(request: AnyRequest, message: str) -> str:
    return say(message, reader_translate(request))


def _translated(request: AnyRequest, errors: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each row's error in the page's language where the catalog has it, its column by the
    Chinese header the template gives it."""
    headers = {c.field: c.header for c in (*worker_imports.columns(), *opening_imports.columns())}
    return [
        {**e, "field": headers.get(e["field"], e["field"]), "message": _say(request, e["message"])}
        for e in errors
    ]


@get("/imports/{kind:str}/template.xlsx")
async def imports_template(me: Me, kind: FromPath[str]) -> Response[bytes]:
    me.require("admin", "staff")
    if kind not in KINDS:
        raise Invalid("kind", msg("must be workers or openings"))
    content = worker_imports.template() if kind == "workers" else opening_imports.template()
    name = "workers-template.xlsx" if kind == "workers" else "openings-template.xlsx"
    return Response(
        content,
        media_type=XLSX,
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


ROUTES = [imports_page, imports_upload, imports_template]
