"""Examples: tight instance vs greedy, determinism, the age rule, empty inputs and reasons."""

from __future__ import annotations

import inspect
import multiprocessing
import sys
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pytest

from matching.engine import (
    BETTER_USE,
    NO_DAY,
    NO_ELIGIBLE,
    REASON_KINDS,
    TAKEN_BY_PRIORITY,
    Exclusions,
    Openings,
    Vocab,
    Workers,
    coming_of_age_day,
    explain,
    greedy,
    render_reasons,
    render_unproposed,
    solve,
)
from matching.engine import _solve as solve_mod
from matching.engine._eligibility import eligible_pairs, prepare
from matching.engine._score import pair_quality, quality_parts
from matching.engine._solve import FlowInput, prefer_earlier
from matching.matches import processes
from seeds.synthetic import generate, tight_instance
from tests.unit.engine.conftest import TODAY, VOCAB, Op, W, openings_of, workers_of


def _permute_workers(w: Workers, perm: np.ndarray) -> Workers:
    counts = np.diff(w.pref_ptr)[perm]
    ptr = np.zeros(perm.size + 1, dtype=np.int64)
    ptr[1:] = np.cumsum(counts)
    cities = np.concatenate(
        [w.pref_city[w.pref_ptr[i] : w.pref_ptr[i + 1]] for i in perm] or [np.zeros(0, np.int32)]
    ).astype(np.int32)
    return Workers(
        id=w.id[perm], registered_at=w.registered_at[perm], birth_day=w.birth_day[perm],
        available_day=w.available_day[perm], home_county=w.home_county[perm],
        relocate=w.relocate[perm], pref_ptr=ptr, pref_city=cities, min_wage=w.min_wage[perm],
        needs_housing=w.needs_housing[perm], skill=w.skill[perm], trained_day=w.trained_day[perm],
        groups=w.groups[perm],
    )  # fmt: skip


def _permute_openings(o: Openings, perm: np.ndarray) -> Openings:
    return Openings(**{name: getattr(o, name)[perm] for name in Openings.__dataclass_fields__})


def test_tight_instance_engine_places_more_priority_than_greedy() -> None:
    w, o, v, ex = tight_instance()
    eng = solve(w, o, v, ex, today=20_000)
    base = greedy(w, o, v, ex, today=20_000)
    assert eng.stats["priority_proposals"] == 2
    assert base.stats["priority_proposals"] == 1
    assert eng.stats["priority_proposals"] > base.stats["priority_proposals"]
    assert base.stats["quality_total"] > eng.stats["quality_total"]  # greedy chased quality
    assert list(eng.unproposed_id) == [1]
    assert list(eng.unproposed_reason) == [TAKEN_BY_PRIORITY]
    audit = eng.audit["poor_household"]
    assert audit["proposed"] == 1 and audit["counterfactual_proposed"] == 0


def test_same_snapshot_twice_and_permuted_give_identical_proposals() -> None:
    w, o, v, ex = generate(3000, 300, seed=7, today=20_000)
    a = solve(w, o, v, ex, today=20_000)
    b = solve(w, o, v, ex, today=20_000)
    rng = np.random.default_rng(1)
    c = solve(
        _permute_workers(w, rng.permutation(len(w))),
        _permute_openings(o, rng.permutation(len(o))),
        v,
        ex,
        today=20_000,
    )
    assert len(a) > 100
    for r in (b, c):
        np.testing.assert_array_equal(a.worker_id, r.worker_id)
        np.testing.assert_array_equal(a.opening_id, r.opening_id)
        np.testing.assert_array_equal(a.runner_up, r.runner_up)
        np.testing.assert_array_equal(a.unproposed_id, r.unproposed_id)
        np.testing.assert_array_equal(a.unproposed_reason, r.unproposed_reason)


def test_tie_break_prefers_earlier_registration_then_lower_id() -> None:
    ws = [W(id=9, registered_at=50), W(id=3, registered_at=50), W(id=1, registered_at=60)]
    r = solve(workers_of(ws), openings_of([Op(id=1)]), VOCAB, today=TODAY)
    assert list(r.worker_id) == [3]


