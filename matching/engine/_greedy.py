"""Baseline assigner: best quality first, first come first served. For benchmarks and tests."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from ._solve import FlowInput

I64 = NDArray[np.int64]


def greedy_assign(
    g: FlowInput, *, priority_tier: bool
) -> tuple[I64, dict[str, int], dict[str, float]]:
    """Take pairs by quality (ties: earlier-registered worker, lower opening id) while free.

    ``priority_tier`` is accepted for a uniform signature and ignored: the baseline knows no
    tiers, which is the point of comparing against it.
    """
    del priority_tier
    k = g.wi.size
    if k == 0:
        return np.zeros(0, dtype=np.int64), {"components": 0, "batches": 0, "staged_batches": 0}, {}
    # Pairs are sorted by (worker, opening), so the pair index encodes both tie-breaks.
    keys = np.sort((g.q_max - g.quality.astype(np.int64)) * k + np.arange(k, dtype=np.int64))
    order = (keys % k).tolist()
    wi = g.wi.tolist()
    oj = g.oj.tolist()
    left = g.capacity.astype(np.int64).tolist()
    free = [True] * g.n
    chosen: list[int] = []
    for e in order:
        w = wi[e]
        if free[w]:
            o = oj[e]
            if left[o] > 0:
                left[o] -= 1
                free[w] = False
                chosen.append(e)
    out = np.sort(np.asarray(chosen, dtype=np.int64))
    return out, {"components": 0, "batches": 1, "staged_batches": 0}, {}
