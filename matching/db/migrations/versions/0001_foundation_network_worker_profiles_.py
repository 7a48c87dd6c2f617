"""foundation: network, worker profiles, employers, openings

Revision ID: 0001
Revises:
Create Date: 2026-11-28 16:07:48.841496
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import matching.db.base

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "agencies",
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("created_at", matching.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_agencies")),
        sa.UniqueConstraint("name", name=op.f("uq_agencies_name")),
    )
    op.create_table(
        "employers",
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("city", sa.String(length=100), nullable=False),
        sa.Column("industry", sa.String(length=100), nullable=True),
        sa.Column("reputation", sa.Integer(), nullable=False),
        sa.Column("labour_protection", sa.Integer(), nullable=False),
        sa.Column("partner", sa.Boolean(), nullable=False),
        sa.Column("suspended", sa.Boolean(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", matching.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.CheckConstraint(
            "labour_protection BETWEEN 0 AND 100", name=op.f("ck_employers_labour_protection")
        ),
        sa.CheckConstraint("reputation BETWEEN 0 AND 100", name=op.f("ck_employers_reputation")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_employers")),
    )
    op.create_table(
        "offices",
        sa.Column("agency_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("city", sa.String(length=100), nullable=False),
        sa.Column("phone", sa.String(length=32), nullable=True),
        sa.Column("created_at", matching.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.ForeignKeyConstraint(
            ["agency_id"],
            ["agencies.id"],
            name=op.f("fk_offices_agency_id_agencies"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_offices")),
        sa.UniqueConstraint("agency_id", "name", name=op.f("uq_offices_agency_id_name")),
    )
    with op.batch_alter_table("offices", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_offices_city"), ["city"], unique=False)

    op.create_table(
        "accounts",
        sa.Column("username", sa.String(length=100), nullable=False),
        sa.Column("password_hash", sa.String(length=200), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("agency_id", sa.Integer(), nullable=True),
        sa.Column("office_id", sa.Integer(), nullable=True),
        sa.Column("employer_id", sa.Integer(), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", matching.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.CheckConstraint(
            "role <> 'employer' OR employer_id IS NOT NULL", name=op.f("ck_accounts_employer_scope")
        ),
        sa.CheckConstraint(
            "role <> 'staff' OR agency_id IS NOT NULL", name=op.f("ck_accounts_staff_agency")
        ),
        sa.CheckConstraint("role IN ('admin', 'staff', 'employer')", name=op.f("ck_accounts_role")),
        sa.ForeignKeyConstraint(
            ["agency_id"],
            ["agencies.id"],
            name=op.f("fk_accounts_agency_id_agencies"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["employer_id"],
            ["employers.id"],
            name=op.f("fk_accounts_employer_id_employers"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["office_id"],
            ["offices.id"],
            name=op.f("fk_accounts_office_id_offices"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_accounts")),
        sa.UniqueConstraint("username", name=op.f("uq_accounts_username")),
    )
    with op.batch_alter_table("accounts", schema=None) as batch_op:
        batch_op.create_index("ix_accounts_agency", ["agency_id"], unique=False)

    op.create_table(
        "openings",
        sa.Column("employer_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("city", sa.String(length=100), nullable=False),
        sa.Column("county", sa.String(length=100), nullable=True),
        sa.Column("headcount", sa.Integer(), nullable=False),
        sa.Column("monthly_wage_min", sa.Integer(), nullable=False),
        sa.Column("monthly_wage_max", sa.Integer(), nullable=False),
        sa.Column("housing_provided", sa.Boolean(), nullable=False),
        sa.Column("start_date", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", matching.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", matching.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.CheckConstraint("status IN ('open', 'closed')", name=op.f("ck_openings_status")),
        sa.CheckConstraint("headcount >= 1", name=op.f("ck_openings_headcount")),
        sa.CheckConstraint(
            "monthly_wage_min >= 0 AND monthly_wage_min <= monthly_wage_max",
            name=op.f("ck_openings_wage"),
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["accounts.id"],
            name=op.f("fk_openings_created_by_id_accounts"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["employer_id"],
            ["employers.id"],
            name=op.f("fk_openings_employer_id_employers"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_openings")),
    )
    with op.batch_alter_table("openings", schema=None) as batch_op:
        batch_op.create_index("ix_openings_employer", ["employer_id"], unique=False)
        batch_op.create_index("ix_openings_status_city", ["status", "city"], unique=False)

    op.create_table(
        "worker_profiles",
        sa.Column("agency_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("phone", sa.String(length=20), nullable=False),
        sa.Column("birth_date", sa.Date(), nullable=False),
        sa.Column("home_county", sa.String(length=100), nullable=False),
        sa.Column("willing_to_relocate", sa.Boolean(), nullable=False),
        sa.Column("preferred_cities", sa.JSON(), nullable=False),
        sa.Column("min_monthly_wage", sa.Integer(), nullable=True),
        sa.Column("needs_housing", sa.Boolean(), nullable=False),
        sa.Column("available_from", sa.Date(), nullable=True),
        sa.Column("consent_matching", sa.Boolean(), nullable=False),
        sa.Column("consent_at", matching.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("id_number_enc", sa.String(length=200), nullable=True),
        sa.Column("id_number_hash", sa.String(length=64), nullable=True),
        sa.Column("id_number_masked", sa.String(length=18), nullable=True),
        sa.Column("locale", sa.String(length=8), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", matching.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", matching.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.CheckConstraint(
            "status IN ('available', 'offered', 'placed', 'inactive')",
            name=op.f("ck_worker_profiles_status"),
        ),
        sa.ForeignKeyConstraint(
            ["agency_id"],
            ["agencies.id"],
            name=op.f("fk_worker_profiles_agency_id_agencies"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["accounts.id"],
            name=op.f("fk_worker_profiles_created_by_id_accounts"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_worker_profiles")),
        sa.UniqueConstraint("id_number_hash", name=op.f("uq_worker_profiles_id_number_hash")),
        sa.UniqueConstraint("phone", name=op.f("uq_worker_profiles_phone")),
    )
    with op.batch_alter_table("worker_profiles", schema=None) as batch_op:
        batch_op.create_index(
            "ix_worker_profiles_agency_status", ["agency_id", "status"], unique=False
        )

    op.create_table(
        "opening_skills",
        sa.Column("opening_id", sa.Integer(), nullable=False),
        sa.Column("skill_code", sa.String(length=32), nullable=False),
        sa.Column("min_level", sa.Integer(), nullable=False),
        sa.CheckConstraint("min_level BETWEEN 1 AND 5", name=op.f("ck_opening_skills_min_level")),
        sa.ForeignKeyConstraint(
            ["opening_id"],
            ["openings.id"],
            name=op.f("fk_opening_skills_opening_id_openings"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("opening_id", "skill_code", name=op.f("pk_opening_skills")),
    )
    op.create_table(
        "worker_groups",
        sa.Column("worker_id", sa.Integer(), nullable=False),
        sa.Column("group_code", sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(
            ["worker_id"],
            ["worker_profiles.id"],
            name=op.f("fk_worker_groups_worker_id_worker_profiles"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("worker_id", "group_code", name=op.f("pk_worker_groups")),
    )
    with op.batch_alter_table("worker_groups", schema=None) as batch_op:
        batch_op.create_index("ix_worker_groups_code", ["group_code"], unique=False)

    op.create_table(
        "worker_skills",
        sa.Column("worker_id", sa.Integer(), nullable=False),
        sa.Column("skill_code", sa.String(length=32), nullable=False),
        sa.Column("level", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("certified_on", sa.Date(), nullable=True),
        sa.CheckConstraint("level BETWEEN 1 AND 5", name=op.f("ck_worker_skills_level")),
        sa.ForeignKeyConstraint(
            ["worker_id"],
            ["worker_profiles.id"],
            name=op.f("fk_worker_skills_worker_id_worker_profiles"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("worker_id", "skill_code", name=op.f("pk_worker_skills")),
    )
    with op.batch_alter_table("worker_skills", schema=None) as batch_op:
        batch_op.create_index("ix_worker_skills_code_level", ["skill_code", "level"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("worker_skills", schema=None) as batch_op:
        batch_op.drop_index("ix_worker_skills_code_level")

    op.drop_table("worker_skills")
    with op.batch_alter_table("worker_groups", schema=None) as batch_op:
        batch_op.drop_index("ix_worker_groups_code")

    op.drop_table("worker_groups")
    op.drop_table("opening_skills")
    with op.batch_alter_table("worker_profiles", schema=None) as batch_op:
        batch_op.drop_index("ix_worker_profiles_agency_status")

    op.drop_table("worker_profiles")
    with op.batch_alter_table("openings", schema=None) as batch_op:
        batch_op.drop_index("ix_openings_status_city")
        batch_op.drop_index("ix_openings_employer")

    op.drop_table("openings")
    with op.batch_alter_table("accounts", schema=None) as batch_op:
        batch_op.drop_index("ix_accounts_agency")

    op.drop_table("accounts")
    with op.batch_alter_table("offices", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_offices_city"))

    op.drop_table("offices")
    op.drop_table("employers")
    op.drop_table("agencies")
