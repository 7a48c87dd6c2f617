"""Flexible workers placed apart (流动劳动力另行安置): markets first, then who goes anywhere.

A worker who relocates without naming a city is eligible in every market, so a handful of them
join every market into one flow. Instead the markets are solved apart without them (their
components, as usual), and then the flexible workers are added to that optimum one shortest
augmenting path at a time, which keeps it optimal (successive shortest paths):

* The three tiers are one weight per pair, c = A·priority + B + quality, with B > S·q_max and
  A > S·(B + q_max) (``single_weights``): a most-weight assignment is the lexicographic optimum.
  As a min-cost flow each worker has one unit to send, to an opening (cost −c) or to the sink
  straight (cost 0, unplaced); an opening sends up to its places to the sink.
* The markets' optimum, with the flexible workers present but sending nothing yet, is optimal:
  its residual graph has no negative cycle (a flexible worker has arcs out only, so no cycle
  passes her).
* Distances to the sink in that residual graph (Bellman–Ford, vectorised, frontier by frontier)
  give potentials under which every residual arc has a reduced cost ≥ 0. A flexible worker's
  cheapest way to the sink is then min(0, min over her pairs of −c + d(opening)); a path of
  zero reduced cost follows the shortest-path pointers (her opening, the worker it displaces,
  the opening she moves to, …, a free place or a worker left unplaced).
* Augmenting along such paths keeps every reduced cost ≥ 0 (a reversed arc of reduced cost 0
  has reduced cost 0), so several flexible workers are routed in one round as long as their
  paths share no worker and no free place beyond what is left; a worker whose path crosses an
  earlier one waits for the next round's distances. Reduced costs ≥ 0 on every residual arc
  means no negative cycle: once every flexible worker has sent her unit (or been left out at
  distance 0), the flow is a min-cost flow of the whole graph, i.e. the lexicographic optimum.

Ties are then settled by ``prefer_earlier`` over the markets the paths touched and those where
a flexible worker could take a later registrant's place; elsewhere the markets' own settlement
stands, as no swap there changed.
"""

from __future__ import annotations

from collections.abc import Sequence
from time import perf_counter

import numpy as np
from numpy.typing import NDArray

from ._solve import (
    COST_LIMIT,
    FlowInput,
    Info,
    MapBatches,
    Times,
    assign_tiers,
    components,
    prefer_earlier,
    sequential,
    single_weights,
    subgraph,
)

I64 = NDArray[np.int64]
Bool = NDArray[np.bool_]

_INF = 1 << 61
# Above this share of the workers with pairs, the flexible workers join the flow instead: each
# round of paths costs a pass over the graph, and many of them cross each other's paths.
APART_MAX_SHARE = 0.01


def assign_tiers_apart(
    g: FlowInput,
    tiers: Sequence[bool],
    apart: Bool | None,
    *,
    map_batches: MapBatches = sequential,
    force_staged: bool = False,
    max_share: float = APART_MAX_SHARE,
) -> list[tuple[I64, Info, Times]]:
    """``assign_tiers``, with the ``apart`` workers (the flexible) placed after the markets.

    The graph without their pairs is cut into its components and solved as usual (both
    objectives side by side); then ``place_apart`` adds them to each objective's optimum. When
    there are none, or more than ``max_share`` of the workers with pairs, or the weights would
    not fit, the whole graph is solved as one (the same tiers, only slower)."""

    def joint() -> list[tuple[I64, Info, Times]]:
        return assign_tiers(g, tiers, force_staged=force_staged, map_batches=map_batches)

    if apart is None or g.wi.size == 0:
        return joint()
    flex_pair = apart[g.wi]
    has_pairs = np.zeros(g.n, dtype=np.bool_)
    has_pairs[g.wi] = True
    n_flex = int((apart & has_pairs).sum())
    if n_flex == 0 or n_flex > max_share * int(has_pairs.sum()):
        return joint()
    idx = np.flatnonzero(~flex_pair)
    base = assign_tiers(subgraph(g, idx), tiers, force_staged=force_staged, map_batches=map_batches)
    out: list[tuple[I64, Info, Times]] = []
    for tier, (ch, info, times) in zip(tiers, base, strict=True):
        t0 = perf_counter()
        got = place_apart(g, idx[ch], apart, priority_tier=tier)
        if got is None:
            return joint()
        chosen, more = got
        times["flexible"] = perf_counter() - t0
        info.update(more)
        out.append((chosen, info, times))
    return out


