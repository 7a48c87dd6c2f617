"""match runs, proposals, offers

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28 16:16:01.108911
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import matching.db.base

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "match_runs",
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("live", sa.Boolean(), nullable=True),
        sa.Column("dry_run", sa.Boolean(), nullable=False),
        sa.Column("trigger", sa.String(length=16), nullable=False),
        sa.Column("requested_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", matching.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("started_at", matching.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("finished_at", matching.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("stats", sa.JSON(), nullable=False),
        sa.Column("audit", sa.JSON(), nullable=False),
        sa.Column("timings", sa.JSON(), nullable=False),
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.CheckConstraint(
            "status IN ('queued', 'running', 'done', 'failed')", name=op.f("ck_match_runs_status")
        ),
        sa.ForeignKeyConstraint(
            ["requested_by_id"],
            ["accounts.id"],
            name=op.f("fk_match_runs_requested_by_id_accounts"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_match_runs")),
    )
    with op.batch_alter_table("match_runs", schema=None) as batch_op:
        batch_op.create_index("uq_match_runs_live", ["live"], unique=True)

    op.create_table(
        "proposals",
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("worker_id", sa.Integer(), nullable=False),
        sa.Column("opening_id", sa.Integer(), nullable=False),
        sa.Column("score", sa.Integer(), nullable=False),
        sa.Column("priority", sa.Boolean(), nullable=False),
        sa.Column("parts", sa.JSON(), nullable=False),
        sa.Column("reasons", sa.JSON(), nullable=False),
        sa.Column("runners_up", sa.JSON(), nullable=False),
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.ForeignKeyConstraint(
            ["opening_id"],
            ["openings.id"],
            name=op.f("fk_proposals_opening_id_openings"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["match_runs.id"],
            name=op.f("fk_proposals_run_id_match_runs"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["worker_id"],
            ["worker_profiles.id"],
            name=op.f("fk_proposals_worker_id_worker_profiles"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_proposals")),
    )
    with op.batch_alter_table("proposals", schema=None) as batch_op:
        batch_op.create_index("ix_proposals_run_opening", ["run_id", "opening_id"], unique=False)
        batch_op.create_index("ix_proposals_run_worker", ["run_id", "worker_id"], unique=True)
        batch_op.create_index("ix_proposals_worker", ["worker_id"], unique=False)

    op.create_table(
        "unproposed",
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("worker_id", sa.Integer(), nullable=False),
        sa.Column("reason", sa.SmallInteger(), nullable=False),
        sa.Column("zh", sa.String(length=300), nullable=False),
        sa.Column("en", sa.String(length=300), nullable=False),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["match_runs.id"],
            name=op.f("fk_unproposed_run_id_match_runs"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["worker_id"],
            ["worker_profiles.id"],
            name=op.f("fk_unproposed_worker_id_worker_profiles"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("run_id", "worker_id", name=op.f("pk_unproposed")),
    )
    op.create_table(
        "offers",
        sa.Column("run_id", sa.Integer(), nullable=True),
        sa.Column("worker_id", sa.Integer(), nullable=False),
        sa.Column("opening_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_at", matching.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", matching.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("responded_at", matching.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("responded_by", sa.String(length=32), nullable=True),
        sa.Column("reason", sa.String(length=500), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.CheckConstraint(
            "status IN ('pending', 'accepted', 'declined', 'expired', 'confirmed', 'withdrawn')",
            name=op.f("ck_offers_status"),
        ),
        sa.ForeignKeyConstraint(
            ["opening_id"],
            ["openings.id"],
            name=op.f("fk_offers_opening_id_openings"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["match_runs.id"],
            name=op.f("fk_offers_run_id_match_runs"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["worker_id"],
            ["worker_profiles.id"],
            name=op.f("fk_offers_worker_id_worker_profiles"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_offers")),
    )
    with op.batch_alter_table("offers", schema=None) as batch_op:
        batch_op.create_index("ix_offers_opening_status", ["opening_id", "status"], unique=False)
        batch_op.create_index("ix_offers_status_expires", ["status", "expires_at"], unique=False)
        batch_op.create_index(
            "uq_offers_worker_live",
            ["worker_id"],
            unique=True,
            postgresql_where=sa.text("status IN ('pending', 'accepted')"),
            sqlite_where=sa.text("status IN ('pending', 'accepted')"),
        )


def downgrade() -> None:
    with op.batch_alter_table("offers", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_offers_worker_live",
            postgresql_where=sa.text("status IN ('pending', 'accepted')"),
            sqlite_where=sa.text("status IN ('pending', 'accepted')"),
        )
        batch_op.drop_index("ix_offers_status_expires")
        batch_op.drop_index("ix_offers_opening_status")

    op.drop_table("offers")
    op.drop_table("unproposed")
    with op.batch_alter_table("proposals", schema=None) as batch_op:
        batch_op.drop_index("ix_proposals_worker")
        batch_op.drop_index("ix_proposals_run_worker")
        batch_op.drop_index("ix_proposals_run_opening")

    op.drop_table("proposals")
    with op.batch_alter_table("match_runs", schema=None) as batch_op:
        batch_op.drop_index("uq_match_runs_live")

    op.drop_table("match_runs")
