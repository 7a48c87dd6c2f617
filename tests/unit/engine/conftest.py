"""Shared builders and an independent plain-Python model of the engine's rules and score."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np

from matching.engine import NO_DAY, Exclusions, Label, Openings, Vocab, Workers

EPOCH = dt.date(1970, 1, 1)
TODAY = 20_000

VOCAB = Vocab(
    skills=(Label("sewing", "缝纫", "sewing"), Label("embroidery", "绣花", "embroidery")),
    groups=(
        Label("poor_household", "贫困户", "poor household"),
        Label("left_behind", "留守妇女", "left-behind woman"),
    ),
    priority_groups=frozenset({"poor_household"}),
    cities=("上海", "昆山", "苏州"),
    counties=("如东县", "海安县"),
)


@dataclass
class W:
    """One worker, as a test writes her."""

    id: int
    registered_at: int = 0
    birth_day: int = TODAY - 30 * 365
    available_day: int = NO_DAY
    home_county: int = 0
    relocate: bool = True
    prefs: tuple[int, ...] = ()
    min_wage: int = 0
    needs_housing: bool = False
    skill: tuple[int, ...] = (0, 0)
    trained_day: tuple[int, ...] = (NO_DAY, NO_DAY)
    groups: int = 0


@dataclass
class Op:
    """One opening, as a test writes it."""

    id: int
    employer_id: int = 1
    city: int = 0
    county: int = -1
    capacity: int = 1
    wage_max: int = 5000
    housing: bool = False
    start_day: int = TODAY + 10
    skill_min: tuple[int, ...] = (0, 0)
    reputation: int = 50
    protection: int = 50
    partner: bool = False


def workers_of(ws: list[W]) -> Workers:
    ns = len(VOCAB.skills)
    ptr = np.zeros(len(ws) + 1, dtype=np.int64)
    ptr[1:] = np.cumsum([len(w.prefs) for w in ws])
    return Workers(
        id=np.array([w.id for w in ws], dtype=np.int64),
        registered_at=np.array([w.registered_at for w in ws], dtype=np.int64),
        birth_day=np.array([w.birth_day for w in ws], dtype=np.int32),
        available_day=np.array([w.available_day for w in ws], dtype=np.int32),
        home_county=np.array([w.home_county for w in ws], dtype=np.int32),
        relocate=np.array([w.relocate for w in ws], dtype=np.bool_),
        pref_ptr=ptr,
        pref_city=np.array([c for w in ws for c in w.prefs], dtype=np.int32),
        min_wage=np.array([w.min_wage for w in ws], dtype=np.int32),
        needs_housing=np.array([w.needs_housing for w in ws], dtype=np.bool_),
        skill=np.array([w.skill for w in ws], dtype=np.int8).reshape(len(ws), ns),
        trained_day=np.array([w.trained_day for w in ws], dtype=np.int32).reshape(len(ws), ns),
        groups=np.array([w.groups for w in ws], dtype=np.int32),
    )


def openings_of(os_: list[Op]) -> Openings:
    ns = len(VOCAB.skills)
    return Openings(
        id=np.array([o.id for o in os_], dtype=np.int64),
        employer_id=np.array([o.employer_id for o in os_], dtype=np.int64),
        city=np.array([o.city for o in os_], dtype=np.int32),
        county=np.array([o.county for o in os_], dtype=np.int32),
        capacity=np.array([o.capacity for o in os_], dtype=np.int32),
        wage_min=np.array([o.wage_max - 1000 for o in os_], dtype=np.int32),
        wage_max=np.array([o.wage_max for o in os_], dtype=np.int32),
        housing=np.array([o.housing for o in os_], dtype=np.bool_),
        start_day=np.array([o.start_day for o in os_], dtype=np.int32),
        skill_min=np.array([o.skill_min for o in os_], dtype=np.int8).reshape(len(os_), ns),
        reputation=np.array([o.reputation for o in os_], dtype=np.int8),
        protection=np.array([o.protection for o in os_], dtype=np.int8),
        partner=np.array([o.partner for o in os_], dtype=np.bool_),
    )


def age_on(birth_day: int, day: int) -> int:
    """Completed years by the calendar (a 29 Feb birthday falls on 1 Mar in common years)."""
    b = EPOCH + dt.timedelta(days=birth_day)
    d = EPOCH + dt.timedelta(days=day)
    years = d.year - b.year
    if (d.month, d.day) < (b.month, b.day):
        years -= 1
    return years


def eligible(w: W, o: Op, ex: Exclusions | None = None) -> bool:
    """The seven hard rules, written plainly and independently of the engine."""
    if o.capacity <= 0:
        return False
    if w.available_day != NO_DAY and w.available_day > o.start_day:
        return False
    if age_on(w.birth_day, o.start_day) < 16:
        return False
    if any(w.skill[s] < o.skill_min[s] for s in range(len(o.skill_min)) if o.skill_min[s] > 0):
        return False
    local = o.county != -1 and o.county == w.home_county
    if not (local or (w.relocate and (not w.prefs or o.city in w.prefs))):
        return False
    if w.min_wage and o.wage_max < w.min_wage:
        return False
    if w.needs_housing and not o.housing:
        return False
    if ex is not None:
        if any(
            a == w.id and b == o.id
            for a, b in zip(ex.declined_worker.tolist(), ex.declined_opening.tolist(), strict=True)
        ):
            return False
        if any(
            a == w.id and b == o.employer_id
            for a, b in zip(ex.banned_worker.tolist(), ex.banned_employer.tolist(), strict=True)
        ):
            return False
    return True


def quality(w: W, o: Op, today: int = TODAY, recent_days: int = 365) -> int:
    """The documented score, in plain Python."""
    req = [s for s in range(len(o.skill_min)) if o.skill_min[s] > 0]
    skill = min(sum(min(w.skill[s] - o.skill_min[s], 2) for s in req) * 4, 16)
    base = w.min_wage if w.min_wage > 0 else 3000
    pay = max(0, min(((o.wage_max - base) // 500) * 4, 20))
    city = 10 if o.city in w.prefs else 0
    trained = any(
        w.trained_day[s] != NO_DAY and today - recent_days <= w.trained_day[s] <= today for s in req
    )
    return (
        skill
        + pay
        + city
        + o.reputation // 10
        + o.protection // 10
        + (8 if o.partner else 0)
        + (8 if trained else 0)
    )
