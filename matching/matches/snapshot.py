"""Read one consistent snapshot of the pool and turn it into the engine's arrays."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray
from sqlalchemy import exists, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from matching.db import models as m
from matching.db.rules import OF, live_offer, used_slots
from matching.engine import NO_DAY, Exclusions, Label, Openings, Vocab, Workers
from matching.lib.reference import reference

EPOCH = dt.date(1970, 1, 1).toordinal()
W = m.WorkerProfile.__table__.c
WS = m.WorkerSkill.__table__.c
WG = m.WorkerGroup.__table__.c
OP = m.Opening.__table__.c
OS = m.OpeningSkill.__table__.c
E = m.Employer.__table__.c


def day(d: dt.date | None) -> int:
    return NO_DAY if d is None else d.toordinal() - EPOCH


def _days(values: Any) -> NDArray[np.int32]:
    """Dates (None allowed) to day numbers, in C rather than a Python loop."""
    arr = np.array(values, dtype="datetime64[D]")
    out = arr.astype(np.int64)
    out[np.isnat(arr)] = NO_DAY
    return out.astype(np.int32)


def _rows_of(ids: NDArray[np.int64], wanted: Any) -> NDArray[np.int64]:
    """Positions of ``wanted`` ids in the sorted ``ids`` (-1 where absent)."""
    keys = np.array(wanted, dtype=np.int64)
    pos = np.searchsorted(ids, keys)
    pos = np.minimum(pos, max(len(ids) - 1, 0))
    found = (ids[pos] == keys) if len(ids) else np.zeros(len(keys), dtype=np.bool_)
    return np.where(found, pos, -1)


@dataclass(frozen=True, slots=True)
class Snapshot:
    workers: Workers
    openings: Openings
    vocab: Vocab
    exclusions: Exclusions
    today: int


def vocab_for(cities: set[str], counties: set[str]) -> Vocab:
    ref = reference()
    return Vocab(
        skills=tuple(Label(s.code, s.zh, s.en) for s in ref.skills),
        groups=tuple(Label(g.code, g.zh, g.en) for g in ref.groups),
        priority_groups=ref.priority_codes,
        cities=tuple(sorted(cities)),
        counties=tuple(sorted(counties)),
    )


def available_workers(now: dt.datetime) -> Any:
    """Hard rule 2 in SQL: consented, not placed or inactive, no live offer (never erased)."""
    return select(W.id).where(
        W.erased_at.is_(None),
        W.consent_matching.is_(True),
        W.status.in_(("available", "offered")),
        ~exists().where(OF.worker_id == W.id, live_offer(now)),
    )


async def load(session: AsyncSession, now: dt.datetime, today: dt.date) -> Snapshot:
    """Everything the engine needs, read inside the caller's (repeatable-read) transaction."""
    avail = available_workers(now).subquery("avail")
    wrows = (
        await session.execute(
            select(
                W.id,
                W.created_at,
                W.birth_date,
                W.available_from,
                W.home_county,
                W.willing_to_relocate,
                W.preferred_cities,
                W.min_monthly_wage,
                W.needs_housing,
            )
            .join(avail, avail.c.id == W.id)
            .order_by(W.id)
        )
    ).all()
    used = used_slots(now)
    capacity = OP.headcount - func.coalesce(used.c.used, 0)
    orows = (
        await session.execute(
            select(
                OP.id,
                OP.employer_id,
                OP.city,
                OP.county,
                capacity.label("capacity"),
                OP.monthly_wage_min,
                OP.monthly_wage_max,
                OP.housing_provided,
                OP.start_date,
                E.reputation,
                E.labour_protection,
                E.partner,
            )
            .join(m.Employer.__table__, E.id == OP.employer_id)
            .outerjoin(used, used.c.opening_id == OP.id)
            .where(OP.status == "open", E.suspended.is_(False), capacity > 0)
            .order_by(OP.id)
        )
    ).all()
    srows = (
        await session.execute(
            select(WS.worker_id, WS.skill_code, WS.level, WS.source, WS.certified_on).join(
                avail, avail.c.id == WS.worker_id
            )
        )
    ).all()
    grows = (
        await session.execute(
            select(WG.worker_id, WG.group_code).join(avail, avail.c.id == WG.worker_id)
        )
    ).all()
    open_ids = [r.id for r in orows]
    osrows = (
        (await session.execute(select(OS.opening_id, OS.skill_code, OS.min_level))).all()
        if open_ids
        else []
    )
    declined = (
        await session.execute(select(OF.worker_id, OF.opening_id).where(OF.status == "declined"))
    ).all()
    bans = (await session.execute(select(m.EmployerBan.worker_id, m.EmployerBan.employer_id))).all()
    return build(wrows, orows, srows, grows, osrows, declined, today, bans)


