"""LeanSelect, the path of the hottest reads, against SQLAlchemy's own execution on both databases.

Each test makes its own engine with a pool of one connection, the way the app makes its engine,
so that what one read leaves on the connection is what the next one gets.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import bindparam, column, func, literal, select, table, update
from sqlalchemy.exc import ArgumentError, DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from matching.db import models as m
from matching.db.engine import create_engine
from matching.db.lean import LeanSelect
from tests.support import Api

W = m.WorkerProfile.__table__.c
CST = dt.timezone(dt.timedelta(hours=8))

BY_AGENCY = LeanSelect(
    select(W.id, W.name, W.birth_date, W.preferred_cities, W.min_monthly_wage, W.created_at)
    .where(W.agency_id == bindparam("agency_id"), W.created_at <= bindparam("before"))
    .order_by(W.id)
)
NAME = LeanSelect(select(W.name).where(W.id == bindparam("worker_id")))


@pytest.fixture
async def one_connection(db_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(db_url, pool_size=1)
    yield engine
    await engine.dispose()


async def _two_workers(api: Api) -> tuple[int, list[int]]:
    agency = await api.agency()
    staff = await api.staff(agency["id"])
    ids = [
        (await api.worker(staff, preferred_cities=["上海", "苏州"]))["id"],
        (await api.worker(staff, preferred_cities=[], min_monthly_wage=None))["id"],
    ]
    await api.worker(await api.staff((await api.agency())["id"]))  # another agency's
    return agency["id"], ids


async def test_rows_are_what_a_connection_returns(api: Api, one_connection: AsyncEngine) -> None:
    agency_id, ids = await _two_workers(api)
    # An aware time in China Standard Time: the bind processor must turn it into UTC.
    params = {"agency_id": agency_id, "before": dt.datetime.now(CST) + dt.timedelta(minutes=1)}
    rows = await BY_AGENCY.all(one_connection, params)
    async with one_connection.connect() as conn:
        expected = (await conn.execute(BY_AGENCY.statement, params)).all()
    assert [r.id for r in rows] == ids
    assert [tuple(r) for r in rows] == [tuple(r) for r in expected]
    assert [[type(v) for v in r] for r in rows] == [[type(v) for v in r] for r in expected]
    first, second = rows
    assert first.preferred_cities == ["上海", "苏州"] and second.preferred_cities == []
    assert second.min_monthly_wage is None
    assert isinstance(first.birth_date, dt.date)
    assert first.created_at.tzinfo == dt.UTC  # the UTCDateTime result processor ran (SQLite)
    just_before = (rows[0].created_at - dt.timedelta(seconds=1)).astimezone(CST)
    earlier = {"agency_id": agency_id, "before": just_before}
    assert await BY_AGENCY.all(one_connection, earlier) == []
    assert one_connection.sync_engine.pool.checkedout() == 0  # type: ignore[attr-defined]


async def test_a_session_in_a_transaction_sees_its_own_writes(
    api: Api, one_connection: AsyncEngine, db_url: str
) -> None:
    _, (worker_id, _) = await _two_workers(api)
    params = {"worker_id": worker_id}
    other = create_engine(db_url, pool_size=1)  # a second reader beside the writer
    try:
        async with AsyncSession(one_connection) as session:
            before = await NAME.all(session, params)  # not begun: the lean path, nothing begun
            assert not session.in_transaction()
            await session.execute(
                update(m.WorkerProfile).where(W.id == worker_id).values(name="改名")
            )
            assert session.in_transaction()
            assert (await NAME.all(session, params))[0].name == "改名"
            assert (await NAME.all(other, params)) == before  # not committed: others see the old
            await session.rollback()
        assert (await NAME.all(one_connection, params)) == before
    finally:
        await other.dispose()


async def test_the_connection_goes_back_transactional(
    api: Api, one_connection: AsyncEngine
) -> None:
    """After a read outside a transaction (AUTOCOMMIT on PostgreSQL) the pool's one connection
    must be an ordinary one again: a rolled-back write leaves nothing behind."""
    _, (worker_id, _) = await _two_workers(api)
    params = {"worker_id": worker_id}
    before = await NAME.all(one_connection, params)
    async with one_connection.connect() as conn:
        await conn.execute(update(m.WorkerProfile).where(W.id == worker_id).values(name="不留"))
        await conn.rollback()
    assert await NAME.all(one_connection, params) == before


async def test_errors_are_sqlalchemy_errors_and_the_connection_comes_back(
    one_connection: AsyncEngine,
) -> None:
    missing = LeanSelect(select(column("id")).select_from(table("no_such_table")))
    with pytest.raises(DBAPIError):
        await missing.all(one_connection, {})
    assert one_connection.sync_engine.pool.checkedout() == 0  # type: ignore[attr-defined]
    assert await LeanSelect(select(literal(1).label("one"))).all(one_connection, {}) == [(1,)]


async def test_in_lists_are_refused(one_connection: AsyncEngine) -> None:
    listed = LeanSelect(select(W.id).where(W.id.in_([1, 2])))
    with pytest.raises(ArgumentError, match="IN lists"):
        await listed.all(one_connection, {})
    assert one_connection.sync_engine.pool.checkedout() == 0  # type: ignore[attr-defined]


async def test_a_dropped_connection_is_replaced(
    one_connection: AsyncEngine, engine: AsyncEngine
) -> None:
    if one_connection.dialect.name != "postgresql":
        pytest.skip("a server-side disconnect needs a server (PostgreSQL)")
    pid = LeanSelect(select(func.pg_backend_pid().label("pid")))
    first = (await pid.all(one_connection, {}))[0].pid
    async with engine.connect() as conn:
        await conn.execute(select(func.pg_terminate_backend(first)))
    with pytest.raises(DBAPIError) as caught:
        await pid.all(one_connection, {})
    assert caught.value.connection_invalidated
    second = (await pid.all(one_connection, {}))[0].pid
    assert second != first
