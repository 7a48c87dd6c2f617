"""Markets (劳动力市场) and the shares a partitioned run splits them into.

A market is a connected component of the eligibility graph: a worker eligible in two places
joins them into one. Markets never share a worker or an opening, so solving them apart gives
the joint optimum, tier by tier. Each market is keyed by the smallest worker id in it (an
opening no one is eligible for by ``-1 - id``), and ``share_of`` maps a key to a share by a
fixed 64-bit mix: every process that reads the same pool computes the same shares without
talking to the others. ``share_of`` takes any market keys, so a finer decomposition (markets
apart from flexible workers) can hand in its own.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np
from numpy.typing import NDArray

from ._eligibility import eligible_pairs, prepare
from ._solve import components
from ._types import Exclusions, Openings, Vocab, Workers

I64 = NDArray[np.int64]
Bool = NDArray[np.bool_]


@dataclass(frozen=True, slots=True)
class Markets:
    """The market of every worker and opening, in the order they were given."""

    worker_key: I64  # the smallest worker id in her market (her own id when she has no pair)
    opening_key: I64  # its market's key; ``-1 - id`` for an opening no one is eligible for
    pairs: int  # eligible pairs in all

    @property
    def count(self) -> int:
        """Markets with an eligible pair (what ``solve``'s stats count as components)."""
        return int(np.unique(self.opening_key[self.opening_key >= 0]).size)


def markets(
    workers: Workers,
    openings: Openings,
    vocab: Vocab,
    exclusions: Exclusions | None = None,
    *,
    today: int,
) -> Markets:
    """The connected components of the eligibility graph, by the same rules ``solve`` applies
    (``today`` dates no rule of eligibility; it is taken for the same preparation)."""
    p = prepare(workers, openings, vocab, today=today, recent_days=365)
    wi, oj = eligible_pairs(p, exclusions)
    label = components(p.n, p.m, wi, oj)  # canonical index of her component's first worker
    smallest = np.full(p.n, np.iinfo(np.int64).max, dtype=np.int64)
    np.minimum.at(smallest, label, p.w_id)
    w_key = smallest[label]
    o_key = -1 - p.o_id
    o_key[oj] = w_key[wi]  # every pair of an opening lies in one component
    worker_key = np.empty(p.n, dtype=np.int64)
    worker_key[p.w_perm] = w_key
    opening_key = np.empty(p.m, dtype=np.int64)
    opening_key[p.o_perm] = o_key
    return Markets(worker_key, opening_key, int(wi.size))


_GOLDEN = np.uint64(0x9E37_79B9_7F4A_7C15)
_MIX1 = np.uint64(0xBF58_476D_1CE4_E5B9)
_MIX2 = np.uint64(0x94D0_49BB_1331_11EB)


def share_of(keys: I64, shares: int) -> I64:
    """The share (0 .. shares - 1) of each market key: splitmix64 of the key, modulo
    ``shares``. Fixed arithmetic, no per-process seed: every pod agrees."""
    if shares < 1:
        raise ValueError("shares must be at least 1")
    with np.errstate(over="ignore"):
        z = np.asarray(keys, dtype=np.int64).astype(np.uint64) + _GOLDEN
        z = (z ^ (z >> np.uint64(30))) * _MIX1
        z = (z ^ (z >> np.uint64(27))) * _MIX2
        z ^= z >> np.uint64(31)
    return (z % np.uint64(shares)).astype(np.int64)


def in_share(found: Markets, share: int, shares: int) -> tuple[Bool, Bool]:
    """Which workers and which openings lie in share ``share`` (0-based) of ``shares``."""
    if not 0 <= share < shares:
        raise ValueError("share must lie in 0 .. shares - 1")
    return (
        share_of(found.worker_key, shares) == share,
        share_of(found.opening_key, shares) == share,
    )


def select_workers(workers: Workers, keep: Bool) -> Workers:
    """The workers where ``keep`` holds, in their order (their preferred cities with them)."""
    idx = np.flatnonzero(keep)
    counts = np.diff(workers.pref_ptr)[idx]
    ptr = np.zeros(idx.size + 1, dtype=np.int64)
    np.cumsum(counts, out=ptr[1:])
    starts = workers.pref_ptr[:-1][idx]
    offs = np.arange(int(ptr[-1]), dtype=np.int64) - np.repeat(ptr[:-1], counts)
    cities = workers.pref_city[np.repeat(starts, counts) + offs]
    rows = {
        f.name: getattr(workers, f.name)[idx]
        for f in fields(Workers)
        if f.name not in ("pref_ptr", "pref_city")
    }
    return Workers(pref_ptr=ptr, pref_city=cities, **rows)


def select_openings(openings: Openings, keep: Bool) -> Openings:
    """The openings where ``keep`` holds, in their order."""
    idx = np.flatnonzero(keep)
    return Openings(**{f.name: getattr(openings, f.name)[idx] for f in fields(Openings)})
