"""Reference codes: skills and priority groups, with Chinese and English labels.

The data is ``reference.json`` beside this module (shipped as package data). The services check
codes against it and the API serves it; ``seeds/`` builds its demo and synthetic data from it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
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
    # The code sets, made once: every registration (an import's every row) asks them.
    skill_codes: frozenset[str] = field(init=False, repr=False, compare=False)
    group_codes: frozenset[str] = field(init=False, repr=False, compare=False)
    assignable_group_codes: frozenset[str] = field(init=False, repr=False, compare=False)
    priority_codes: frozenset[str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        sets = {
            "skill_codes": frozenset(s.code for s in self.skills),
            "group_codes": frozenset(g.code for g in self.groups),
            "assignable_group_codes": frozenset(g.code for g in self.groups if g.assignable),
            "priority_codes": frozenset(g.code for g in self.groups if g.priority),
        }
        for name, value in sets.items():
            object.__setattr__(self, name, value)

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
