"""erasure: a worker's identity can be erased, and the erasure is recorded

Revision ID: 0011
Revises: 0009
Create Date: 2026-12-02 12:00:00.000000

``worker_profiles.erased_at`` marks a worker whose identity was erased (PIPL art. 47); her
``phone``, ``birth_date`` and ``home_county`` become nullable, NULL only once she is erased.
``erasures`` records who erased her, when and why, and what was kept without her identity.
Only ``down_revision`` names a neighbour: re-parenting this revision changes that line alone.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import matching.db.base

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("worker_profiles", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("erased_at", matching.db.base.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.alter_column("phone", existing_type=sa.String(length=20), nullable=True)
        batch_op.alter_column("birth_date", existing_type=sa.Date(), nullable=True)
        batch_op.alter_column("home_county", existing_type=sa.String(length=100), nullable=True)
    op.create_table(
        "erasures",
        sa.Column("worker_id", sa.Integer(), nullable=False),
        sa.Column("at", matching.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("by_id", sa.Integer(), nullable=True),
        sa.Column("reason", sa.String(length=500), nullable=False),
        sa.Column("kept", sa.JSON(), nullable=False),
        sa.Column("removed", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["by_id"], ["accounts.id"], name=op.f("fk_erasures_by_id_accounts"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["worker_id"],
            ["worker_profiles.id"],
            name=op.f("fk_erasures_worker_id_worker_profiles"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("worker_id", name=op.f("pk_erasures")),
    )


def downgrade() -> None:
    # An erased worker has no phone, birth date or home county to restore: going below 0011
    # needs her row gone first (her counted records go with it).
    op.drop_table("erasures")
    with op.batch_alter_table("worker_profiles", schema=None) as batch_op:
        batch_op.alter_column("home_county", existing_type=sa.String(length=100), nullable=False)
        batch_op.alter_column("birth_date", existing_type=sa.Date(), nullable=False)
        batch_op.alter_column("phone", existing_type=sa.String(length=20), nullable=False)
        batch_op.drop_column("erased_at")
