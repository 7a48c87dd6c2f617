"""Hard rules (资格规则): which (worker, opening) pairs may be proposed at all.

Pairs are found by blocking, never by a dense workers x openings scan: see ``eligible_pairs``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from ._types import NO_DAY, Exclusions, Openings, Vocab, Workers

I64 = NDArray[np.int64]
I32 = NDArray[np.int32]
U64 = NDArray[np.uint64]
Bool = NDArray[np.bool_]

MIN_AGE = 16
MAX_LEVEL = 5
NIBBLES = 16  # skills packed per uint64 word, 4 bits each (levels 0..5 plus a guard bit)
_GUARD = np.uint64(0x8888_8888_8888_8888)
_KEYSPAN = 1 << 22  # room for the in-block sort key (a wage in yuan or 5 - level)
_CHUNK = 4_000_000  # candidate pairs checked per vectorised step; bounds peak memory


# --- calendar -------------------------------------------------------------------------------
# Howard Hinnant's civil-date algorithms, vectorised: exact for the proleptic Gregorian calendar.


def civil_from_days(days: I64) -> tuple[I64, I64, I64]:
    """(year, month, day) for day numbers since 1970-01-01."""
    z = days.astype(np.int64) + 719468
    era = np.floor_divide(z, 146097)
    doe = z - era * 146097
    yoe = (doe - doe // 1460 + doe // 36524 - doe // 146096) // 365
    doy = doe - (365 * yoe + yoe // 4 - yoe // 100)
    mp = (5 * doy + 2) // 153
    d = doy - (153 * mp + 2) // 5 + 1
    m = np.where(mp < 10, mp + 3, mp - 9)
    y = yoe + era * 400 + (m <= 2)
    return y, m, d


def days_from_civil(y: I64, m: I64, d: I64) -> I64:
    """Day numbers since 1970-01-01 for (year, month, day)."""
    y = y - (m <= 2)
    era = np.floor_divide(y, 400)
    yoe = y - era * 400
    doy = (153 * (m + np.where(m > 2, -3, 9)) + 2) // 5 + d - 1
    doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
    return np.asarray(era * 146097 + doe - 719468, dtype=np.int64)


def is_leap(y: I64) -> Bool:
    return np.asarray(((y % 4 == 0) & (y % 100 != 0)) | (y % 400 == 0), dtype=np.bool_)


def coming_of_age_day(birth_day: I32, years: int = MIN_AGE) -> I64:
    """First day on which a person born on ``birth_day`` is ``years`` old.

    Someone born on 29 February comes of age on 1 March in a non-leap year: her birthday is
    reached only once 28 February has passed.
    """
    y, m, d = civil_from_days(birth_day.astype(np.int64))
    y = y + years
    feb29 = (m == 2) & (d == 29) & ~is_leap(y)
    m = np.where(feb29, 3, m)
    d = np.where(feb29, 1, d)
    return days_from_civil(y, m, d)


# --- canonical, packed inputs ---------------------------------------------------------------


def pack_levels(levels: NDArray[np.int8]) -> U64:
    """Pack a (rows, n_skills) level matrix into (rows, words) uint64, one nibble per skill."""
    rows, n_skills = levels.shape
    words = max(1, -(-n_skills // NIBBLES))
    out = np.zeros((rows, words), dtype=np.uint64)
    lv = np.clip(levels, 0, MAX_LEVEL).astype(np.uint64)
    for s in range(n_skills):
        out[:, s // NIBBLES] |= lv[:, s] << np.uint64(4 * (s % NIBBLES))
    return out


def skills_ok(w: U64, o: U64) -> Bool:
    """Every nibble of ``w`` >= the same nibble of ``o`` (a borrow clears that nibble's guard)."""
    ok = np.ones(w.shape[0], dtype=np.bool_)
    for k in range(w.shape[1]):
        ok &= (((w[:, k] | _GUARD) - o[:, k]) & _GUARD) == _GUARD
    return ok


@dataclass(frozen=True, slots=True)
class Prepared:
    """Workers and openings in canonical order with the derived arrays the rules need.

    Workers are ordered by (registered_at, id) and openings by id, so a permuted input gives
    the same arrays and hence the same proposals.
    """

    n: int
    m: int
    n_skills: int
    n_cities: int
    n_counties: int
    w_perm: I64
    o_perm: I64
    w_id: I64
    o_id: I64
    ready_day: I64  # max(available day, 16th birthday)
    available_day: I32
    home_county: I32
    relocate: Bool
    min_wage: I32
    needs_housing: Bool
    w_words: U64
    skill: NDArray[np.int8]
    recent_mask: I64  # bit s: skill s certified by training within the recent window
    pref_ptr: I64
    pref_city: I32  # deduplicated and sorted within each worker
    pref_key: I64  # sorted worker * n_cities + city, for membership tests
    groups: I32
    prio: Bool
    o_city: I32
    o_county: I32
    capacity: I64
    wage_max: I32
    housing: Bool
    start_day: I32
    o_words: U64
    skill_min: NDArray[np.int8]
    req_mask: I64
    reputation: NDArray[np.int8]
    protection: NDArray[np.int8]
    partner: Bool
    employer_id: I64


def _dedupe_sorted(keys: I64) -> I64:
    """Unique values of a sorted array (np.unique is slow on large int64 arrays)."""
    if keys.size == 0:
        return keys
    keep = np.empty(keys.size, dtype=np.bool_)
    keep[0] = True
    np.not_equal(keys[1:], keys[:-1], out=keep[1:])
    return keys[keep]


def prepare(
    workers: Workers, openings: Openings, vocab: Vocab, *, today: int, recent_days: int
) -> Prepared:
    """Validate shapes, put both sides in canonical order and derive the rule arrays."""
    n, m = len(workers), len(openings)
    n_skills = len(vocab.skills)
    if n_skills > 62:
        raise ValueError("the engine supports at most 62 skills")
    if workers.skill.shape != (n, n_skills) or workers.trained_day.shape != (n, n_skills):
        raise ValueError("workers.skill and workers.trained_day must have shape (n, n_skills)")
    if openings.skill_min.shape != (m, n_skills):
        raise ValueError("openings.skill_min must have shape (m, n_skills)")
    if workers.pref_ptr.shape != (n + 1,):
        raise ValueError("workers.pref_ptr must have shape (n + 1,)")
    for levels in (workers.skill, openings.skill_min):
        if levels.size and (int(levels.min()) < 0 or int(levels.max()) > MAX_LEVEL):
            raise ValueError("skill levels must lie in 0..5")

    w_perm = np.lexsort((workers.id, workers.registered_at)).astype(np.int64)
    o_perm = np.argsort(openings.id, kind="stable").astype(np.int64)

    birth = workers.birth_day[w_perm]
    avail = workers.available_day[w_perm].astype(np.int32)
    adult = coming_of_age_day(birth)
    ready = np.maximum(avail.astype(np.int64), adult)

    skill = np.ascontiguousarray(workers.skill[w_perm]).astype(np.int8)
    trained = workers.trained_day[w_perm]
    recent = (
        (trained != NO_DAY) & (trained <= today) & (trained >= today - recent_days) & (skill > 0)
    )
    bits = np.left_shift(np.int64(1), np.arange(n_skills, dtype=np.int64))
    recent_mask = (recent.astype(np.int64) * bits).sum(axis=1).astype(np.int64)

    # Preferred cities, re-laid in canonical worker order, deduplicated per worker.
    counts = np.diff(workers.pref_ptr)[w_perm]
    starts = workers.pref_ptr[:-1][w_perm]
    total = int(counts.sum())
    owner = np.repeat(np.arange(n, dtype=np.int64), counts)
    offs = np.arange(total, dtype=np.int64) - np.repeat(np.cumsum(counts) - counts, counts)
    cities = workers.pref_city[np.repeat(starts, counts) + offs].astype(np.int64)
    n_cities = len(vocab.cities)
    pref_key = _dedupe_sorted(np.sort(owner * max(n_cities, 1) + cities))
    pk_owner = pref_key // max(n_cities, 1)
    pref_ptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(pk_owner, minlength=n), out=pref_ptr[1:])

    groups = workers.groups[w_perm].astype(np.int32)
    prio = (groups & np.int32(vocab.priority_mask())) != 0

    smin = np.ascontiguousarray(openings.skill_min[o_perm]).astype(np.int8)
    req_mask = ((smin > 0).astype(np.int64) * bits).sum(axis=1).astype(np.int64)

    return Prepared(
        n=n,
        m=m,
        n_skills=n_skills,
        n_cities=n_cities,
        n_counties=len(vocab.counties),
        w_perm=w_perm,
        o_perm=o_perm,
        w_id=workers.id[w_perm].astype(np.int64),
        o_id=openings.id[o_perm].astype(np.int64),
        ready_day=ready,
        available_day=avail,
        home_county=workers.home_county[w_perm].astype(np.int32),
        relocate=workers.relocate[w_perm].astype(np.bool_),
        min_wage=np.maximum(workers.min_wage[w_perm], 0).astype(np.int32),
        needs_housing=workers.needs_housing[w_perm].astype(np.bool_),
        w_words=pack_levels(skill),
        skill=skill,
        recent_mask=recent_mask,
        pref_ptr=pref_ptr,
        pref_city=(pref_key % max(n_cities, 1)).astype(np.int32),
        pref_key=pref_key,
        groups=groups,
        prio=prio,
        o_city=openings.city[o_perm].astype(np.int32),
        o_county=openings.county[o_perm].astype(np.int32),
        capacity=np.maximum(openings.capacity[o_perm].astype(np.int64), 0),
        wage_max=openings.wage_max[o_perm].astype(np.int32),
        housing=openings.housing[o_perm].astype(np.bool_),
        start_day=openings.start_day[o_perm].astype(np.int32),
        o_words=pack_levels(smin),
        skill_min=smin,
        req_mask=req_mask,
        reputation=openings.reputation[o_perm].astype(np.int8),
        protection=openings.protection[o_perm].astype(np.int8),
        partner=openings.partner[o_perm].astype(np.bool_),
        employer_id=openings.employer_id[o_perm].astype(np.int64),
    )


