"""Read one consistent snapshot of the pool and turn it into the engine's arrays."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import chain
from typing import Any

import msgspec
import numpy as np
from numpy.typing import NDArray
from sqlalchemy import (
    BigInteger,
    Date,
    Integer,
    SmallInteger,
    Text,
    and_,
    case,
    cast,
    exists,
    func,
    literal,
    select,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncSession

from matching.db import models as m
from matching.db.dialect import copy_arrays, dialect_name, select_columns
from matching.db.rules import OF, live_offer, used_slots
from matching.engine import (
    NO_DAY,
    Exclusions,
    Label,
    Openings,
    Vocab,
    Workers,
    select_openings,
    select_workers,
)
from matching.lib.reference import reference

EPOCH = dt.date(1970, 1, 1).toordinal()
W = m.WorkerProfile.__table__.c
WS = m.WorkerSkill.__table__.c
WG = m.WorkerGroup.__table__.c
OP = m.Opening.__table__.c
OS = m.OpeningSkill.__table__.c
E = m.Employer.__table__.c
BAN = m.EmployerBan.__table__.c


def day(d: dt.date | None) -> int:
    return NO_DAY if d is None else d.toordinal() - EPOCH


def _days(values: Sequence[dt.date | None]) -> NDArray[np.int32]:
    """Dates (None allowed) to day numbers (NumPy's own conversion of date objects is
    several times slower than their ordinals)."""
    return np.fromiter(map(day, values), dtype=np.int32, count=len(values))


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


def vocab_for(cities: set[str], counties: set[str], priority: frozenset[str]) -> Vocab:
    """The run's labels; ``priority``: the groups placed first under the policy in force."""
    ref = reference()
    return Vocab(
        skills=tuple(Label(s.code, s.zh, s.en) for s in ref.skills),
        groups=tuple(Label(g.code, g.zh, g.en) for g in ref.groups),
        priority_groups=priority,
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


async def load(
    session: AsyncSession, now: dt.datetime, today: dt.date, priority: frozenset[str]
) -> Snapshot:
    """Everything the engine needs, read inside the caller's (repeatable-read) transaction,
    by column: no row object on the way from the driver to the arrays. ``priority``: the
    groups placed first under the policy in force (``policy.priority_codes``).

    On PostgreSQL the workers' tables (the large ones) are read by ``read_by_copy``, on
    SQLite by ``read_by_rows``: the same snapshot, array for array (a test holds them to it)."""
    if dialect_name(session) == "postgresql":
        return await read_by_copy(session, now, today, priority)
    return await read_by_rows(session, now, today, priority)


def _openings_query(now: dt.datetime) -> Any:
    used = used_slots(now)
    capacity = OP.headcount - func.coalesce(used.c.used, 0)
    return (
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


async def _openings_and_exclusions(
    session: AsyncSession, now: dt.datetime
) -> tuple[Columns, Columns, Columns, Columns]:
    """The openings with slots, their skills, the offers she declined and the bans: small
    tables, read by column on both databases."""
    openings = await select_columns(session, _openings_query(now))
    opening_skills = (
        await select_columns(session, select(OS.opening_id, OS.skill_code, OS.min_level))
        if openings[0]
        else [(), (), ()]
    )
    declined = await select_columns(
        session, select(OF.worker_id, OF.opening_id).where(OF.status == "declined")
    )
    bans = await select_columns(session, select(BAN.worker_id, BAN.employer_id))
    return openings, opening_skills, declined, bans


async def read_by_rows(
    session: AsyncSession, now: dt.datetime, today: dt.date, priority: frozenset[str]
) -> Snapshot:
    """The snapshot read by column through the driver's rows: every database."""
    avail = available_workers(now).subquery("avail")
    workers = await select_columns(
        session,
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
        .order_by(W.id),
    )
    openings, opening_skills, declined, bans = await _openings_and_exclusions(session, now)
    skills = await select_columns(
        session,
        select(WS.worker_id, WS.skill_code, WS.level, WS.source, WS.certified_on).join(
            avail, avail.c.id == WS.worker_id
        ),
    )
    groups = await select_columns(
        session, select(WG.worker_id, WG.group_code).join(avail, avail.c.id == WG.worker_id)
    )
    columns = (workers, openings, skills, groups, opening_skills, declined)
    return build(*columns, today, bans, priority=priority)


def _json_lists(texts: Sequence[str]) -> list[list[str] | None]:
    """JSON texts, each a list of strings or null, decoded by one call of msgspec."""
    if not texts:
        return []
    return msgspec.json.decode(f"[{','.join(texts)}]", type=list[list[str] | None])


def _day_number(column: Any) -> Any:
    """A date as days since 1970-01-01, NO_DAY when NULL (PostgreSQL's date arithmetic)."""
    return cast(func.coalesce(column - literal(dt.date(1970, 1, 1), Date), NO_DAY), Integer)


def _position(codes: Sequence[str], name: str) -> Any:
    """``codes`` as a table of (code, i): i is the code's position in ``codes``, from 0."""
    values = func.unnest(literal(list(codes), ARRAY(Text)))
    return values.table_valued("code", with_ordinality="i").render_derived(name=name)


def _index(table: Any) -> Any:
    return cast(table.c.i - 1, Integer)


async def read_by_copy(
    session: AsyncSession, now: dt.datetime, today: dt.date, priority: frozenset[str]
) -> Snapshot:
    """The snapshot on PostgreSQL, the workers' side by binary COPY into NumPy arrays
    (``copy_arrays``): the database turns timestamps and dates into numbers and skill and
    group codes into their places in the vocabulary, so no number of the large tables becomes
    a Python object. Her home county and cities come as text (one query); the openings' side
    is small and read as ``read_by_rows`` does."""
    avail = available_workers(now).subquery("avail")
    openings, opening_skills, declined, bans = await _openings_and_exclusions(session, now)
    # Her home county and preferred cities are the only text of the workers' side: they come
    # as strings (asyncpg decodes them in C), the cities' JSON lists all decoded at once.
    home_county, prefs_text = await select_columns(
        session,
        select(W.home_county, cast(W.preferred_cities, Text))
        .join(avail, avail.c.id == W.id)
        .order_by(W.id),
    )
    pref_lists = [p or () for p in _json_lists(prefs_text)]
    p_name = list(chain.from_iterable(pref_lists))
    o_city, o_county = openings[2], openings[3]
    cities = set(o_city) | set(p_name)
    counties = {c for c in home_county if c is not None} | {c for c in o_county if c}
    vocab = vocab_for(cities, counties, priority)

    (wid, registered, birth, available, relocate, wage, housing) = await copy_arrays(
        session,
        select(
            cast(W.id, BigInteger),
            cast(func.trunc(func.extract("epoch", W.created_at)), BigInteger),
            _day_number(W.birth_date),
            _day_number(W.available_from),
            W.willing_to_relocate,
            func.coalesce(W.min_monthly_wage, 0),
            W.needs_housing,
        )
        .join(avail, avail.c.id == W.id)
        .order_by(W.id),
        (np.int64, np.int64, np.int32, np.int32, np.bool_, np.int32, np.bool_),
    )
    n, k = len(wid), len(vocab.skills)
    ptr = np.zeros(n + 1, dtype=np.int64)
    ptr[1:] = np.cumsum(np.fromiter(map(len, pref_lists), dtype=np.int64, count=n))
    p_city = _codes(vocab.cities, p_name)

    code = _position([s.code for s in vocab.skills], "skill")
    trained_on = case(
        (and_(WS.source == "training", WS.certified_on.is_not(None)), _day_number(WS.certified_on)),
        else_=NO_DAY,
    )
    s_worker, s_col, s_level, s_trained = await copy_arrays(
        session,
        select(cast(WS.worker_id, BigInteger), _index(code), cast(WS.level, SmallInteger),
               cast(trained_on, Integer))
        .join(avail, avail.c.id == WS.worker_id)
        .join(code, code.c.code == WS.skill_code),
        (np.int64, np.int32, np.int16, np.int32),
    )  # fmt: skip
    skill = np.zeros((n, k), dtype=np.int8)
    trained = np.full((n, k), NO_DAY, dtype=np.int32)
    rows_i = _rows_of(wid, s_worker)
    skill[rows_i, s_col] = s_level.astype(np.int8)
    certified = s_trained != NO_DAY
    trained[rows_i[certified], s_col[certified]] = s_trained[certified]

    group = _position([g.code for g in vocab.groups], "grp")
    g_worker, g_bit = await copy_arrays(
        session,
        select(cast(WG.worker_id, BigInteger), _index(group))
        .join(avail, avail.c.id == WG.worker_id)
        .join(group, group.c.code == WG.group_code),
        (np.int64, np.int32),
    )
    groups = np.zeros(n, dtype=np.int32)
    np.bitwise_or.at(groups, _rows_of(wid, g_worker), (1 << g_bit).astype(np.int32))
    workers = Workers(
        id=wid,
        registered_at=registered,
        birth_day=birth,
        available_day=available,
        home_county=_codes(vocab.counties, home_county),
        relocate=relocate,
        pref_ptr=ptr,
        pref_city=p_city,
        min_wage=wage,
        needs_housing=housing,
        skill=skill,
        trained_day=trained,
        groups=groups,
    )
    return _snapshot(workers, openings, opening_skills, declined, bans, vocab, today)


Columns = Sequence[Sequence[Any]]
"""A query's result by column (``select_columns``)."""


def _ints(values: Sequence[Any], dtype: Any) -> NDArray[Any]:
    """A column of integers (None as 0: a minimum wage not given) as an array."""
    if None in values:
        values = [0 if v is None else v for v in values]
    return np.array(values, dtype=dtype).reshape(len(values))


def _codes(vocabulary: tuple[str, ...], values: Sequence[str | None]) -> NDArray[np.int32]:
    """Each value's index in the sorted ``vocabulary`` (None: -1), by binary search."""
    found = np.array([v is not None for v in values], dtype=np.bool_)
    words = np.array([v or "" for v in values], dtype=np.str_).reshape(len(values))
    codes = np.searchsorted(np.array(vocabulary, dtype=np.str_), words).astype(np.int32)
    return np.where(found, codes, -1).astype(np.int32)


def build(
    wcols: Columns,
    ocols: Columns,
    scols: Columns,
    gcols: Columns,
    oscols: Columns,
    declined: Columns,
    today: dt.date,
    bans: Columns = ((), ()),
    *,
    priority: frozenset[str],
) -> Snapshot:
    """The engine's arrays from the snapshot's columns, each turned into an array at once."""
    w_id, w_created, w_birth, w_avail, w_county, w_reloc, w_prefs, w_wage, w_housing = wcols
    o_city, o_county = ocols[2], ocols[3]
    pref_lists = [p or () for p in w_prefs]
    cities: set[str] = set(o_city)
    for p in pref_lists:
        cities.update(p)
    counties: set[str] = set(w_county) | {c for c in o_county if c}
    vocab = vocab_for(cities, counties, priority)
    skill_index = {s.code: i for i, s in enumerate(vocab.skills)}
    group_bit = {g.code: i for i, g in enumerate(vocab.groups)}
    n, k = len(w_id), len(vocab.skills)

    wid = _ints(w_id, np.int64)
    n_prefs = np.fromiter(map(len, pref_lists), dtype=np.int64, count=n)
    ptr = np.zeros(n + 1, dtype=np.int64)
    ptr[1:] = np.cumsum(n_prefs)
    pref_city = _codes(vocab.cities, [c for p in pref_lists for c in p])
    skill = np.zeros((n, k), dtype=np.int8)
    trained = np.full((n, k), NO_DAY, dtype=np.int32)
    s_worker, s_code, s_level, s_source, s_cert = scols
    if s_worker:
        rows_i = _rows_of(wid, s_worker)
        cols_j = np.array([skill_index.get(c, -1) for c in s_code], dtype=np.int64)
        ok = (rows_i >= 0) & (cols_j >= 0)
        skill[rows_i[ok], cols_j[ok]] = _ints(s_level, np.int8)[ok]
        cert = _days(s_cert)
        certified = ok & (np.array(s_source) == "training") & (cert != NO_DAY)
        trained[rows_i[certified], cols_j[certified]] = cert[certified]
    groups = np.zeros(n, dtype=np.int32)
    g_worker, g_code = gcols
    if g_worker:
        rows_i = _rows_of(wid, g_worker)
        bits = np.array([group_bit.get(c, -1) for c in g_code], dtype=np.int64)
        ok = (rows_i >= 0) & (bits >= 0)
        np.bitwise_or.at(groups, rows_i[ok], (1 << bits[ok]).astype(np.int32))
    workers = Workers(
        id=wid,
        registered_at=np.fromiter((t.timestamp() for t in w_created), np.float64, count=n).astype(
            np.int64
        ),
        birth_day=_days(w_birth),
        available_day=_days(w_avail),
        home_county=_codes(vocab.counties, w_county),
        relocate=np.array(w_reloc, dtype=np.bool_).reshape(n),
        pref_ptr=ptr,
        pref_city=pref_city,
        min_wage=_ints(w_wage, np.int32),
        needs_housing=np.array(w_housing, dtype=np.bool_).reshape(n),
        skill=skill,
        trained_day=trained,
        groups=groups,
    )
    return _snapshot(workers, ocols, oscols, declined, bans, vocab, today)


def _snapshot(
    workers: Workers,
    ocols: Columns,
    oscols: Columns,
    declined: Columns,
    bans: Columns,
    vocab: Vocab,
    today: dt.date,
) -> Snapshot:
    """The snapshot of these workers: the openings' arrays and the exclusions' added."""
    (o_id, o_employer, o_city, o_county, o_capacity, o_wage_min, o_wage_max, o_housing,
     o_start, o_reputation, o_protection, o_partner) = ocols  # fmt: skip
    skill_index = {s.code: i for i, s in enumerate(vocab.skills)}
    k = len(vocab.skills)
    oid = _ints(o_id, np.int64)
    o = len(oid)
    skill_min = np.zeros((o, k), dtype=np.int8)
    os_opening, os_code, os_min = oscols
    if os_opening and o:
        rows_i = _rows_of(oid, os_opening)
        cols_j = np.array([skill_index.get(c, -1) for c in os_code], dtype=np.int64)
        ok = (rows_i >= 0) & (cols_j >= 0)
        skill_min[rows_i[ok], cols_j[ok]] = _ints(os_min, np.int8)[ok]
    openings = Openings(
        id=oid,
        employer_id=_ints(o_employer, np.int64),
        city=_codes(vocab.cities, o_city),
        county=_codes(vocab.counties, o_county),
        capacity=_ints(o_capacity, np.int32),
        wage_min=_ints(o_wage_min, np.int32),
        wage_max=_ints(o_wage_max, np.int32),
        housing=np.array(o_housing, dtype=np.bool_).reshape(o),
        start_day=_days(o_start),
        skill_min=skill_min,
        reputation=_ints(o_reputation, np.int8),
        protection=_ints(o_protection, np.int8),
        partner=np.array(o_partner, dtype=np.bool_).reshape(o),
    )
    d_worker, d_opening = declined
    b_worker, b_employer = bans
    exclusions = Exclusions(
        declined_worker=_ints(d_worker, np.int64),
        declined_opening=_ints(d_opening, np.int64),
        banned_worker=_ints(b_worker, np.int64),
        banned_employer=_ints(b_employer, np.int64),
    )
    return Snapshot(workers, openings, vocab, exclusions, day(today))


def restrict(snap: Snapshot, workers: NDArray[np.bool_], openings: NDArray[np.bool_]) -> Snapshot:
    """The snapshot cut to the workers and openings where the masks hold (a run's share of
    the markets): the run sees, offers and notifies no one else. The labels and exclusions
    stay whole; the engine ignores what names no one left."""
    return Snapshot(
        select_workers(snap.workers, workers),
        select_openings(snap.openings, openings),
        snap.vocab,
        snap.exclusions,
        snap.today,
    )
