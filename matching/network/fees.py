"""The unified fee schedule (统一收费): each agency publishes one schedule of placement fees, in
versions; the fee due on a placement is quoted from the latest version, never typed in by hand.
Workers of the groups the priority policy in force places first (重点群体) pay nothing, and the
waiver is recorded."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from matching.db import models as m
from matching.lib import clock
from matching.lib.errors import Conflict, FieldErrors, Forbidden, NotFound, msg
from matching.lib.principal import Principal, may_see
from matching.lib.text import clean_optional
from matching.network import policy, repository
from matching.network.fee_schemas import FeeRuleOut, FeeScheduleCreate, FeeScheduleOut

ANY = "must not be blank; leave it out to mean any"


@dataclass(frozen=True, slots=True)
class FeeRule:
    destination_city: str | None
    industry: str | None
    amount: int

    @property
    def specificity(self) -> int:
        """City and industry (3) beat city alone (2), industry alone (1), the default (0)."""
        return (2 if self.destination_city is not None else 0) + (
            1 if self.industry is not None else 0
        )

    def matches(self, city: str | None, industry: str | None) -> bool:
        return (self.destination_city is None or self.destination_city == city) and (
            self.industry is None or self.industry == industry
        )


@dataclass(frozen=True, slots=True)
class FeeQuote:
    """What a placement owes under the schedule: ``amount`` is 0 when ``waived``."""

    amount: int
    waived: bool
    schedule_id: int | None
    version: int | None
    rule: FeeRule | None


def _rules(raw: list[dict[str, Any]]) -> list[FeeRule]:
    return [
        FeeRule(r.get("destination_city"), r.get("industry"), int(r["amount"])) for r in raw or []
    ]


def pick_rule(rules: list[FeeRule], city: str | None, industry: str | None) -> FeeRule | None:
    """The rule that matches most specifically; None when none matches (then no fee)."""
    fitting = [r for r in rules if r.matches(city, industry)]
    return max(fitting, key=lambda r: r.specificity, default=None)


async def is_priority_worker(session: AsyncSession, worker_id: int) -> bool:
    """She belongs to a group the priority policy in force places first (an admin's choice,
    ``policy.py``); a group recorded only waives nothing."""
    priority = sorted(await policy.priority_codes(session))
    return await repository.worker_in_groups(session, worker_id, priority)


async def quote_fee(
    session: AsyncSession, *, agency_id: int, worker_id: int, city: str, industry: str | None
) -> FeeQuote:
    """The fee for placing this worker in ``city`` with an employer in ``industry``, from the
    agency's latest published schedule. No schedule: no fee and no schedule recorded."""
    schedule = await repository.latest_fee_schedule(session, agency_id)
    if schedule is None:
        return FeeQuote(amount=0, waived=False, schedule_id=None, version=None, rule=None)
    rule = pick_rule(_rules(schedule.rules), city.strip(), (industry or "").strip() or None)
    if await is_priority_worker(session, worker_id):
        return FeeQuote(0, True, schedule.id, schedule.version, rule)
    return FeeQuote(rule.amount if rule else 0, False, schedule.id, schedule.version, rule)


def _schedule_out(s: m.FeeSchedule) -> FeeScheduleOut:
    return FeeScheduleOut(
        id=s.id,
        agency_id=s.agency_id,
        version=s.version,
        rules=[FeeRuleOut(r.destination_city, r.industry, r.amount) for r in _rules(s.rules)],
        published_at=s.published_at,
        published_by=s.published_by,
    )


async def _check_agency(session: AsyncSession, principal: Principal, agency_id: int) -> None:
    """Admins see every agency, staff their own (another's is 404, as for agencies)."""
    if principal.is_employer:
        raise Forbidden(msg("employers do not see agencies' fee schedules"))
    if not may_see(principal, agency_id=agency_id):
        raise NotFound(msg("no agency with id {agency_id}"), agency_id=agency_id)
    if await repository.agency(session, agency_id) is None:
        raise NotFound(msg("no agency with id {agency_id}"), agency_id=agency_id)


async def publish_schedule(
    session: AsyncSession, principal: Principal, agency_id: int, data: FeeScheduleCreate
) -> FeeScheduleOut:
    """Publish a new version (previous + 1); later confirmations are charged by it."""
    principal.require("admin", "staff")
    await _check_agency(session, principal, agency_id)
    errors = FieldErrors()
    rules: list[dict[str, Any]] = []
    seen: dict[tuple[str | None, str | None], int] = {}
    for i, r in enumerate(data.rules):
        city = clean_optional(errors, f"rules[{i}].destination_city", r.destination_city, blank=ANY)
        industry = clean_optional(errors, f"rules[{i}].industry", r.industry, blank=ANY)
        key = (city, industry)
        if key in seen:
            errors.add(
                f"rules[{i}]",
                msg("repeats the city and industry of rules[{value}]"),
                value=seen[key],
            )
        seen.setdefault(key, i)
        rules.append({"destination_city": city, "industry": industry, "amount": r.amount})
    errors.raise_if_any()
    last = await repository.last_fee_version(session, agency_id)
    schedule = m.FeeSchedule(
        agency_id=agency_id,
        version=(last or 0) + 1,
        rules=rules,
        published_at=clock.now(),
        published_by=f"{principal.role}:{principal.account_id}",
    )
    try:
        await repository.add(session, schedule)
    except IntegrityError as exc:  # another version was published at the same moment
        raise Conflict(msg("another version of this schedule was published a moment ago")) from exc
    return _schedule_out(schedule)


async def current_schedule(
    session: AsyncSession, principal: Principal, agency_id: int
) -> FeeScheduleOut:
    await _check_agency(session, principal, agency_id)
    schedule = await repository.latest_fee_schedule(session, agency_id)
    if schedule is None:
        raise NotFound(
            msg("agency {agency_id} has not published a fee schedule"), agency_id=agency_id
        )
    return _schedule_out(schedule)


async def list_schedules(
    session: AsyncSession, principal: Principal, agency_id: int, *, limit: int = 100
) -> list[FeeScheduleOut]:
    """Every version the agency published, newest first (admins, and the agency's staff)."""
    principal.require("admin", "staff")
    await _check_agency(session, principal, agency_id)
    return [_schedule_out(s) for s in await repository.fee_schedules(session, agency_id, limit)]
