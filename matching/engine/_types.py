"""Array types the matching engine takes and returns (引擎的输入输出类型).

Dates are int32 days since 1970-01-01; ``NO_DAY`` marks a date that was not given.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

NO_DAY: int = int(np.iinfo(np.int32).min)

# Why a worker got no proposal (unproposed_reason codes).
NO_ELIGIBLE: int = 0
TAKEN_BY_PRIORITY: int = 1
BETTER_USE: int = 2


@dataclass(frozen=True, slots=True)
class Label:
    """A coded vocabulary entry with its Chinese and English names."""

    code: str
    zh: str
    en: str


@dataclass(frozen=True, slots=True)
class Vocab:
    """Reference data: skill index, group bit, city and county code are all positions."""

    skills: tuple[Label, ...]
    groups: tuple[Label, ...]
    priority_groups: frozenset[str]
    cities: tuple[str, ...]
    counties: tuple[str, ...]

    def priority_mask(self) -> int:
        """Bitmask of the groups that form the priority tier."""
        mask = 0
        for bit, label in enumerate(self.groups):
            if label.code in self.priority_groups:
                mask |= 1 << bit
        return mask


@dataclass(frozen=True, slots=True)
class Workers:
    """Worker profiles (劳动力), one row each; see the module docstring for dates."""

    id: NDArray[np.int64]
    registered_at: NDArray[np.int64]
    birth_day: NDArray[np.int32]
    available_day: NDArray[np.int32]
    home_county: NDArray[np.int32]
    relocate: NDArray[np.bool_]
    pref_ptr: NDArray[np.int64]
    pref_city: NDArray[np.int32]
    min_wage: NDArray[np.int32]
    needs_housing: NDArray[np.bool_]
    skill: NDArray[np.int8]
    trained_day: NDArray[np.int32]
    groups: NDArray[np.int32]

    def __len__(self) -> int:
        return int(self.id.shape[0])


@dataclass(frozen=True, slots=True)
class Openings:
    """Openings (岗位) with capacity left, one row each."""

    id: NDArray[np.int64]
    employer_id: NDArray[np.int64]
    city: NDArray[np.int32]
    county: NDArray[np.int32]
    capacity: NDArray[np.int32]
    wage_min: NDArray[np.int32]
    wage_max: NDArray[np.int32]
    housing: NDArray[np.bool_]
    start_day: NDArray[np.int32]
    skill_min: NDArray[np.int8]
    reputation: NDArray[np.int8]
    protection: NDArray[np.int8]
    partner: NDArray[np.bool_]

    def __len__(self) -> int:
        return int(self.id.shape[0])


def _empty_i64() -> NDArray[np.int64]:
    return np.zeros(0, dtype=np.int64)


@dataclass(frozen=True, slots=True)
class Exclusions:
    """Pairs never proposed: declined (worker, opening) and banned (worker, employer)."""

    declined_worker: NDArray[np.int64] = field(default_factory=_empty_i64)
    declined_opening: NDArray[np.int64] = field(default_factory=_empty_i64)
    banned_worker: NDArray[np.int64] = field(default_factory=_empty_i64)
    banned_employer: NDArray[np.int64] = field(default_factory=_empty_i64)


AuditRow = dict[str, int | float]


@dataclass(frozen=True, slots=True)
class MatchResult:
    """Proposals of one run, sorted by worker id, with everything the renderers need.

    Per-proposal arrays have length k; ``skill_level``/``skill_min`` have shape (k, n_skills).
    """

    worker_id: NDArray[np.int64]
    opening_id: NDArray[np.int64]
    score: NDArray[np.int32]
    parts: dict[str, NDArray[np.int32]]
    priority: NDArray[np.bool_]
    runner_up: NDArray[np.int64]
    unproposed_id: NDArray[np.int64]
    unproposed_reason: NDArray[np.int8]
    unproposed_eligible: NDArray[np.int32]
    stats: dict[str, int]
    audit: dict[str, AuditRow]
    timings: dict[str, float]
    q_max: int
    vocab: Vocab
    # Facts behind each proposal, kept so rendering needs no other input.
    groups: NDArray[np.int32]
    skill_level: NDArray[np.int8]
    skill_min: NDArray[np.int8]
    wage_max: NDArray[np.int32]
    min_wage: NDArray[np.int32]
    housing: NDArray[np.bool_]
    needs_housing: NDArray[np.bool_]
    city: NDArray[np.int32]
    county: NDArray[np.int32]
    local: NDArray[np.bool_]
    preferred_city: NDArray[np.bool_]
    start_day: NDArray[np.int32]
    available_day: NDArray[np.int32]
    reputation: NDArray[np.int8]
    protection: NDArray[np.int8]
    partner: NDArray[np.bool_]
    trained_recent: NDArray[np.int64]
    unproposed_groups: NDArray[np.int32]

    def __len__(self) -> int:
        return int(self.worker_id.shape[0])
