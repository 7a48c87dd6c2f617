"""wage changes: the summary's income kept by day, agency, city and sex; placements by end

Revision ID: 0018
Revises: 0016
Create Date: 2026-12-02 06:45:00.000000

``wage_changes`` is the kept table the summary's labour income reads instead of every
placement active in the period (``matching/db/wage_changes.py``, ``docs/figures.md``). It is
backfilled here from the placements as they are, by the same SELECT the writes use. The
index on ``placements.ended_on`` serves the summary's dismissals in a period.
Only ``down_revision`` names a neighbour: re-parenting this revision changes that line alone.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0018"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "wage_changes",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("agency_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("city", sa.String(length=100), nullable=False),
        sa.Column("woman", sa.Boolean(), nullable=False),
        sa.Column("running", sa.Boolean(), nullable=False),
        sa.Column("wage", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["agency_id"],
            ["agencies.id"],
            name=op.f("fk_wage_changes_agency_id_agencies"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "day", "agency_id", "city", "woman", "running", name=op.f("pk_wage_changes")
        ),
    )
    with op.batch_alter_table("placements") as batch_op:
        batch_op.create_index("ix_placements_ended_on", ["ended_on"], unique=False)
    from matching.db import models as m
    from matching.db.wage_changes import KEY, changes

    bind = op.get_bind()
    pg = bind.dialect.name == "postgresql"
    bind.execute(sa.insert(m.WageChange).from_select([*KEY, "wage"], changes(pg)))


def downgrade() -> None:
    with op.batch_alter_table("placements") as batch_op:
        batch_op.drop_index("ix_placements_ended_on")
    op.drop_table("wage_changes")
