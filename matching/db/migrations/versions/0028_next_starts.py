"""next starts: each placement's next start overall, in its city, agency and both, and copies
of its city and her sex; the start date index covers what the summary's distinct counts read

Revision ID: 0028
Revises: 0022
Create Date: 2026-12-02 13:10:00.000000

The summary counts a worker once in a period by her one placement in it whose next start (in
the grouping a breakdown needs) is after the period (``matching/db/next_starts.py``,
``docs/figures.md``), and reads the opening's city and whether she is a woman from copies on
the placement, so it joins neither table. The columns are backfilled here by the same UPDATE
the writes use (the window ``lead(start_date) over (partition by worker_id[, city][,
agency_id] order by start_date, id)``, on both databases); on PostgreSQL the start date index
then includes them and everything else the counts read, so they are answered by an index-only
scan, and a partial index holds the placements with a wait (re-employment). The end date index
covers the dismissals in a period, and the offers made at a job fair get an index of their own
(the summary's hires at fairs read every offer without it).
Only ``down_revision`` names a neighbour: re-parenting this revision changes that line alone.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0028"
down_revision: str | None = "0022"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COLUMNS = ("next_start", "next_start_city", "next_start_agency", "next_start_place")
INCLUDE = [
    "ended_on", "agency_id", "worker_id", "employer_id", "in_home_county", "counted_city",
    "counted_woman",
    *COLUMNS,
]  # fmt: skip
WAITED = sa.text("reemployed_after_days IS NOT NULL")
ENDED = ["end_reason", "worker_id", "agency_id", "counted_city"]
AT_A_FAIR = sa.text("job_fair_id IS NOT NULL")


def upgrade() -> None:
    with op.batch_alter_table("placements") as batch_op:
        batch_op.drop_index("ix_placements_start_date")
        batch_op.drop_index("ix_placements_ended_on")
        for name in COLUMNS:
            batch_op.add_column(sa.Column(name, sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("counted_city", sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column("counted_woman", sa.Boolean(), nullable=True))
    from matching.db import next_starts

    op.get_bind().execute(next_starts.statement())
    with op.batch_alter_table("placements") as batch_op:
        batch_op.create_index(
            "ix_placements_start_date", ["start_date"], unique=False, postgresql_include=INCLUDE
        )
        batch_op.create_index(
            "ix_placements_reemployed",
            ["start_date"],
            unique=False,
            postgresql_include=["ended_on", "agency_id", "worker_id", "counted_city"],
            postgresql_where=WAITED,
            sqlite_where=WAITED,
        )
        batch_op.create_index(
            "ix_placements_ended_on", ["ended_on"], unique=False, postgresql_include=ENDED
        )
    with op.batch_alter_table("offers") as batch_op:
        batch_op.create_index(
            "ix_offers_job_fair",
            ["job_fair_id"],
            unique=False,
            postgresql_where=AT_A_FAIR,
            sqlite_where=AT_A_FAIR,
        )


def downgrade() -> None:
    with op.batch_alter_table("offers") as batch_op:
        batch_op.drop_index("ix_offers_job_fair")
    with op.batch_alter_table("placements") as batch_op:
        batch_op.drop_index("ix_placements_ended_on")
        batch_op.drop_index("ix_placements_reemployed")
        batch_op.drop_index("ix_placements_start_date")
        for name in (*COLUMNS, "counted_city", "counted_woman"):
            batch_op.drop_column(name)
        batch_op.create_index("ix_placements_start_date", ["start_date"], unique=False)
        batch_op.create_index("ix_placements_ended_on", ["ended_on"], unique=False)
