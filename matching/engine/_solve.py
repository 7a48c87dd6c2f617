"""The lexicographic assignment as min-cost flow (OR-Tools SimpleMinCostFlow).

Objective, strictly in order: priority-tier workers proposed, then proposals, then quality.
Ties among equally good assignments: earlier-registered workers first (``prefer_earlier``).

The engine starts no process: independent batches go through the caller's ``MapBatches``
(default ``sequential``, in this process), which may spread them over processes of its own.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from time import perf_counter
from typing import Protocol, TypeVar

import numpy as np
from numpy.typing import NDArray
from ortools.graph.python import max_flow, min_cost_flow

I64 = NDArray[np.int64]
Bool = NDArray[np.bool_]

# The single-flow weights must keep every cost sum below this (int64 with headroom).
COST_LIMIT = 1 << 62
BATCH_ARCS = 500_000  # components are packed into flows of about this many pair arcs
SINGLE_MAX_ARCS = 200_000  # above this, the staged solve is faster
# Below this many pair arcs in all, the batches are solved in place, one after the other:
# handing them to another process would cost more than it saves.
PARALLEL_MIN_ARCS = 1_500_000
SWAP_ROUNDS = 1000  # bound on tie-break rounds; each round only ever improves the tie-break

Times = dict[str, float]
Info = dict[str, int]
_T = TypeVar("_T")
_R = TypeVar("_R")


class MapBatches(Protocol):
    """How the engine solves its independent batches: ``fn`` over ``items``, results in order.

    ``fn`` is a top-level function of the engine (bound with ``functools.partial``) and each
    item a ``FlowJob`` (a ``FlowInput`` of plain arrays and the objective to solve it for), so
    both pickle: a mapper may run them in other processes. Each result depends only on its
    own item, so where it ran never changes it.
    """

    def __call__(self, fn: Callable[[_T], _R], items: Sequence[_T], /) -> list[_R]: ...


def sequential(fn: Callable[[_T], _R], items: Sequence[_T], /) -> list[_R]:
    """The default ``MapBatches``: in this process, one after the other."""
    return [fn(item) for item in items]


@dataclass(frozen=True, slots=True)
class FlowInput:
    """One eligible-pair graph in canonical order (workers sorted by registration)."""

    n: int
    m: int
    wi: I64  # pair worker, sorted
    oj: I64  # pair opening
    quality: NDArray[np.int16]
    prio: Bool  # per worker
    capacity: I64  # per opening
    q_max: int


@dataclass(frozen=True, slots=True)
class FlowJob:
    """One batch to solve: its graph, and whether the priority tier comes first (the run) or
    not (the audit's counterfactual)."""

    graph: FlowInput
    priority_tier: bool

    @property
    def size(self) -> int:
        """Its pair arcs: how much work it is."""
        return int(self.graph.wi.size)


def components(n: int, m: int, wi: I64, oj: I64) -> I64:
    """Connected-component label of every worker: the smallest worker index in her component.

    Pairs are sorted by worker, so consecutive pairs of one worker join two openings: the
    components are found on that small opening graph. Hook each root onto a smaller root it
    touches, then jump pointers until every node points at its root; repeat on the edges
    whose ends still differ. Every hook points to a smaller index, so the pointers stay a
    forest, and the smallest member of each component ends as its root whichever hook won:
    the labels do not depend on the order of the work. A worker without pairs is her own.
    """
    label = np.arange(n, dtype=np.int64)
    if wi.size == 0:
        return label
    same = wi[1:] == wi[:-1]
    u, v = oj[:-1][same], oj[1:][same]  # u < v: a worker's openings come in ascending order
    parent = np.arange(m, dtype=np.int64)
    parent[v] = u  # the first round's hooks, all onto roots
    while u.size:
        while True:
            jumped = parent[parent]
            if np.array_equal(jumped, parent):
                break
            parent = jumped
        ru, rv = parent[u], parent[v]
        keep = ru != rv
        if not keep.any():
            break
        lo, hi = np.minimum(ru[keep], rv[keep]), np.maximum(ru[keep], rv[keep])
        parent[hi] = lo  # roots onto smaller roots; which of several wins does not matter
        u, v = lo, hi
    first = np.ones(wi.size, dtype=np.bool_)
    first[1:] = ~same
    w_with, w_root = wi[first], parent[oj[first]]  # workers ascending, their opening root
    roots, at = np.unique(w_root, return_index=True)  # first (smallest) worker per root
    smallest = np.zeros(m, dtype=np.int64)
    smallest[roots] = w_with[at]
    label[w_with] = smallest[w_root]
    return label


def _solve_flow(
    nodes: int,
    tails: I64,
    heads: I64,
    caps: I64,
    costs: I64,
    supplies: I64,
    pair_arcs: slice,
) -> I64 | None:
    """Flows on the pair arcs, or None when OR-Tools rejects the cost range."""
    mcf = min_cost_flow.SimpleMinCostFlow()
    mcf.add_arcs_with_capacity_and_unit_cost(tails, heads, caps, costs)
    mcf.set_nodes_supplies(np.arange(nodes, dtype=np.int64), supplies)
    status = mcf.solve()
    if status != mcf.OPTIMAL:
        if status == mcf.BAD_COST_RANGE:
            return None
        raise RuntimeError(f"min-cost flow failed: {status}")
    arcs = np.arange(pair_arcs.start, pair_arcs.stop, dtype=np.int32)
    return np.asarray(mcf.flows(arcs), dtype=np.int64)


def _max_flow(n: int, m: int, wi: I64, oj: I64, cap: I64) -> int:
    """Most workers placeable using only the given pairs (OR-Tools push-relabel)."""
    src, snk = n + m, n + m + 1
    mf = max_flow.SimpleMaxFlow()
    tails = np.concatenate([np.full(n, src), wi, n + np.arange(m)]).astype(np.int64)
    heads = np.concatenate([np.arange(n), n + oj, np.full(m, snk)]).astype(np.int64)
    caps = np.concatenate([np.ones(n + wi.size, dtype=np.int64), cap]).astype(np.int64)
    mf.add_arcs_with_capacity(tails, heads, caps)
    status = mf.solve(src, snk)
    if status != mf.OPTIMAL:
        raise RuntimeError(f"max flow failed: {status}")
    return int(mf.optimal_flow())


def single_weights(s: int, qp_max: int) -> tuple[int, int]:
    """(A, B) with B > S * q'_max and A > S * (B + q'_max)."""
    b = s * qp_max + 1
    a = s * (b + qp_max) + 1
    return a, b


def assign_batch(
    g: FlowInput, *, priority_tier: bool, force_staged: bool = False
) -> tuple[I64, str, Times]:
    """Pair indices chosen for one graph, the mode used ("single" or "staged"), stage times.

    Nodes: source, workers, openings, sink (plus a second source in stage 2). A worker arc has
    capacity 1; an opening's arc to the sink carries its capacity. Pair costs are minus the
    quality alone (0..q_max): the solver's cost-scaling phases grow with log(cost range), so
    small costs keep the solve fast. Ties are settled afterwards by ``prefer_earlier``.
    """
    n, m, k = g.n, g.m, g.wi.size
    times: Times = {"max_flow": 0.0, "min_cost": 0.0}
    if k == 0:
        return np.zeros(0, dtype=np.int64), "single", times
    cap = np.minimum(g.capacity, n)
    s = int(min(int(cap.sum()), n))
    q = g.quality.astype(np.int64)
    prio = g.prio[g.wi] if priority_tier else np.zeros(k, dtype=np.bool_)

    src, snk = n + m, n + m + 1
    w_nodes = np.arange(n, dtype=np.int64)
    o_nodes = n + np.arange(m, dtype=np.int64)
    pair_arcs = slice(n, n + k)

    a, b = single_weights(s, g.q_max)
    top = a + b + g.q_max
    fits = s * top < COST_LIMIT and top * (n + m + 3) < COST_LIMIT
    # One flow with the huge A and B is much slower than two smaller stages on big graphs.
    if fits and not force_staged and k <= SINGLE_MAX_ARCS:
        assert b > s * g.q_max and a > s * (b + g.q_max)
        # source -> worker -> opening -> sink, plus a source -> sink bypass so that not
        # everyone must be placed.
        tails = np.concatenate([np.full(n, src), g.wi, o_nodes, [src]]).astype(np.int64)
        heads = np.concatenate([w_nodes, n + g.oj, np.full(m, snk), [snk]]).astype(np.int64)
        caps = np.concatenate([np.ones(n + k, dtype=np.int64), cap, [n]]).astype(np.int64)
        cost = -(np.where(prio, a, 0) + b + q)
        costs = np.concatenate([np.zeros(n, dtype=np.int64), cost, np.zeros(m + 1, np.int64)])
        supplies = np.zeros(n + m + 2, dtype=np.int64)
        supplies[src], supplies[snk] = n, -n
        t0 = perf_counter()
        flows = _solve_flow(n + m + 2, tails, heads, caps, costs, supplies, pair_arcs)
        times["min_cost"] = perf_counter() - t0
        if flows is not None:
            return np.flatnonzero(flows > 0).astype(np.int64), "single", times

    # Stage 1: the most priority workers, and the most workers. The sets of workers that can
    # be placed together form a matroid (a gammoid), so one assignment reaches both maxima at
    # once (Mendelsohn-Dulmage): two plain max flows give P* and N*.
    t0 = perf_counter()
    p_star = _max_flow(n, m, g.wi[prio], g.oj[prio], cap) if bool(prio.any()) else 0
    n_star = _max_flow(n, m, g.wi, g.oj, cap)
    times["max_flow"] = perf_counter() - t0

    # Stage 2: fix both counts as exact supplies (priority source and other source, no
    # bypass) and maximise quality alone.
    src2 = n + m + 2
    w_prio = g.prio if priority_tier else np.zeros(n, dtype=np.bool_)
    tails = np.concatenate([np.where(w_prio, src, src2), g.wi, o_nodes]).astype(np.int64)
    heads = np.concatenate([w_nodes, n + g.oj, np.full(m, snk)]).astype(np.int64)
    caps = np.concatenate([np.ones(n + k, dtype=np.int64), cap]).astype(np.int64)
    costs = np.concatenate([np.zeros(n, dtype=np.int64), -q, np.zeros(m, dtype=np.int64)])
    sup2 = np.zeros(n + m + 3, dtype=np.int64)
    sup2[src], sup2[src2], sup2[snk] = p_star, n_star - p_star, -n_star
    t0 = perf_counter()
    flows = _solve_flow(n + m + 3, tails, heads, caps, costs, sup2, pair_arcs)
    if flows is None:
        raise RuntimeError("stage-2 costs out of range")
    times["min_cost"] = perf_counter() - t0
    return np.flatnonzero(flows > 0).astype(np.int64), "staged", times


def prefer_earlier(g: FlowInput, chosen: I64, *, priority_tier: bool) -> tuple[I64, int]:
    """Settle ties: swap in earlier-registered workers where that changes no tier.

    An unplaced worker u takes the place of a placed worker v at the same opening when u
    registered earlier (lower canonical index), both are in the same tier class and u's pair
    scores exactly what v's did. Each swap keeps the priority count, the total and the
    quality total, so the result stays optimal; it repeats until no swap is left. Each
    round pairs, within every (opening, class, score) group, the earliest unplaced
    candidates with the latest placed workers. Returns the chosen pairs (sorted) and the
    number of swaps.
    """
    k = g.wi.size
    if k == 0 or chosen.size == 0:
        return chosen, 0
    nq = g.q_max + 1
    cls = g.prio.astype(np.int64) if priority_tier else np.zeros(g.n, dtype=np.int64)
    pair_of = np.full(g.n, -1, dtype=np.int64)  # chosen pair per worker
    pair_of[g.wi[chosen]] = chosen
    # Only pairs whose (opening, class, score) group holds a placed worker can ever swap in:
    # swaps move workers between the same groups' slots, so the set of such groups is fixed.
    gkey = (g.oj * 2 + cls[g.wi]) * nq + g.quality.astype(np.int64)
    live = np.zeros(g.m * 2 * nq, dtype=np.bool_)
    live[gkey[chosen]] = True
    every = np.flatnonzero(live[gkey])
    every_k = gkey[every]
    pool = every  # this round's pairs: those of groups that may have changed
    latest = np.full(live.size, -1, dtype=np.int64)  # latest placed worker per group
    swaps = 0
    for _ in range(SWAP_ROUNDS):
        placed = pair_of >= 0
        pv = pair_of[placed]
        pk, pw = gkey[pv], g.wi[pv]
        np.maximum.at(latest, pk, pw)
        pool_w, pool_k = g.wi[pool], gkey[pool]
        inside = (latest[pool_k] > pool_w) & ~placed[pool_w]  # free, and a later one placed
        latest[pk] = -1
        cand, cw, ck = pool[inside], pool_w[inside], pool_k[inside]
        if cand.size == 0:
            break
        order = np.lexsort((-pw, pk))  # by group, latest worker first
        pk, pw = pk[order], pw[order]
        lo = np.searchsorted(pk, ck, side="left")
        hi = np.searchsorted(pk, ck, side="right")
        # Rank candidates within their group, earliest first (pool is sorted by worker).
        by_group = np.argsort(ck, kind="stable")
        cand, cw, ck, lo, hi = (
            cand[by_group],
            cw[by_group],
            ck[by_group],
            lo[by_group],
            hi[by_group],
        )
        first = np.ones(ck.size, dtype=np.bool_)
        first[1:] = ck[1:] != ck[:-1]
        start = np.maximum.accumulate(np.where(first, np.arange(ck.size), 0))
        slot = lo + np.arange(ck.size) - start  # i-th earliest meets i-th latest
        ok = slot < hi
        ok[ok] = cw[ok] < pw[slot[ok]]
        cand, cw, slot = cand[ok], cw[ok], slot[ok]
        # A worker may qualify in several groups: she takes the one at her lowest pair.
        by_worker = np.lexsort((cand, cw))
        cand, cw, slot = cand[by_worker], cw[by_worker], slot[by_worker]
        once = np.ones(cw.size, dtype=np.bool_)
        once[1:] = cw[1:] != cw[:-1]
        cand, cw, slot = cand[once], cw[once], slot[once]
        if cand.size == 0:
            break
        gone = pw[slot]
        pair_of[gone] = -1
        pair_of[cw] = cand
        swaps += int(cand.size)
        # A group's next round can differ only if its placed workers or its candidates
        # changed: the groups of this round's swaps, every group of a worker who was just
        # placed (she leaves their candidates) or just displaced (she joins them).
        moved = np.zeros(g.n, dtype=np.bool_)
        moved[cw] = True
        moved[gone] = True
        dirty = np.zeros(live.size, dtype=np.bool_)
        dirty[every_k[moved[g.wi[every]]]] = True
        pool = every[dirty[every_k]]
    out = pair_of[pair_of >= 0]
    return np.sort(out), swaps


def solve_job(job: FlowJob, *, force_staged: bool = False) -> tuple[I64, str, Times, int]:
    """One batch solved and its ties settled: (chosen pairs, mode, stage seconds, swaps).

    The tie-break runs here, batch by batch, not once over the whole graph: a swap stays at
    one opening, so within one component, and each component's rounds go as they would
    have gone beside the others. Workers keep their canonical order in a batch, so "earlier"
    means the same."""
    g = job.graph
    chosen, mode, times = assign_batch(
        g, priority_tier=job.priority_tier, force_staged=force_staged
    )
    t0 = perf_counter()
    chosen, swaps = prefer_earlier(g, chosen, priority_tier=job.priority_tier)
    times["tie_break"] = perf_counter() - t0
    return chosen, mode, times, swaps


def _solve_jobs(
    jobs: list[FlowJob], *, force_staged: bool, map_batches: MapBatches
) -> list[tuple[I64, str, Times, int]]:
    """Solve every job, through ``map_batches`` when there are several and enough work.

    They are handed over largest first, so a mapper that deals them out as helpers free up
    ends with small ones; the results come back in the jobs' own order.
    """
    solve_one = partial(solve_job, force_staged=force_staged)
    total = sum(job.size for job in jobs)
    if len(jobs) < 2 or total < PARALLEL_MIN_ARCS:
        return [solve_one(job) for job in jobs]
    order = sorted(range(len(jobs)), key=lambda i: (-jobs[i].size, i))
    got = map_batches(solve_one, [jobs[i] for i in order])
    if len(got) != len(jobs):
        raise RuntimeError(f"map_batches gave {len(got)} results for {len(jobs)} batches")
    by_job = dict(zip(order, got, strict=True))
    return [by_job[i] for i in range(len(jobs))]


def assign(
    g: FlowInput,
    *,
    priority_tier: bool,
    partition: bool = True,
    force_staged: bool = False,
    map_batches: MapBatches = sequential,
) -> tuple[I64, Info, Times]:
    """Chosen pair indices (sorted) over the whole graph, solving components independently.

    Components never share a worker or an opening, so their optima combine into the optimum.
    Small components are packed together into flows of about BATCH_ARCS pair arcs, and the
    flows are solved through ``map_batches`` (default: here, in turn), each with its ties
    settled by ``prefer_earlier``. Returns (chosen, counts, stage seconds); the stage seconds
    add up the work of every batch wherever it ran, so they may exceed the wall time.
    """
    return assign_tiers(
        g,
        (priority_tier,),
        partition=partition,
        force_staged=force_staged,
        map_batches=map_batches,
    )[0]


def assign_tiers(
    g: FlowInput,
    tiers: Sequence[bool],
    *,
    partition: bool = True,
    force_staged: bool = False,
    map_batches: MapBatches = sequential,
) -> list[tuple[I64, Info, Times]]:
    """``assign`` for each objective in ``tiers`` (priority tier first or not) at once.

    The run and the audit's counterfactual solve the same graph: it is cut into batches once,
    and every (batch, objective) job goes to one ``map_batches``, so the counterfactual is
    solved beside the run's own flows rather than after them."""
    empty: list[tuple[I64, Info, Times]] = []
    for _ in tiers:
        info: Info = {"components": 0, "batches": 0, "staged_batches": 0, "tie_swaps": 0}
        times: Times = {"max_flow": 0.0, "min_cost": 0.0, "tie_break": 0.0}
        empty.append((np.zeros(0, dtype=np.int64), info, times))
    if g.wi.size == 0:
        return empty

    pair_sets: list[I64 | None] = [None]  # None: all pairs, in the whole graph's numbering
    subs = [g]  # one batch: solve the graph as it is, without copying it
    n_components = 1
    if partition:
        label = components(g.n, g.m, g.wi, g.oj)
        comp_of_pair = label[g.wi]
        arcs_per_root = np.bincount(comp_of_pair, minlength=g.n)
        roots = np.flatnonzero(arcs_per_root)  # in order of smallest member: deterministic
        sizes = arcs_per_root[roots]
        n_components = int(roots.size)
        # Greedy packing: cut a new batch whenever the running arc count would pass BATCH_ARCS.
        batch_of_root = np.zeros(g.n, dtype=np.int64)
        acc, bid = 0, 0
        for root, size in zip(roots.tolist(), sizes.tolist(), strict=True):
            if acc and acc + size > BATCH_ARCS:
                bid, acc = bid + 1, 0
            batch_of_root[root] = bid
            acc += size
        n_batches = bid + 1
        if n_batches > 1:
            batch_of_pair = batch_of_root[comp_of_pair]
            small = np.int16 if n_batches < 2**15 else np.int64  # 16-bit keys sort by radix
            order = np.argsort(batch_of_pair.astype(small), kind="stable")
            bounds = np.searchsorted(batch_of_pair[order], np.arange(n_batches + 1))
            del batch_of_pair
            subs, pair_sets = [], []
            for bi in range(n_batches):
                idx = order[bounds[bi] : bounds[bi + 1]]  # stable: still sorted by worker
                pair_sets.append(idx)
                subs.append(subgraph(g, idx))
            del order
        del label, comp_of_pair

    jobs = [FlowJob(sub, tier) for tier in tiers for sub in subs]
    results = _solve_jobs(jobs, force_staged=force_staged, map_batches=map_batches)
    out: list[tuple[I64, Info, Times]] = []
    for t, (_, info, times) in enumerate(empty):
        info.update(components=n_components, batches=len(subs))
        mine = results[t * len(subs) : (t + 1) * len(subs)]
        chosen_all = [
            ch if idx is None else idx[ch]
            for idx, (ch, _, _, _) in zip(pair_sets, mine, strict=True)
        ]
        for _, mode, stage, swaps in mine:
            info["staged_batches"] += int(mode == "staged")
            info["tie_swaps"] += swaps
            for name in times:
                times[name] += stage[name]
        out.append((np.sort(np.concatenate(chosen_all)), info, times))
    return out


def subgraph(g: FlowInput, idx: I64) -> FlowInput:
    """The graph on pairs ``idx`` (sorted by worker), nodes renumbered in canonical order."""
    wi, oj = g.wi[idx], g.oj[idx]
    w_used = _mark(g.n, wi)
    o_used = _mark(g.m, oj)
    w_map = np.cumsum(w_used) - 1
    o_map = np.cumsum(o_used) - 1
    return FlowInput(
        n=int(w_used.sum()),
        m=int(o_used.sum()),
        wi=w_map[wi],
        oj=o_map[oj],
        quality=g.quality[idx],
        prio=g.prio[w_used],
        capacity=g.capacity[o_used],
        q_max=g.q_max,
    )


def _mark(size: int, idx: I64) -> Bool:
    used = np.zeros(size, dtype=np.bool_)
    used[idx] = True
    return used
