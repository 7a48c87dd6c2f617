"""The connection settings every engine gives PostgreSQL: each prepared statement planned for
its own values (``matching/db/engine.py``), the session in UTC."""

from __future__ import annotations

import pytest

from matching.db.engine import create_engine


async def test_postgresql_plans_every_statement_for_its_values(db_url: str) -> None:
    if not db_url.startswith("postgresql"):
        pytest.skip("a PostgreSQL setting")
    engine = create_engine(db_url, pool_size=1)
    try:
        async with engine.connect() as conn:
            mode = (await conn.exec_driver_sql("SHOW plan_cache_mode")).scalar_one()
            zone = (await conn.exec_driver_sql("SHOW timezone")).scalar_one()
    finally:
        await engine.dispose()
    assert (mode, zone) == ("force_custom_plan", "UTC")
