"""aftercare: tasks, cases, standing, bans, training, fees

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-28 16:35:14.585711
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import matching.db.base

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "courses",
        sa.Column("agency_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("skill_code", sa.String(length=32), nullable=True),
        sa.Column("level", sa.SmallInteger(), nullable=True),
        sa.Column("fee", sa.Integer(), nullable=False),
        sa.Column("created_at", matching.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.CheckConstraint("fee >= 0", name=op.f("ck_courses_fee")),
        sa.CheckConstraint("level IS NULL OR level BETWEEN 1 AND 5", name=op.f("ck_courses_level")),
        sa.ForeignKeyConstraint(
            ["agency_id"],
            ["agencies.id"],
            name=op.f("fk_courses_agency_id_agencies"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_courses")),
    )
    op.create_table(
        "fee_schedules",
        sa.Column("agency_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("rules", sa.JSON(), nullable=False),
        sa.Column("published_at", matching.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("published_by", sa.String(length=32), nullable=False),
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.ForeignKeyConstraint(
            ["agency_id"],
            ["agencies.id"],
            name=op.f("fk_fee_schedules_agency_id_agencies"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_fee_schedules")),
        sa.UniqueConstraint(
            "agency_id", "version", name=op.f("uq_fee_schedules_agency_id_version")
        ),
    )
    op.create_table(
        "standing_changes",
        sa.Column("employer_id", sa.Integer(), nullable=False),
        sa.Column("field", sa.String(length=24), nullable=False),
        sa.Column("old", sa.SmallInteger(), nullable=False),
        sa.Column("new", sa.SmallInteger(), nullable=False),
        sa.Column("cause", sa.String(length=300), nullable=False),
        sa.Column("cause_key", sa.String(length=100), nullable=False),
        sa.Column("at", matching.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.ForeignKeyConstraint(
            ["employer_id"],
            ["employers.id"],
            name=op.f("fk_standing_changes_employer_id_employers"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_standing_changes")),
        sa.UniqueConstraint("cause_key", "field", name=op.f("uq_standing_changes_cause_key_field")),
    )
    with op.batch_alter_table("standing_changes", schema=None) as batch_op:
        batch_op.create_index("ix_standing_changes_employer", ["employer_id", "id"], unique=False)

    op.create_table(
        "training_sessions",
        sa.Column("course_id", sa.Integer(), nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=False),
        sa.Column("place", sa.String(length=200), nullable=False),
        sa.Column("capacity", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.CheckConstraint("capacity >= 1", name=op.f("ck_training_sessions_capacity")),
        sa.ForeignKeyConstraint(
            ["course_id"],
            ["courses.id"],
            name=op.f("fk_training_sessions_course_id_courses"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_training_sessions")),
    )
    op.create_table(
        "employer_bans",
        sa.Column("worker_id", sa.Integer(), nullable=False),
        sa.Column("employer_id", sa.Integer(), nullable=False),
        sa.Column("reason", sa.String(length=100), nullable=False),
        sa.Column("at", matching.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["employer_id"],
            ["employers.id"],
            name=op.f("fk_employer_bans_employer_id_employers"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["worker_id"],
            ["worker_profiles.id"],
            name=op.f("fk_employer_bans_worker_id_worker_profiles"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("worker_id", "employer_id", name=op.f("pk_employer_bans")),
    )
    op.create_table(
        "enrolments",
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("worker_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("fee_due", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("fee_waived", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("enrolled_at", matching.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("completed_on", sa.Date(), nullable=True),
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.CheckConstraint(
            "status IN ('enrolled', 'completed', 'withdrawn')", name=op.f("ck_enrolments_status")
        ),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["training_sessions.id"],
            name=op.f("fk_enrolments_session_id_training_sessions"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["worker_id"],
            ["worker_profiles.id"],
            name=op.f("fk_enrolments_worker_id_worker_profiles"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_enrolments")),
        sa.UniqueConstraint(
            "session_id", "worker_id", name=op.f("uq_enrolments_session_id_worker_id")
        ),
    )
    op.create_table(
        "cases",
        sa.Column("type", sa.String(length=32), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("placement_id", sa.Integer(), nullable=False),
        sa.Column("worker_id", sa.Integer(), nullable=False),
        sa.Column("employer_id", sa.Integer(), nullable=False),
        sa.Column("agency_id", sa.Integer(), nullable=False),
        sa.Column("office_id", sa.Integer(), nullable=True),
        sa.Column("summary", sa.String(length=1000), nullable=False),
        sa.Column("money_claimed", sa.Integer(), nullable=False),
        sa.Column("money_recovered", sa.Integer(), nullable=False),
        sa.Column("outcome", sa.String(length=32), nullable=True),
        sa.Column("opened_by", sa.String(length=32), nullable=False),
        sa.Column("opened_at", matching.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("closed_at", matching.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.CheckConstraint(
            "status IN ('open', 'mediating', 'resolved', 'escalated', 'closed')",
            name=op.f("ck_cases_status"),
        ),
        sa.CheckConstraint(
            "money_claimed >= 0 AND money_recovered >= 0", name=op.f("ck_cases_money")
        ),
        sa.ForeignKeyConstraint(
            ["agency_id"],
            ["agencies.id"],
            name=op.f("fk_cases_agency_id_agencies"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["employer_id"],
            ["employers.id"],
            name=op.f("fk_cases_employer_id_employers"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["office_id"],
            ["offices.id"],
            name=op.f("fk_cases_office_id_offices"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["placement_id"],
            ["placements.id"],
            name=op.f("fk_cases_placement_id_placements"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["worker_id"],
            ["worker_profiles.id"],
            name=op.f("fk_cases_worker_id_worker_profiles"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cases")),
    )
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.create_index("ix_cases_agency_status", ["agency_id", "status"], unique=False)
        batch_op.create_index("ix_cases_office_status", ["office_id", "status"], unique=False)

    op.create_table(
        "case_entries",
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("at", matching.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("who", sa.String(length=100), nullable=False),
        sa.Column("action", sa.String(length=32), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("status_from", sa.String(length=16), nullable=True),
        sa.Column("status_to", sa.String(length=16), nullable=True),
        sa.Column("amount", sa.Integer(), nullable=True),
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["cases.id"],
            name=op.f("fk_case_entries_case_id_cases"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_entries")),
    )
    with op.batch_alter_table("case_entries", schema=None) as batch_op:
        batch_op.create_index("ix_case_entries_case", ["case_id", "id"], unique=False)

    op.create_table(
        "checkin_links",
        sa.Column("code", sa.String(length=24), nullable=False),
        sa.Column("follow_up_id", sa.Integer(), nullable=False),
        sa.Column("worker_id", sa.Integer(), nullable=False),
        sa.Column("expires_at", matching.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("used_at", matching.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["follow_up_id"],
            ["follow_ups.id"],
            name=op.f("fk_checkin_links_follow_up_id_follow_ups"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["worker_id"],
            ["worker_profiles.id"],
            name=op.f("fk_checkin_links_worker_id_worker_profiles"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_checkin_links")),
        sa.UniqueConstraint("follow_up_id", name=op.f("uq_checkin_links_follow_up_id")),
    )
    op.create_table(
        "tasks",
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("dedupe_key", sa.String(length=100), nullable=False),
        sa.Column("agency_id", sa.Integer(), nullable=False),
        sa.Column("office_id", sa.Integer(), nullable=True),
        sa.Column("worker_id", sa.Integer(), nullable=False),
        sa.Column("placement_id", sa.Integer(), nullable=True),
        sa.Column("follow_up_id", sa.Integer(), nullable=True),
        sa.Column("case_id", sa.Integer(), nullable=True),
        sa.Column("summary", sa.String(length=500), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_at", matching.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("done_at", matching.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("done_by", sa.String(length=32), nullable=True),
        sa.Column("note", sa.String(length=1000), nullable=True),
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.CheckConstraint("status IN ('open', 'done')", name=op.f("ck_tasks_status")),
        sa.ForeignKeyConstraint(
            ["agency_id"],
            ["agencies.id"],
            name=op.f("fk_tasks_agency_id_agencies"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_tasks_case_id_cases"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["follow_up_id"],
            ["follow_ups.id"],
            name=op.f("fk_tasks_follow_up_id_follow_ups"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["office_id"],
            ["offices.id"],
            name=op.f("fk_tasks_office_id_offices"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["placement_id"],
            ["placements.id"],
            name=op.f("fk_tasks_placement_id_placements"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["worker_id"],
            ["worker_profiles.id"],
            name=op.f("fk_tasks_worker_id_worker_profiles"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tasks")),
        sa.UniqueConstraint("dedupe_key", name=op.f("uq_tasks_dedupe_key")),
    )
    with op.batch_alter_table("tasks", schema=None) as batch_op:
        batch_op.create_index("ix_tasks_agency_status", ["agency_id", "status"], unique=False)

    with op.batch_alter_table("placements", schema=None) as batch_op:
        batch_op.add_column(sa.Column("fee_due", sa.Integer(), nullable=False, server_default="0"))
        batch_op.add_column(
            sa.Column("fee_waived", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch_op.add_column(sa.Column("fee_schedule_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("fee_schedule_version", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("reemployed_after_days", sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column("day90_credited", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_placements_fee_schedule_id_fee_schedules"),
            "fee_schedules",
            ["fee_schedule_id"],
            ["id"],
            ondelete="RESTRICT",
        )


def downgrade() -> None:
    with op.batch_alter_table("placements", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_placements_fee_schedule_id_fee_schedules"), type_="foreignkey"
        )
        batch_op.drop_column("day90_credited")
        batch_op.drop_column("reemployed_after_days")
        batch_op.drop_column("fee_schedule_version")
        batch_op.drop_column("fee_schedule_id")
        batch_op.drop_column("fee_waived")
        batch_op.drop_column("fee_due")

    with op.batch_alter_table("tasks", schema=None) as batch_op:
        batch_op.drop_index("ix_tasks_agency_status")

    op.drop_table("tasks")
    op.drop_table("checkin_links")
    with op.batch_alter_table("case_entries", schema=None) as batch_op:
        batch_op.drop_index("ix_case_entries_case")

    op.drop_table("case_entries")
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.drop_index("ix_cases_office_status")
        batch_op.drop_index("ix_cases_agency_status")

    op.drop_table("cases")
    op.drop_table("enrolments")
    op.drop_table("employer_bans")
    op.drop_table("training_sessions")
    with op.batch_alter_table("standing_changes", schema=None) as batch_op:
        batch_op.drop_index("ix_standing_changes_employer")

    op.drop_table("standing_changes")
    op.drop_table("fee_schedules")
    op.drop_table("courses")
