"""Bodies of her export, the audit log and her erasure."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

import msgspec

from matching.lib.types import Request, Response

Rows = list[dict[str, Any]]


class AccessEntry(Response):
    at: dt.datetime
    actor_id: int | None
    action: str
    worker_id: int
    detail: str | None
    request_id: str | None


class AccessPage(Response):
    items: list[AccessEntry]
    total: int


class WorkerExport(Response):
    """Everything Laowu holds about her, section by section; each row is one record as
    stored (its columns), with the names of the opening, employer or course it refers to."""

    exported_at: dt.datetime
    worker: dict[str, Any]
    """Her profile, with her full ID number (``id_number``) decrypted."""
    skills: Rows
    priority_groups: Rows
    consents: Rows
    proposals: Rows
    """What match runs proposed for her, with their reasons."""
    left_out: Rows
    """The reason each match run left her out."""
    offers: Rows
    placements: Rows
    follow_ups: Rows
    """Each follow-up of her placements, with her answers."""
    cases: Rows
    case_logs: Rows
    tasks: Rows
    """The office's tasks about her."""
    notices: Rows
    """Every notice sent (or to be sent) to her, with its text."""
    messages_from_her: Rows
    training: Rows
    fees: Rows
    """Each fee charged to her: placement and training fees, and whether it was waived."""
    employer_bans: Rows
    access_log: Rows
    """Who read her record: every logged read, this export included."""


class ErasureRequest(Request):
    reason: Annotated[str, msgspec.Meta(max_length=500)]
    """Why she is erased (her request, say): staff's words, kept with the record of it."""


class KeptRecord(Response):
    kind: Literal["worker", "placement", "case"]
    id: int
    reason: str


class ErasureOut(Response):
    worker_id: int
    erased_at: dt.datetime
    erased_by: int | None
    reason: str
    withdrawn_offers: int
    kept: list[KeptRecord]
    """What stays, without her identity, and why."""
    removed: dict[str, int]
    """How many of each kind of record were removed or had her texts replaced."""
