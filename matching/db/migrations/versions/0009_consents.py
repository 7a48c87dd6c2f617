"""consents: her consents as events, and a separate consent to sensitive information

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02 12:00:00.000000

Consent to matching and, separately, to holding her sensitive information (her priority
groups; PIPL art. 28/29) become events in ``consents``; the profile keeps the current state
(``consent_matching``, ``consent_at``, the new ``consent_sensitive``).

Backfill: a worker who consents to matching gets one ``matching`` event at ``consent_at``
(channel ``in_person``, text version ``legacy``). A worker holding a declared priority group
(anything but the derived ``reemployment``) was registered with it by staff in person, which
the rule of this revision counts as consent to holding it: she gets ``consent_sensitive`` and
one ``sensitive`` event at her registration, also ``legacy``.
Only ``down_revision`` names a neighbour: re-parenting this revision changes that line alone.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import matching.db.base

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_workers = sa.table(
    "worker_profiles",
    sa.column("id", sa.Integer()),
    sa.column("consent_matching", sa.Boolean()),
    sa.column("consent_sensitive", sa.Boolean()),
    sa.column("consent_at", matching.db.base.UTCDateTime(timezone=True)),
    sa.column("created_at", matching.db.base.UTCDateTime(timezone=True)),
)
_groups = sa.table("worker_groups", sa.column("worker_id", sa.Integer()), sa.column("group_code"))
_consents = sa.table(
    "consents",
    sa.column("worker_id", sa.Integer()),
    sa.column("kind", sa.String()),
    sa.column("given", sa.Boolean()),
    sa.column("text_version", sa.String()),
    sa.column("channel", sa.String()),
    sa.column("at", matching.db.base.UTCDateTime(timezone=True)),
)
_COLUMNS = ["worker_id", "kind", "given", "text_version", "channel", "at"]


def upgrade() -> None:
    op.create_table(
        "consents",
        sa.Column("worker_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("given", sa.Boolean(), nullable=False),
        sa.Column("text_version", sa.String(length=16), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("recorded_by_id", sa.Integer(), nullable=True),
        sa.Column("at", matching.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.CheckConstraint("kind IN ('matching', 'sensitive')", name=op.f("ck_consents_kind")),
        sa.CheckConstraint(
            "channel IN ('in_person', 'phone_page', 'sms')", name=op.f("ck_consents_channel")
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by_id"],
            ["accounts.id"],
            name=op.f("fk_consents_recorded_by_id_accounts"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["worker_id"],
            ["worker_profiles.id"],
            name=op.f("fk_consents_worker_id_worker_profiles"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_consents")),
    )
    with op.batch_alter_table("consents", schema=None) as batch_op:
        batch_op.create_index("ix_consents_worker_at", ["worker_id", "at"], unique=False)
    # A plain ALTER TABLE, not a batch: on SQLite a batch recreates the table, and dropping the
    # old one with foreign keys on would cascade to her skills, groups and offers.
    op.add_column(
        "worker_profiles",
        sa.Column("consent_sensitive", sa.Boolean(), server_default=sa.false(), nullable=False),
    )

    legacy = sa.literal("legacy", sa.String())
    in_person = sa.literal("in_person", sa.String())
    op.execute(
        _consents.insert().from_select(
            _COLUMNS,
            sa.select(
                _workers.c.id,
                sa.literal("matching", sa.String()),
                sa.true(),
                legacy,
                in_person,
                sa.func.coalesce(_workers.c.consent_at, _workers.c.created_at),
            ).where(_workers.c.consent_matching.is_(True)),
        )
    )
    declared = sa.exists().where(
        _groups.c.worker_id == _workers.c.id, _groups.c.group_code != "reemployment"
    )
    op.execute(_workers.update().where(declared).values(consent_sensitive=True))
    op.execute(
        _consents.insert().from_select(
            _COLUMNS,
            sa.select(
                _workers.c.id,
                sa.literal("sensitive", sa.String()),
                sa.true(),
                legacy,
                in_person,
                _workers.c.created_at,
            ).where(_workers.c.consent_sensitive.is_(True)),
        )
    )


def downgrade() -> None:
    op.drop_column("worker_profiles", "consent_sensitive")  # SQLite >= 3.35: no recreate
    with op.batch_alter_table("consents", schema=None) as batch_op:
        batch_op.drop_index("ix_consents_worker_at")
    op.drop_table("consents")
