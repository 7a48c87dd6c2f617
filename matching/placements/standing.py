"""Employer standing (信誉与劳保) moved by what happens after placement: scores that move with
evidence, by one documented formula, every change recorded with its cause.

The formula (docs/standing.md):
- a case closed as ``upheld`` (substantiated): reputation −8; labour protection −8 when the
  case is about pay, hours, safety, housing or harassment, else −4;
- ``partly_upheld``: half of that (−4, and −4 or −2);
- a placement that lasts to day 90: reputation +2, labour protection +1;
- scores stay within 0–100; each cause moves a score at most once (``cause_key``).

The admin's decisions on an employer (partner, suspension) are ``matching.openings.standing``.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy.ext.asyncio import AsyncSession

from matching.lib import clock
from matching.lib.errors import NotFound, msg
from matching.placements import repository as repo

PROTECTION_CASES = {"wage_arrears", "unpaid_overtime", "injury", "housing", "harassment"}
UPHELD_REPUTATION = -8
UPHELD_PROTECTION = (-8, -4)  # protection-related case, other case
DAY90_REPUTATION = 2
DAY90_PROTECTION = 1


def case_effect(case_type: str, outcome: str) -> tuple[int, int]:
    """(reputation delta, labour-protection delta) of a closed case."""
    if outcome not in ("upheld", "partly_upheld"):
        return 0, 0
    protection = UPHELD_PROTECTION[0] if case_type in PROTECTION_CASES else UPHELD_PROTECTION[1]
    if outcome == "upheld":
        return UPHELD_REPUTATION, protection
    return UPHELD_REPUTATION // 2, protection // 2


async def move(
    session: AsyncSession, employer_id: int, deltas: dict[str, int], cause: str, cause_key: str
) -> bool:
    """Apply score deltas once per cause; record each change. False when already applied."""
    if await repo.standing_cause_seen(session, cause_key):
        return False
    employer = await repo.lock_employer(session, employer_id)
    if employer is None:
        raise NotFound(msg("no employer with id {employer_id}"), employer_id=employer_id)
    values: dict[str, int] = {}
    rows = []
    for field, delta in deltas.items():
        if delta == 0:
            continue
        old = int(getattr(employer, field))
        new = max(0, min(100, old + delta))
        values[field] = new
        rows.append(
            {
                "employer_id": employer_id,
                "field": field,
                "old": old,
                "new": new,
                "cause": cause[:300],
                "cause_key": cause_key,
                "at": clock.now(),
            }
        )
    if not rows:
        return False
    await repo.add_standing_changes(session, rows)
    await repo.set_employer_scores(session, employer_id, values)
    await repo.refresh(session, employer)
    return True


async def credit_lasting_placements(session: AsyncSession) -> int:
    """Placements still active at day 90 raise the employer's standing, once each."""
    cutoff = clock.today() - dt.timedelta(days=90)
    rows = await repo.uncredited_active_since(session, cutoff)
    for r in rows:
        await move(
            session,
            r.employer_id,
            {"reputation": DAY90_REPUTATION, "labour_protection": DAY90_PROTECTION},
            f"placement {r.id} lasted to day 90",
            f"day90:{r.id}",
        )
        await repo.mark_day90_credited(session, r.id)
    return len(rows)