def test_coming_of_age_around_birthdays_and_29_february() -> None:
    def day(y: int, m: int, d: int) -> int:
        return int(
            (np.datetime64(f"{y:04d}-{m:02d}-{d:02d}") - np.datetime64("1970-01-01")).astype(int)
        )

    born = np.array([day(2008, 2, 29), day(2008, 3, 1), day(2084, 2, 29), day(2009, 12, 31)])
    got = coming_of_age_day(born.astype(np.int32)).tolist()
    # 2024 is a leap year; 2100 is not, so that 29 February birthday arrives on 1 March.
    assert got == [day(2024, 2, 29), day(2024, 3, 1), day(2100, 3, 1), day(2025, 12, 31)]
    seventeen = coming_of_age_day(np.array([day(2004, 2, 29)], dtype=np.int32), years=17)
    assert seventeen.tolist() == [day(2021, 3, 1)]

    # The rule in a solve: 16 on the start day qualifies, the day before does not.
    for birth, start, ok in [
        (day(2008, 2, 29), day(2024, 2, 29), True),
        (day(2008, 2, 29), day(2024, 2, 28), False),
        (day(2008, 3, 1), day(2024, 3, 1), True),
        (day(2008, 3, 2), day(2024, 3, 1), False),
        (day(2084, 2, 29), day(2100, 2, 28), False),
        (day(2084, 2, 29), day(2100, 3, 1), True),
    ]:
        r = solve(
            workers_of([W(id=1, birth_day=birth)]),
            openings_of([Op(id=1, start_day=start)]),
            VOCAB,
            today=start - 30,
        )
        assert (len(r) == 1) is ok, (birth, start)
        if not ok:
            assert r.unproposed_reason[0] == NO_ELIGIBLE


def test_empty_inputs() -> None:
    for ws, os_ in [([], []), ([W(id=1)], []), ([], [Op(id=1)])]:
        r = solve(workers_of(ws), openings_of(os_), VOCAB, Exclusions(), today=TODAY)
        assert len(r) == 0
        assert r.runner_up.shape == (0, 3)
        assert r.stats["eligible_pairs"] == 0 and r.stats["proposals"] == 0
        assert len(r.unproposed_id) == len(ws)
        assert {"eligibility", "scoring", "solve", "audit", "explain"} <= set(r.timings)
    g = greedy(workers_of([]), openings_of([]), VOCAB, today=TODAY)
    assert len(g) == 0


def test_no_eligible_pair() -> None:
    ws = [W(id=1, min_wage=9000), W(id=2, relocate=False, home_county=1)]
    r = solve(workers_of(ws), openings_of([Op(id=1, wage_max=5000)]), VOCAB, today=TODAY)
    assert len(r) == 0
    assert list(r.unproposed_reason) == [NO_ELIGIBLE, NO_ELIGIBLE]
    assert "没有" in render_unproposed(r, 0, "zh")
    assert "no opening" in render_unproposed(r, 1, "en")


def test_better_use_reason() -> None:
    # W2 qualifies only for O1; W1 for both. Placing both forces W1 to O2.
    ws = [W(id=1, skill=(3, 0)), W(id=2, skill=(3, 0), min_wage=6500), W(id=3, skill=(3, 0))]
    os_ = [Op(id=1, wage_max=7000, skill_min=(2, 0)), Op(id=2, wage_max=4500)]
    r = solve(workers_of(ws), openings_of(os_), VOCAB, today=TODAY)
    assert len(r) == 2
    assert list(r.unproposed_reason) == [BETTER_USE]
    assert "其他人员" in render_unproposed(r, 0)


def test_reasons_in_chinese_and_english() -> None:
    ws = [
        W(
            id=1,
            groups=1,
            skill=(4, 0),
            trained_day=(TODAY - 20, -(2**31)),
            min_wage=4000,
            needs_housing=True,
            prefs=(0,),
        )
    ]
    os_ = [Op(id=7, skill_min=(3, 0), wage_max=5200, housing=True, reputation=85, partner=True)]
    r = solve(workers_of(ws), openings_of(os_), VOCAB, today=TODAY)
    zh = render_reasons(r, 0, "zh")
    en = render_reasons(r, 0, "en")
    text_zh, text_en = " ".join(zh), " ".join(en)
    zh_facts = ["优先群体：贫困户", "持有缝纫4级，岗位要求3级", "包住宿", "上海", "信誉85分"]
    zh_facts += ["月薪最高5200元，高于您的最低要求4000元", "长期合作", "缝纫技能认证"]
    for fact in zh_facts:
        assert fact in text_zh, fact
    for fact in ["priority group: poor household", "sewing level 4, opening asks 3",
                 "above your minimum of 4000 yuan", "housing provided", "reputation 85/100",
                 "partner employer", "certified through training: sewing"]:  # fmt: skip
        assert fact in text_en, fact
    assert f"匹配质量{int(r.score[0])}分" in text_zh
    assert r.parts["training"][0] == 8 and r.parts["city"][0] == 10 and r.parts["skill"][0] == 4


