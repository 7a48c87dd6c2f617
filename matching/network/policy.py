"""The priority policy: which priority groups (重点群体) are placed first in matching and which
are recorded only. An admin changes it; each change is a row with who and when, the newest in
force. Before any change the reference list's defaults are (``reference.json``)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from matching.lib import clock
from matching.lib.errors import FieldErrors, msg
from matching.lib.principal import Principal
from matching.lib.reference import reference
from matching.network import repository as repo
from matching.network.policy_schemas import Policy, PolicyChange, PolicyHistory

__all__ = [
    "Policy",
    "PolicyChange",
    "PolicyHistory",
    "change",
    "history",
    "in_force",
    "priority_codes",
]


def _policy(groups: list[str], row: Any | None = None) -> Policy:
    chosen = set(groups)
    codes = [g.code for g in reference().groups]
    return Policy(
        groups=[c for c in codes if c in chosen],
        recorded_only=[c for c in codes if c not in chosen],
        id=row.id if row is not None else None,
        note=row.note if row is not None else None,
        changed_by_id=row.changed_by_id if row is not None else None,
        changed_at=row.changed_at if row is not None else None,
    )


async def in_force(session: AsyncSession) -> Policy:
    """The policy the next match run reads."""
    row = await repo.policy_in_force(session)
    if row is None:
        return _policy(sorted(reference().priority_codes))
    return _policy(list(row.groups), row)


async def priority_codes(session: AsyncSession) -> frozenset[str]:
    return frozenset((await in_force(session)).groups)


async def history(session: AsyncSession, principal: Principal) -> PolicyHistory:
    principal.require("admin", "staff")
    rows = await repo.policy_changes(session, limit=200, offset=0)
    return PolicyHistory(
        current=await in_force(session), changes=[_policy(list(r.groups), r) for r in rows]
    )


async def change(session: AsyncSession, principal: Principal, data: PolicyChange) -> Policy:
    """An admin sets which groups carry priority from now on (recorded with who and when)."""
    principal.require("admin")
    errors = FieldErrors()
    known = reference().group_codes
    seen: set[str] = set()
    for i, code in enumerate(data.groups):
        if code not in known:
            errors.add(
                f"groups[{i}]",
                msg("unknown priority group {code!r}; see GET /priority-groups"),
                code=code,
            )
        elif code in seen:
            errors.add(f"groups[{i}]", msg("{code!r} is listed twice"), code=code)
        seen.add(code)
    errors.raise_if_any()
    note = (data.note or "").strip() or None
    await repo.add_policy(session, sorted(seen), note, principal.account_id or None, clock.now())
    return await in_force(session)
