"""match runs: the share of the markets a run covers; one live run per share

Revision ID: 0020
Revises: 0016
Create Date: 2026-12-02 06:40:00.000000

A run covers share ``share`` of ``shares`` (K of N); every run before this covered all the
markets (1 of 1). The unique index on ``live`` (one live run per database) becomes one on
(live, shares, share): runs over disjoint shares of one partition may be live at once.
Only ``down_revision`` names a neighbour: re-parenting this revision changes that line alone.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0020"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("match_runs", schema=None) as batch_op:
        batch_op.add_column(sa.Column("share", sa.Integer(), server_default="1", nullable=False))
        batch_op.add_column(sa.Column("shares", sa.Integer(), server_default="1", nullable=False))
        batch_op.create_check_constraint(
            op.f("ck_match_runs_share"), "share >= 1 AND share <= shares"
        )
        batch_op.drop_index("uq_match_runs_live")
        batch_op.create_index("uq_match_runs_live_share", ["live", "shares", "share"], unique=True)


def downgrade() -> None:
    # Runs live over shares at the downgrade would break the old index: they are failed.
    op.execute(
        "UPDATE match_runs SET status = 'failed', live = NULL, "
        "error = 'interrupted: the database was downgraded' "
        "WHERE live IS NOT NULL AND shares > 1"
    )
    with op.batch_alter_table("match_runs", schema=None) as batch_op:
        batch_op.drop_index("uq_match_runs_live_share")
        batch_op.create_index("uq_match_runs_live", ["live"], unique=True)
        batch_op.drop_constraint(op.f("ck_match_runs_share"), type_="check")
        batch_op.drop_column("shares")
        batch_op.drop_column("share")
