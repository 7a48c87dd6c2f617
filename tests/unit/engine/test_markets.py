"""Markets and shares: the components of the eligibility graph, and a partitioned solve that
equals the joint one tier by tier (checked against an independent HiGHS solve)."""

from __future__ import annotations

from dataclasses import fields

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from matching.engine import (
    Exclusions,
    in_share,
    markets,
    select_openings,
    select_workers,
    share_of,
)
from tests.unit.engine.conftest import TODAY, VOCAB, Op, W, eligible, openings_of, workers_of
from tests.unit.engine.test_optimality import check_result, highs_oracle, instance

Instance = tuple[list[W], list[Op], Exclusions]


def component_oracle(ws: list[W], os_: list[Op], ex: Exclusions) -> dict[int, int]:
    """Each worker's market key by a plain search over the eligible pairs: the smallest
    worker id reachable from her through openings she or another is eligible for."""
    adj: dict[tuple[str, int], set[tuple[str, int]]] = {}
    for w in ws:
        adj.setdefault(("w", w.id), set())
        for o in os_:
            if o.capacity > 0 and eligible(w, o, ex):
                adj[("w", w.id)].add(("o", o.id))
                adj.setdefault(("o", o.id), set()).add(("w", w.id))
    key: dict[int, int] = {}
    for w in ws:
        seen, todo = {("w", w.id)}, [("w", w.id)]
        while todo:
            for nxt in adj.get(todo.pop(), ()):
                if nxt not in seen:
                    seen.add(nxt)
                    todo.append(nxt)
        key[w.id] = min(i for kind, i in seen if kind == "w")
    return key


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(instance(max_w=8, max_o=5))
def test_markets_are_the_components_of_the_eligibility_graph(inst: Instance) -> None:
    ws, os_, ex = inst
    found = markets(workers_of(ws), openings_of(os_), VOCAB, ex, today=TODAY)
    oracle = component_oracle(ws, os_, ex)
    assert found.worker_key.tolist() == [oracle[w.id] for w in ws]
    for j, o in enumerate(os_):
        with_pair = [i for i, w in enumerate(ws) if o.capacity > 0 and eligible(w, o, ex)]
        if with_pair:  # an opening lies in its workers' market
            assert {int(found.worker_key[i]) for i in with_pair} == {int(found.opening_key[j])}
        else:  # no one's: a market of its own, never a worker's key
            assert int(found.opening_key[j]) == -1 - o.id


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(instance(max_w=8, max_o=5), st.integers(1, 4))
def test_the_shares_together_equal_the_joint_solve_and_highs(inst: Instance, n: int) -> None:
    ws, os_, ex = inst
    workers, openings = workers_of(ws), openings_of(os_)
    found = markets(workers, openings, VOCAB, ex, today=TODAY)
    joint = check_result(ws, os_, ex)  # also checks every rule of every proposal
    total = (0, 0, 0)
    covered: list[int] = []
    for share in range(n):
        keep_w, keep_o = in_share(found, share, n)
        sub_w = [w for w, k in zip(ws, keep_w, strict=True) if k]
        sub_o = [o for o, k in zip(os_, keep_o, strict=True) if k]
        # The engine's own cut is the instance of those workers and openings.
        same(select_workers(workers, keep_w), workers_of(sub_w))
        same(select_openings(openings, keep_o), openings_of(sub_o))
        # A share's markets stay as they were once the others are gone (a sibling's
        # offers take only its own workers and slots out of the pool).
        again = markets(workers_of(sub_w), openings_of(sub_o), VOCAB, ex, today=TODAY)
        assert again.worker_key.tolist() == found.worker_key[keep_w].tolist()
        tiers = check_result(sub_w, sub_o, ex)
        total = (total[0] + tiers[0], total[1] + tiers[1], total[2] + tiers[2])
        covered += [w.id for w in sub_w]
    assert sorted(covered) == sorted(w.id for w in ws)  # every worker in exactly one share
    assert total == joint == highs_oracle(ws, os_, ex)


def same(a: object, b: object) -> None:
    for f in fields(a):  # type: ignore[arg-type]
        x, y = getattr(a, f.name), getattr(b, f.name)
        assert x.dtype == y.dtype and np.array_equal(x, y), f.name


def test_share_of_is_fixed_arithmetic_spread_evenly() -> None:
    keys = np.arange(1, 20_001, dtype=np.int64)
    shares = share_of(keys, 8)
    # Every process computes the same shares from the keys alone, element by element.
    assert np.array_equal(shares, np.concatenate([share_of(keys[:7], 8), share_of(keys[7:], 8)]))
    assert share_of(keys[::-1], 8).tolist() == shares[::-1].tolist()
    counts = np.bincount(shares, minlength=8)
    assert counts.min() > 0.9 * 2500 and counts.max() < 1.1 * 2500, counts
    assert set(share_of(np.array([-1 - 7, -1 - 8]), 3).tolist()) <= {0, 1, 2}
    assert share_of(keys, 1).max() == 0


def test_the_64_bit_mix_does_not_change_between_releases() -> None:
    """Pods of one Indexed Job may run different images during a rollout: the mix is part of
    the contract (splitmix64's finaliser; values from its reference definition)."""
    z = np.array([0, 1, 2**40 + 3, -5], dtype=np.int64)
    assert share_of(z, 2**31 - 1).tolist() == [splitmix64(int(v)) % (2**31 - 1) for v in z]


def splitmix64(x: int) -> int:
    mask = 2**64 - 1
    z = (x + 0x9E3779B97F4A7C15) & mask
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & mask
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & mask
    return z ^ (z >> 31)
