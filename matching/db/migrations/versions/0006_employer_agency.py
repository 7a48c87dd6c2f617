"""employers: the agency that registered each one

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02 10:00:00.000000

Employers (and their openings) are one pool every agency reads; only the agency that
registered an employer, or an admin, changes it. Employers registered before this revision
keep NULL (as if an admin registered them): only admins change them until one is handed to
an agency.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("employers", schema=None) as batch_op:
        batch_op.add_column(sa.Column("agency_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_employers_agency_id_agencies"),
            "agencies",
            ["agency_id"],
            ["id"],
            ondelete="RESTRICT",
        )


def downgrade() -> None:
    with op.batch_alter_table("employers", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_employers_agency_id_agencies"), type_="foreignkey")
        batch_op.drop_column("agency_id")
