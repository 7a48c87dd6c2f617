"""Who is asking: the role and scope carried by a token, the checks every service uses, and the
one scoping rule (which rows a principal may see)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from sqlalchemy import ColumnElement

from matching.lib.errors import Forbidden, msg

Role = Literal["admin", "staff", "employer"]


@dataclass(frozen=True, slots=True)
class Principal:
    account_id: int
    username: str
    role: Role
    agency_id: int | None = None
    office_id: int | None = None
    employer_id: int | None = None

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    @property
    def is_staff(self) -> bool:
        return self.role == "staff"

    @property
    def is_employer(self) -> bool:
        return self.role == "employer"

    def require(self, *roles: Role) -> None:
        if self.role not in roles:
            raise Forbidden(msg("the {role} role may not do this"), role=self.role)


SYSTEM = Principal(account_id=0, username="system", role="admin")
"""The principal used by the CLI, the seeds and the scheduler's jobs."""


# --- scoping: the one rule of which rows a principal may see -------------------------------
#
# Staff see their agency's rows (workers and what hangs off them), employer accounts their own
# employer's rows, admins (and the system) everything. Every query that scopes asks
# ``visible``; a row already loaded is checked with ``may_see``, the same rule on values.


def visible(
    principal: Principal,
    *,
    agency: Any = None,
    employer: Any = None,
    denied: str = "only agency staff and admins may see this",
) -> list[ColumnElement[bool]]:
    """The WHERE conditions confining a query to what ``principal`` may see.

    ``agency``/``employer`` are the columns (Core or ORM) that carry the row's agency or
    employer; a role whose column is not given may not read such rows (``Forbidden(denied)``).
    """
    if principal.is_admin:
        return []
    if principal.is_staff and agency is not None:
        return [agency == principal.agency_id]
    if principal.is_employer and employer is not None:
        return [employer == principal.employer_id]
    raise Forbidden(denied)


def may_see(
    principal: Principal, *, agency_id: int | None = None, employer_id: int | None = None
) -> bool:
    """``visible`` for a row in hand: its agency (for staff) or employer (for employers)."""
    if principal.is_admin:
        return True
    if principal.is_staff:
        return agency_id is not None and agency_id == principal.agency_id
    if principal.is_employer:
        return employer_id is not None and employer_id == principal.employer_id
    return False
