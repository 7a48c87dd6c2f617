"""Benchmark the matching engine on synthetic instances and print JSON (stdout).

Each size runs in a fresh subprocess so peak memory (getrusage ru_maxrss, the whole process,
generator included) does not mix between sizes. Large instances' flows are solved in helper
processes (``matching.matches.processes.batch_helpers``, as a match run does); the sampled peak
of the whole tree is reported beside. ``--processes 1`` measures one process.
Progress goes to stderr.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.proc import TreePeak  # noqa: E402

SIZES = {
    "S": (10_000, 1_000),
    "M": (100_000, 10_000),
    "L": (1_000_000, 50_000),
    "XL": (3_000_000, 150_000),
}
TODAY = 20_000  # 2024-10-04, fixed so runs compare
# The greedy baseline is a Python loop over the pairs, not the engine: above L it is skipped.
GREEDY_MAX_WORKERS = 1_000_000


def _tiers(stats: dict[str, int]) -> dict[str, int]:
    return {k: stats[k] for k in ("priority_proposals", "proposals", "quality_total")}


def _cpu_s() -> float:
    """CPU seconds (user + sys) of this process and of its helpers that have ended."""
    me = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


def _load() -> float:
    return os.getloadavg()[0]


def run_size(
    name: str, processes: int | None, flexible: float = 0.0, joint: bool = False
) -> dict[str, Any]:
    """Measure one size in this process (``joint``: also solve with flexible workers joined,
    the reference the flexible workers' separate handling is checked against)."""
    from matching.engine import greedy, solve
    from matching.matches import processes as pools
    from seeds.synthetic import generate

    if processes is not None:
        pools.PROCESSES = processes

    n, m = SIZES[name]
    t = time.perf_counter()
    w, o, v, ex = generate(n, m, seed=0, today=TODAY, flexible=flexible)
    gen = time.perf_counter() - t
    print(f"[{name}] generated {n}x{m} in {gen:.1f}s; solving", file=sys.stderr, flush=True)
    load_before, cpu0, wall0 = _load(), _cpu_s(), time.perf_counter()
    sampler = TreePeak(os.getpid())
    with pools.batch_helpers() as helpers:
        r = solve(w, o, v, ex, today=TODAY, audit=True, map_batches=helpers)
    tree_rss = sampler.stop()
    solve_wall, solve_cpu = time.perf_counter() - wall0, _cpu_s() - cpu0
    tm = r.timings
    stages = {
        k.removeprefix("solve_"): round(x, 2) for k, x in tm.items() if k.startswith("solve_")
    }
    main_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    engine = tm["eligibility"] + tm["scoring"] + tm["solve"]
    pairs = r.stats["eligible_pairs"]
    flex = {}
    if joint:
        print(f"[{name}] engine {engine:.1f}s; joint solve", file=sys.stderr, flush=True)
        j = solve(w, o, v, ex, today=TODAY, audit=True, flexible_apart=False)
        flex = {
            "joint": _tiers(j.stats),
            "joint_counterfactual": j.audit["all"]["counterfactual_proposed"],
            "joint_engine_s": round(
                j.timings["eligibility"] + j.timings["scoring"] + j.timings["solve"], 2
            ),
            "joint_components": j.stats["components"],
            "same_tiers_as_joint": _tiers(j.stats) == _tiers(r.stats)
            and j.audit["all"]["counterfactual_proposed"]
            == r.audit["all"]["counterfactual_proposed"],
        }
    out: dict[str, Any] = {
        "workers": n,
        "openings": m,
        "flexible_share": flexible,
        "flexible_workers": r.stats.get("flexible_workers", 0),
        "load_average_1min": [round(load_before, 2), round(_load(), 2)],
        "solve_call_wall_s": round(solve_wall, 2),
        "solve_call_cpu_s": round(solve_cpu, 2),
        "us_per_pair": round(engine / max(pairs, 1) * 1e6, 3),
        "cpu_us_per_pair": round(solve_cpu / max(pairs, 1) * 1e6, 3),
        "generate_s": round(gen, 2),
        "eligible_pairs": r.stats["eligible_pairs"],
        "components": r.stats["components"],
        "batches": r.stats["batches"],
        "staged_batches": r.stats["staged_batches"],
        "tie_swaps": r.stats["tie_swaps"],
        "processes": pools.PROCESSES,
        "timings_s": {k: round(x, 2) for k, x in tm.items() if not k.startswith("solve_")},
        "solve_stage_work_s": stages,
        "engine_s": round(engine, 2),
        "engine_with_audit_s": round(engine + tm["audit"], 2),
        "peak_rss_mib": round(main_rss, 1),
        "peak_tree_rss_mib": round(max(tree_rss, main_rss), 1),
        "peak_rss_method": "getrusage(RUSAGE_SELF).ru_maxrss of a fresh subprocess; tree: "
        "sampled VmRSS of it plus its helper processes",
        "engine": _tiers(r.stats),
        "audit_priority_tier": r.audit["priority_tier"],
        **flex,
    }
    # The engine's figures first (stderr), in case the baseline is stopped.
    print(f"[{name}] {json.dumps(out)}", file=sys.stderr, flush=True)
    if n <= GREEDY_MAX_WORKERS:
        print(f"[{name}] engine {engine:.1f}s; greedy baseline", file=sys.stderr, flush=True)
        g = greedy(w, o, v, ex, today=TODAY, audit=False)
        out.update(greedy=_tiers(g.stats), greedy_solve_s=round(g.timings["solve"], 2))
    return out


def tight() -> dict[str, Any]:
    from matching.engine import greedy, solve
    from seeds.synthetic import tight_instance

    w, o, v, ex = tight_instance()
    return {
        "engine": _tiers(solve(w, o, v, ex, today=TODAY).stats),
        "greedy": _tiers(greedy(w, o, v, ex, today=TODAY).stats),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--sizes", default="S,M", help="comma-separated of S, M, L, XL")
    ap.add_argument(
        "--flexible", type=float, default=0.0, help="share of workers relocating anywhere"
    )
    ap.add_argument(
        "--joint",
        action="store_true",
        help="also solve with the flexible workers joined into one flow, and compare tiers",
    )
    ap.add_argument("--processes", type=int, help="flows solved side by side (default: cores, ≤4)")
    ap.add_argument("--one", help=argparse.SUPPRESS)  # internal: measure one size, print JSON
    args = ap.parse_args()
    if args.one:
        print(json.dumps(run_size(args.one, args.processes, args.flexible, args.joint)))
        return
    out: dict[str, Any] = {"tight_instance": tight(), "sizes": {}}
    for name in [s.strip() for s in args.sizes.split(",") if s.strip()]:
        if name not in SIZES:
            raise SystemExit(f"unknown size {name}")
        proc = subprocess.run(
            [sys.executable, __file__, "--one", name, "--flexible", str(args.flexible)]
            + (["--joint"] if args.joint else [])
            + ([] if args.processes is None else ["--processes", str(args.processes)]),
            stdout=subprocess.PIPE,
            check=True,
            env={**os.environ, "PYTHONHASHSEED": "0"},
        )
        out["sizes"][name] = json.loads(proc.stdout)
    print(json.dumps(out, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
