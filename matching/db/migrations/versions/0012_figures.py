"""figures: her sex, the placement's wage, local workshops, labour force and job fairs

Revision ID: 0012
Revises: 0009
Create Date: 2026-12-02 00:20:00.000000

What the federation's figures need: ``worker_profiles.sex`` (for statistics only; NULL for
workers registered before this revision until staff record it or her ID number is sent again:
the migration cannot read the encrypted ID numbers), ``placements.monthly_wage`` (backfilled
with the opening's lowest wage, the default a confirmation takes), ``employers.local_workshop``,
``offers.job_fair_id``, ``labour_force`` (an agency's township's labour force per year) and
``job_fairs`` with ``job_fair_employers``.
Only ``down_revision`` names a neighbour: re-parenting this revision changes that line alone.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import matching.db.base

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "job_fairs",
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("date", sa.Date(), nullable=False),
        sa.Column("place", sa.String(length=200), nullable=False),
        sa.Column("agency_id", sa.Integer(), nullable=True),
        sa.Column("attendees", sa.Integer(), nullable=False),
        sa.Column("consultations", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", matching.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.CheckConstraint(
            "attendees >= 0 AND consultations >= 0", name=op.f("ck_job_fairs_counts")
        ),
        sa.ForeignKeyConstraint(
            ["agency_id"],
            ["agencies.id"],
            name=op.f("fk_job_fairs_agency_id_agencies"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["accounts.id"],
            name=op.f("fk_job_fairs_created_by_id_accounts"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_job_fairs")),
    )
    with op.batch_alter_table("job_fairs", schema=None) as batch_op:
        batch_op.create_index("ix_job_fairs_date", ["date"], unique=False)

    op.create_table(
        "labour_force",
        sa.Column("agency_id", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("updated_at", matching.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_by_id", sa.Integer(), nullable=True),
        sa.CheckConstraint("count >= 0", name=op.f("ck_labour_force_count")),
        sa.ForeignKeyConstraint(
            ["agency_id"],
            ["agencies.id"],
            name=op.f("fk_labour_force_agency_id_agencies"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["updated_by_id"],
            ["accounts.id"],
            name=op.f("fk_labour_force_updated_by_id_accounts"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("agency_id", "year", name=op.f("pk_labour_force")),
    )
    op.create_table(
        "job_fair_employers",
        sa.Column("job_fair_id", sa.Integer(), nullable=False),
        sa.Column("employer_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["employer_id"],
            ["employers.id"],
            name=op.f("fk_job_fair_employers_employer_id_employers"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["job_fair_id"],
            ["job_fairs.id"],
            name=op.f("fk_job_fair_employers_job_fair_id_job_fairs"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("job_fair_id", "employer_id", name=op.f("pk_job_fair_employers")),
    )
    with op.batch_alter_table("employers", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("local_workshop", sa.Boolean(), server_default=sa.false(), nullable=False)
        )

    with op.batch_alter_table("offers", schema=None) as batch_op:
        batch_op.add_column(sa.Column("job_fair_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_offers_job_fair_id_job_fairs"),
            "job_fairs",
            ["job_fair_id"],
            ["id"],
            ondelete="SET NULL",
        )

    # The wage: nullable first, backfilled with the opening's lowest wage, then required.
    with op.batch_alter_table("placements", schema=None) as batch_op:
        batch_op.add_column(sa.Column("monthly_wage", sa.Integer(), nullable=True))
        batch_op.create_index("ix_placements_start_date", ["start_date"], unique=False)
    placements = sa.table(
        "placements", sa.column("opening_id", sa.Integer()), sa.column("monthly_wage", sa.Integer())
    )
    openings = sa.table(
        "openings", sa.column("id", sa.Integer()), sa.column("monthly_wage_min", sa.Integer())
    )
    op.execute(
        placements.update().values(
            monthly_wage=sa.select(openings.c.monthly_wage_min)
            .where(openings.c.id == placements.c.opening_id)
            .scalar_subquery()
        )
    )
    with op.batch_alter_table("placements", schema=None) as batch_op:
        batch_op.alter_column("monthly_wage", existing_type=sa.Integer(), nullable=False)
        batch_op.create_check_constraint("monthly_wage", "monthly_wage >= 0")

    # Local transfer is decided when she is placed: in her home county or not.
    with op.batch_alter_table("placements", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("in_home_county", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    op.execute(
        "UPDATE placements SET in_home_county = EXISTS (SELECT 1 FROM worker_profiles w, "
        "openings o WHERE w.id = placements.worker_id AND o.id = placements.opening_id "
        "AND o.county IS NOT NULL AND o.county = w.home_county)"
    )

    with op.batch_alter_table("worker_profiles", schema=None) as batch_op:
        batch_op.add_column(sa.Column("sex", sa.String(length=8), nullable=True))
        batch_op.create_check_constraint("sex", "sex IN ('female', 'male')")


def downgrade() -> None:
    with op.batch_alter_table("worker_profiles", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("ck_worker_profiles_sex"), type_="check")
        batch_op.drop_column("sex")

    with op.batch_alter_table("placements", schema=None) as batch_op:
        batch_op.drop_column("in_home_county")
        batch_op.drop_constraint(batch_op.f("ck_placements_monthly_wage"), type_="check")
        batch_op.drop_index("ix_placements_start_date")
        batch_op.drop_column("monthly_wage")

    with op.batch_alter_table("offers", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_offers_job_fair_id_job_fairs"), type_="foreignkey")
        batch_op.drop_column("job_fair_id")

    with op.batch_alter_table("employers", schema=None) as batch_op:
        batch_op.drop_column("local_workshop")

    op.drop_table("job_fair_employers")
    op.drop_table("labour_force")
    with op.batch_alter_table("job_fairs", schema=None) as batch_op:
        batch_op.drop_index("ix_job_fairs_date")
    op.drop_table("job_fairs")
