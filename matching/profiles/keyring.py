"""Her ID number under the key ring: which key holds each row, and moving rows under the
current key (``laowu keys status`` and ``laowu keys rotate``, which own the transactions)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncSession

from matching.lib.keys import KeyMissing, Keys
from matching.profiles import repository as repo

MISSING = "missing"
"""The status's name for rows under a key that is not in the ring."""


async def key_counts(session: AsyncSession, keys: Keys, *, batch: int = 1000) -> dict[str, int]:
    """How many stored ID numbers each key of the ring holds (every key named, zero or not),
    and under ``MISSING`` those no key of the ring opens."""
    counts: Counter[str] = Counter({k.id: 0 for k in keys.ring})
    after = 0
    while rows := await repo.id_numbers_after(session, after, batch):
        for _, enc in rows:
            counts[keys.key_of(enc) or MISSING] += 1
        after = rows[-1][0]
    return dict(counts)


@dataclass(slots=True)
class RotationBatch:
    last_id: int | None  # None: nothing was left after the cursor
    rotated: int = 0
    missing: list[int] = field(default_factory=list)  # workers whose key is not in the ring


async def rotate_batch(
    session: AsyncSession, keys: Keys, after_id: int, size: int, *, dry_run: bool = False
) -> RotationBatch:
    """Re-encrypt and re-hash, under the current key, the next ``size`` ID numbers after
    ``after_id`` that are not under it yet. Flushes, never commits: the caller commits each
    batch, so a rotation stopped half way keeps what it did and a new one goes on from there
    (rows already under the current key are not selected again)."""
    rows = await repo.id_numbers_after(session, after_id, size, not_prefixed=f"{keys.current_id}:")
    if not rows:
        return RotationBatch(last_id=None)
    out = RotationBatch(last_id=rows[-1][0])
    for worker_id, enc in rows:
        try:
            value = keys.decrypt(enc)
        except KeyMissing:
            out.missing.append(worker_id)
            continue
        if dry_run:
            out.rotated += 1
            continue
        if await repo.replace_id_number(
            session, worker_id, enc, keys.encrypt(value), keys.lookup_hash(value)
        ):
            out.rotated += 1
    await session.flush()
    return out
