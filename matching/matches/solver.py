"""Solve a snapshot and put every proposal's reasons into words.

This runs in a separate process (OR-Tools holds the GIL while it solves, which would stall the
API's event loop), so it takes and returns plain picklable data and touches no database.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from matching.engine import explain, render_unproposed, solve
from matching.matches import processes
from matching.matches.snapshot import Snapshot


@dataclass(slots=True)
class ProposalRow:
    worker_id: int
    opening_id: int
    score: int
    priority: bool
    parts: dict[str, int]
    reasons: list[dict[str, str]]
    runners_up: list[int]


@dataclass(slots=True)
class Outcome:
    proposals: list[ProposalRow]
    unproposed: list[tuple[int, int, str, str]]  # worker id, reason code, zh, en
    stats: dict[str, int]
    audit: dict[str, Any]
    timings: dict[str, float] = field(default_factory=dict)


def solve_snapshot(snap: Snapshot, *, audit: bool = True) -> Outcome:
    with processes.batch_helpers() as helpers:  # a large snapshot's flows side by side
        result = solve(
            snap.workers,
            snap.openings,
            snap.vocab,
            snap.exclusions,
            today=snap.today,
            audit=audit,
            map_batches=helpers,
        )
    started = time.perf_counter()
    proposals: list[ProposalRow] = []
    part_names = list(result.parts)
    for k in range(len(result)):
        zh, en = explain(result, k, "zh"), explain(result, k, "en")
        priority = bool(result.priority[k])
        # Each sentence keeps its kind (engine.REASON_KINDS), so a reader may be shown only some.
        reasons = [
            {"kind": kind, "zh": z, "en": e} for (kind, z), (_, e) in zip(zh, en, strict=True)
        ]
        proposals.append(
            ProposalRow(
                worker_id=int(result.worker_id[k]),
                opening_id=int(result.opening_id[k]),
                score=int(result.score[k]),
                priority=priority,
                parts={name: int(result.parts[name][k]) for name in part_names},
                reasons=reasons,
                runners_up=[int(x) for x in result.runner_up[k] if x >= 0],
            )
        )
    unproposed = [
        (
            int(result.unproposed_id[j]),
            int(result.unproposed_reason[j]),
            render_unproposed(result, j, "zh"),
            render_unproposed(result, j, "en"),
        )
        for j in range(len(result.unproposed_id))
    ]
    timings = dict(result.timings)
    timings["explain"] = timings.get("explain", 0.0) + time.perf_counter() - started
    return Outcome(
        proposals=proposals,
        unproposed=unproposed,
        stats={k: int(v) for k, v in result.stats.items()},
        audit=_plain(result.audit),
        timings=timings,
    )


def _plain(value: Any) -> Any:
    """NumPy scalars to Python ones, so the audit stores as JSON."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if hasattr(value, "item"):
        return value.item()
    return value
