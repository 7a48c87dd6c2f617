"""Solve a snapshot, and put every proposal's reasons into words.

Both run in the solve pool's process (OR-Tools holds the GIL while it solves, which would
stall the API's event loop), so they take and return plain picklable data and touch no
database. They are two calls: the runner asks for the words while it writes the offers,
which need none, so wording and writing overlap.
"""

from __future__ import annotations

import resource
import time
from dataclasses import dataclass, field
from typing import Any

from matching.engine import MatchResult, explain_all, in_share, markets, render_unproposed, solve
from matching.matches import processes
from matching.matches.partitions import WHOLE, Partition
from matching.matches.snapshot import Snapshot, restrict


@dataclass(slots=True)
class ProposalRow:
    worker_id: int
    opening_id: int
    score: int
    priority: bool
    parts: dict[str, int]
    runners_up: list[int]
    reasons: list[dict[str, str]] = field(default_factory=list)  # from ``word``, later


@dataclass(slots=True)
class Outcome:
    proposals: list[ProposalRow]
    unproposed: list[tuple[int, int, str, str]]  # worker id, reason code, zh, en
    stats: dict[str, int]
    audit: dict[str, Any]
    timings: dict[str, float] = field(default_factory=dict)
    result: MatchResult | None = None  # the engine's, for ``word``


Reasons = list[list[dict[str, str]]]
"""Each proposal's reasons, in the outcome's order: ``{"kind", "zh", "en"}`` per sentence."""


def cpu_seconds() -> float:
    """CPU (user + system) of this process and of the children it has waited for (the batch
    helpers, once their block ends): beside a phase's wall time, the steadier figure on a
    shared machine."""
    me = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + children.ru_utime + children.ru_stime


def word(result: MatchResult) -> tuple[Reasons, float]:
    """Every proposal's reasons in both languages, and the seconds that took. Each sentence
    keeps its kind (engine.REASON_KINDS), so a reader may be shown only some."""
    started = time.perf_counter()
    reasons = explain_all(result)
    return reasons, time.perf_counter() - started


WARM_HELPERS_AT = 50_000
"""Workers from which a snapshot's flows nearly always pass the engine's PARALLEL_MIN_ARCS
(bench M, 100k workers, has 4.6M pairs; S, 10k, 0.46M): the helpers are then started before
the engine begins, so that they are ready when it hands its flows over."""


def cut_to_share(snap: Snapshot, partition: Partition) -> Snapshot:
    """The snapshot cut to the partition's share of the markets (the connected components of
    the whole pool's eligibility graph, ``engine.markets``); the whole snapshot when whole."""
    if partition.whole:
        return snap
    found = markets(snap.workers, snap.openings, snap.vocab, snap.exclusions, today=snap.today)
    keep_workers, keep_openings = in_share(found, partition.share - 1, partition.shares)
    return restrict(snap, keep_workers, keep_openings)


def solve_snapshot(snap: Snapshot, *, audit: bool = True, partition: Partition = WHOLE) -> Outcome:
    """The proposals (their reasons not yet worded: ``word``), who was left out and why, over
    the partition's share of the snapshot's markets (all of them by default)."""
    started = time.perf_counter()
    pool = {"pool_workers": len(snap.workers), "pool_openings": len(snap.openings)}
    snap = cut_to_share(snap, partition)
    cut = time.perf_counter() - started
    cpu = cpu_seconds()
    with processes.batch_helpers() as helpers:  # a large snapshot's flows side by side
        if len(snap.workers) >= WARM_HELPERS_AT:
            helpers.warm()
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
    parts = list(zip(*(result.parts[name].tolist() for name in result.parts), strict=True))
    proposals = [
        ProposalRow(
            worker_id=w,
            opening_id=o,
            score=score,
            priority=priority,
            parts=dict(zip(result.parts, pts, strict=True)),
            runners_up=[x for x in runners_up if x >= 0],
        )
        for w, o, score, priority, pts, runners_up in zip(
            result.worker_id.tolist(),
            result.opening_id.tolist(),
            result.score.tolist(),
            result.priority.tolist(),
            parts,
            result.runner_up.tolist(),
            strict=True,
        )
    ]
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
    if not partition.whole:
        timings["partition"] = cut
    timings["solve_cpu"] = cpu_seconds() - cpu  # the solve pool's process and its helpers
    stats = {k: int(v) for k, v in result.stats.items()}
    stats.update(pool, markets=stats.get("components", 0))
    return Outcome(
        proposals=proposals,
        unproposed=unproposed,
        stats=stats,
        # The audit names the priority policy the run read, stored with it.
        audit={**_plain(result.audit), "priority_groups": _first(snap)},
        timings=timings,
        result=result,
    )


def _first(snap: Snapshot) -> list[str]:
    """The groups the run placed first, in the reference list's order."""
    return [g.code for g in snap.vocab.groups if g.code in snap.vocab.priority_groups]


def _plain(value: Any) -> Any:
    """NumPy scalars to Python ones, so the audit stores as JSON."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if hasattr(value, "item"):
        return value.item()
    return value
