"""Routes for posting openings from a spreadsheet (``/api/v1/imports/openings``)."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, get, post

from matching.api.deps import Ctx, DbSession, Who
from matching.api.openapi import answers
from matching.api.problems import translate_for
from matching.api.uploads import DryRun, SkipInvalid, Upload, read_upload, workbook
from matching.lib.imports import XLSX, ImportResult
from matching.openings import imports


class OpeningImportController(Controller):
    path = "/openings"
    tags = ["imports"]

    @post(
        "/",
        summary="Post openings from a spreadsheet (all or nothing unless skip_invalid)",
        status_code=200,
        opt=answers(403, 413, 422),
    )
    async def upload(
        self,
        request: Request[Any, Any, Any],
        data: Upload,
        db_session: DbSession,
        ctx: Ctx,
        principal: Who,
        dry_run: DryRun = False,
        skip_invalid: SkipInvalid = False,
    ) -> ImportResult:
        content, filename = await read_upload(data)
        return await imports.import_openings(
            db_session,
            ctx,
            principal,
            content,
            filename,
            dry_run=dry_run,
            skip_invalid=skip_invalid,
            translate=translate_for(request),
        )

    @get("/template.xlsx", summary="The workbook to fill in for an opening import", media_type=XLSX)
    async def template(self) -> Response[bytes]:
        return workbook(imports.template(), "openings-template.xlsx")
