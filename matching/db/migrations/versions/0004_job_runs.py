"""job runs: the scheduler's log of job executions (one row per tick; the claim)

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-28 16:26:21.452289
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import matching.db.base

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "job_runs",
        sa.Column("job", sa.String(length=64), nullable=False),
        sa.Column("scheduled_at", matching.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("started_at", matching.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("finished_at", matching.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("pid", sa.Integer(), nullable=False),
        sa.Column("host", sa.String(length=255), nullable=False),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("counts", sa.JSON(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.CheckConstraint(
            "outcome IN ('running', 'ok', 'failed', 'missed')", name=op.f("ck_job_runs_outcome")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_job_runs")),
        sa.UniqueConstraint("job", "scheduled_at", name=op.f("uq_job_runs_job_scheduled_at")),
    )
    with op.batch_alter_table("job_runs", schema=None) as batch_op:
        batch_op.create_index("ix_job_runs_started", ["started_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("job_runs", schema=None) as batch_op:
        batch_op.drop_index("ix_job_runs_started")

    op.drop_table("job_runs")