def weights(g: FlowInput, *, priority_tier: bool) -> I64 | None:
    """The one weight per pair that orders the tiers, or None when it does not fit in int64."""
    n = g.n
    s = int(min(int(np.minimum(g.capacity, n).sum()), n))
    a, b = single_weights(s, g.q_max)
    if 4 * (a + b + g.q_max) >= COST_LIMIT:
        return None
    prio = g.prio[g.wi] if priority_tier else np.zeros(g.wi.size, dtype=np.bool_)
    return np.where(prio, a, 0) + b + g.quality.astype(np.int64)


def _distances(g: FlowInput, c: I64, chosen: Bool) -> tuple[I64, I64, I64]:
    """Shortest distances to the sink of every opening in the residual graph of ``chosen``,
    with each opening's and each placed worker's next pair on a shortest path.

    d(opening) = 0 if it has a place left, else min over its workers of c + d(worker);
    d(placed worker) = min(0, min over her other pairs of −c + d(opening)). Labels only fall,
    and only the arcs out of what changed last are relaxed, so it ends after as many rounds as
    the longest shortest path has arcs. Returns (d per opening, next pair per opening: the
    chosen pair of the worker it displaces or -1 for a free place, next pair per worker: the
    pair she moves to or -1 for none)."""
    n, m = g.n, g.m
    at = np.flatnonzero(chosen)
    w_at, o_at, c_at = g.wi[at], g.oj[at], c[at]
    placed = np.zeros(n, dtype=np.bool_)
    placed[w_at] = True
    cap = np.minimum(g.capacity, n)
    free = np.bincount(o_at, minlength=m) < cap
    alt = np.flatnonzero(placed[g.wi] & ~chosen)  # her other pairs, where a placed one may go
    aw, ao, ac = g.wi[alt], g.oj[alt], c[alt]
    d_w = np.zeros(n, dtype=np.int64)
    next_w = np.full(n, -1, dtype=np.int64)
    d_o = np.where(free, 0, _INF).astype(np.int64)
    next_o = np.full(m, -1, dtype=np.int64)
    changed_w = placed
    changed_o = free  # a free place is a label already: the first round starts from it too
    for _ in range(n + m + 1):
        sel = changed_w[w_at]
        e, o, cand = at[sel], o_at[sel], c_at[sel] + d_w[w_at[sel]]
        before = d_o[o]
        np.minimum.at(d_o, o, cand)
        better = (cand < before) & (cand == d_o[o])
        next_o[o[better]] = e[better]
        changed_o = changed_o.copy()
        changed_o[o[better]] = True
        sel = changed_o[ao]
        if not sel.any():
            return d_o, next_o, next_w
        e, w = alt[sel], aw[sel]
        cand = d_o[ao[sel]] - ac[sel]
        before = d_w[w]
        np.minimum.at(d_w, w, cand)
        better = (cand < before) & (cand == d_w[w])
        next_w[w[better]] = e[better]
        changed_w = np.zeros(n, dtype=np.bool_)
        changed_w[w[better]] = True
        if not better.any():
            return d_o, next_o, next_w
        changed_o = np.zeros(m, dtype=np.bool_)
    raise RuntimeError("negative cycle in the residual graph: the markets' solve was not optimal")


