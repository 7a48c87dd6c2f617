"""priority policies: which priority groups are placed first, each change with who and when

Revision ID: 0016
Revises: 0012
Create Date: 2026-12-02 03:40:00.000000

``priority_policies`` holds one row per change an admin makes to the groups that carry
priority in matching (the newest is in force; with no row the reference list's defaults are).
Only ``down_revision`` names a neighbour: re-parenting this revision changes that line alone.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import matching.db.base

revision: str = "0016"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "priority_policies",
        sa.Column("groups", sa.JSON(), nullable=False),
        sa.Column("note", sa.String(length=500), nullable=True),
        sa.Column("changed_by_id", sa.Integer(), nullable=True),
        sa.Column("changed_at", matching.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.ForeignKeyConstraint(
            ["changed_by_id"],
            ["accounts.id"],
            name=op.f("fk_priority_policies_changed_by_id_accounts"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_priority_policies")),
    )
    with op.batch_alter_table("priority_policies", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_priority_policies_changed_at"), ["changed_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("priority_policies", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_priority_policies_changed_at"))
    op.drop_table("priority_policies")
