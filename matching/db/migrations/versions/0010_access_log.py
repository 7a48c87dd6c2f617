"""access_log: who read which worker's personal data (append-only)

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02 18:00:00.000000

One row per read of one worker's personal data through the API, the console or an export:
the worker, the account that read, the action, the time and the request id. ``worker_id`` and
``actor_id`` carry no foreign key, so no cascade can rewrite the record of what was read.
Only ``down_revision`` names a neighbour: re-parenting this revision changes that line alone.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import matching.db.base

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "access_log",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("at", matching.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("action", sa.String(length=32), nullable=False),
        sa.Column("worker_id", sa.Integer(), nullable=False),
        sa.Column("request_id", sa.String(length=64), nullable=True),
        sa.Column("detail", sa.String(length=200), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_access_log")),
    )
    with op.batch_alter_table("access_log", schema=None) as batch_op:
        batch_op.create_index("ix_access_log_worker_at", ["worker_id", "at"], unique=False)
        batch_op.create_index("ix_access_log_actor_at", ["actor_id", "at"], unique=False)
        batch_op.create_index("ix_access_log_at", ["at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("access_log", schema=None) as batch_op:
        batch_op.drop_index("ix_access_log_at")
        batch_op.drop_index("ix_access_log_actor_at")
        batch_op.drop_index("ix_access_log_worker_at")
    op.drop_table("access_log")
