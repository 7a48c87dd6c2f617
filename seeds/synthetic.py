"""Seeded synthetic labour markets for the matching engine's tests and benchmarks.

Origin counties send workers to destination clusters (e.g. Shanghai/Kunshan/Suzhou); local
workshops (embroidery points) hire in the home counties. Fully vectorised: 1M workers in seconds.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from matching.engine import NO_DAY, Exclusions, Label, Openings, Vocab, Workers
from matching.lib.reference import reference

_REF = reference()
# The generator's skills, as reference codes, in the order SKILL_WEIGHT (and the tests'
# instances) index them: a subset of the reference list, so loading an instance into the
# database (benchmarks/match_e2e.py) needs no translation of codes.
SKILL_CODES = (
    "sewing",
    "embroidery",
    "quilting",
    "assembly",
    "electrician",
    "welding",
    "garment_ironing",
    "cooking",
    "housekeeping",
    "crop_techniques",
)
SKILLS = tuple(Label(s.code, s.zh, s.en) for s in map(_REF.skill, SKILL_CODES))
SKILL_WEIGHT = np.array([0.2, 0.12, 0.08, 0.18, 0.05, 0.04, 0.12, 0.08, 0.1, 0.03])
# Every priority group of the reference list, in its order; which count as priority is its say.
GROUPS = tuple(Label(g.code, g.zh, g.en) for g in _REF.groups)
PRIORITY = _REF.priority_codes
# Group shares; the four priority groups overlap little, giving ~30% in the priority tier.
# A group the reference list gains needs its share here (KeyError otherwise).
_GROUP_SHARE = {
    "poor_household": 0.15,
    "military_spouse": 0.03,
    "resettled_migrant": 0.05,
    "left_behind": 0.2,
    "laid_off": 0.05,
    "disabled": 0.02,
    "reemployment": 0.08,
}
GROUP_SHARE = np.array([_GROUP_SHARE[g.code] for g in GROUPS])
MARKETS = (
    ("上海", "昆山", "苏州", "无锡", "南通"),
    ("广州", "东莞", "深圳", "佛山"),
    ("杭州", "宁波", "义乌", "温州"),
    ("北京", "天津", "廊坊"),
    ("成都", "重庆", "绵阳"),
    ("武汉", "长沙", "南昌"),
    ("郑州", "洛阳"),
    ("厦门", "泉州", "福州"),
    ("青岛", "烟台", "济南"),
)
ORIGIN_CITIES = ("阜阳", "信阳", "赣州", "南充", "周口", "毕节", "邵阳", "六安")
COUNTY_NAMES = ("如东", "海安", "临泉", "固始", "于都", "仪陇", "沈丘", "威宁", "隆回", "霍邱")

I64 = NDArray[np.int64]
MARKET_K = 15.0
MARKET_E = 1.57
ANYWHERE_SHARE = 0.01


def _markets(n_openings: int) -> int:
    # Tuned so that M (100k x 10k) gives ~5M eligible pairs and L (1M x 50k) ~20M: a bigger
    # prefecture's openings spread over more destination clusters.
    return max(1, int(MARKET_K * (n_openings / 10_000) ** MARKET_E + 0.5))


def _vocab(n_markets: int, n_counties: int) -> tuple[Vocab, list[list[int]], int]:
    cities: list[str] = []
    members: list[list[int]] = []
    for k in range(n_markets):
        base = MARKETS[k % len(MARKETS)]
        suffix = "" if k < len(MARKETS) else f"{k // len(MARKETS) + 1}区"
        members.append(list(range(len(cities), len(cities) + len(base))))
        cities.extend(name + suffix for name in base)
    origin0 = len(cities)
    cities.extend(ORIGIN_CITIES)
    counties = tuple(
        COUNTY_NAMES[c % len(COUNTY_NAMES)]
        + ("" if c < len(COUNTY_NAMES) else str(c // len(COUNTY_NAMES) + 1))
        + "县"
        for c in range(n_counties)
    )
    vocab = Vocab(
        skills=SKILLS,
        groups=GROUPS,
        priority_groups=PRIORITY,
        cities=tuple(cities),
        counties=counties,
    )
    return vocab, members, origin0


def generate(
    n_workers: int, n_openings: int, seed: int = 0, *, today: int, flexible: float = 0.0
) -> tuple[Workers, Openings, Vocab, Exclusions]:
    """A realistic, reproducible instance of the given size.

    ``flexible`` is the share of workers made flexible: relocating with no preferred city, so
    eligible in every market. They are drawn from a random stream of their own, so the rest of
    the instance is the same as with ``flexible=0``.
    """
    rng = np.random.default_rng(seed)
    n, m = n_workers, n_openings
    n_markets = _markets(m)
    n_counties = max(4, n // 4000)
    vocab, members, origin0 = _vocab(n_markets, n_counties)
    ns = len(SKILLS)
    m_first = np.array([mem[0] for mem in members], dtype=np.int64)
    m_size = np.array([len(mem) for mem in members], dtype=np.int64)
    county_market = rng.integers(0, n_markets, n_counties)
    county_city = origin0 + np.arange(n_counties) % len(ORIGIN_CITIES)

    # --- workers ---
    home = np.minimum(rng.zipf(1.3, n) - 1, n_counties - 1) % n_counties
    home = ((home + rng.integers(0, n_counties, n) * (rng.random(n) < 0.7)) % n_counties).astype(
        np.int32
    )
    relocate = rng.random(n) < 0.75
    # A few will go anywhere their county's labour market reaches: they name every city of
    # that destination cluster. (A relocator who names no city at all may be sent to any city
    # of any market; the service partitions by market before matching, so a snapshot holds
    # one market's openings and such a worker cannot join markets in practice. Generating her
    # here would weld every market of the synthetic prefecture into one component.)
    anywhere = relocate & (rng.random(n) < ANYWHERE_SHARE)
    mk = county_market[home]
    k_pref = np.where(relocate, np.where(anywhere, m_size[mk], rng.integers(1, 4, n)), 0)
    k_pref = np.minimum(k_pref, m_size[mk])
    pref_ptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(k_pref, out=pref_ptr[1:])
    owner = np.repeat(np.arange(n), k_pref)
    step = np.arange(owner.size) - np.repeat(pref_ptr[:-1], k_pref)
    start = rng.integers(0, 1 << 30, n)
    pref_city = (m_first[mk[owner]] + (start[owner] + step) % m_size[mk[owner]]).astype(np.int32)

    trained_w = rng.random(n) < 0.4
    skill = np.zeros((n, ns), dtype=np.int8)
    trained_day = np.full((n, ns), NO_DAY, dtype=np.int32)
    n_held = rng.choice(4, n, p=[0.15, 0.4, 0.3, 0.15])
    for slot in range(3):
        has = n_held > slot
        s = rng.choice(ns, n, p=SKILL_WEIGHT / SKILL_WEIGHT.sum())
        lvl = np.where(trained_w, rng.integers(2, 6, n), rng.integers(1, 4, n)).astype(np.int8)
        rows = np.flatnonzero(has)
        skill[rows, s[rows]] = np.maximum(skill[rows, s[rows]], lvl[rows])
        tr = rows[trained_w[rows]]
        trained_day[tr, s[tr]] = today - rng.integers(0, 3 * 365, tr.size)

    ages = rng.uniform(15.5, 55, n)
    birth_day = (today - (ages * 365.2425).astype(np.int64)).astype(np.int32)
    available_day = np.where(rng.random(n) < 0.6, NO_DAY, today + rng.integers(0, 60, n)).astype(
        np.int32
    )
    min_wage = np.where(rng.random(n) < 0.2, 0, rng.integers(25, 61, n) * 100).astype(np.int32)
    needs_housing = np.where(relocate, rng.random(n) < 0.4, rng.random(n) < 0.03)
    bits = (rng.random((n, len(GROUPS))) < GROUP_SHARE).astype(np.int32)
    groups = (bits << np.arange(len(GROUPS), dtype=np.int32)).sum(axis=1).astype(np.int32)
    registered_at = (today * 86400 - rng.integers(0, 3 * 365 * 86400, n)).astype(np.int64)
    worker_ids = rng.permutation(n).astype(np.int64) + 1

    if flexible > 0:
        flex = np.random.default_rng([seed, 0xF1E5]).random(n) < flexible
        relocate = relocate | flex
        k_pref = np.where(flex, 0, k_pref)
        keep = ~flex[owner]
        pref_city = pref_city[keep]
        pref_ptr = np.zeros(n + 1, dtype=np.int64)
        np.cumsum(k_pref, out=pref_ptr[1:])

    workers = Workers(
        id=worker_ids,
        registered_at=registered_at,
        birth_day=birth_day,
        available_day=available_day,
        home_county=home,
        relocate=relocate,
        pref_ptr=pref_ptr,
        pref_city=pref_city,
        min_wage=min_wage,
        needs_housing=needs_housing,
        skill=skill,
        trained_day=trained_day,
        groups=groups,
    )

    # --- openings ---
    local = rng.random(m) < 0.15
    o_county = np.where(local, rng.integers(0, n_counties, m), -1).astype(np.int32)
    o_market = rng.integers(0, n_markets, m)
    o_city = np.where(
        local,
        county_city[np.maximum(o_county, 0)],
        m_first[o_market] + rng.integers(0, 1 << 30, m) % m_size[o_market],
    ).astype(np.int32)
    capacity = np.minimum(1 + rng.lognormal(0.8, 1.2, m).astype(np.int64), 200).astype(np.int32)
    wage_min = (rng.integers(30, 61, m) * 100).astype(np.int32)
    wage_max = (wage_min + rng.integers(5, 26, m) * 100).astype(np.int32)
    local_wage = np.int32(700)
    wage_min = np.where(local, wage_min - local_wage, wage_min).astype(np.int32)
    wage_max = np.where(local, wage_max - local_wage, wage_max).astype(np.int32)
    housing = np.where(local, rng.random(m) < 0.1, rng.random(m) < 0.65)
    start_day = (today + rng.integers(0, 45, m)).astype(np.int32)
    skill_min = np.zeros((m, ns), dtype=np.int8)
    n_req = rng.choice(3, m, p=[0.2, 0.55, 0.25])
    for slot in range(2):
        rows = np.flatnonzero(n_req > slot)
        s = rng.choice(ns, rows.size, p=SKILL_WEIGHT / SKILL_WEIGHT.sum())
        skill_min[rows, s] = rng.integers(1, 4, rows.size).astype(np.int8)
    # Local workshops are mostly embroidery and quilting points.
    craft = np.flatnonzero(local & (rng.random(m) < 0.6))
    skill_min[craft] = 0
    skill_min[craft, rng.choice([1, 2], craft.size)] = rng.integers(1, 3, craft.size)
    n_employers = max(1, m // 3)
    employer_id = rng.integers(1, n_employers + 1, m).astype(np.int64)
    emp_rep = rng.integers(40, 101, n_employers + 1)
    emp_prot = rng.integers(30, 101, n_employers + 1)
    emp_partner = rng.random(n_employers + 1) < 0.25
    openings = Openings(
        id=rng.permutation(m).astype(np.int64) + 1,
        employer_id=employer_id,
        city=o_city,
        county=o_county,
        capacity=capacity,
        wage_min=wage_min,
        wage_max=wage_max,
        housing=housing,
        start_day=start_day,
        skill_min=skill_min,
        reputation=emp_rep[employer_id].astype(np.int8),
        protection=emp_prot[employer_id].astype(np.int8),
        partner=emp_partner[employer_id],
    )

    # --- a few exclusions ---
    n_dec = max(1, n // 200) if n and m else 0
    n_ban = max(1, n // 1000) if n and m else 0
    exclusions = Exclusions(
        declined_worker=worker_ids[rng.integers(0, max(n, 1), n_dec)]
        if n
        else np.zeros(0, np.int64),
        declined_opening=openings.id[rng.integers(0, max(m, 1), n_dec)]
        if m
        else np.zeros(0, np.int64),
        banned_worker=worker_ids[rng.integers(0, max(n, 1), n_ban)] if n else np.zeros(0, np.int64),
        banned_employer=employer_id[rng.integers(0, max(m, 1), n_ban)]
        if m
        else np.zeros(0, np.int64),
    )
    return workers, openings, vocab, exclusions


def tight_instance() -> tuple[Workers, Openings, Vocab, Exclusions]:
    """Two openings, three workers: best-score-first places one priority worker, the engine two.

    W1 (not priority) scores highest at O1 (her only skill level 5 meets its sewing 3). W2 and
    W3 (poor household, resettled migrant) qualify for O1; only W3 also qualifies for O2.
    Greedy gives O1 to W1 and O2 to W3; the engine gives O1 to W2 and O2 to W3.
    """
    today = 20_000
    vocab = Vocab(
        skills=SKILLS,
        groups=GROUPS,
        priority_groups=PRIORITY,
        cities=("上海", "昆山", "苏州"),
        counties=("如东县",),
    )
    ns = len(SKILLS)
    skill = np.zeros((3, ns), dtype=np.int8)
    skill[:, 0] = [5, 3, 3]  # sewing
    skill[2, 1] = 2  # W3 also embroiders
    workers = Workers(
        id=np.array([1, 2, 3], dtype=np.int64),
        registered_at=np.array([100, 200, 300], dtype=np.int64),
        birth_day=np.full(3, today - 30 * 365, dtype=np.int32),
        available_day=np.full(3, NO_DAY, dtype=np.int32),
        home_county=np.zeros(3, dtype=np.int32),
        relocate=np.ones(3, dtype=np.bool_),
        pref_ptr=np.array([0, 1, 2, 3], dtype=np.int64),
        pref_city=np.array([0, 0, 0], dtype=np.int32),
        min_wage=np.array([4000, 4000, 4000], dtype=np.int32),
        needs_housing=np.zeros(3, dtype=np.bool_),
        skill=skill,
        trained_day=np.full((3, ns), NO_DAY, dtype=np.int32),
        groups=np.array([0, 1 << 0, 1 << 2], dtype=np.int32),
    )
    smin = np.zeros((2, ns), dtype=np.int8)
    smin[0, 0] = 3
    smin[1, 1] = 2
    openings = Openings(
        id=np.array([11, 12], dtype=np.int64),
        employer_id=np.array([101, 102], dtype=np.int64),
        city=np.array([0, 0], dtype=np.int32),
        county=np.array([-1, -1], dtype=np.int32),
        capacity=np.array([1, 1], dtype=np.int32),
        wage_min=np.array([4000, 4000], dtype=np.int32),
        wage_max=np.array([6000, 5000], dtype=np.int32),
        housing=np.array([True, True]),
        start_day=np.array([today + 10, today + 10], dtype=np.int32),
        skill_min=smin,
        reputation=np.array([90, 60], dtype=np.int8),
        protection=np.array([90, 60], dtype=np.int8),
        partner=np.array([True, False]),
    )
    return workers, openings, vocab, Exclusions()
