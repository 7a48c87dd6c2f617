"""The objective's tiers on instances built so that the tiers pull apart: a single example
for each, where the wrong order gives a different answer (random instances rarely do)."""

from __future__ import annotations

from matching.engine import Exclusions, solve
from tests.unit.engine.conftest import TODAY, VOCAB, Op, W, openings_of, quality, workers_of


def test_more_workers_beat_a_better_total_quality() -> None:
    """Two workers and two one-slot openings. The best single pair (B at the good opening)
    scores more than both possible pairs together (A at the good opening, B at the plain
    one); the most workers come first, so both are proposed."""
    a = W(id=1, skill=(1, 0), min_wage=6500)  # fits the good opening only, barely
    b = W(id=2, skill=(3, 1), prefs=(0,))  # fits both, and the good one very well
    good = Op(id=10, skill_min=(1, 0), wage_max=7000, reputation=100, protection=100, partner=True)
    plain = Op(id=20, employer_id=2, skill_min=(0, 1), wage_max=3000, reputation=0, protection=0)
    assert quality(b, good) > quality(a, good) + quality(b, plain)  # the tiers do pull apart
    r = solve(workers_of([a, b]), openings_of([good, plain]), VOCAB, Exclusions(), today=TODAY)
    assert dict(zip(r.worker_id.tolist(), r.opening_id.tolist(), strict=True)) == {1: 10, 2: 20}
