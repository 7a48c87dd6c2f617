"""fair registrations: the job fair's QR self-registration queue

Revision ID: 0014
Revises: 0012
Create Date: 2026-12-02 03:30:00.000000

``job_fairs.register_code`` (the unguessable code of a fair's phone page, ``/f/{code}``; each
existing fair is given one) and ``fair_registrations``: what a woman entered on that page,
queued until staff confirm it into the register or reject it (then its personal fields are
blanked), or until the retention job deletes it.
Only ``down_revision`` names a neighbour: re-parenting this revision changes that line alone.
"""

import secrets
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import matching.db.base

revision: str = "0014"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("job_fairs") as batch:
        batch.add_column(sa.Column("register_code", sa.String(length=32), nullable=True))
    bind = op.get_bind()
    fairs = sa.table("job_fairs", sa.column("id", sa.Integer), sa.column("register_code"))
    for (fair_id,) in bind.execute(sa.select(fairs.c.id)).all():
        bind.execute(
            fairs.update()
            .where(fairs.c.id == fair_id)
            .values(register_code=secrets.token_urlsafe(12))
        )
    with op.batch_alter_table("job_fairs") as batch:
        batch.alter_column("register_code", existing_type=sa.String(length=32), nullable=False)
        batch.create_unique_constraint(op.f("uq_job_fairs_register_code"), ["register_code"])
    op.create_table(
        "fair_registrations",
        sa.Column("job_fair_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=True),
        sa.Column("phone", sa.String(length=32), nullable=True),
        sa.Column("birth_date", sa.Date(), nullable=True),
        sa.Column("home_county", sa.String(length=100), nullable=True),
        sa.Column("skills", sa.JSON(), nullable=True),
        sa.Column("willing_to_relocate", sa.Boolean(), nullable=True),
        sa.Column("consent_version", sa.String(length=16), nullable=False),
        sa.Column("consented_at", matching.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_at", matching.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("handled_at", matching.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("handled_by_id", sa.Integer(), nullable=True),
        sa.Column("worker_id", sa.Integer(), nullable=True),
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.CheckConstraint(
            "status IN ('queued', 'confirmed', 'duplicate', 'rejected', 'expired')",
            name=op.f("ck_fair_registrations_status"),
        ),
        sa.ForeignKeyConstraint(
            ["handled_by_id"],
            ["accounts.id"],
            name=op.f("fk_fair_registrations_handled_by_id_accounts"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["job_fair_id"],
            ["job_fairs.id"],
            name=op.f("fk_fair_registrations_job_fair_id_job_fairs"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["worker_id"],
            ["worker_profiles.id"],
            name=op.f("fk_fair_registrations_worker_id_worker_profiles"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_fair_registrations")),
    )
    op.create_index(
        "ix_fair_registrations_fair_status",
        "fair_registrations",
        ["job_fair_id", "status"],
        unique=False,
    )
    op.create_index(
        "ix_fair_registrations_created_at", "fair_registrations", ["created_at"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_fair_registrations_created_at", table_name="fair_registrations")
    op.drop_index("ix_fair_registrations_fair_status", table_name="fair_registrations")
    op.drop_table("fair_registrations")
    with op.batch_alter_table("job_fairs") as batch:
        batch.drop_constraint(op.f("uq_job_fairs_register_code"), type_="unique")
        batch.drop_column("register_code")