# --- blocking -------------------------------------------------------------------------------


def _expand(starts: I64, counts: I64) -> tuple[I64, I64]:
    """For ranges [starts[e], starts[e] + counts[e]): (entry of each element, element index)."""
    total = int(counts.sum())
    entry = np.repeat(np.arange(counts.size, dtype=np.int64), counts)
    first = np.cumsum(counts) - counts
    pos = np.arange(total, dtype=np.int64) - first[entry] + starts[entry]
    return entry, pos


def _id_index(sorted_ids: I64, ids: I64) -> tuple[I64, Bool]:
    """Positions of ``ids`` in ``sorted_ids`` and whether each was found."""
    if sorted_ids.size == 0:
        return np.zeros(ids.size, dtype=np.int64), np.zeros(ids.size, dtype=np.bool_)
    pos = np.minimum(np.searchsorted(sorted_ids, ids), sorted_ids.size - 1)
    return pos.astype(np.int64), sorted_ids[pos] == ids


def _member(sorted_keys: I64, keys: I64) -> Bool:
    if sorted_keys.size == 0:
        return np.zeros(keys.size, dtype=np.bool_)
    pos = np.minimum(np.searchsorted(sorted_keys, keys), sorted_keys.size - 1)
    return np.asarray(sorted_keys[pos] == keys, dtype=np.bool_)


