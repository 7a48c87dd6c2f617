"""Property tests: every proposal obeys the rules, and the tiers match independent oracles."""

from __future__ import annotations

import itertools

import highspy
import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from matching.engine import NO_DAY, Exclusions, solve
from matching.engine._eligibility import eligible_pairs, prepare
from matching.engine._score import pair_quality
from matching.engine._solve import FlowInput, assign, assign_batch, prefer_earlier
from tests.unit.engine.conftest import (
    TODAY,
    VOCAB,
    Op,
    W,
    eligible,
    openings_of,
    quality,
    workers_of,
)

FEB29_2008 = 13938  # 2008-02-29


@st.composite
def worker(draw: st.DrawFn, wid: int) -> W:
    return W(
        id=wid,
        registered_at=draw(st.integers(0, 3)),
        birth_day=draw(
            st.sampled_from([TODAY - 30 * 365, FEB29_2008, TODAY - 16 * 365, TODAY - 15 * 365])
        ),
        available_day=draw(st.sampled_from([NO_DAY, TODAY, TODAY + 12])),
        home_county=draw(st.integers(0, 1)),
        relocate=draw(st.booleans()),
        prefs=tuple(draw(st.sets(st.integers(0, 2), max_size=2))),
        min_wage=draw(st.sampled_from([0, 4000, 5000, 6000])),
        needs_housing=draw(st.booleans()),
        skill=(draw(st.integers(0, 4)), draw(st.integers(0, 2))),
        trained_day=(draw(st.sampled_from([NO_DAY, TODAY - 10, TODAY - 900])), NO_DAY),
        groups=draw(st.integers(0, 3)),
    )


@st.composite
def opening(draw: st.DrawFn, oid: int) -> Op:
    return Op(
        id=oid,
        employer_id=draw(st.integers(1, 2)),
        city=draw(st.integers(0, 2)),
        county=draw(st.integers(-1, 1)),
        capacity=draw(st.integers(0, 2)),
        wage_max=draw(st.sampled_from([3500, 4500, 5200, 7000])),
        housing=draw(st.booleans()),
        start_day=draw(st.sampled_from([TODAY + 10, TODAY + 20, 20_000 + 12_000])),
        skill_min=(draw(st.integers(0, 3)), draw(st.integers(0, 2))),
        reputation=draw(st.integers(0, 100)),
        protection=draw(st.integers(0, 100)),
        partner=draw(st.booleans()),
    )


@st.composite
def instance(
    draw: st.DrawFn, max_w: int = 6, max_o: int = 4
) -> tuple[list[W], list[Op], Exclusions]:
    nw = draw(st.integers(0, max_w))
    no = draw(st.integers(0, max_o))
    ws = [draw(worker(100 + i)) for i in range(nw)]
    os_ = [draw(opening(500 + j)) for j in range(no)]
    ex = Exclusions()
    if ws and os_ and draw(st.booleans()):
        ex = Exclusions(
            declined_worker=np.array([ws[0].id], dtype=np.int64),
            declined_opening=np.array([os_[-1].id], dtype=np.int64),
            banned_worker=np.array([ws[-1].id], dtype=np.int64),
            banned_employer=np.array([1], dtype=np.int64),
        )
    return ws, os_, ex


def tiers(ws: list[W], os_: list[Op], chosen: list[tuple[int, int]]) -> tuple[int, int, int]:
    prio = sum(1 for i, _ in chosen if ws[i].groups & 1)
    return prio, len(chosen), sum(quality(ws[i], os_[j]) for i, j in chosen)


def highs_oracle(
    ws: list[W], os_: list[Op], ex: Exclusions, *, priority_tier: bool = True
) -> tuple[int, int, int]:
    """Lexicographic optimum by successive MIPs: maximise a tier, fix it as a row, go on.

    Without the priority tier its first figure is 0 and the order is (placed, quality)."""
    pairs = [(i, j) for i, w in enumerate(ws) for j, o in enumerate(os_) if eligible(w, o, ex)]
    if not pairs:
        return 0, 0, 0
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    k = len(pairs)
    for _ in pairs:
        h.addVar(0.0, 1.0)
    h.changeColsIntegrality(k, np.arange(k, dtype=np.int32), np.ones(k, dtype=np.uint8))
    for i in range(len(ws)):
        idx = [e for e, (a, _) in enumerate(pairs) if a == i]
        if idx:
            h.addRow(-highspy.kHighsInf, 1.0, len(idx), np.array(idx, np.int32), np.ones(len(idx)))
    for j, o in enumerate(os_):
        idx = [e for e, (_, b) in enumerate(pairs) if b == j]
        if idx:
            h.addRow(
                -highspy.kHighsInf,
                float(o.capacity),
                len(idx),
                np.array(idx, np.int32),
                np.ones(len(idx)),
            )
    h.changeObjectiveSense(highspy.ObjSense.kMaximize)
    weights = [
        [1.0 if ws[i].groups & 1 and priority_tier else 0.0 for i, _ in pairs],
        [1.0] * k,
        [float(quality(ws[i], os_[j])) for i, j in pairs],
    ]
    out = []
    for wt in weights:
        h.changeColsCost(k, np.arange(k, dtype=np.int32), np.array(wt))
        h.run()
        assert h.getModelStatus() == highspy.HighsModelStatus.kOptimal
        best = round(h.getInfo().objective_function_value)
        out.append(best)
        nz = [e for e in range(k) if wt[e]]
        if nz:
            h.addRow(
                best - 0.5,
                highspy.kHighsInf,
                len(nz),
                np.array(nz, np.int32),
                np.array([wt[e] for e in nz]),
            )
    return out[0], out[1], out[2]