def test_every_reason_has_a_kind_and_her_county_and_groups_only_theirs() -> None:
    # A priority worker placed at home (如东县), who needs housing and names a minimum wage.
    ws = [W(id=1, groups=1, skill=(4, 0), relocate=False, home_county=0, min_wage=4000,
            needs_housing=True, trained_day=(TODAY - 20, -(2**31)))]  # fmt: skip
    os_ = [Op(id=7, skill_min=(3, 0), county=0, wage_max=5200, housing=True, partner=True)]
    r = solve(workers_of(ws), openings_of(os_), VOCAB, today=TODAY)
    assert len(r) == 1 and r.local[0]
    for lang in ("zh", "en"):
        pairs = explain(r, 0, lang)
        assert [t for _, t in pairs] == render_reasons(r, 0, lang)
        assert {k for k, _ in pairs} <= set(REASON_KINDS)
        sensitive = {"priority", "place", "pay", "housing"}
        for kind, text in pairs:
            if "如东县" in text or "贫困户" in text or "poor household" in text:
                assert kind in sensitive, (kind, text)
            if "4000" in text:
                assert kind == "pay", (kind, text)
    assert [k for k, _ in explain(r, 0, "zh")] == [k for k, _ in explain(r, 0, "en")]
    assert {"priority", "place", "skill", "start", "quality"} <= {k for k, _ in explain(r, 0)}


def test_runner_ups_are_other_eligible_openings_best_first() -> None:
    ws = [W(id=1)]
    os_ = [Op(id=i, reputation=10 * i) for i in range(1, 6)]
    r = solve(workers_of(ws), openings_of(os_), VOCAB, today=TODAY)
    assert int(r.opening_id[0]) == 5
    assert r.runner_up.tolist() == [[4, 3, 2]]


def test_quality_has_no_sensitive_input_and_ignores_birth_day() -> None:
    params = set(inspect.signature(quality_parts).parameters)
    tokens = {t for p in params for t in p.split("_")}
    for word in ("birth", "age", "sex", "gender", "marital", "children", "child", "day"):
        assert word not in tokens, params
    w, o, v, ex = generate(2000, 200, seed=3, today=20_000)
    adult = dict((name, getattr(w, name)) for name in Workers.__dataclass_fields__)
    a = solve(Workers(**{**adult, "birth_day": np.full(len(w), 20_000 - 40 * 365, np.int32)}),
              o, v, ex, today=20_000)  # fmt: skip
    b = solve(Workers(**{**adult, "birth_day": np.full(len(w), 20_000 - 25 * 365, np.int32)}),
              o, v, ex, today=20_000)  # fmt: skip
    np.testing.assert_array_equal(a.worker_id, b.worker_id)
    np.testing.assert_array_equal(a.score, b.score)


def test_audit_rows_and_counterfactual() -> None:
    w, o, v, ex = generate(3000, 300, seed=5, today=20_000)
    r = solve(w, o, v, ex, today=20_000)
    assert set(r.audit) == {g.code for g in v.groups} | {"priority_tier", "all"}
    tier = r.audit["priority_tier"]
    assert tier["proposed"] >= tier["counterfactual_proposed"]
    assert r.audit["all"]["proposed"] == r.stats["proposals"]
    assert r.audit["all"]["counterfactual_proposed"] == r.stats["proposals"]  # tier 2 unchanged
    plain = solve(w, o, v, ex, today=20_000, priority_tier=False, audit=False)
    assert plain.stats["proposals"] == r.stats["proposals"]
    assert plain.stats["quality_total"] >= r.stats["quality_total"]
    assert plain.audit == {}