def _exclusion_keys(p: Prepared, ex: Exclusions | None) -> tuple[I64, I64, I64]:
    """Sorted keys of declined (worker, opening) and banned (worker, employer) pairs."""
    empty = np.zeros(0, dtype=np.int64)
    if ex is None or p.n == 0 or p.m == 0:
        return empty, empty, empty
    w_sort = np.argsort(p.w_id, kind="stable")
    w_ids = p.w_id[w_sort]

    def worker_index(ids: I64) -> tuple[I64, Bool]:
        pos, ok = _id_index(w_ids, ids.astype(np.int64))
        return w_sort[pos].astype(np.int64), ok

    dw, ok1 = worker_index(ex.declined_worker)
    do, ok2 = _id_index(p.o_id, ex.declined_opening.astype(np.int64))
    declined = np.sort((dw * p.m + do)[ok1 & ok2])
    employers = _dedupe_sorted(np.sort(p.employer_id))
    bw, ok3 = worker_index(ex.banned_worker)
    be, ok4 = _id_index(employers, ex.banned_employer.astype(np.int64))
    banned = np.sort((bw * max(employers.size, 1) + be)[ok3 & ok4])
    o_emp, _ = _id_index(employers, p.employer_id)
    return declined, banned, o_emp


def eligible_pairs(p: Prepared, exclusions: Exclusions | None = None) -> tuple[I64, I64]:
    """All eligible (worker, opening) index pairs, sorted by worker then opening.

    Blocking: each worker is filed under her location keys (home county; each preferred city
    if she relocates; "any city" if she relocates without preferences) crossed with each skill
    she holds plus "no skill". Each opening is filed under its keys (its county, its city, "any
    city") crossed with one *primary* required skill, its rarest, or "no skill". Inside a
    block, workers are sorted by 5 - level (skill blocks) or by minimum wage (no-skill blocks),
    so an opening's candidates are one contiguous range found by binary search; the candidates
    are then checked against every rule in vectorised chunks.
    """
    n, m, ns = p.n, p.m, p.n_skills
    e64 = np.zeros(0, dtype=np.int64)
    if n == 0 or m == 0:
        return e64, e64
    nc, nci = p.n_counties, p.n_cities
    any_key = nc + nci
    nb = ns + 1  # primary-skill slots per location key: -1 (none) .. ns-1
    # A worker entry's key is (block, in-block key), 64 bits: the worker index is sorted
    # beside it, not packed into it, so the number of places is bounded by 2**41 / nb (more
    # than any country has counties) rather than by the number of workers as well.
    if (any_key + 1) * nb * _KEYSPAN >= 2**63:
        raise ValueError("too many places and skills for a 64-bit blocking key")

    # Worker location entries.
    loc_w = [np.arange(n, dtype=np.int64)]
    loc_k = [p.home_county.astype(np.int64)]
    n_pref = np.diff(p.pref_ptr)
    pref_owner = np.repeat(np.arange(n, dtype=np.int64), n_pref)
    city_entry = p.relocate[pref_owner]
    loc_w.append(pref_owner[city_entry])
    loc_k.append(nc + p.pref_city[city_entry].astype(np.int64))
    anyw = np.flatnonzero(p.relocate & (n_pref == 0)).astype(np.int64)
    loc_w.append(anyw)
    loc_k.append(np.full(anyw.size, any_key, dtype=np.int64))
    lw = np.concatenate(loc_w)
    lk = np.concatenate(loc_k)
    valid = lk >= 0
    lw, lk = lw[valid], lk[valid]

    # Cross each location entry with "no skill" and with every skill the worker holds.
    hi, hs = np.nonzero(p.skill > 0)
    held_ptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(hi, minlength=n), out=held_ptr[1:])
    hcount = np.diff(held_ptr)[lw]
    ent, pos = _expand(held_ptr[lw], hcount)
    sk_w = lw[ent]
    sk_s = hs[pos].astype(np.int64)
    sk_key = MAX_LEVEL - p.skill[sk_w, sk_s].astype(np.int64)
    nosk_key = np.minimum(p.min_wage[lw].astype(np.int64), _KEYSPAN - 1)
    blk = np.concatenate([lk * nb, lk[ent] * nb + sk_s + 1])
    key = np.concatenate([nosk_key, sk_key])
    who = np.concatenate([lw, sk_w])
    wkey = blk * _KEYSPAN + key
    order = np.lexsort((who, wkey))  # by key, then worker
    wkeys, w_of = wkey[order], who[order]
    del blk, key, who, wkey, order, ent, pos, sk_w, sk_s, sk_key, nosk_key

    # Opening entries: county (if given), city and "any city", with the rarest required skill.
    holders = (p.skill > 0).sum(axis=0)
    rank = np.where(p.skill_min > 0, holders[None, :], np.iinfo(np.int64).max)
    prim = np.where((p.skill_min > 0).any(axis=1), np.argmin(rank, axis=1), -1).astype(np.int64)
    has_cap = p.capacity > 0
    o_all = np.arange(m, dtype=np.int64)
    with_county = has_cap & (p.o_county >= 0)
    oe_o = np.concatenate([o_all[with_county], o_all[has_cap], o_all[has_cap]])
    oe_k = np.concatenate(
        [
            p.o_county[with_county].astype(np.int64),
            nc + p.o_city[has_cap].astype(np.int64),
            np.full(int(has_cap.sum()), any_key, dtype=np.int64),
        ]
    )
    oe_p = prim[oe_o]
    smin_p = p.skill_min[oe_o, np.maximum(oe_p, 0)].astype(np.int64)
    thr = np.where(
        oe_p < 0,
        np.clip(p.wage_max[oe_o].astype(np.int64), 0, _KEYSPAN - 1),
        MAX_LEVEL - smin_p,
    )
    oblk = oe_k * nb + oe_p + 1
    lo = np.searchsorted(wkeys, oblk * _KEYSPAN, side="left")
    hi_ = np.searchsorted(wkeys, oblk * _KEYSPAN + thr, side="right")
    cnt = np.maximum(hi_ - lo, 0).astype(np.int64)
    is_county_key = oe_k < nc

    declined, banned, o_emp = _exclusion_keys(p, exclusions)
    n_emp = int(o_emp.max()) + 1 if o_emp.size else 1

    out_w: list[I64] = []
    out_o: list[I64] = []
    csum = np.cumsum(cnt)
    start_e = 0
    while start_e < cnt.size:
        base = int(csum[start_e - 1]) if start_e else 0
        stop_e = int(np.searchsorted(csum, base + _CHUNK, side="right"))
        stop_e = max(stop_e, start_e + 1)
        sl = slice(start_e, stop_e)
        ent, pos = _expand(lo[sl].astype(np.int64), cnt[sl])
        ent += start_e
        wi = w_of[pos]
        oj = oe_o[ent]
        ok = p.ready_day[wi] <= p.start_day[oj]
        ok &= (p.min_wage[wi] == 0) | (p.min_wage[wi] <= p.wage_max[oj])
        ok &= ~p.needs_housing[wi] | p.housing[oj]
        # A pair reached through a city key that also shares the county is found by the
        # county key already; drop it here so each pair appears once.
        oc = p.o_county[oj]
        ok &= is_county_key[ent] | (p.home_county[wi] != oc) | (oc < 0)
        wi, oj = wi[ok], oj[ok]
        ok = skills_ok(p.w_words[wi], p.o_words[oj])
        if declined.size:
            ok &= ~_member(declined, wi * m + oj)
        if banned.size:
            ok &= ~_member(banned, wi * n_emp + o_emp[oj])
        out_w.append(wi[ok])
        out_o.append(oj[ok])
        start_e = stop_e
    if not out_w:
        return e64, e64
    keys = np.sort(np.concatenate(out_w) * m + np.concatenate(out_o))
    return keys // m, keys % m


def preferred_city(p: Prepared, wi: I64, oj: I64) -> Bool:
    """Whether each pair's opening is in one of the worker's (non-empty) preferred cities."""
    return _member(p.pref_key, wi * max(p.n_cities, 1) + p.o_city[oj].astype(np.int64))
