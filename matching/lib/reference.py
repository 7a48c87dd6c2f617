"""Reference codes: skills and priority groups, with Chinese and English labels.

The data is ``reference.json`` beside this module (shipped as package data). The services check
codes against it and the API serves it; ``seeds/`` builds its demo and synthetic data from it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path


@dataclass(frozen=True, slots=True)
class Skill:
    code: str
    zh: str
    en: str


@dataclass(frozen=True, slots=True)
class PriorityGroup:
    code: str
    zh: str
    en: str
    priority: bool  # part of the priority tier in matching (优先安排)
    assignable: bool  # staff may set it; `reemployment` is derived by the service


@dataclass(frozen=True, slots=True)
class Reference:
    skills: tuple[Skill, ...]
    groups: tuple[PriorityGroup, ...]

    @property
    def skill_codes(self) -> frozenset[str]:
        return frozenset(s.code for s in self.skills)

    @property
    def group_codes(self) -> frozenset[str]:
        return frozenset(g.code for g in self.groups)

    @property
    def assignable_group_codes(self) -> frozenset[str]:
        return frozenset(g.code for g in self.groups if g.assignable)

    @property
    def priority_codes(self) -> frozenset[str]:
        return frozenset(g.code for g in self.groups if g.priority)

    def skill(self, code: str) -> Skill:
        return next(s for s in self.skills if s.code == code)

    def group(self, code: str) -> PriorityGroup:
        return next(g for g in self.groups if g.code == code)


@cache
def reference() -> Reference:
    raw = json.loads((Path(__file__).parent / "reference.json").read_text(encoding="utf-8"))
    return Reference(
        skills=tuple(Skill(**s) for s in raw["skills"]),
        groups=tuple(PriorityGroup(**g) for g in raw["priority_groups"]),
    )