def brute_force(ws: list[W], os_: list[Op], ex: Exclusions) -> tuple[int, int, int]:
    options = [[None] + [j for j, o in enumerate(os_) if eligible(w, o, ex)] for w in ws]
    best = (0, 0, 0)
    for pick in itertools.product(*options):
        load = [0] * len(os_)
        for j in pick:
            if j is not None:
                load[j] += 1
        if any(load[j] > os_[j].capacity for j in range(len(os_))):
            continue
        chosen = [(i, j) for i, j in enumerate(pick) if j is not None]
        best = max(best, tiers(ws, os_, chosen))
    return best


def check_result(ws: list[W], os_: list[Op], ex: Exclusions) -> tuple[int, int, int]:
    r = solve(workers_of(ws), openings_of(os_), VOCAB, ex, today=TODAY)
    wpos = {w.id: i for i, w in enumerate(ws)}
    opos = {o.id: j for j, o in enumerate(os_)}
    chosen = [(wpos[int(a)], opos[int(b)]) for a, b in zip(r.worker_id, r.opening_id, strict=True)]
    assert len({i for i, _ in chosen}) == len(chosen), "a worker proposed twice"
    for i, j in chosen:
        assert eligible(ws[i], os_[j], ex), (ws[i], os_[j])
    for j, o in enumerate(os_):
        assert sum(1 for _, b in chosen if b == j) <= max(o.capacity, 0)
    for k, (i, j) in enumerate(chosen):
        assert int(r.score[k]) == quality(ws[i], os_[j])
    assert list(r.worker_id) == sorted(r.worker_id)
    assert len(r.unproposed_id) + len(r) == len(ws)
    return tiers(ws, os_, chosen)


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(instance())
def test_rules_hold_and_tiers_match_highs(inst: tuple[list[W], list[Op], Exclusions]) -> None:
    ws, os_, ex = inst
    assert check_result(ws, os_, ex) == highs_oracle(ws, os_, ex)


@settings(max_examples=80, deadline=None)
@given(instance(max_w=4, max_o=3))
def test_tiers_match_brute_force(inst: tuple[list[W], list[Op], Exclusions]) -> None:
    ws, os_, ex = inst
    assert check_result(ws, os_, ex) == brute_force(ws, os_, ex)


@settings(max_examples=60, deadline=None)
@given(instance(max_w=8, max_o=4))
def test_staged_and_single_agree(inst: tuple[list[W], list[Op], Exclusions]) -> None:
    """The staged solve (used for big graphs) reaches the same tiers as the single flow."""
    ws, os_, ex = inst
    p = prepare(workers_of(ws), openings_of(os_), VOCAB, today=TODAY, recent_days=365)
    wi, oj = eligible_pairs(p, ex)
    q = pair_quality(p, wi, oj)
    g = FlowInput(p.n, p.m, wi, oj, q, p.prio, p.capacity, 82)
    got = []
    for staged in (False, True):
        for partition in (False, True):
            ch, _, _ = assign(g, priority_tier=True, partition=partition, force_staged=staged)
            got.append((int(p.prio[wi[ch]].sum()), int(ch.size), int(q[ch].astype(np.int64).sum())))
    assert len(set(got)) == 1


@settings(max_examples=60, deadline=None)
@given(instance())
def test_eligibility_matches_plain_rules(inst: tuple[list[W], list[Op], Exclusions]) -> None:
    ws, os_, ex = inst
    p = prepare(workers_of(ws), openings_of(os_), VOCAB, today=TODAY, recent_days=365)
    wi, oj = eligible_pairs(p, ex)
    got = {(int(p.w_id[a]), int(p.o_id[b])) for a, b in zip(wi, oj, strict=True)}
    assert len(got) == wi.size
    want = {(w.id, o.id) for w in ws for o in os_ if eligible(w, o, ex)}
    assert got == want


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(instance(max_w=8, max_o=4), st.booleans())
def test_no_equal_swap_to_an_earlier_worker_is_left(
    inst: tuple[list[W], list[Op], Exclusions], priority_tier: bool
) -> None:
    """Ties: no unplaced worker could take a later worker's place at the same opening with the
    same score and tier class; the tie-break pass changes no tier."""
    ws, os_, ex = inst
    p = prepare(workers_of(ws), openings_of(os_), VOCAB, today=TODAY, recent_days=365)
    wi, oj = eligible_pairs(p, ex)
    q = pair_quality(p, wi, oj)
    g = FlowInput(p.n, p.m, wi, oj, q, p.prio, p.capacity, 82)
    ch, _, _ = assign(g, priority_tier=priority_tier)
    raw = np.sort(assign_batch(g, priority_tier=priority_tier, force_staged=True)[0])
    again, _ = prefer_earlier(g, raw, priority_tier=priority_tier)

    def tiers_of(c: np.ndarray) -> tuple[int, int, int]:
        prio = int(p.prio[wi[c]].sum()) if priority_tier else 0  # else not a tier: may differ
        return prio, int(c.size), int(q[c].astype(np.int64).sum())

    assert tiers_of(again) == tiers_of(raw) == tiers_of(ch)
    for chosen in (ch, again):
        holder = {int(wi[e]): (int(oj[e]), int(q[e])) for e in chosen}
        cls = p.prio if priority_tier else np.zeros(p.n, dtype=np.bool_)
        for e in range(wi.size):
            u, o, s = int(wi[e]), int(oj[e]), int(q[e])
            if u in holder:
                continue
            for v, (ov, sv) in holder.items():
                assert not (ov == o and sv == s and cls[v] == cls[u] and v > u), (u, v, o)