def place_apart(
    g: FlowInput, base: I64, apart: Bool, *, priority_tier: bool
) -> tuple[I64, Info] | None:
    """The optimum of ``g`` from ``base``, the chosen pairs of an optimum of ``g`` without the
    ``apart`` workers' pairs, ties settled (see the module docstring); None when the weights
    do not fit in int64 (then solve ``g`` as one).

    Returns (chosen pairs, sorted; counts: flexible workers, rounds, pairs re-settled)."""
    c = weights(g, priority_tier=priority_tier)
    if c is None:
        return None
    n, m = g.n, g.m
    chosen = np.zeros(g.wi.size, dtype=np.bool_)
    chosen[base] = True
    ptr = np.searchsorted(g.wi, np.arange(n + 1))
    todo = np.flatnonzero(apart & (ptr[1:] > ptr[:-1]))
    n_flex = int(todo.size)
    cap = np.minimum(g.capacity, n)
    touched = np.zeros(m, dtype=np.bool_)  # openings on some path
    rounds = 0
    wi, oj = g.wi, g.oj
    while todo.size:
        rounds += 1
        d_o, next_o, next_w = _distances(g, c, chosen)
        left = cap - np.bincount(oj[chosen], minlength=m)
        # Each waiting worker's best pair and her distance min(0, -c + d).
        starts, stops = ptr[todo], ptr[todo + 1]
        pairs = np.concatenate([np.arange(a, b) for a, b in zip(starts, stops, strict=True)])
        val = d_o[oj[pairs]] - c[pairs]
        owner = np.repeat(np.arange(todo.size), stops - starts)
        order = np.lexsort((pairs, val, owner))  # per worker, cheapest (then lowest pair) first
        first = np.ones(order.size, dtype=np.bool_)
        first[1:] = owner[order][1:] != owner[order][:-1]
        best_pair = pairs[order][first]
        best_val = val[order][first]
        used = np.zeros(n, dtype=np.bool_)
        waiting: list[int] = []
        for f, e0, dist in zip(todo.tolist(), best_pair.tolist(), best_val.tolist(), strict=True):
            if dist >= 0:
                continue  # left out: her unit goes to the sink straight, at distance 0
            add, drop, moved = [e0], [], []
            o, end = int(oj[e0]), -1
            ok = True
            while True:
                e = int(next_o[o])
                if e < 0:
                    end = o
                    ok = left[o] > 0
                    break
                w = int(wi[e])
                if used[w]:
                    ok = False
                    break
                if w in moved:
                    raise RuntimeError("shortest-path pointers form a cycle")
                moved.append(w)
                drop.append(e)
                e2 = int(next_w[w])
                if e2 < 0:
                    break  # she is left unplaced
                add.append(e2)
                o = int(oj[e2])
            if not ok:
                waiting.append(f)
                continue
            if end >= 0:
                left[end] -= 1
            used[moved] = True  # a later path this round may not pass them
            chosen[drop] = False
            chosen[add] = True
            touched[oj[add]] = True
            touched[oj[drop]] = True
        todo = np.asarray(waiting, dtype=np.int64)
    result = np.flatnonzero(chosen)
    del chosen, c
    result, resettled = _settle_ties(g, result, apart, touched, priority_tier=priority_tier)
    return result, {"flexible_workers": n_flex, "flexible_rounds": rounds, "resettled": resettled}


def _settle_ties(
    g: FlowInput, chosen: I64, apart: Bool, touched: Bool, *, priority_tier: bool
) -> tuple[I64, int]:
    """``prefer_earlier`` over the markets (components without the flexible workers) that a
    path touched or where a flexible worker shares an (opening, class, score) group with a
    later-registered placed worker; elsewhere nothing can swap (the markets were settled, and
    a swap's latest placed worker only ever gets earlier). Returns (chosen, pairs re-settled)."""
    n, m = g.n, g.m
    if chosen.size == 0:
        return chosen, 0
    base = ~apart[g.wi]
    label_w = components(n, m, g.wi[base], g.oj[base])
    label_o = n + np.arange(m, dtype=np.int64)  # an opening only flexible workers reach: its own
    label_o[g.oj[base]] = label_w[g.wi[base]]
    nq = g.q_max + 1
    cls = g.prio.astype(np.int64) if priority_tier else np.zeros(n, dtype=np.int64)
    gkey = (g.oj * 2 + cls[g.wi]) * nq + g.quality.astype(np.int64)
    latest = np.full(m * 2 * nq, -1, dtype=np.int64)
    np.maximum.at(latest, gkey[chosen], g.wi[chosen])
    flex = np.flatnonzero(~base)
    could = flex[latest[gkey[flex]] > g.wi[flex]]
    hot = np.zeros(n + m, dtype=np.bool_)
    hot[label_o[touched]] = True
    hot[label_o[g.oj[could]]] = True
    inside = hot[label_o[g.oj]]
    del gkey, latest, label_w, label_o, base
    n_inside = int(inside.sum())
    if n_inside == 0:
        return chosen, 0
    if n_inside == g.wi.size:  # every market: settle the graph itself, no copy of it
        return prefer_earlier(g, chosen, priority_tier=priority_tier)[0], n_inside
    region = np.flatnonzero(inside)
    sub = subgraph(g, region)
    mine = chosen[inside[chosen]]
    settled, _ = prefer_earlier(sub, np.searchsorted(region, mine), priority_tier=priority_tier)
    out = np.concatenate([chosen[~inside[chosen]], region[settled]])
    return np.sort(out), n_inside