def test_greedy_obeys_capacity_and_one_per_worker() -> None:
    w, o, v, ex = generate(2000, 200, seed=2, today=20_000)
    g = greedy(w, o, v, ex, today=20_000)
    assert len(set(g.worker_id.tolist())) == len(g)
    cap = dict(zip(o.id.tolist(), o.capacity.tolist(), strict=True))
    ids, counts = np.unique(g.opening_id, return_counts=True)
    assert all(c <= cap[i] for i, c in zip(ids.tolist(), counts.tolist(), strict=True))
    e = solve(w, o, v, ex, today=20_000)
    assert (e.stats["priority_proposals"], e.stats["proposals"]) >= (
        g.stats["priority_proposals"],
        g.stats["proposals"],
    )


def test_prefer_earlier_swaps_along_a_chain() -> None:
    """Equal-score swaps repeat: a displaced worker may in turn displace a later one."""
    # Workers 0..3 (registration order); openings 0 and 1, one place each, all scores equal.
    # Start from {2 at O0, 3 at O1}: 0 takes O0 from 2, then 1 takes O1 from 3.
    wi = np.array([0, 0, 1, 2, 2, 3], dtype=np.int64)
    oj = np.array([0, 1, 1, 0, 1, 1], dtype=np.int64)
    g = FlowInput(
        n=4,
        m=2,
        wi=wi,
        oj=oj,
        quality=np.full(6, 40, dtype=np.int16),
        prio=np.zeros(4, dtype=np.bool_),
        capacity=np.array([1, 1], dtype=np.int64),
        q_max=82,
    )
    chosen, swaps = prefer_earlier(g, np.array([3, 5], dtype=np.int64), priority_tier=True)
    assert sorted(zip(wi[chosen].tolist(), oj[chosen].tolist(), strict=True)) == [(0, 0), (1, 1)]
    assert swaps == 2
    # A different score or a different tier class blocks the swap.
    g2 = FlowInput(**{**{f: getattr(g, f) for f in FlowInput.__dataclass_fields__},
                      "prio": np.array([True, True, False, False])})  # fmt: skip
    kept, swaps = prefer_earlier(g2, np.array([3, 5], dtype=np.int64), priority_tier=True)
    assert kept.tolist() == [3, 5] and swaps == 0


def _two_markets() -> tuple[FlowInput, int]:
    """Two disjoint copies of one market, so there are several components to spread."""
    w, o, v, ex = generate(3000, 300, seed=11, today=20_000)
    p = prepare(w, o, v, today=20_000, recent_days=365)
    wi, oj = eligible_pairs(p, ex)
    q = pair_quality(p, wi, oj)
    g = FlowInput(
        n=2 * p.n,
        m=2 * p.m,
        wi=np.concatenate([wi, wi + p.n]),
        oj=np.concatenate([oj, oj + p.m]),
        quality=np.concatenate([q, q]),
        prio=np.concatenate([p.prio, p.prio]),
        capacity=np.concatenate([p.capacity, p.capacity]),
        q_max=82,
    )
    return g, int(wi.size)


def test_parallel_flows_give_the_same_proposals(monkeypatch: pytest.MonkeyPatch) -> None:
    """Batches solved in helper processes give exactly what one process gives."""
    g, k = _two_markets()
    monkeypatch.setattr(solve_mod, "PARALLEL_MIN_ARCS", 0)
    monkeypatch.setattr(solve_mod, "BATCH_ARCS", 1)
    one, info1, _ = solve_mod.assign(g, priority_tier=True)
    with processes.batch_helpers(2) as helpers:
        two, info2, _ = solve_mod.assign(g, priority_tier=True, map_batches=helpers)
    assert info1["batches"] == info2["batches"] >= 2
    np.testing.assert_array_equal(one, two)
    half = one[one < k]
    np.testing.assert_array_equal(one[one >= k] - k, half)  # copies agree
    # A helper that cannot start, or dies, leaves its share to the caller: same answer.
    spawn = multiprocessing.get_context("spawn")
    for broken in ("/nonexistent/python", "/bin/false"):
        spawn.set_executable(broken)
        try:
            with processes.batch_helpers(2) as helpers:
                again, _, _ = solve_mod.assign(g, priority_tier=True, map_batches=helpers)
        finally:
            spawn.set_executable(sys.executable)
        np.testing.assert_array_equal(one, again)


