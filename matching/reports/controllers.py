"""Routes for the federation's figures (``/reports/summary``), the labour force they are a
share of (``/labour-force/{year}``) and job fairs (``/job-fairs``)."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, get, patch, post, put
from litestar.params import JSONBody, Parameter, QueryParameter
from litestar.response import Stream

from matching.api.deps import DbSession, Who
from matching.api.openapi import answers
from matching.api.params import OptId, PathId
from matching.api.spreadsheets import XLSX, XLSX_TYPE, send
from matching.reports import exports, figures, job_fairs
from matching.reports.schemas import (
    JobFair,
    JobFairCreate,
    JobFairEmployerIn,
    JobFairPatch,
    LabourForceIn,
    LabourForceOut,
    Summary,
)

Day = Annotated[str | None, QueryParameter(max_length=32, description="a date, YYYY-MM-DD")]
From = Annotated[
    str | None, QueryParameter(name="from", max_length=32, description="a date, YYYY-MM-DD")
]


@get(
    "/reports/summary",
    tags=["reports"],
    summary="The federation's figures for a period (staff: their agency; admins: all)",
    opt=answers(422),  # a date that is none, or a period that ends before it starts
)
async def summary(
    db_session: DbSession,
    principal: Who,
    from_: From = None,
    to: Day = None,
    agency_id: OptId = None,
    office_id: OptId = None,
) -> Summary:
    return await figures.summary(
        db_session, principal, from_, to, agency_id=agency_id, office_id=office_id
    )


@get(
    "/reports/summary.xlsx",
    media_type=XLSX_TYPE,
    tags=["reports"],
    summary="The federation's figures as a workbook: the figures, then a sheet per breakdown",
    opt=answers(422),  # as the summary
)
async def summary_xlsx(
    db_session: DbSession,
    principal: Who,
    from_: From = None,
    to: Day = None,
    agency_id: OptId = None,
    office_id: OptId = None,
) -> Stream:
    return await send(
        "summary",
        XLSX,
        lambda path: exports.summary_workbook(
            db_session, principal, from_, to, path, agency_id=agency_id, office_id=office_id
        ),
    )


@put(
    "/labour-force/{year:int}",
    tags=["reports"],
    summary="Record an agency's township labour force for a year (admin)",
)
async def put_labour_force(
    year: Annotated[int, Parameter(ge=0, le=9999)],
    data: JSONBody[LabourForceIn],
    db_session: DbSession,
    principal: Who,
) -> LabourForceOut:
    return await figures.put_labour_force(db_session, principal, year, data)


class JobFairController(Controller):
    path = "/job-fairs"
    tags = ["reports"]

    @post("/", summary="Hold a job fair (staff: for their agency; an admin: any, or none)")
    async def create(
        self, data: JSONBody[JobFairCreate], db_session: DbSession, principal: Who
    ) -> JobFair:
        return await job_fairs.create(db_session, principal, data)

    @get("/{fair_id:int}", summary="A job fair with its counts and hires")
    async def read(self, fair_id: PathId, db_session: DbSession, principal: Who) -> JobFair:
        return await job_fairs.read(db_session, principal, fair_id)

    @patch("/{fair_id:int}", summary="Keep a fair's counts: attendees, consultations")
    async def update(
        self, fair_id: PathId, data: JSONBody[JobFairPatch], db_session: DbSession, principal: Who
    ) -> JobFair:
        return await job_fairs.update_counts(db_session, principal, fair_id, data)

    @post("/{fair_id:int}/employers", summary="An employer attends the fair with its openings")
    async def add_employer(
        self,
        fair_id: PathId,
        data: JSONBody[JobFairEmployerIn],
        db_session: DbSession,
        principal: Who,
    ) -> JobFair:
        return await job_fairs.add_employer(db_session, principal, fair_id, data.employer_id)
