"""The lexicographic assignment as min-cost flow (OR-Tools SimpleMinCostFlow).

Objective, strictly in order: priority-tier workers proposed, then proposals, then quality.
"""

from __future__ import annotations

from dataclasses import dataclass
from time import perf_counter

import numpy as np
from numpy.typing import NDArray
from ortools.graph.python import max_flow, min_cost_flow

I64 = NDArray[np.int64]
Bool = NDArray[np.bool_]

# The single-flow weights must keep every cost sum below this (int64 with headroom).
COST_LIMIT = 1 << 62
TIE_BUCKETS = 1024  # registration-order buckets of the tie-break
BATCH_ARCS = 2_000_000  # components are packed into flows of about this many pair arcs
SINGLE_MAX_ARCS = 200_000  # above this, the staged solve is faster
STAGE_TIMES: list[float] = []  # seconds per stage of recent runs, read by the benchmark


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


def components(n: int, m: int, wi: I64, oj: I64) -> I64:
    """Connected-component label (smallest member node) of every worker and opening node.

    Nodes 0..n-1 are workers, n..n+m-1 openings. Hook each root onto the smallest root it
    touches, then jump pointers until every node points at its root; repeat on the edges
    whose ends still differ. Each round at least halves the roots that still have edges.
    """
    parent = np.arange(n + m, dtype=np.int64)
    u, v = wi, oj + n
    while u.size:
        ru, rv = parent[u], parent[v]
        lo, hi = np.minimum(ru, rv), np.maximum(ru, rv)
        keep = lo != hi
        if not keep.any():
            break
        lo, hi = lo[keep], hi[keep]
        np.minimum.at(parent, hi, lo)
        while True:
            jumped = parent[parent]
            if np.array_equal(jumped, parent):
                break
            parent = jumped
        u, v = lo, hi
    return parent


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


