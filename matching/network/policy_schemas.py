"""Request and response bodies for the priority policy (``/api/v1/priority-policy``)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

import msgspec

from matching.lib.types import Request, Response


class PolicyChange(Request):
    groups: Annotated[list[str], msgspec.Meta(max_length=50)]
    """The codes of the groups placed first; every other group is recorded only."""
    note: Annotated[str, msgspec.Meta(max_length=500)] | None = None


class Policy(Response):
    groups: list[str]
    """Placed first in matching (优先安排)."""
    recorded_only: list[str]
    """Recorded (for the federation's figures and her file) but given no priority."""
    id: int | None = None
    """The change that set it; None while the reference defaults hold."""
    note: str | None = None
    changed_by_id: int | None = None
    changed_at: dt.datetime | None = None


class PolicyHistory(Response):
    current: Policy
    changes: list[Policy]
    """Every change, newest first."""
