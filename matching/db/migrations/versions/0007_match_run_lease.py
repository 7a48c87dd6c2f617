"""match runs: a lease renewed by the process that runs them

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02 10:00:00.000000

A live run whose lease ran out died with its process; the next request fails it. Runs live
when this migrates have no lease and count as lapsed (their process predates the lease).
Only ``down_revision`` names a neighbour: re-parenting this revision changes that line alone.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import matching.db.base

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("match_runs", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("lease_until", matching.db.base.UTCDateTime(timezone=True), nullable=True)
        )


def downgrade() -> None:
    with op.batch_alter_table("match_runs", schema=None) as batch_op:
        batch_op.drop_column("lease_until")
