"""Who is asking: the role and scope carried by a token, and the checks every service uses."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from matching.lib.errors import Forbidden

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
            raise Forbidden(f"the {self.role} role may not do this")


SYSTEM = Principal(account_id=0, username="system", role="admin")
"""The principal used by the CLI, the seeds and the scheduler's jobs."""
