"""Flexible workers placed after the markets: the same tiers as one flow and as HiGHS."""

from __future__ import annotations

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from matching.engine import Exclusions, solve
from matching.engine._eligibility import eligible_pairs, prepare
from matching.engine._flexible import assign_tiers_apart
from matching.engine._score import pair_quality
from matching.engine._solve import FlowInput, assign_tiers
from seeds.synthetic import generate
from tests.unit.engine.conftest import TODAY, VOCAB, Op, W, openings_of, workers_of
from tests.unit.engine.test_optimality import highs_oracle, instance, opening, worker


@st.composite
def with_flexible(draw: st.DrawFn) -> tuple[list[W], list[Op], Exclusions]:
    """An instance whose first workers go anywhere: relocating, no city named."""
    ws, os_, ex = draw(instance(max_w=9, max_o=5))
    n_flex = draw(st.integers(1, 3))
    flex = [draw(worker(900 + i)) for i in range(n_flex)]
    for f in flex:
        f.relocate, f.prefs = True, ()
    extra = [draw(opening(700 + j)) for j in range(draw(st.integers(0, 2)))]
    return flex + ws, os_ + extra, ex


def _graph(ws: list[W], os_: list[Op], ex: Exclusions) -> tuple[FlowInput, np.ndarray]:
    p = prepare(workers_of(ws), openings_of(os_), VOCAB, today=TODAY, recent_days=365)
    wi, oj = eligible_pairs(p, ex)
    q = pair_quality(p, wi, oj)
    g = FlowInput(p.n, p.m, wi, oj, q, p.prio, p.capacity, 82)
    return g, p.relocate & (np.diff(p.pref_ptr) == 0)


def _tiers(g: FlowInput, chosen: np.ndarray, priority_tier: bool) -> tuple[int, int, int]:
    prio = int(g.prio[g.wi[chosen]].sum()) if priority_tier else 0
    return prio, int(chosen.size), int(g.quality[chosen].astype(np.int64).sum())


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(with_flexible())
def test_flexible_apart_matches_highs_and_the_joint_flow(
    inst: tuple[list[W], list[Op], Exclusions],
) -> None:
    ws, os_, ex = inst
    g, apart = _graph(ws, os_, ex)
    tiers = (True, False)
    got = assign_tiers_apart(g, tiers, apart, max_share=1.0)
    joint = assign_tiers(g, tiers)
    for tier, (ch, _, _), (jc, _, _) in zip(tiers, got, joint, strict=True):
        assert _tiers(g, ch, tier) == _tiers(g, jc, tier)
        assert _tiers(g, ch, tier) == highs_oracle(ws, os_, ex, priority_tier=tier)
        # A proper assignment: each worker once, no opening past its places.
        assert np.unique(g.wi[ch]).size == ch.size
        assert (np.bincount(g.oj[ch], minlength=g.m) <= g.capacity).all()
        # Ties settled as the markets' are: no unplaced worker could take a later one's place
        # at the same opening, in her tier class, with the same score.
        cls = g.prio if tier else np.zeros(g.n, dtype=np.bool_)
        holder = {int(g.wi[e]): (int(g.oj[e]), int(g.quality[e])) for e in ch}
        for e in range(g.wi.size):
            u, o, s = int(g.wi[e]), int(g.oj[e]), int(g.quality[e])
            if u not in holder:
                for v, (ov, sv) in holder.items():
                    assert not (ov == o and sv == s and cls[v] == cls[u] and v > u), (u, v, o)


def test_flexible_workers_no_longer_join_the_markets() -> None:
    """On a synthetic prefecture of two markets with flexible workers, the markets stay apart
    and the run and its counterfactual reach the joint flow's tiers."""
    w, o, v, ex = generate(3000, 2500, seed=11, today=TODAY, flexible=0.003)
    apart = solve(w, o, v, ex, today=TODAY)
    joint = solve(w, o, v, ex, today=TODAY, flexible_apart=False)
    assert joint.stats["components"] == 1
    assert apart.stats["components"] >= 2
    assert apart.stats["flexible_workers"] >= 5
    keys = ("priority_proposals", "proposals", "quality_total")
    assert [apart.stats[k] for k in keys] == [joint.stats[k] for k in keys]
    assert apart.audit["all"] == joint.audit["all"]
    placed = set(apart.worker_id.tolist())
    flexible = set(w.id[w.relocate & (np.diff(w.pref_ptr) == 0)].tolist())
    assert placed & flexible  # some of them were placed


def test_no_flexible_worker_changes_nothing() -> None:
    """Without flexible workers the generator's instance and the proposals are as before."""
    a = generate(2000, 200, seed=3, today=TODAY)
    b = generate(2000, 200, seed=3, today=TODAY, flexible=0.0)
    ra = solve(*a, today=TODAY)
    rb = solve(*b, today=TODAY, flexible_apart=False)
    np.testing.assert_array_equal(ra.worker_id, rb.worker_id)
    np.testing.assert_array_equal(ra.opening_id, rb.opening_id)
    assert "flexible_workers" not in ra.stats