def build(
    wrows: Any,
    orows: Any,
    srows: Any,
    grows: Any,
    osrows: Any,
    declined: Any,
    today: dt.date,
    bans: Any = (),
) -> Snapshot:
    cities: set[str] = {r.city for r in orows}
    counties: set[str] = {r.home_county for r in wrows} | {r.county for r in orows if r.county}
    for r in wrows:
        cities.update(r.preferred_cities or [])
    vocab = vocab_for(cities, counties)
    city_code = {c: i for i, c in enumerate(vocab.cities)}
    county_code = {c: i for i, c in enumerate(vocab.counties)}
    skill_index = {s.code: i for i, s in enumerate(vocab.skills)}
    group_bit = {g.code: i for i, g in enumerate(vocab.groups)}
    n, k = len(wrows), len(vocab.skills)

    cols = list(zip(*wrows, strict=True)) if n else [()] * 9
    w_id, w_created, w_birth, w_avail, w_county, w_reloc, w_prefs, w_wage, w_housing = cols
    wid = np.array(w_id, dtype=np.int64)
    prefs = [[city_code[c] for c in (p or ())] for p in w_prefs]
    ptr = np.zeros(n + 1, dtype=np.int64)
    ptr[1:] = np.cumsum([len(p) for p in prefs])
    skill = np.zeros((n, k), dtype=np.int8)
    trained = np.full((n, k), NO_DAY, dtype=np.int32)
    if srows:
        s_worker, s_code, s_level, s_source, s_cert = zip(*srows, strict=True)
        rows_i = _rows_of(wid, s_worker)
        cols_j = np.array([skill_index.get(c, -1) for c in s_code], dtype=np.int64)
        ok = (rows_i >= 0) & (cols_j >= 0)
        skill[rows_i[ok], cols_j[ok]] = np.array(s_level, dtype=np.int8)[ok]
        cert = _days(s_cert)
        certified = ok & (np.array(s_source) == "training") & (cert != NO_DAY)
        trained[rows_i[certified], cols_j[certified]] = cert[certified]
    groups = np.zeros(n, dtype=np.int32)
    if grows:
        g_worker, g_code = zip(*grows, strict=True)
        rows_i = _rows_of(wid, g_worker)
        bits = np.array([group_bit.get(c, -1) for c in g_code], dtype=np.int64)
        ok = (rows_i >= 0) & (bits >= 0)
        np.bitwise_or.at(groups, rows_i[ok], (1 << bits[ok]).astype(np.int32))
    workers = Workers(
        id=wid,
        registered_at=np.array([int(t.timestamp()) for t in w_created], dtype=np.int64),
        birth_day=_days(w_birth),
        available_day=_days(w_avail),
        home_county=np.array([county_code[c] for c in w_county], dtype=np.int32),
        relocate=np.array(w_reloc, dtype=np.bool_),
        pref_ptr=ptr,
        pref_city=np.fromiter((c for p in prefs for c in p), dtype=np.int32, count=int(ptr[-1])),
        min_wage=np.array([v or 0 for v in w_wage], dtype=np.int32),
        needs_housing=np.array(w_housing, dtype=np.bool_),
        skill=skill,
        trained_day=trained,
        groups=groups,
    )
    o = len(orows)
    oid = np.fromiter((r.id for r in orows), dtype=np.int64, count=o)
    orow_of = {int(x): i for i, x in enumerate(oid)}
    skill_min = np.zeros((o, k), dtype=np.int8)
    for r in osrows:
        i = orow_of.get(r.opening_id)
        if i is not None and r.skill_code in skill_index:
            skill_min[i, skill_index[r.skill_code]] = r.min_level
    openings = Openings(
        id=oid,
        employer_id=np.fromiter((r.employer_id for r in orows), np.int64, count=o),
        city=np.fromiter((city_code[r.city] for r in orows), np.int32, count=o),
        county=np.fromiter(
            (county_code[r.county] if r.county else -1 for r in orows), np.int32, count=o
        ),
        capacity=np.fromiter((r.capacity for r in orows), np.int32, count=o),
        wage_min=np.fromiter((r.monthly_wage_min for r in orows), np.int32, count=o),
        wage_max=np.fromiter((r.monthly_wage_max for r in orows), np.int32, count=o),
        housing=np.fromiter((bool(r.housing_provided) for r in orows), np.bool_, count=o),
        start_day=np.fromiter((day(r.start_date) for r in orows), np.int32, count=o),
        skill_min=skill_min,
        reputation=np.fromiter((r.reputation for r in orows), np.int8, count=o),
        protection=np.fromiter((r.labour_protection for r in orows), np.int8, count=o),
        partner=np.fromiter((bool(r.partner) for r in orows), np.bool_, count=o),
    )
    exclusions = Exclusions(
        declined_worker=np.fromiter((r.worker_id for r in declined), np.int64, count=len(declined)),
        declined_opening=np.fromiter(
            (r.opening_id for r in declined), np.int64, count=len(declined)
        ),
        banned_worker=np.fromiter((r.worker_id for r in bans), np.int64, count=len(bans)),
        banned_employer=np.fromiter((r.employer_id for r in bans), np.int64, count=len(bans)),
    )
    return Snapshot(workers, openings, vocab, exclusions, day(today))