def _tiebreak(n: int, wi: I64) -> tuple[I64, int]:
    """Per-pair bonus in [0, R) favouring workers registered earlier, and R."""
    r = max(1, min(n, TIE_BUCKETS))
    return ((n - 1 - wi) * r // max(n, 1)).astype(np.int64), r


def single_weights(s: int, qp_max: int) -> tuple[int, int]:
    """(A, B) with B > S * q'_max and A > S * (B + q'_max)."""
    b = s * qp_max + 1
    a = s * (b + qp_max) + 1
    return a, b


def assign_batch(
    g: FlowInput, *, priority_tier: bool, force_staged: bool = False
) -> tuple[I64, str]:
    """Pair indices chosen for one graph, and the mode used ("single" or "staged").

    Nodes: source, workers, openings, sink (plus a second source in stage 2). A worker arc has
    capacity 1; an opening's arc to the sink carries its capacity; a source->sink bypass lets
    the flow be less than the supply.
    """
    n, m, k = g.n, g.m, g.wi.size
    if k == 0:
        return np.zeros(0, dtype=np.int64), "single"
    cap = np.minimum(g.capacity, n)
    s = int(min(int(cap.sum()), n))
    tb, r = _tiebreak(n, g.wi)
    t = s * (r - 1) + 1  # sum of tie-breaks over any assignment < t: quality stays first
    qp = g.quality.astype(np.int64) * t + tb
    qp_max = g.q_max * t + r - 1
    prio = g.prio[g.wi] if priority_tier else np.zeros(k, dtype=np.bool_)

    src, snk = n + m, n + m + 1
    w_nodes = np.arange(n, dtype=np.int64)
    o_nodes = n + np.arange(m, dtype=np.int64)
    pair_arcs = slice(n, n + k)

    def graph(pair_cost: I64) -> tuple[I64, I64, I64, I64]:
        tails = np.concatenate([np.full(n, src), g.wi, o_nodes, [src]]).astype(np.int64)
        heads = np.concatenate([w_nodes, n + g.oj, np.full(m, snk), [snk]]).astype(np.int64)
        caps = np.concatenate([np.ones(n + k, dtype=np.int64), cap, [n]]).astype(np.int64)
        costs = np.concatenate(
            [np.zeros(n, dtype=np.int64), pair_cost, np.zeros(m + 1, dtype=np.int64)]
        )
        return tails, heads, caps, costs

    supplies = np.zeros(n + m + 2, dtype=np.int64)
    supplies[src], supplies[snk] = n, -n

    a, b = single_weights(s, qp_max)
    top = a + b + qp_max
    fits = s * top < COST_LIMIT and top * (n + m + 3) < COST_LIMIT
    # One flow with the huge A and B is much slower than two smaller stages on big graphs.
    if fits and not force_staged and k <= SINGLE_MAX_ARCS:
        assert b > s * qp_max and a > s * (b + qp_max)
        cost = -(np.where(prio, a, 0) + b + qp)
        flows = _solve_flow(n + m + 2, *graph(cost), supplies, pair_arcs)
        if flows is not None:
            return np.flatnonzero(flows > 0).astype(np.int64), "single"

    # Stage 1: the most priority workers, and the most workers. The sets of workers that can
    # be placed together form a matroid (a gammoid), so one assignment reaches both maxima at
    # once (Mendelsohn-Dulmage): two plain max flows give P* and N*.
    t0 = perf_counter()
    keep = prio
    p_star = _max_flow(n, m, g.wi[keep], g.oj[keep], cap) if bool(keep.any()) else 0
    n_star = _max_flow(n, m, g.wi, g.oj, cap)
    STAGE_TIMES.append(perf_counter() - t0)

    # Stage 2: fix both counts as exact supplies (priority source and other source, no
    # bypass) and maximise quality alone.
    assert s * qp_max < COST_LIMIT and qp_max * (n + m + 3) < COST_LIMIT
    src2 = n + m + 2
    w_prio = g.prio if priority_tier else np.zeros(n, dtype=np.bool_)
    tails = np.concatenate([np.where(w_prio, src, src2), g.wi, o_nodes]).astype(np.int64)
    heads = np.concatenate([w_nodes, n + g.oj, np.full(m, snk)]).astype(np.int64)
    caps = np.concatenate([np.ones(n + k, dtype=np.int64), cap]).astype(np.int64)
    costs = np.concatenate([np.zeros(n, dtype=np.int64), -qp, np.zeros(m, dtype=np.int64)])
    sup2 = np.zeros(n + m + 3, dtype=np.int64)
    sup2[src], sup2[src2], sup2[snk] = p_star, n_star - p_star, -n_star
    t0 = perf_counter()
    flows = _solve_flow(n + m + 3, tails, heads, caps, costs, sup2, pair_arcs)
    if flows is None:
        raise RuntimeError("stage-2 costs out of range")
    STAGE_TIMES.append(perf_counter() - t0)
    return np.flatnonzero(flows > 0).astype(np.int64), "staged"


def assign(
    g: FlowInput, *, priority_tier: bool, partition: bool = True, force_staged: bool = False
) -> tuple[I64, dict[str, int]]:
    """Chosen pair indices (sorted) over the whole graph, solving components independently.

    Components never share a worker or an opening, so their optima combine into the optimum.
    Small components are packed together into flows of about BATCH_ARCS pair arcs.
    """
    info = {"components": 0, "batches": 0, "staged_batches": 0}
    k = g.wi.size
    if k == 0:
        return np.zeros(0, dtype=np.int64), info
    if not partition:
        chosen, mode = assign_batch(g, priority_tier=priority_tier, force_staged=force_staged)
        info.update(components=1, batches=1, staged_batches=int(mode == "staged"))
        return chosen, info

    label = components(g.n, g.m, g.wi, g.oj)
    comp_of_pair = label[g.wi]
    arcs_per_root = np.bincount(comp_of_pair, minlength=g.n + g.m)
    roots = np.flatnonzero(arcs_per_root)  # in order of smallest member: deterministic
    sizes = arcs_per_root[roots]
    info["components"] = int(roots.size)
    # Greedy packing: cut a new batch whenever the running arc count would pass BATCH_ARCS.
    batch_of_root = np.zeros(g.n + g.m, dtype=np.int64)
    acc, bid = 0, 0
    for root, size in zip(roots.tolist(), sizes.tolist(), strict=True):
        if acc and acc + size > BATCH_ARCS:
            bid, acc = bid + 1, 0
        batch_of_root[root] = bid
        acc += size
    n_batches = bid + 1
    info["batches"] = n_batches
    if n_batches == 1:
        chosen, mode = assign_batch(g, priority_tier=priority_tier, force_staged=force_staged)
        info["staged_batches"] = int(mode == "staged")
        return chosen, info
    batch_of_pair = batch_of_root[comp_of_pair]
    small = np.int16 if n_batches < 2**15 else np.int64  # 16-bit keys sort by radix
    order = np.argsort(batch_of_pair.astype(small), kind="stable")
    bounds = np.searchsorted(batch_of_pair[order], np.arange(n_batches + 1))
    chosen_all: list[I64] = []
    for bi in range(n_batches):
        idx = order[bounds[bi] : bounds[bi + 1]]  # stable: still sorted by worker
        wi, oj = g.wi[idx], g.oj[idx]
        w_used = _mark(g.n, wi)
        o_used = _mark(g.m, oj)
        w_map = np.cumsum(w_used) - 1
        o_map = np.cumsum(o_used) - 1
        sub = FlowInput(
            n=int(w_used.sum()),
            m=int(o_used.sum()),
            wi=w_map[wi],
            oj=o_map[oj],
            quality=g.quality[idx],
            prio=g.prio[w_used],
            capacity=g.capacity[o_used],
            q_max=g.q_max,
        )
        chosen, mode = assign_batch(sub, priority_tier=priority_tier, force_staged=force_staged)
        info["staged_batches"] += int(mode == "staged")
        chosen_all.append(idx[chosen])
    return np.sort(np.concatenate(chosen_all)), info


def _mark(size: int, idx: I64) -> Bool:
    used = np.zeros(size, dtype=np.bool_)
    used[idx] = True
    return used
