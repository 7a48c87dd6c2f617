"""Match quality (匹配质量分): a bounded integer score per eligible pair.

The score reads only job-relevant facts: skills, pay, place, the employer's standing and recent
training. It has no sex, age, marital or children input by construction.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from ._eligibility import NIBBLES, Prepared, preferred_city

I64 = NDArray[np.int64]
I32 = NDArray[np.int32]
U64 = NDArray[np.uint64]
Bool = NDArray[np.bool_]

# Points per part; the sum of the caps is Q_MAX. Changing these changes docs/matching.md too.
SKILL_PER_LEVEL = 4  # per level above the minimum, per required skill
SKILL_LEVELS_COUNTED = 2  # at most two levels above the minimum count per skill
SKILL_CAP = 16
PAY_STEP = 500  # yuan per step above her minimum
PAY_PER_STEP = 4
PAY_CAP = 20
PAY_BASE = 3000  # yuan; the base when she gave no minimum wage
CITY_POINTS = 10
REPUTATION_CAP = 10  # reputation 0..100 // 10
PROTECTION_CAP = 10  # labour protection 0..100 // 10
PARTNER_POINTS = 8
TRAINING_POINTS = 8
Q_MAX = (
    SKILL_CAP
    + PAY_CAP
    + CITY_POINTS
    + REPUTATION_CAP
    + PROTECTION_CAP
    + PARTNER_POINTS
    + TRAINING_POINTS
)
PART_NAMES = ("skill", "pay", "city", "reputation", "protection", "partner", "training")

_LOW3 = np.uint64(0x7777_7777_7777_7777)
_GUARD = np.uint64(0x8888_8888_8888_8888)
_ONES = np.uint64(0x1111_1111_1111_1111)
_BYTE_LO = np.uint64(0x0F0F_0F0F_0F0F_0F0F)
_BYTE_SUM = np.uint64(0x0101_0101_0101_0101)
_CHUNK = 4_000_000


def required_nibbles(o_words: U64) -> U64:
    """0x7 in every nibble whose skill the opening requires (minimum level > 0)."""
    nz = (o_words | (o_words >> np.uint64(1)) | (o_words >> np.uint64(2))) & _ONES
    return np.asarray(nz * np.uint64(7), dtype=np.uint64)


def capped_excess(w_words: U64, o_words: U64) -> I32:
    """Sum over required skills of min(level - minimum, 2), nibble-parallel (eligible pairs)."""
    total = np.zeros(w_words.shape[0], dtype=np.int32)
    for k in range(w_words.shape[1]):
        w, o = w_words[:, k], o_words[:, k]
        e = ((w | _GUARD) - o) & required_nibbles(o)  # level - minimum where required
        two = ((e >> np.uint64(1)) | (e >> np.uint64(2))) & _ONES  # nibble has e >= 2
        c = (two << np.uint64(1)) | (e & _ONES & ~two)  # min(e, 2)
        b = (c & _BYTE_LO) + ((c >> np.uint64(4)) & _BYTE_LO)
        total += ((b * _BYTE_SUM) >> np.uint64(56)).astype(np.int32)
    return total


def quality_parts(
    *,
    w_words: U64,
    o_words: U64,
    min_wage: I32,
    wage_max: I32,
    preferred_city: Bool,
    trained_recent: I64,
    req_mask: I64,
    reputation: NDArray[np.int8],
    protection: NDArray[np.int8],
    partner: Bool,
) -> dict[str, I32]:
    """Score parts for eligible pairs, one array per name in PART_NAMES.

    Every input is per pair. Deliberately absent: birth date, sex, marital status, children.
    """
    skill = np.minimum(capped_excess(w_words, o_words) * SKILL_PER_LEVEL, SKILL_CAP)
    base = np.where(min_wage > 0, min_wage, PAY_BASE).astype(np.int64)
    steps = (wage_max.astype(np.int64) - base) // PAY_STEP
    pay = np.clip(steps * PAY_PER_STEP, 0, PAY_CAP)
    return {
        "skill": skill.astype(np.int32),
        "pay": pay.astype(np.int32),
        "city": np.where(preferred_city, CITY_POINTS, 0).astype(np.int32),
        "reputation": np.clip(reputation.astype(np.int32), 0, 100) // 10,
        "protection": np.clip(protection.astype(np.int32), 0, 100) // 10,
        "partner": np.where(partner, PARTNER_POINTS, 0).astype(np.int32),
        "training": np.where((trained_recent & req_mask) != 0, TRAINING_POINTS, 0).astype(np.int32),
    }


def pair_parts(p: Prepared, wi: I64, oj: I64) -> dict[str, I32]:
    """Score parts for the given pairs (gathers the per-pair inputs from ``p``)."""
    return quality_parts(
        w_words=p.w_words[wi],
        o_words=p.o_words[oj],
        min_wage=p.min_wage[wi],
        wage_max=p.wage_max[oj],
        preferred_city=preferred_city(p, wi, oj),
        trained_recent=p.recent_mask[wi],
        req_mask=p.req_mask[oj],
        reputation=p.reputation[oj],
        protection=p.protection[oj],
        partner=p.partner[oj],
    )


def pair_quality(p: Prepared, wi: I64, oj: I64) -> NDArray[np.int16]:
    """Total quality per pair, computed in chunks to bound memory."""
    out = np.empty(wi.size, dtype=np.int16)
    for a in range(0, wi.size, _CHUNK):
        parts = pair_parts(p, wi[a : a + _CHUNK], oj[a : a + _CHUNK])
        total = np.zeros(min(_CHUNK, wi.size - a), dtype=np.int32)
        for name in PART_NAMES:
            total += parts[name]
        out[a : a + _CHUNK] = total
    return out


assert NIBBLES == 16
