"""Where SQLite and PostgreSQL differ, one helper each with a path for both."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession


def dialect_name(session: AsyncSession) -> str:
    bind = session.get_bind()
    return str(bind.dialect.name)


def insert_ignoring_conflicts(session: AsyncSession, table: Table | Any) -> Any:
    """INSERT … ON CONFLICT DO NOTHING: makes a job that runs twice write once."""
    target = table.__table__ if hasattr(table, "__table__") else table
    if dialect_name(session) == "postgresql":
        return postgresql.insert(target).on_conflict_do_nothing()
    return sqlite.insert(target).on_conflict_do_nothing()
