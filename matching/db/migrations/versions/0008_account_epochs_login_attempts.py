"""accounts: a token epoch and a forced password change; failed logins per key

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02 12:00:00.000000

``accounts.token_epoch`` is carried in every bearer token and console session; bumping it
(deactivation, a role or scope change, a password change or reset) ends them all.
``accounts.must_change_password`` is set by an admin's reset. ``login_attempts`` counts failed
logins per username and per client address in a window, shared by every API process.
Only ``down_revision`` names a neighbour: re-parenting this revision changes that line alone.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import matching.db.base

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("accounts", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("token_epoch", sa.Integer(), server_default="0", nullable=False)
        )
        batch_op.add_column(
            sa.Column(
                "must_change_password", sa.Boolean(), server_default=sa.false(), nullable=False
            )
        )
    op.create_table(
        "login_attempts",
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("window_start", matching.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_login_attempts")),
    )


def downgrade() -> None:
    op.drop_table("login_attempts")
    with op.batch_alter_table("accounts", schema=None) as batch_op:
        batch_op.drop_column("must_change_password")
        batch_op.drop_column("token_epoch")