def test_a_custom_mapper_sees_every_batch_and_changes_nothing(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The engine hands its batches to the caller's mapper; the result is the default's."""
    g, _ = _two_markets()
    monkeypatch.setattr(solve_mod, "PARALLEL_MIN_ARCS", 0)
    monkeypatch.setattr(solve_mod, "BATCH_ARCS", 1)
    seen: list[int] = []

    def counting(fn: Callable[[Any], Any], items: Sequence[Any], /) -> list[Any]:
        seen.extend(item.size for item in items)
        return [fn(item) for item in reversed(items)][::-1]  # any order of work will do

    default, info, _ = solve_mod.assign(g, priority_tier=True)
    mapped, info_mapped, _ = solve_mod.assign(g, priority_tier=True, map_batches=counting)
    assert len(seen) == info["batches"] == info_mapped["batches"] >= 2
    assert sum(seen) == g.wi.size and seen == sorted(seen, reverse=True)  # largest first
    np.testing.assert_array_equal(default, mapped)

    # Through the public entry point too, for the run and for the audit's counterfactual.
    w, o, v, ex = generate(3000, 2500, seed=11, today=20_000)  # two labour markets
    seen.clear()
    r0 = solve(w, o, v, ex, today=20_000)
    r1 = solve(w, o, v, ex, today=20_000, map_batches=counting)
    assert len(seen) == 2 * r1.stats["batches"] >= 4
    np.testing.assert_array_equal(r0.worker_id, r1.worker_id)
    np.testing.assert_array_equal(r0.opening_id, r1.opening_id)
    assert r0.stats == r1.stats and r0.audit == r1.audit


def test_small_instances_never_reach_the_mapper(monkeypatch: pytest.MonkeyPatch) -> None:
    """Below PARALLEL_MIN_ARCS the batches are solved in place: no process is worth it."""
    monkeypatch.setattr(solve_mod, "BATCH_ARCS", 1)  # many batches, but little work in all

    def refuse(fn: Callable[[Any], Any], items: Sequence[Any], /) -> list[Any]:
        raise AssertionError("mapper called for a small instance")

    w, o, v, ex = generate(3000, 2500, seed=11, today=20_000)  # two labour markets
    r = solve(w, o, v, ex, today=20_000, map_batches=refuse)
    assert r.stats["batches"] >= 2 and r.stats["proposals"] > 0


def test_places_beyond_the_old_blocking_limit() -> None:
    """Place keys are 64-bit: an instance with more places than the old packed key allowed
    (places x workers once had to fit beside the block and in-block key in 63 bits, which
    refused a province's ~20,000 counties and cities at 10M workers) is matched as usual."""
    n_counties, n = 900_000, 900_000
    vocab = Vocab(
        skills=VOCAB.skills,
        groups=VOCAB.groups,
        priority_groups=VOCAB.priority_groups,
        cities=("上海", "昆山", "苏州"),
        counties=tuple(f"县{i}" for i in range(n_counties)),
    )
    places = n_counties + len(vocab.cities)
    assert (places + 1) * (len(vocab.skills) + 1) * (1 << 22) * n >= 2**63  # the old refusal
    far = n_counties - 1  # counties past any 32-bit product with the worker index
    home = np.arange(n, dtype=np.int32) % n_counties
    w = Workers(
        id=np.arange(1, n + 1, dtype=np.int64),
        registered_at=np.arange(n, dtype=np.int64),
        birth_day=np.full(n, TODAY - 30 * 365, dtype=np.int32),
        available_day=np.full(n, NO_DAY, dtype=np.int32),
        home_county=home,
        relocate=np.zeros(n, dtype=np.bool_),
        pref_ptr=np.zeros(n + 1, dtype=np.int64),
        pref_city=np.zeros(0, dtype=np.int32),
        min_wage=np.zeros(n, dtype=np.int32),
        needs_housing=np.zeros(n, dtype=np.bool_),
        skill=np.zeros((n, len(vocab.skills)), dtype=np.int8),
        trained_day=np.full((n, len(vocab.skills)), NO_DAY, dtype=np.int32),
        groups=np.zeros(n, dtype=np.int32),
    )
    o = openings_of([Op(id=1, county=far, capacity=1), Op(id=2, county=12_345, capacity=1)])
    r = solve(w, o, vocab, today=TODAY)
    # Each opening's one eligible worker is the one woman of its county (home = index).
    assert r.stats["eligible_pairs"] == 2
    assert sorted(zip(r.opening_id.tolist(), r.worker_id.tolist(), strict=True)) == [
        (1, far + 1),
        (2, 12_345 + 1),
    ]
    first = int(np.flatnonzero(r.opening_id == 1)[0])
    assert any("县899999" in s for s in render_reasons(r, first))
