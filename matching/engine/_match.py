"""The run pipeline: rules, scores, assignment, audit and the facts behind each proposal."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import partial
from time import perf_counter

import numpy as np
from numpy.typing import NDArray

from ._eligibility import Prepared, eligible_pairs, preferred_city, prepare
from ._flexible import assign_tiers_apart
from ._greedy import greedy_assign
from ._score import PART_NAMES, Q_MAX, pair_parts, pair_quality
from ._solve import FlowInput, MapBatches, sequential
from ._types import (
    BETTER_USE,
    NO_ELIGIBLE,
    TAKEN_BY_PRIORITY,
    AuditRow,
    Exclusions,
    MatchResult,
    Openings,
    Vocab,
    Workers,
)

I64 = NDArray[np.int64]
Bool = NDArray[np.bool_]
Assignment = tuple[I64, dict[str, int], dict[str, float]]
Assigner = Callable[[FlowInput, Sequence[bool], Bool | None], list[Assignment]]
"""Assigns a graph for each objective given (priority tier first or not), in that order; the
third argument marks the flexible workers (relocating, no city named), or is None."""


def solve(
    workers: Workers,
    openings: Openings,
    vocab: Vocab,
    exclusions: Exclusions | None = None,
    *,
    today: int,
    recent_days: int = 365,
    priority_tier: bool = True,
    audit: bool = True,
    runners_up: int = 3,
    map_batches: MapBatches = sequential,
    flexible_apart: bool = True,
) -> MatchResult:
    """Propose at most one opening per worker, optimal for (priority, count, quality).

    ``today`` (days since 1970-01-01) only dates "recent training"; the engine reads no clock.
    With ``priority_tier=False`` the first tier is dropped (the audit's counterfactual).
    ``map_batches`` solves the independent flows of a large instance (default: here, in turn);
    the caller may hand in one that spreads them over processes. It never changes the result.
    Flexible workers (relocating, no city named: eligible in every market) are placed after
    the markets are solved apart (``_flexible``), unless ``flexible_apart=False`` joins them
    into the flow (the same tiers; the reference the benchmark checks against).
    """
    return _run(
        workers,
        openings,
        vocab,
        exclusions,
        today=today,
        recent_days=recent_days,
        priority_tier=priority_tier,
        audit=audit,
        runners_up=runners_up,
        assigner=partial(assign_tiers_apart, map_batches=map_batches),
        flexible_apart=flexible_apart,
    )


def greedy(
    workers: Workers,
    openings: Openings,
    vocab: Vocab,
    exclusions: Exclusions | None = None,
    *,
    today: int,
    recent_days: int = 365,
    priority_tier: bool = True,
    audit: bool = True,
    runners_up: int = 3,
) -> MatchResult:
    """Baseline: the same rules and scores, assigned best score first (no tiers, no optimum)."""
    return _run(
        workers,
        openings,
        vocab,
        exclusions,
        today=today,
        recent_days=recent_days,
        priority_tier=priority_tier,
        audit=audit,
        runners_up=runners_up,
        assigner=_greedy_tiers,
    )


def _greedy_tiers(g: FlowInput, tiers: Sequence[bool], apart: Bool | None) -> list[Assignment]:
    del apart  # the baseline has no markets to keep apart
    return [greedy_assign(g, priority_tier=tier) for tier in tiers]


def _run(
    workers: Workers,
    openings: Openings,
    vocab: Vocab,
    exclusions: Exclusions | None,
    *,
    today: int,
    recent_days: int,
    priority_tier: bool,
    audit: bool,
    runners_up: int,
    assigner: Assigner,
    flexible_apart: bool = False,
) -> MatchResult:
    timings: dict[str, float] = {}
    t0 = perf_counter()
    p = prepare(workers, openings, vocab, today=today, recent_days=recent_days)
    wi, oj = eligible_pairs(p, exclusions)
    t1 = perf_counter()
    timings["eligibility"] = t1 - t0
    quality = pair_quality(p, wi, oj)
    t2 = perf_counter()
    timings["scoring"] = t2 - t1
    g = FlowInput(
        n=p.n, m=p.m, wi=wi, oj=oj, quality=quality, prio=p.prio, capacity=p.capacity, q_max=Q_MAX
    )
    # The audit's counterfactual (no priority tier) is solved with the run, in one go.
    counterfactual = audit and priority_tier
    tiers = (priority_tier, False) if counterfactual else (priority_tier,)
    apart = p.relocate & (np.diff(p.pref_ptr) == 0) if flexible_apart else None
    solved = assigner(g, tiers, apart)
    chosen, info, stages = solved[0]
    t3 = perf_counter()
    timings["solve"] = t3 - t2
    # Work per solve stage (summed over the processes that shared it), for the benchmark.
    timings.update({f"solve_{name}": sec for name, sec in stages.items()})
    if counterfactual:
        timings.update({f"audit_{name}": sec for name, sec in solved[1][2].items()})

    assigned = np.full(p.n, -1, dtype=np.int64)  # opening per worker, canonical indices
    assigned[wi[chosen]] = oj[chosen]
    audit_rows: dict[str, AuditRow] = {}
    if audit:
        if counterfactual:
            cf_assigned = np.zeros(p.n, dtype=np.bool_)
            cf_assigned[wi[solved[1][0]]] = True
        else:
            cf_assigned = assigned >= 0
        audit_rows = _audit(p, vocab, wi, assigned >= 0, cf_assigned)
    t4 = perf_counter()
    timings["audit"] = t4 - t3

    result = _assemble(p, vocab, wi, oj, quality, chosen, assigned, runners_up, priority_tier)
    stats = {
        "workers_considered": p.n,
        "openings_considered": int((p.capacity > 0).sum()),
        "eligible_pairs": int(wi.size),
        "proposals": int(chosen.size),
        "priority_proposals": int(result.priority.sum()),
        "quality_total": int(quality[chosen].astype(np.int64).sum()),
        **info,
    }
    timings["explain"] = perf_counter() - t4
    return _replace_meta(result, stats, audit_rows, timings)


def _audit(
    p: Prepared, vocab: Vocab, wi: I64, proposed: Bool, cf_proposed: Bool
) -> dict[str, AuditRow]:
    """Per group: eligible, proposed and rate, with and without the priority tier."""
    eligible = np.bincount(wi, minlength=p.n) > 0

    def row(members: Bool) -> AuditRow:
        e = int((members & eligible).sum())
        pr = int((members & proposed).sum())
        cf = int((members & cf_proposed).sum())
        return {
            "eligible": e,
            "proposed": pr,
            "rate": pr / e if e else 0.0,
            "counterfactual_proposed": cf,
            "counterfactual_rate": cf / e if e else 0.0,
        }

    rows = {
        label.code: row((p.groups & np.int32(1 << bit)) != 0)
        for bit, label in enumerate(vocab.groups)
    }
    rows["priority_tier"] = row(p.prio)
    rows["all"] = row(np.ones(p.n, dtype=np.bool_))
    return rows


def _runner_ups(
    p: Prepared, wi: I64, oj: I64, quality: NDArray[np.int16], assigned: I64, r: int
) -> I64:
    """Up to r other eligible openings per worker, best quality first (canonical indices)."""
    out = np.full((p.n, r), -1, dtype=np.int64)
    if r <= 0 or wi.size == 0:
        return out
    keep = (assigned[wi] >= 0) & (oj != assigned[wi])
    w, o = wi[keep], oj[keep]
    span = (Q_MAX + 1) * p.m
    keys = np.sort(w * span + (Q_MAX - quality[keep].astype(np.int64)) * p.m + o)
    w = keys // span
    o = keys % p.m
    first = np.ones(w.size, dtype=np.bool_)
    first[1:] = w[1:] != w[:-1]
    seg_start = np.maximum.accumulate(np.where(first, np.arange(w.size), 0))
    rank = np.arange(w.size) - seg_start
    top = rank < r
    out[w[top], rank[top]] = o[top]
    return out


def _assemble(
    p: Prepared,
    vocab: Vocab,
    wi: I64,
    oj: I64,
    quality: NDArray[np.int16],
    chosen: I64,
    assigned: I64,
    runners_up: int,
    priority_tier: bool,
) -> MatchResult:
    """Proposals sorted by worker id, with their reasons' facts; unproposed with a reason."""
    cw, co = wi[chosen], oj[chosen]
    order = np.argsort(p.w_id[cw], kind="stable")
    cw, co = cw[order], co[order]
    parts = pair_parts(p, cw, co)
    score = np.zeros(cw.size, dtype=np.int32)
    for name in PART_NAMES:
        score += parts[name]
    ru = _runner_ups(p, wi, oj, quality, assigned, max(runners_up, 0))[cw]
    ru_ids = np.where(ru >= 0, p.o_id[np.maximum(ru, 0)], -1) if p.m else ru

    # Unproposed workers and why.
    n_elig = np.bincount(wi, minlength=p.n).astype(np.int32)
    un = np.flatnonzero(assigned < 0)
    un = un[np.argsort(p.w_id[un], kind="stable")]
    filled = np.bincount(oj[chosen], minlength=p.m)
    non_prio = np.bincount(oj[chosen], weights=~p.prio[wi[chosen]], minlength=p.m)
    full_of_prio = (filled >= p.capacity) & (non_prio == 0)
    blocked_other = np.bincount(wi, weights=~full_of_prio[oj], minlength=p.n)
    reason = np.full(un.size, BETTER_USE, dtype=np.int8)
    by_prio = (~p.prio[un]) & (blocked_other[un] == 0) & priority_tier
    reason[by_prio] = TAKEN_BY_PRIORITY
    reason[n_elig[un] == 0] = NO_ELIGIBLE

    return MatchResult(
        worker_id=p.w_id[cw],
        opening_id=p.o_id[co],
        score=score,
        parts=parts,
        priority=p.prio[cw],
        runner_up=np.asarray(ru_ids, dtype=np.int64).reshape(cw.size, max(runners_up, 0)),
        unproposed_id=p.w_id[un],
        unproposed_reason=reason,
        unproposed_eligible=n_elig[un],
        stats={},
        audit={},
        timings={},
        q_max=Q_MAX,
        vocab=vocab,
        groups=p.groups[cw],
        skill_level=p.skill[cw],
        skill_min=p.skill_min[co],
        wage_max=p.wage_max[co],
        min_wage=p.min_wage[cw],
        housing=p.housing[co],
        needs_housing=p.needs_housing[cw],
        city=p.o_city[co],
        county=p.o_county[co],
        local=(p.o_county[co] >= 0) & (p.o_county[co] == p.home_county[cw]),
        preferred_city=preferred_city(p, cw, co),
        start_day=p.start_day[co],
        available_day=p.available_day[cw],
        reputation=p.reputation[co],
        protection=p.protection[co],
        partner=p.partner[co],
        trained_recent=p.recent_mask[cw] & p.req_mask[co],
        unproposed_groups=p.groups[un],
    )


def _replace_meta(
    r: MatchResult, stats: dict[str, int], audit: dict[str, AuditRow], timings: dict[str, float]
) -> MatchResult:
    r.stats.update(stats)
    r.audit.update(audit)
    r.timings.update(timings)
    return r
